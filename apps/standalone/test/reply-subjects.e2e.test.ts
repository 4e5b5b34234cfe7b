import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import type { Msg, NatsConnection } from '@nats-io/transport-node';
import { CALLER_NAMES, SERVICE_NAMES, busPermissions, inboxPrefix } from '@atrium/contract';
import { busAuth } from '@atrium/local-infra';
import type { BusIdentity } from '@atrium/local-infra';
import { natsUploadStore } from '@atrium/uploads';
import type { UploadStore } from '@atrium/uploads';
import { connectNats } from '@atrium/service-runtime';
import { refusal } from './support/bus.js';
import { newUser, startTestSystem } from './support/system.js';
import type { TestSystem } from './support/system.js';

/**
 * The reply subject of a call is input: a caller that names `$JS.API.STREAM.PURGE.<stream>` as
 * its reply must not get the service to purge that stream with the service's own permissions.
 * Two layers refuse it: the service answers only onto its callers' inboxes, and the broker (the
 * permissions `infra/` ships) lets no app publish a response anywhere else.
 */
const suffix = randomUUID().replace(/-/g, '').slice(0, 10);
const STREAM = `ATRIUM_REPLY_${suffix}`;
const BUCKET = `replies-${suffix}`;
const ICON = `projects/${randomUUID()}/kept.png`;
const NAMES = { stream: STREAM, namespace: `evt_reply_${suffix}`, uploadsBucket: BUCKET };

let system: TestSystem;
const open: NatsConnection[] = [];
let inspector: NatsConnection;
let uploads: UploadStore;

const as = async (identity: BusIdentity) => {
  const nc = await connectNats(system.natsUrl, identity, busAuth(system.natsCredentials, identity));
  open.push(nc);
  return nc;
};

/** Whether a NATS subject pattern list (`*` one token, `>` the rest) covers `subject`. */
function permits(patterns: string[], subject: string): boolean {
  const tokens = subject.split('.');
  return patterns.some((pattern) => {
    const parts = pattern.split('.');
    return (
      parts.every((part, i) => (part === '>' ? i < tokens.length : part === '*' ? tokens[i] !== undefined : part === tokens[i])) &&
      (parts.at(-1) === '>' || parts.length === tokens.length)
    );
  });
}

const streamMessages = async () => (await (await jetstreamManager(inspector)).streams.info(STREAM)).state.messages;

/** Waits until every service has taken everything published before: each answers a call in order. */
async function servicesCaughtUp(token: string) {
  expect((await system.api('GET', '/auth/me', { token })).status).toBe(200);
  expect((await system.api('GET', '/projects', { token })).status).toBe(200);
}

beforeAll(async () => {
  system = await startTestSystem({ EVENTS_STREAM: NAMES.stream, EVENTS_NAMESPACE: NAMES.namespace, UPLOADS_BUCKET: NAMES.uploadsBucket });
  inspector = await as('test');
  uploads = await natsUploadStore(inspector, { bucket: BUCKET });
  await uploads.put(ICON, new Uint8Array([1, 2, 3]));
});
afterAll(async () => {
  await Promise.all(open.map((nc) => nc.close()));
  await system?.stop();
});

/** Subjects a forged reply would turn into an attack: purge or delete the events stream or the icon store. */
const targets = [
  `$JS.API.STREAM.PURGE.${STREAM}`,
  `$JS.API.STREAM.DELETE.${STREAM}`,
  `$JS.API.STREAM.PURGE.OBJ_${BUCKET}`,
  `$O.${BUCKET}.M.${Buffer.from(ICON).toString('base64url')}`,
  `$KV.atrium.anything`,
];

describe('a forged reply subject', () => {
  it('is answered by no service, for any app calling any operation it may call', async () => {
    const { token } = await newUser(system.api, 'reply-owner');
    expect((await system.api('POST', '/projects', { token, body: { name: `replies-${suffix}` } })).status).toBe(201);
    // Events recorded: the stream has something to lose.
    await expect.poll(streamMessages, { timeout: 20_000 }).toBeGreaterThan(0);
    const before = await streamMessages();

    const permissions = busPermissions(NAMES);
    let tried = 0;
    for (const app of CALLER_NAMES) {
      const nc = await as(app);
      const operations = permissions[app].publish.filter((subject) => subject.startsWith('svc.'));
      for (const subject of operations) {
        for (const reply of targets) {
          nc.publish(subject, '{}', { reply });
          tried++;
        }
      }
      await nc.flush();
    }
    expect(tried).toBeGreaterThan(100);
    await servicesCaughtUp(token);

    expect(await streamMessages()).toBeGreaterThanOrEqual(before);
    expect(await uploads.has(ICON)).toBe(true);
  });
});

describe('the broker', () => {
  it("lets a service answer onto its callers' inboxes and nowhere else, whatever reply a request names", async () => {
    const permissions = busPermissions(NAMES);
    for (const service of SERVICE_NAMES) {
      const probe = await as(service);
      // Beside the real service (another queue group): what this app's own connection may answer.
      const received: Msg[] = [];
      probe.subscribe(`svc.${service}.v1.probe`, { callback: (_error, msg) => void received.push(msg) });
      await probe.flush();
      const replies = [...targets, `${inboxPrefix('gateway')}.probe`];
      for (const reply of replies) inspector.publish(`svc.${service}.v1.probe`, '{}', { reply });
      await inspector.flush();
      await expect.poll(() => received.length, { timeout: 10_000 }).toBe(replies.length);
      for (const msg of received) {
        const reply = msg.reply!;
        const refused = await refusal(probe, () => msg.respond('{}'));
        // Only what its role publishes anyway (projects removes icons): the service itself refuses those.
        if (reply.startsWith(inboxPrefix('gateway')) || permits(permissions[service].publish, reply))
          expect(refused, `${service} → ${reply}`).toBeUndefined();
        else expect(refused, `${service} → ${reply}`).toMatch(/Permissions Violation for Publish/);
      }
      expect(permits(permissions[service].publish, `$JS.API.STREAM.PURGE.${STREAM}`)).toBe(false);
    }
    expect(await uploads.has(ICON)).toBe(true);
  });
});
