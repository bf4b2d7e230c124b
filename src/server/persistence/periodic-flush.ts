/** Bookkeeping kept in memory and written on a timer, and once more when the app stops. */
export abstract class PeriodicFlush {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly intervalMs: number,
    protected readonly onError: (error: unknown) => void,
  ) {}

  abstract flush(): Promise<void>;

  start() {
    this.timer ??= setInterval(() => void this.flush().catch((error) => this.onError(error)), this.intervalMs);
    this.timer.unref();
  }

  async stop() {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.flush().catch((error) => this.onError(error));
  }
}
