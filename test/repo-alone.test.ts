import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * A fresh clone must pass on its own, with no folders beside it. Any tracked file that reads from
 * a sibling folder or an absolute path of the machine it was written on breaks that, so this
 * fails on such a reference. Only `.ci/run` may look beside the checkout: CI runs with the team's
 * reference folder there, and points FIREBREAK_SLACK_SCHEMA at Slack's manifest schema in it.
 */

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SELF = 'test/repo-alone.test.ts';
const CI_ENTRY = '.ci/run';
// Spelled in pieces, so this file does not itself contain what it looks for.
const SIBLING = ['..', 'shared'].join('/');
const MACHINE = ['', 'work', 'shared'].join('/');

// A relative path climbing into the sibling `shared` folder, or an absolute path under /work.
const OUTSIDE = /(?:\.\.\/)+shared\b[^\s'"`),}]*|(?<![\w.])\/work\/[^\s'"`)]*/g;

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
}

/** `file:line: reference` for every reference outside the repository. */
function referencesOutside(path: string, text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, index) => {
    for (const match of line.matchAll(OUTSIDE)) found.push(`${path}:${index + 1}: ${match[0]}`);
  });
  return found;
}

describe('the repository stands alone', () => {
  it('no tracked file reads from outside the repository', () => {
    const files = trackedFiles();
    expect(files).toContain('package.json');
    const found = files
      .filter((file) => file !== SELF && file !== CI_ENTRY)
      .flatMap((file) => {
        const bytes = readFileSync(join(REPO, file));
        return bytes.includes(0) ? [] : referencesOutside(file, bytes.toString('utf8'));
      });
    expect(found, 'put what these need into the repository (test/fixtures/, README.md)').toEqual([]);
  });

  it('the check catches sibling folders and absolute paths, Slack\'s schema included', () => {
    expect(referencesOutside('a.ts', `readFileSync('../${SIBLING}/seeds/x.md')`)).toEqual([`a.ts:1: ../${SIBLING}/seeds/x.md`]);
    expect(referencesOutside('b.md', `see [it](${SIBLING}/CONTRACT.md)`)).toEqual([`b.md:1: ${SIBLING}/CONTRACT.md`]);
    expect(referencesOutside('c.sh', `cat ${MACHINE}/x`)).toEqual([`c.sh:1: ${MACHINE}/x`]);
    const schema = `${SIBLING}/slack/manifest.schema.1.0.0.json`;
    expect(referencesOutside('d.ts', `const SCHEMA = '${schema}';`)).toEqual([`d.ts:1: ${schema}`]);
    expect(referencesOutside('e.ts', `import x from './shared/x.js'; // src${MACHINE.slice(0, 5)}/y`)).toEqual([]);
  });
});
