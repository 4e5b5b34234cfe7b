import { request as httpRequest } from 'node:http';
import type { IncomingMessage, RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { RefusedUrlError, resolveAllowed } from './address-guard.js';

export interface SendResult {
  ok: boolean;
  status: number | null;
  error: string | null;
  durationMs: number;
}

export interface SendOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
}

/** At most this much of an answer is read (and thrown away): a delivery needs only the status. */
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * One POST to a webhook's endpoint. The host is resolved and checked again here (DNS may have
 * changed since the webhook was created) and the connection goes to the address that passed the
 * check — the request's `lookup` answers it — so a DNS answer changing in between is no way
 * around the guard; TLS still checks the certificate against the URL's host. No redirect is
 * followed (a 3xx is a failure like any non-2xx), and the whole exchange has `timeoutMs`.
 */
export async function sendWebhook(options: SendOptions): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const url = new URL(options.url);
  let address: { address: string; family: 4 | 6 };
  try {
    [address] = (await resolveAllowed(url, options.allowPrivate)) as [{ address: string; family: 4 | 6 }];
  } catch (error) {
    return { ok: false, status: null, error: error instanceof RefusedUrlError ? error.message : String(error), durationMs: elapsed() };
  }
  const lookup: LookupFunction = (_host, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all)
      (callback as (e: null, a: { address: string; family: number }[]) => void)(null, [address]);
    else callback(null, address.address, address.family);
  };
  const requestOptions: RequestOptions = {
    method: 'POST',
    headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
    lookup,
    agent: false,
    signal: AbortSignal.timeout(options.timeoutMs),
  };
  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      resolve({ ...result, durationMs: elapsed() });
    };
    const onResponse = (response: IncomingMessage) => {
      const status = response.statusCode ?? null;
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) response.destroy();
      });
      const done = () => {
        const ok = status !== null && status >= 200 && status < 300;
        finish({ ok, status, error: ok ? null : `The endpoint answered ${status}` });
      };
      response.on('end', done);
      response.on('close', done);
      response.on('error', done);
    };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, requestOptions, onResponse);
    req.on('error', (error: Error & { code?: string }) => {
      const timedOut = error.name === 'AbortError' || error.name === 'TimeoutError';
      finish({
        ok: false,
        status: null,
        error: timedOut ? `No answer within ${options.timeoutMs} ms` : `${error.code ?? error.name}: ${error.message}`,
      });
    });
    req.end(options.body);
  });
}
