import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { loadIdentityConfig, mailSettings } from '../src/env.js';

const KEY = randomBytes(32).toString('base64');
const required = {
  NATS_URL: 'nats://127.0.0.1:4222',
  DATABASE_URL: 'postgres://x@127.0.0.1/db',
  ATRIUM_SIGNING_KEY: 'k',
  ATRIUM_SIGNING_KEY_ID: 'id',
  ATRIUM_TRUSTED_KEYS: 't',
};

describe('mail settings', () => {
  it('are off without SMTP_URL: invites are logged, no key needed', () => {
    expect(mailSettings({ ENCRYPTION_KEYS: '' })).toBeUndefined();
  });

  it('with SMTP_URL need MAIL_FROM and ENCRYPTION_KEY, and say which are missing', () => {
    expect(() => mailSettings({ SMTP_URL: 'smtp://mail.example.com:587', ENCRYPTION_KEYS: '' })).toThrow(
      'Invalid configuration: MAIL_FROM is required with SMTP_URL; ENCRYPTION_KEY is required with SMTP_URL',
    );
    const settings = mailSettings({
      SMTP_URL: 'smtps://u:p@mail.example.com',
      MAIL_FROM: 'Atrium <atrium@example.com>',
      ENCRYPTION_KEY: KEY,
      ENCRYPTION_KEYS: '',
    });
    expect(settings).toMatchObject({
      smtpUrl: 'smtps://u:p@mail.example.com',
      from: 'Atrium <atrium@example.com>',
      previousEncryptionKeys: [],
    });
    expect(settings!.encryptionKey).toHaveLength(32);
  });

  it('refuse a URL that is not SMTP and a sender that is not an address, at start-up', () => {
    expect(() =>
      loadIdentityConfig({ ...required, SMTP_URL: 'http://mail.example.com', MAIL_FROM: 'nobody', ENCRYPTION_KEY: KEY }),
    ).toThrow(/SMTP_URL must be an smtp:\/\/ or smtps:\/\/ URL; MAIL_FROM must be an e-mail address/);
    expect(() => loadIdentityConfig({ ...required, SMTP_URL: 'smtp://mail.example.com' })).toThrow(/MAIL_FROM is required with SMTP_URL/);
  });
});
