import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

it('npm run demo runs the lifecycle on nothing but this checkout and writes its transcript', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-demo-test-'));
  const output = join(dir, 'demo.md');
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/run.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DEMO_OUTPUT: output },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, log).toBe(0);
    const transcript = readFileSync(output, 'utf8');
    expect(transcript).toContain('Slack now has #inc-');
    expect(transcript).toContain('*2023-07-23 12:34 EAT* :memo: note');
    expect(transcript).toContain('*2023-07-23 13:17 EAT* :memo: note');
    expect(transcript).toContain('“13:17pm” read as 13:17');
    expect(transcript).toContain(':pushpin: pinned');
    expect(transcript).toContain('“sev9” is not a severity');
    expect(transcript).toContain('closed this incident');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
