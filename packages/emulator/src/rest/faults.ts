/**
 * Injected REST faults: a share of requests answered 500/503, added latency, Retry-After omitted
 * (docs/protocol.md §7.1 decision: "fault injection should also be able to omit it").
 * Deterministic when given a seed.
 */
import { createRandom, type RandomSource } from '../state/random.js';

export interface RestFaultOptions {
  /** Share of requests (0..1) answered with a server error. Default 0. */
  errorRate?: number;
  /** Statuses to pick from, in turn. Default [500, 503]. */
  errorStatuses?: number[];
  /** Only requests whose path (under /v1) contains this string. Default: all. */
  pathFilter?: string;
  /** PRNG seed for the error draw; default random. */
  seed?: number;
  /** Added latency per request (ms). Default 0. */
  latencyMs?: number;
  /** Leave `Retry-After` off 429/423/503 answers. Default false. */
  omitRetryAfter?: boolean;
}

export class RestFaults {
  private options: RestFaultOptions = {};
  private random: RandomSource = createRandom();
  private turn = 0;

  configure(options: RestFaultOptions): void {
    this.options = { ...options };
    this.random = createRandom(options.seed);
    this.turn = 0;
  }

  get config(): RestFaultOptions {
    return { ...this.options };
  }

  get latencyMs(): number {
    return this.options.latencyMs ?? 0;
  }

  get omitRetryAfter(): boolean {
    return this.options.omitRetryAfter ?? false;
  }

  /** The error status to answer `path` with, or undefined to serve it. */
  draw(path: string): number | undefined {
    const rate = this.options.errorRate ?? 0;
    if (rate <= 0) return undefined;
    if (this.options.pathFilter && !path.includes(this.options.pathFilter)) return undefined;
    if (this.random.next() >= rate) return undefined;
    const statuses = this.options.errorStatuses ?? [500, 503];
    return statuses[this.turn++ % statuses.length] ?? 503;
  }
}
