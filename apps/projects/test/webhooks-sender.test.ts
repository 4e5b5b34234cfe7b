import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendWebhook } from '../src/webhooks/sender.js';

/** The sender on its own, against a local endpoint: the guard at delivery time, redirects, time-outs. */
describe('sending a delivery', () => {
  let requests = 0;
  let url = '';
  const server = createServer((request, response) => {
    requests++;
    request.resume();
    request.on('end', () => {
      if (request.url === '/redirect') response.writeHead(302, { location: 'http://169.254.169.254/' }).end();
      else if (request.url === '/slow') setTimeout(() => response.writeHead(200).end(), 2_000);
      else response.writeHead(204).end();
    });
  });
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const send = (path: string, allowPrivate = true, timeoutMs = 5_000) =>
    sendWebhook({ url: `${url}${path}`, headers: { 'content-type': 'application/json' }, body: '{}', timeoutMs, allowPrivate });

  it('refuses a private address at delivery time without connecting', async () => {
    const before = requests;
    const result = await send('/hook', false);
    expect(result).toMatchObject({ ok: false, status: null, error: expect.stringMatching(/refused/) });
    expect(requests).toBe(before);
  });

  it('succeeds on 2xx', async () => {
    expect(await send('/hook')).toMatchObject({ ok: true, status: 204, error: null });
  });

  it('follows no redirect: a 3xx fails the attempt', async () => {
    const before = requests;
    expect(await send('/redirect')).toMatchObject({ ok: false, status: 302, error: 'The endpoint answered 302' });
    expect(requests).toBe(before + 1);
  });

  it('gives up on an endpoint that does not answer in time', async () => {
    const result = await send('/slow', true, 300);
    expect(result).toMatchObject({ ok: false, status: null, error: 'No answer within 300 ms' });
    // Cut off before the endpoint would have answered.
    expect(result.durationMs).toBeLessThan(2_000);
  });

  it('reports a refused connection', async () => {
    const result = await sendWebhook({ url: 'http://127.0.0.1:1/', headers: {}, body: '{}', timeoutMs: 2_000, allowPrivate: true });
    expect(result).toMatchObject({ ok: false, status: null, error: expect.stringMatching(/ECONNREFUSED/) });
  });
});
