import { parse } from 'pg-connection-string';
import type { ConnectionOptions } from 'node:tls';

/**
 * The TLS settings a libpq-style URL asks for (`sslmode`, `sslrootcert`, `sslcert`, `sslkey`),
 * for node-postgres. MikroORM builds its connection from the URL's host, port, user, password
 * and database only, so without this `?sslmode=require` would silently connect in the clear.
 *
 * Read with pg-connection-string (node-postgres's own parser) in its libpq-compatible mode:
 * `require` encrypts without verifying (verifies the chain when `sslrootcert` is given),
 * `verify-ca` verifies the chain, `verify-full` the chain and the host name, `disable` is
 * plain. node-postgres cannot fall back as libpq does, so `prefer` encrypts without verifying
 * (a server without TLS is then refused) and `allow` connects in the clear.
 * Certificate files are read here, at start-up: a missing one stops the process naming it.
 */
export function tlsOptionsFromUrl(url: string): ConnectionOptions | false | undefined {
  const parsedUrl = new URL(url);
  const mode = parsedUrl.searchParams.get('sslmode');
  if (mode === null && !['sslrootcert', 'sslcert', 'sslkey'].some((name) => parsedUrl.searchParams.has(name))) return undefined;
  if (mode === 'allow' || mode === 'disable') return false;
  if (mode !== null && !['prefer', 'require', 'verify-ca', 'verify-full'].includes(mode)) {
    throw new Error(`DATABASE_URL: unknown sslmode "${mode}" (disable, allow, prefer, require, verify-ca or verify-full)`);
  }
  const { ssl } = parse(url, { useLibpqCompat: true });
  if (ssl === undefined || typeof ssl === 'boolean') return ssl ? {} : ssl;
  if (typeof ssl === 'string') return {};
  const options: ConnectionOptions = { ...ssl } as ConnectionOptions;
  // The certificate's name is checked against the host the URL names (verify-full).
  options.servername ??= parsedUrl.hostname;
  return options;
}

/** The database a URL names, for messages. */
export function databaseNameOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, '')) || '(none)';
}
