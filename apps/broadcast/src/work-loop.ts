/**
 * A loop that runs `step` until it reports no work, then sleeps `idleMs` or until woken.
 *
 * A wake-up that comes while a step runs is kept: the loop steps again at once instead of going to
 * sleep. Otherwise the step could have looked just before the news (the reporter finding a
 * broadcast one copy short while the last worker wrote that copy's row and woke it) and the loop
 * would sleep through it, until the watch's next poll seconds later.
 */
export class WorkLoop {
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private running = false;
  private done: Promise<void> = Promise.resolve();

  constructor(
    private readonly step: () => Promise<boolean>,
    private readonly idleMs: number,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.running = true;
    this.done = this.run();
  }

  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.done;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let busy = false;
      try {
        busy = await this.step();
      } catch (err) {
        this.onError(err);
      }
      if (!busy && this.running && !this.woken) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.idleMs);
          this.wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wakeUp = undefined;
      }
    }
  }
}
