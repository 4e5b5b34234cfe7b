import { expect, it } from 'vitest';
import { until } from './support/load.js';
import { heldRequest, unreadAnswer } from './support/stalled-clients.js';
import { startTestSystem } from './support/system.js';

const refused = (url: string) =>
  fetch(`${url}/healthz`).then(
    () => false,
    (error: { cause?: { code?: string } }) => error.cause?.code === 'ECONNREFUSED',
  );

it('stops although clients hold requests open: answers the request in flight, closes the rest after SHUTDOWN_TIMEOUT_MS', async () => {
  // Short, so the test does not wait long for the cut; long enough for the request in flight to
  // be answered on a busy machine (a registration, within a second).
  const system = await startTestSystem({ SHUTDOWN_TIMEOUT_MS: '5000' });
  let stopping: Promise<void> | undefined;
  try {
    // The reference's 5 MB script, never read: more than the socket buffers hold. Node's own close
    // ends this connection at once (the answer is complete on the server's side, only unsent, so
    // the connection counts as idle); the stop must resolve with it all the same.
    const unread = await unreadAnswer(system.url, '/docs/js/scalar.js');
    expect(unread.announcedBytes).toBeGreaterThan(1_000_000);
    // A body trickled so slowly it never ends: its connection stays busy, and once the server
    // closes Node no longer enforces its request time-out. This is what held the stop forever.
    const trickled = await heldRequest(system.url, '/api/v1/auth/register', {
      email: 'trickled@example.com',
      password: 'correct horse battery',
    });
    trickled.sendSome();
    // And a client that simply sends its body a moment after the stop began.
    const email = `stopping-${crypto.randomUUID()}@example.com`;
    const inFlight = await heldRequest(system.url, '/api/v1/auth/register', { email, password: 'correct horse battery' });

    stopping = system.stop();
    await until(() => refused(system.url), 'the gateway to stop listening');
    const answered = await inFlight.finish();
    expect(answered.status).toBe(201);
    expect(answered.complete).toBe(true);
    expect(answered.headers.connection).toBe('close');
    expect((JSON.parse(answered.body.toString()) as { data: { user: { email: string } } }).data.user.email).toBe(email);

    // Before the stop had a deadline, this never resolved: the trickled body held it open.
    await stopping;
    const cut = await unread.readRest();
    expect(cut.complete).toBe(false);
    expect(cut.body.length).toBeLessThan(unread.announcedBytes);
    expect(await trickled.outcome).toBeInstanceOf(Error);
  } finally {
    await (stopping ?? system.stop());
  }
});
