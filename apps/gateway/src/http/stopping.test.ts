import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../env.js';
import { stopTimings } from './stopping.js';

// The settings this test does not look at: present, which is all the configuration checks of them.
const required = { NATS_URL: 'nats://127.0.0.1:4222', ATRIUM_SIGNING_KEY: 'unused', ATRIUM_SIGNING_KEY_ID: 'unused' };
const configWith = (env: Record<string, string>) => loadGatewayConfig({ ...required, ...env });

describe('the stop timings', () => {
  it('give the requests in flight twice the call deadline unless SHUTDOWN_TIMEOUT_MS says otherwise', () => {
    expect(stopTimings(configWith({}))).toEqual({ delayMs: 0, graceMs: 10_000 });
    expect(stopTimings(configWith({ NATS_REQUEST_TIMEOUT_MS: '8000' })).graceMs).toBe(16_000);
    expect(stopTimings(configWith({ SHUTDOWN_DELAY_MS: '5000', SHUTDOWN_TIMEOUT_MS: '3000' }))).toEqual({ delayMs: 5000, graceMs: 3000 });
  });

  it('refuse a SHUTDOWN_TIMEOUT_MS that is not a positive whole number of at most two minutes', () => {
    for (const value of ['0', '-1', '1.5', 'soon', '120001']) {
      expect(() => configWith({ SHUTDOWN_TIMEOUT_MS: value }), value).toThrow(/^Invalid configuration: SHUTDOWN_TIMEOUT_MS[^;]*$/);
    }
  });
});
