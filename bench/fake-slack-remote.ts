// The parent's side of bench/fake-slack-process.ts: forks it and calls it over IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { AddChannelSpec } from '../test/support/fake-slack.js';
import type { UserSpec } from '../test/support/fake-slack/types.js';

export interface PreparedCommand {
  /** The slash command's form body, unsigned. */
  body: string;
  responseUrlId: string;
  triggerId: string;
}

export interface EffectReport {
  /** Per key asked for: when the message carrying it was posted (ms, wall clock), or null. */
  found: (number | null)[];
  cardUpdates: number;
  topics: number;
  /** When the last of those card/topic calls was made (ms, wall clock). */
  lastCallAt: number | null;
}

export interface CallCounts {
  updates: number;
  topics: number;
}

/** What the fake process answers; each takes one argument and returns plain data. */
export interface FakeOps {
  info(args: null): { apiUrl: string; botToken: string; pid: number };
  addUser(spec: UserSpec): null;
  addChannel(spec: AddChannelSpec): string;
  prepare(commands: { text: string; userId: string; channelId: string }[]): PreparedCommand[];
  replyTexts(responseUrlIds: string[]): (string | null)[];
  effects(args: { channels: string[]; keys: string[]; since: CallCounts }): EffectReport;
  callCounts(args: null): CallCounts;
  failedCalls(args: null): string[];
}

export type FakeProcessRequest = { id: number; op: keyof FakeOps; args: unknown };
export type FakeProcessMessage =
  | { type: 'ready' }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: string }
  /** response_url ids and when the fake answered each (ms, wall clock: performance.timeOrigin + now()). */
  | { type: 'replies'; items: [string, number][] };

export class RemoteFakeSlack {
  private seq = 0;
  private readonly pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  private readonly exited: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    onReplies: (items: [string, number][]) => void,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.on('message', (message: FakeProcessMessage) => {
      if (message.type === 'replies') onReplies(message.items);
      if (message.type !== 'result') return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.ok) waiter?.resolve(message.value);
      else waiter?.reject(new Error(`fake Slack: ${message.error}`));
    });
    child.once('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`fake Slack process exited (${code})`));
      this.pending.clear();
    });
  }

  /** `onReplies` hears of every response_url post the fake answered, in small batches. */
  static start(onReplies: (items: [string, number][]) => void): Promise<RemoteFakeSlack> {
    const script = fileURLToPath(new URL('./fake-slack-process.ts', import.meta.url));
    const child = fork(script, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const remote = new RemoteFakeSlack(child, onReplies);
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`fake Slack process exited (${code}) before it was ready`));
      child.once('exit', onExit);
      child.on('message', (message: FakeProcessMessage) => {
        if (message.type !== 'ready') return;
        child.off('exit', onExit);
        resolve(remote);
      });
    });
  }

  call<K extends keyof FakeOps>(op: K, args: Parameters<FakeOps[K]>[0]): Promise<ReturnType<FakeOps[K]>> {
    const id = (this.seq += 1);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.child.send({ id, op, args } satisfies FakeProcessRequest);
    });
  }

  async close(): Promise<void> {
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.exited;
    clearTimeout(timer);
  }
}
