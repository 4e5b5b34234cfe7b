import type { Logger } from './logger.js';

/**
 * Runs `drain` after every `nudge()` and every `intervalMs`, one run at a time: a nudge during a
 * run asks for one more run right after it (so work committed meanwhile is never left for the
 * next tick), and `stop()` waits for the run in hand. The outbox relay and identity's mail
 * sender both work their table this way.
 */
export class DrainLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private halted = false;

  constructor(
    private readonly drain: () => Promise<void>,
    private readonly intervalMs: number,
    private readonly log: Logger,
    /** Logged at warn with the error when a run fails (the next nudge or tick tries again). */
    private readonly failureMessage: string,
  ) {}

  get stopped(): boolean {
    return this.halted;
  }

  start(): void {
    this.timer = setInterval(() => this.nudge(), this.intervalMs);
    this.timer.unref();
    this.nudge();
  }

  nudge(): void {
    if (this.halted) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) => this.log.warn({ err: error }, this.failureMessage))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.nudge();
        }
      });
  }

  /** Resolves once no run is in progress, including the runs nudged meanwhile. */
  async settle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** No more runs; resolves once the one in hand is finished. */
  async stop(): Promise<void> {
    this.halted = true;
    clearInterval(this.timer);
    await this.running;
  }
}
