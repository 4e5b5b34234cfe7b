import type { IncomingHttpHeaders } from 'node:http';

/** The credential of a request: `Authorization: Bearer <token or key>` or `x-api-key: <key>`. */
export function credentialFromHeaders(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (authorization) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return match?.[1];
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey.trim() : undefined;
}
