import type { ProcedureCall } from './call.js';

/** At most this many copies of one call reach an instance: enough to get past two lost ones. */
export const MAX_ATTEMPTS = 3;

/**
 * May this call be sent again while an earlier copy may still be running? A query changes
 * nothing; a mutation only when its contract declares it idempotent by nature (`repeatable`),
 * or when it carries an Idempotency-Key, which the owning service dedupes (a later copy gets the
 * first one's answer). Any other mutation is sent once, never blindly.
 */
export function mayRepeat(call: ProcedureCall): boolean {
  return call.kind === 'query' || call.repeatable === true || call.meta.idempotencyKey !== undefined;
}

/** How one attempt ended when it did not succeed. */
export type AttemptOutcome =
  /** A service answered with an error: final, it came from a live instance. */
  | 'answered'
  /** Nobody was subscribed when it was published: it reached no one, so any call may be sent again. */
  | 'no-responders'
  /** No answer (the deadline passed, the connection closed): the call's fate is unknown. */
  | 'unanswered';

export type RetryReason = 'unanswered' | 'no-responders';

export interface AttemptPlan {
  /** When the caller stops waiting (ms since the epoch); every attempt ends by then. */
  deadline: number;
  /** How long an attempt may go unanswered before another copy is sent (when `repeatable`). */
  attemptMs: number;
  /** Whether a copy may be sent while an earlier one may still be running (see `mayRepeat`). */
  repeatable: boolean;
  classify(error: unknown): AttemptOutcome;
  /** Told of every copy sent after the first, and why (for metrics). */
  onRetry?(reason: RetryReason): void;
}

/**
 * Sends a call until one copy answers, within its deadline:
 *
 * - a repeatable call unanswered after `attemptMs` is sent again while the earlier copy keeps
 *   waiting (its instance may be slow rather than gone) and whichever answers first wins: NATS
 *   hands each copy to a live queue member, a dead instance's subscription being gone;
 * - "no responders" (no instance subscribed at all) sends any call again after a short pause —
 *   a restarting instance, interest not yet propagated — for at most one attempt budget from
 *   the start; then the caller gets the failure at once rather than at the deadline;
 * - an answer ends it, an error answer too — unless another copy is still out: copies can
 *   overtake each other, and a first copy arriving after its repeat took the Idempotency-Key's
 *   lock is refused (409) while the repeat does the work. No more copies are sent then, but the
 *   ones out are waited for, and the error answer stands only if none succeeds.
 */
export function runAttempts<T>(send: (attempt: number) => Promise<T>, plan: AttemptPlan): Promise<T> {
  const started = Date.now();
  return new Promise<T>((resolve, reject) => {
    let sent = 0;
    /** Copies that reached no one ("no responders"): they do not count against MAX_ATTEMPTS. */
    let refused = 0;
    let pending = 0;
    let settled = false;
    let waitingToResend = false;
    let lastError: unknown;
    /** An error answer from a live instance: final once no other copy can still succeed. */
    let answer: { error: unknown } | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const mayResend = () => !settled && !answer && sent - refused < MAX_ATTEMPTS && Date.now() < plan.deadline;
    const failure = () => (answer ? answer.error : lastError);
    const resend = (reason: RetryReason) => {
      waitingToResend = false;
      if (!mayResend()) {
        if (pending === 0) settle(() => reject(failure()));
        return;
      }
      plan.onRetry?.(reason);
      launch();
    };

    function launch() {
      sent += 1;
      pending += 1;
      const attempt = sent;
      clearTimeout(timer);
      if (plan.repeatable) timer = setTimeout(() => resend('unanswered'), plan.attemptMs);
      send(attempt).then(
        (value) => settle(() => resolve(value)),
        (error: unknown) => {
          pending -= 1;
          const outcome = plan.classify(error);
          if (outcome === 'answered') {
            answer ??= { error };
            clearTimeout(timer);
            if (pending === 0) settle(() => reject(failure()));
            return;
          }
          if (outcome === 'no-responders') refused += 1;
          // "No responders" says nothing about a copy an instance has taken: keep the more telling error.
          if (outcome === 'unanswered' || lastError === undefined) lastError = error;
          if (pending > 0 || waitingToResend) return;
          if (outcome === 'no-responders' && Date.now() - started < plan.attemptMs && mayResend()) {
            waitingToResend = true;
            clearTimeout(timer);
            timer = setTimeout(() => resend('no-responders'), Math.min(25 * 2 ** (attempt - 1), plan.attemptMs));
            return;
          }
          settle(() => reject(failure()));
        },
      );
    }
    launch();
  });
}
