/** The REST request log: what tests and benchmarks count. Never holds a token or a body. */

export interface RequestLogEntry {
  method: string;
  /** Path and query under the origin, e.g. `/v1/messages?roomId=…`. */
  path: string;
  status: number;
  /** PEOPLE uuid of the caller, when the token was known. */
  personId?: string | undefined;
  /** ISO-8601, from the world's clock. */
  time: string;
}

export class RequestLog {
  private entries: RequestLogEntry[] = [];

  /** @param limit entries kept (oldest dropped first). */
  constructor(private readonly limit = 100_000) {}

  add(entry: RequestLogEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.limit) this.entries.splice(0, this.entries.length - this.limit);
  }

  list(): RequestLogEntry[] {
    return [...this.entries];
  }

  clear(): void {
    this.entries = [];
  }
}
