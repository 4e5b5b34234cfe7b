import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { databasePool, loadConfig, portSchema, serviceEnvShape } from '../src/config.js';
import { logFormatFor } from '../src/logger.js';
import { StartupError, startupFailureLine } from '../src/startup.js';

describe('the console', () => {
  it('is readable lines at a terminal and JSON everywhere else', () => {
    expect(logFormatFor({ isTTY: true })).toBe('pretty');
    expect(logFormatFor({ isTTY: false })).toBe('json');
    expect(logFormatFor({})).toBe('json');
  });
});

describe('start-up failures', () => {
  const shape = { NATS_URL: z.string().min(1), PORT: portSchema(3000), LOG_LEVEL: z.enum(['info', 'debug']).default('info') };

  it('name every bad setting on one line', () => {
    let thrown: unknown;
    try {
      loadConfig(shape, { PORT: '70000', LOG_LEVEL: 'loud' });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StartupError);
    const line = startupFailureLine(thrown);
    expect(line).not.toContain('\n');
    expect(line).toMatch(/^Invalid configuration: /);
    expect(line).toContain('NATS_URL is required');
    expect(line).toContain('PORT must be a whole number from 0 to 65535');
    expect(line).toContain('LOG_LEVEL');
  });

  it('refuse a wait for a database connection that is not below the deadline of a call', () => {
    const { DB_POOL_MAX, DB_ACQUIRE_TIMEOUT_MS, DB_STARTUP_TIMEOUT_MS, NATS_REQUEST_TIMEOUT_MS } = serviceEnvShape;
    const poolShape = { DB_POOL_MAX, DB_ACQUIRE_TIMEOUT_MS, DB_STARTUP_TIMEOUT_MS, NATS_REQUEST_TIMEOUT_MS };
    // Start-up waits for the database with a bound of its own, not a call's.
    expect(databasePool(loadConfig(poolShape, {}))).toEqual({ poolMax: 10, acquireTimeoutMs: 4000, startupTimeoutMs: 60_000 });
    // Unset, it follows the deadline.
    expect(databasePool(loadConfig(poolShape, { NATS_REQUEST_TIMEOUT_MS: '2000', DB_STARTUP_TIMEOUT_MS: '90000' }))).toEqual({
      poolMax: 10,
      acquireTimeoutMs: 1600,
      startupTimeoutMs: 90_000,
    });
    const tooLong = loadConfig(poolShape, { DB_ACQUIRE_TIMEOUT_MS: '5000' });
    expect(() => databasePool(tooLong)).toThrow(StartupError);
    expect(startupFailureLine(catchError(() => databasePool(tooLong)))).toBe(
      'Invalid configuration: DB_ACQUIRE_TIMEOUT_MS (5000) must be below NATS_REQUEST_TIMEOUT_MS (5000)',
    );
  });

  it('say what to do when the port is taken, not allowed or not here', () => {
    const listenError = (code: string) =>
      Object.assign(new Error(`listen ${code}`), { code, syscall: 'listen', address: '0.0.0.0', port: 80 });
    expect(startupFailureLine(listenError('EADDRINUSE'))).toBe(
      'Port 80 is already in use (0.0.0.0:80): stop what is using it, or set PORT to another port',
    );
    expect(startupFailureLine(listenError('EACCES'))).toMatch(/^Not allowed to listen on 0\.0\.0\.0:80/);
    expect(startupFailureLine(listenError('EADDRNOTAVAIL'))).toMatch(/HOST is not an address of this machine/);
  });

  it('keep only the first line of anything else', () => {
    expect(startupFailureLine(new Error('connect ECONNREFUSED 127.0.0.1:4222\n    at somewhere'))).toBe(
      'Could not start: connect ECONNREFUSED 127.0.0.1:4222',
    );
  });
});

function catchError(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('it did not throw');
}
