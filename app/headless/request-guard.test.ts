import { describe, expect, it } from 'vitest';
import { isAllowedHost, isAllowedOrigin, isValidToken } from './request-guard.ts';

const config = { port: 4711, token: 'c2VjcmV0LXRva2VuLTEyMzQ1Njc4OTA' };

describe('request guard', () => {
  it('accepts only hosts that name the loopback server and its port', () => {
    expect(isAllowedHost('127.0.0.1:4711', config)).toBe(true);
    expect(isAllowedHost('LOCALHOST:4711', config)).toBe(true);
    expect(isAllowedHost('attacker.example:4711', config)).toBe(false);
    expect(isAllowedHost('127.0.0.1:80', config)).toBe(false);
    expect(isAllowedHost(undefined, config)).toBe(false);
  });

  it('accepts only our own origin', () => {
    expect(isAllowedOrigin('http://127.0.0.1:4711', config)).toBe(true);
    expect(isAllowedOrigin('http://evil.example', config)).toBe(false);
    expect(isAllowedOrigin('null', config)).toBe(false);
    expect(isAllowedOrigin(undefined, config)).toBe(false);
  });

  it('checks the token exactly', () => {
    expect(isValidToken(config.token, config)).toBe(true);
    expect(isValidToken(config.token.slice(1), config)).toBe(false);
    expect(isValidToken('', config)).toBe(false);
    expect(isValidToken(null, config)).toBe(false);
  });
});
