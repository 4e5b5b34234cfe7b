import { once } from 'node:events';
import { request } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';

/**
 * Clients that keep a request of theirs from ending — what a stuck or hostile client does to a
 * server that waits for every connection to end before it stops. Plain `node:http`, one
 * connection each (no agent), so the test sees exactly what happens to that connection.
 */

/** The answer of a request read to its end, or as far as the connection went. */
export interface ReadAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  /** Whether every byte the answer announced arrived. */
  complete: boolean;
  body: Buffer;
}

function readAll(response: IncomingMessage): Promise<ReadAnswer> {
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    response.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A connection cut mid-answer ends the message with an 'aborted' error: that is the outcome, not a failure.
    response.on('error', () => undefined);
    response.once('close', () =>
      resolve({ status: response.statusCode ?? 0, headers: response.headers, complete: response.complete, body: Buffer.concat(chunks) }),
    );
    response.resume();
  });
}

/**
 * Asks for `path` and never reads the answer once it has begun: with an answer bigger than the
 * socket buffers, the server's writes back up (TCP flow control) and its connection stays busy
 * for as long as the client likes. `readRest` reads whatever the connection still delivers.
 */
export async function unreadAnswer(baseUrl: string, path: string): Promise<{ announcedBytes: number; readRest(): Promise<ReadAnswer> }> {
  const sent = request(`${baseUrl}${path}`, { agent: false });
  sent.end();
  // Unread: a message without a 'data' listener stays paused, and the socket stops reading once its buffer is full.
  const [response] = (await once(sent, 'response')) as [IncomingMessage];
  return { announcedBytes: Number(response.headers['content-length']), readRest: () => readAll(response) };
}

/**
 * A JSON request whose body is held back: the headers go first (`Expect: 100-continue`), and
 * once the server has taken the request (its `100 Continue`) the body is sent only when asked —
 * all of it (`finish`), or never (a client trickling a body at its own pace, or stuck).
 */
export async function heldRequest(
  baseUrl: string,
  path: string,
  body: unknown,
): Promise<{ finish(): Promise<ReadAnswer>; sendSome(): void; outcome: Promise<ReadAnswer | Error> }> {
  const text = Buffer.from(JSON.stringify(body));
  const sent: ClientRequest = request(`${baseUrl}${path}`, {
    method: 'POST',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': String(text.length), expect: '100-continue' },
  });
  const outcome = new Promise<ReadAnswer | Error>((resolve) => {
    sent.once('response', (response: IncomingMessage) => resolve(readAll(response)));
    sent.once('error', resolve);
  });
  sent.flushHeaders();
  await once(sent, 'continue');
  return {
    async finish() {
      sent.end(text);
      const answer = await outcome;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    sendSome: () => sent.write(text.subarray(0, Math.floor(text.length / 2))),
    outcome,
  };
}
