/**
 * What every compat test shares: an emulator on port 0 with a small seed, and a client (the SDK or
 * the framework) in a child process driven over IPC. A child keeps the clients' globals, timers and
 * sockets out of the test process, and lets the test see an unhandled rejection or an exit as data.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type RunningEmulator, startEmulator } from '@herald/emulator';

export const TOKENS = {
  bot: 'ZTc1MmJkOTItZjE0Mi00ZWYzLWI4MWEtYTY4MGE3ZjgwMTYyYmM3OTI1ZjYtYmVh_PF84_0f3e0b8c-0b59-4a7e-9a44-2f3a6a4b7c10',
  alice:
    'NGI3YjA2MzYtMGQwNi00ZTdiLTlhMDEtNDY0ZTIxMjc4NmJiOTQ0YmUzYjQtMjc0_PF84_0f3e0b8c-0b59-4a7e-9a44-2f3a6a4b7c10',
} as const;

/** The seed: the bot and Alice at Acme; a 1-1 space; a group space with both. */
export const SEED = {
  orgs: [{ key: 'acme', id: '0f3e0b8c-0b59-4a7e-9a44-2f3a6a4b7c10', displayName: 'Acme' }],
  people: [
    {
      key: 'bot',
      org: 'acme',
      email: 'herald@webex.bot',
      displayName: 'Herald',
      type: 'bot' as const,
      token: TOKENS.bot,
    },
    {
      key: 'alice',
      org: 'acme',
      email: 'alice@acme.example',
      displayName: 'Alice Archer',
      token: TOKENS.alice,
    },
  ],
  rooms: [
    { key: 'direct', title: 'Alice & Herald', type: 'direct' as const, creator: 'alice', members: ['bot'] },
    { key: 'group', title: 'Launch', creator: 'alice', members: ['bot'] },
  ],
};

export async function emulator(): Promise<RunningEmulator> {
  return startEmulator({ port: 0, seed: SEED });
}

export interface ClientEvent {
  name: string;
  data?: Record<string, unknown>;
}

/** A client in a child process: `call` runs one of its commands, `next` waits for an event. */
export class Client {
  readonly events: ClientEvent[] = [];
  readonly fatal: string[] = [];
  exitCode: number | null | undefined;
  private readonly child: ChildProcess;
  private seq = 0;
  private readonly replies = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  private readonly waiters = new Set<() => void>();
  readonly ready: Promise<void>;

  constructor(script: string, env: Record<string, string>) {
    const path = fileURLToPath(new URL(`../clients/${script}`, import.meta.url));
    this.child = fork(path, [], {
      env: { ...process.env, ...env },
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let readyResolve!: () => void;
    this.ready = new Promise((r) => {
      readyResolve = r;
    });
    this.child.on('message', (raw) => {
      const msg = raw as {
        type: string;
        id?: number;
        value?: unknown;
        error?: string;
        name?: string;
        data?: unknown;
        kind?: string;
        code?: number;
      };
      if (msg.type === 'ready') readyResolve();
      else if (msg.type === 'reply') {
        const r = this.replies.get(msg.id as number);
        this.replies.delete(msg.id as number);
        if (msg.error !== undefined) r?.reject(new Error(msg.error));
        else r?.resolve(msg.value);
      } else if (msg.type === 'event') {
        this.events.push({ name: msg.name as string, data: msg.data as Record<string, unknown> });
      } else if (msg.type === 'fatal') this.fatal.push(`${msg.kind}: ${msg.error}`);
      else if (msg.type === 'exit') this.exitCode = msg.code;
      for (const w of [...this.waiters]) w();
    });
    this.child.on('exit', (code) => {
      this.exitCode ??= code;
      for (const r of this.replies.values()) r.reject(new Error(`client exited (${code})`));
      this.replies.clear();
      for (const w of [...this.waiters]) w();
    });
  }

  call<T = unknown>(cmd: string, arg?: unknown): Promise<T> {
    const id = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.replies.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, cmd, arg });
    });
  }

  /** Wait until an event matching `pred` has arrived (from index `from` on); returns it. */
  next(pred: (e: ClientEvent) => boolean, what: string, from = 0, timeoutMs = 15_000): Promise<ClientEvent> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const hit = this.events.slice(from).find(pred);
        if (hit) {
          done();
          resolve(hit);
        } else if (this.exitCode !== undefined) {
          done();
          reject(new Error(`client exited (${this.exitCode}) before ${what}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`timed out waiting for ${what}; events: ${this.events.map((e) => e.name).join(', ')}`),
        );
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Asserts the client never had an unhandled rejection or exception, and has not exited. */
  assertHealthy(): void {
    assert.deepEqual(this.fatal, [], 'no unhandled rejection or exception in the client');
    assert.equal(this.exitCode, undefined, 'the client is still running');
  }

  async close(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}
