import { describe, expect, it } from 'vitest';
import { TrustedSenders } from './trusted-senders.ts';

describe('TrustedSenders', () => {
  it('trusts only registered windows showing our bundle', () => {
    const senders = new TrustedSenders();
    senders.add(3);
    expect(senders.isTrusted(3, 'app://renderer/index.html')).toBe(true);
    expect(senders.isTrusted(4, 'app://renderer/index.html')).toBe(false);
    expect(senders.isTrusted(3, 'https://evil.example/')).toBe(false);
    expect(senders.isTrusted(3, undefined)).toBe(false);
    senders.remove(3);
    expect(senders.isTrusted(3, 'app://renderer/index.html')).toBe(false);
  });
});
