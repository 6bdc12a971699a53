/**
 * The emulator of the scale and HTTP benches in a process of its own (scale-emulator.ts, seeded
 * with `groups` group spaces and `directs` 1-1s with the bot), asked over IPC, at a lower CPU
 * priority than the bench process.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The emulator process's niceness (lower CPU priority than the bot's). */
const EMULATOR_NICE = 10;

/** The emulator in its own process, asked over IPC (the questions are scale-emulator.ts `Ask`). */
export class RemoteEmulator {
  private next = 1;
  private readonly waiting = new Map<number, (v: unknown) => void>();
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
    readonly wsUrl: string,
  ) {
    child.on('message', (m: { id?: number; value?: unknown }) => {
      if (m.id === undefined) return;
      this.waiting.get(m.id)?.(m.value);
      this.waiting.delete(m.id);
    });
  }

  static async start(groups: number, directs: number): Promise<RemoteEmulator> {
    const file = join(dirname(fileURLToPath(import.meta.url)), 'scale-emulator.ts');
    const child = fork(file, [String(groups), String(directs)], { execArgv: ['--import', 'tsx'] });
    // The emulator stands for Webex, which runs elsewhere: when both want one of the machine's few
    // CPUs, the bot runs first, so that a stall measured is the bot's and not the emulator's turn.
    try {
      if (child.pid) setPriority(child.pid, EMULATOR_NICE);
    } catch {}
    const ready = await new Promise<{ url: string; wsUrl: string }>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
      child.on('message', (m: { ready?: { url: string; wsUrl: string } }) => m.ready && resolve(m.ready));
    });
    return new RemoteEmulator(child, ready.url, ready.wsUrl);
  }

  ask<T>(op: Record<string, unknown>): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve) => {
      this.waiting.set(id, resolve as (v: unknown) => void);
      this.child.send({ id, ...op });
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once('exit', r));
    await this.ask({ op: 'stop' });
    await exited;
  }
}
