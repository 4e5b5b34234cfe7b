/**
 * What patches/trpc-to-openapi@3.3.0.patch changes, tested against the library's own
 * standalone Node.js adapter (and its Fastify adapter, which hands over a query Fastify has
 * already parsed) with a minimal router, as an upstream test would be: each test fails with
 * the patch's hunk it names taken out (see patches/README.md).
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { initTRPC } from '@trpc/server';
import Fastify from 'fastify';
import { createOpenApiHttpHandler, fastifyTRPCOpenApiPlugin } from 'trpc-to-openapi';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const t = initTRPC.meta<OpenApiMeta>().create();
const countInput = z.object({ count: z.number() });
const echoInput = z.strictObject({ q: z.string().optional() });
let echoCalls = 0;

const router = t.router({
  countQuery: t.procedure
    .meta({ openapi: { method: 'GET', path: '/count' } })
    .input(countInput)
    .output(countInput)
    .query(({ input }) => input),
  countBody: t.procedure
    .meta({ openapi: { method: 'POST', path: '/count' } })
    .input(countInput)
    .output(countInput)
    .mutation(({ input }) => input),
  echo: t.procedure
    .meta({ openapi: { method: 'GET', path: '/echo' } })
    .input(echoInput)
    .output(echoInput)
    .query(({ input }) => {
      echoCalls += 1;
      return input;
    }),
});

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer(createOpenApiHttpHandler({ router }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('trpc-to-openapi, as patched', () => {
  it('does not coerce input, nor change the schemas of the router (hunk: no coerceSchema)', async () => {
    expect((await fetch(`${base}/count?count=5`)).status).toBe(400);
    const body = await fetch(`${base}/count`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ count: '5' }),
    });
    expect(body.status).toBe(400);
    expect(countInput.safeParse({ count: '5' }).success).toBe(false);
  });

  it('reads __proto__ and constructor as query keys like any other (hunks: prototype-free query objects)', async () => {
    // Unknown keys to the strict schema: refused, neither dropped nor crashing the parse.
    for (const key of ['__proto__', 'constructor', 'toString']) {
      const answer = await fetch(`${base}/echo?${key}=x`);
      expect(answer.status).toBe(400);
    }
  });

  it('keeps an empty query value as a value (hunk: empty values kept)', async () => {
    const answer = await fetch(`${base}/echo?q=`);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ q: '' });
    // Through Fastify, whose parsed query holds `q: ''` rather than `q: ['']`.
    const app = Fastify();
    await app.register(fastifyTRPCOpenApiPlugin, { router });
    try {
      const viaFastify = await app.inject({ method: 'GET', url: '/echo?q=' });
      expect(viaFastify.statusCode).toBe(200);
      expect(viaFastify.json()).toEqual({ q: '' });
    } finally {
      await app.close();
    }
  });

  it('answers HEAD by running the GET operation, and 404 where there is none (hunks: HEAD is GET)', async () => {
    const before = echoCalls;
    const head = await fetch(`${base}/echo?q=a`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect(echoCalls).toBe(before + 1);
    expect((await fetch(`${base}/echo?nope=1`, { method: 'HEAD' })).status).toBe(400);
    expect((await fetch(`${base}/nowhere`, { method: 'HEAD' })).status).toBe(404);
  });
});
