// How the send loop and the deliveries wait: for something to happen (an append, a resume, a flush, a stop, a
// retarget, a delivery that ended), or for a time, whichever comes first.

export class Waker {
  private waiters: Array<() => void> = [];
  /** Something happened since the send loop last looked. */
  private pending = false;

  /** `onWake` runs first on every wake: others that wait on their own terms look again too. */
  constructor(private readonly onWake: () => void = () => undefined) {}

  wake(): void {
    this.onWake();
    this.pending = true;
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Resolves on the next wake(); with `consume`, at once if one happened since the send loop last looked. */
  next(consume: boolean): Promise<void> {
    if (consume && this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      this.waiters.push(() => {
        if (consume) this.pending = false;
        resolve();
      });
    });
  }

  /** Sleeps up to `ms`, or less if woken. */
  async sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, ms);
      timer.unref();
    });
    try {
      await Promise.race([timeout, this.next(false)]);
    } finally {
      clearTimeout(timer);
    }
  }
}
