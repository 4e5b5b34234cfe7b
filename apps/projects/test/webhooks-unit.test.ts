import { describe, expect, it } from 'vitest';
import { isRefusedAddress, resolveAllowed } from '../src/webhooks/address-guard.js';
import { DEFAULT_RETRY_SCHEDULE, parseRetrySchedule } from '../src/webhooks/env.js';
import { newWebhookSecret, signature, signatureHeader } from '../src/webhooks/signing.js';

describe('the SSRF guard', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.0.0.1',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.0.1',
    '100.64.0.1',
    '169.254.169.254',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '::ffff:10.0.0.1',
    '::127.0.0.1',
  ])('refuses %s', (address) => {
    expect(isRefusedAddress(address)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '203.0.113.10', '2606:4700:4700::1111', '::ffff:8.8.8.8', '::ffff:808:808'])(
    'lets %s through',
    (address) => {
      expect(isRefusedAddress(address)).toBe(false);
    },
  );

  it('checks IP literals in URLs, in every spelling, without DNS', async () => {
    for (const url of [
      'http://169.254.169.254/',
      'http://[::1]:8080/',
      'http://[::ffff:127.0.0.1]/',
      'http://2130706433/',
      'http://0x7f.1/',
    ])
      await expect(resolveAllowed(new URL(url), false), url).rejects.toThrow(/refused/);
    expect(await resolveAllowed(new URL('https://203.0.113.10/hook'), false)).toEqual([{ address: '203.0.113.10', family: 4 }]);
    expect(await resolveAllowed(new URL('http://127.0.0.1:9/'), true)).toEqual([{ address: '127.0.0.1', family: 4 }]);
    await expect(resolveAllowed(new URL('ftp://203.0.113.10/'), true)).rejects.toThrow(/https/);
  });

  it('resolves host names and refuses one that resolves to loopback', async () => {
    await expect(resolveAllowed(new URL('http://localhost/'), false)).rejects.toThrow(/refused/);
    await expect(resolveAllowed(new URL('http://no-such-host.invalid/'), false)).rejects.toThrow(/does not resolve/);
  });
});

describe('signing', () => {
  it("matches the Standard Webhooks specification's example", () => {
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    expect(signature(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}')).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
  });

  it('signs with every secret, space-separated', () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    expect(signatureHeader([a, b], 'id', 1, '{}')).toBe(`${signature(a, 'id', 1, '{}')} ${signature(b, 'id', 1, '{}')}`);
  });

  it('makes secrets of 24 random bytes', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    expect(newWebhookSecret()).not.toBe(secret);
  });
});

describe('the retry schedule', () => {
  it('reads delays with units, and refuses anything else', () => {
    expect(parseRetrySchedule('5s,30s,2m,10m,1h')).toEqual([5000, 30000, 120000, 600000, 3600000]);
    expect(parseRetrySchedule('50ms, 100ms')).toEqual([50, 100]);
    expect(parseRetrySchedule('5')).toBeUndefined();
    expect(parseRetrySchedule('')).toBeUndefined();
    expect(parseRetrySchedule('1d')).toBeUndefined();
  });

  it('by default retries for more than a day', () => {
    const delays = parseRetrySchedule(DEFAULT_RETRY_SCHEDULE)!;
    expect(delays.slice(0, 5)).toEqual([5000, 30000, 120000, 600000, 3600000]);
    expect(delays.reduce((sum, delay) => sum + delay, 0)).toBeGreaterThan(24 * 3600 * 1000);
  });
});
