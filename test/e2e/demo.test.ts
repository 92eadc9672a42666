import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

it('npm run demo runs the lifecycle on nothing but this checkout and writes its transcript', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'firebreak-demo-test-'));
  const output = join(dir, 'demo.md');
  const postmortems = join(dir, 'postmortems');
  try {
    const child = spawn(process.execPath, ['--import', 'tsx', 'demo/run.ts'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', DEMO_OUTPUT: output, DEMO_POSTMORTEMS: postmortems },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, log).toBe(0);
    const transcript = readFileSync(output, 'utf8');
    expect(transcript).toContain('Slack now has #inc-');
    expect(transcript).toMatch(/\d{4}-\d{2}-\d{2} 12:34 EAT\* :memo: note/);
    expect(transcript).toMatch(/\d{4}-\d{2}-\d{2} 13:17 EAT\* :memo: note/);
    expect(transcript).toContain('“13:17pm” read as 13:17');
    expect(transcript).toContain(':pushpin: pinned');
    expect(transcript).toContain('“sev9” is not a severity');
    expect(transcript).toMatch(/\*Root blocker:\* pid \d+ \(billing-worker, shop\) idle in transaction/);
    expect(transcript).toContain('Only the people listed under locks.act may terminate a session; nothing was changed.');
    expect(transcript).toMatch(/Done: terminated pid \d+/);
    expect(transcript).toContain('**noah** gets a direct message from Firebreak');
    expect(transcript).toContain('**noah** presses **Acknowledge**');
    expect(transcript).toMatch(/amina\*\*'s page now reads:\n(> .*\n)*> .*Acknowledged by/);
    expect(transcript).toContain('closed this incident');
    const [draft] = readdirSync(postmortems);
    expect(draft).toMatch(/^postmortem-incident-1-v1\.md$/);
    const postmortem = readFileSync(join(postmortems, draft!), 'utf8');
    expect(postmortem).toContain('## Lock Evidence');
    expect(postmortem).toContain('**13:17 EAT**');
    expect(postmortem).not.toContain('13:17pm');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
