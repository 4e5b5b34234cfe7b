import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** A fresh, uniquely named database on the server of `serverUrl`; each test file gets its own. */
export async function createTestDatabase(serverUrl: string, label = 'test'): Promise<TestDatabase> {
  const name = `atrium_${label.replace(/[^a-z0-9]/gi, '_').toLowerCase()}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    url: withDatabase(serverUrl, name),
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}

/** Creates `name` on the server of `serverUrl` unless it exists; returns its URL. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await admin.query(`create database "${name.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }
  return withDatabase(serverUrl, name);
}

/** A connection a test keeps open across statements (to hold a lock, say); `close` ends it. */
export async function openDatabaseSession(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return {
    query: async <T = Record<string, unknown>>(text: string, values: unknown[] = []) => (await client.query(text, values)).rows as T[],
    /** As a service's hot reads run: a statement prepared on this connection under `name` on first use, then bound and executed. */
    prepared: async <T = Record<string, unknown>>(name: string, text: string, values: readonly unknown[] = []) =>
      (await client.query({ name, text, values: [...values] })).rows as T[],
    close: () => client.end(),
  };
}

/** One SQL statement on its own connection, for tests that check what was (or was not) written. */
export async function queryDatabase<T = Record<string, unknown>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}
