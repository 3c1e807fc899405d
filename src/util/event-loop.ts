/**
 * Long synchronous loops (training batches) starve Node's event loop: timers (a study's trial heartbeat),
 * signal handlers (Ctrl-C) and I/O callbacks wait until the loop ends. A {@link Yielder} gives them a turn
 * every `everyMs` of wall time, at a cost of one `setImmediate` round trip (microseconds) per turn.
 */
export class Yielder {
  private last = performance.now();

  /** `everyMs`: the longest stretch without a turn (default 250 ms; 0 yields on every call). */
  constructor(private readonly everyMs = 250) {}

  /** Yields to the event loop when `everyMs` has passed since the last turn; otherwise returns at once. */
  async maybe(): Promise<void> {
    if (this.everyMs > 0 && performance.now() - this.last < this.everyMs) return;
    await yieldToEventLoop();
    this.last = performance.now();
  }
}

/** Lets the event loop run (timers, signal handlers such as Ctrl-C's, I/O callbacks) before going on. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((r) => setImmediate(r));
}
