import { describe, expect, it } from 'vitest';
import { headlessSocketUrl } from './bridge.ts';

describe('headlessSocketUrl', () => {
  it('takes the token from the fragment', () => {
    expect(headlessSocketUrl({ host: '127.0.0.1:4567', hash: '#token=abc_-1', protocol: 'http:' })).toBe(
      'ws://127.0.0.1:4567/ws?token=abc_-1',
    );
  });
  it('escapes the token and ignores other fragment parts', () => {
    expect(headlessSocketUrl({ host: 'h:1', hash: '#x=1&token=a%2Bb', protocol: 'https:' })).toBe(
      'wss://h:1/ws?token=a%2Bb',
    );
  });
  it('gives null without a token', () => {
    expect(headlessSocketUrl({ host: 'h:1', hash: '', protocol: 'http:' })).toBeNull();
    expect(headlessSocketUrl({ host: 'h:1', hash: '#token=', protocol: 'http:' })).toBeNull();
  });
});
