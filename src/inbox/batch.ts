/**
 * Group commit: calls made while a write is under way go out together in the next one, so 200
 * acks at once cost a handful of statements rather than 200 (each one a round trip and a
 * transaction). Alone, a call is written at once: batching never adds a wait.
 */
export class Batcher<T, R> {
  private waiting: { item: T; resolve(result: R): void; reject(error: unknown): void }[] = [];
  private inFlight = 0;

  constructor(
    /** Writes the items; one result per item, in order. */
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly maxInFlight = 2,
    private readonly maxBatch = 500,
  ) {}

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.inFlight >= this.maxInFlight || this.waiting.length === 0) return;
    const batch = this.waiting.splice(0, this.maxBatch);
    this.inFlight += 1;
    this.write(batch.map((entry) => entry.item)).then(
      (results) => batch.forEach((entry, i) => entry.resolve(results[i]!)),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    ).finally(() => {
      this.inFlight -= 1;
      this.next();
    });
  }
}
