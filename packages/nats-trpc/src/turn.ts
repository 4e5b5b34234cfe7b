/**
 * Work gathered over one turn of the event loop and done at its end, once: what both
 * transports (NATS and in-process) use to send and sign the calls made together.
 */
import type { CallSigner, OutgoingCall } from './assertion.js';

/**
 * Runs what is handed to it at the end of this turn of the event loop (setImmediate), all at
 * once. nats.js writes its outgoing buffer to the socket once per microtask checkpoint, so a
 * call made while handling one HTTP request would otherwise be one write (and one wake-up of
 * nats-server) each; the requests read in one turn now go out in one write. The wait is
 * the rest of the current turn, not a timer.
 */
export function createTurnBatcher(): (task: () => void) => void {
  let queued: (() => void)[] = [];
  const runQueued = () => {
    const tasks = queued;
    queued = [];
    for (const task of tasks) task();
  };
  return (task) => {
    if (queued.length === 0) setImmediate(runQueued);
    queued.push(task);
  };
}

/**
 * Signs the calls made in this turn together, at its end (see assertion.ts: one signature per
 * batch). Queue it on the same turn batcher as the sends and before them, so the batch is
 * signed just before the calls it covers go out, in the same turn.
 */
export function createTurnSigner(signer: CallSigner, inThisTurn: (task: () => void) => void): (call: OutgoingCall) => Promise<string> {
  let waiting: { call: OutgoingCall; resolve: (token: string) => void; reject: (error: unknown) => void }[] = [];
  const signWaiting = () => {
    const batch = waiting;
    waiting = [];
    try {
      const tokens = signer.signBatch(batch.map((entry) => entry.call));
      for (const [i, entry] of batch.entries()) entry.resolve(tokens[i]!);
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  };
  return (call) =>
    new Promise<string>((resolve, reject) => {
      if (waiting.length === 0) inThisTurn(signWaiting);
      waiting.push({ call, resolve, reject });
    });
}
