import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * A fresh clone must pass on its own, with no folders beside it. Any tracked file that reads from
 * a sibling folder or an absolute path of the machine it was written on breaks that, so this
 * fails on such a reference. The one allowed is the documented default of FIREBREAK_SLACK_SCHEMA
 * (Slack's manifest schema, which is not ours to carry; test/manifest.test.ts skips without it).
 */

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SELF = 'test/repo-alone.test.ts';
const ALLOWED = '../shared/slack/manifest.schema.1.0.0.json';

// A relative path climbing into the sibling `shared` folder, or an absolute path under /work.
const OUTSIDE = /(?:\.\.\/)+shared\b[^\s'"`),}]*|(?<![\w.])\/work\/[^\s'"`)]*/g;

function trackedFiles(): string[] {
  return execFileSync('git', ['ls-files', '-z'], { cwd: REPO, encoding: 'utf8' }).split('\0').filter(Boolean);
}

/** `file:line: reference` for every reference outside the repository. */
function referencesOutside(path: string, text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, index) => {
    for (const match of line.matchAll(OUTSIDE)) {
      if (match[0] !== ALLOWED) found.push(`${path}:${index + 1}: ${match[0]}`);
    }
  });
  return found;
}

describe('the repository stands alone', () => {
  it('no tracked file reads from outside the repository', () => {
    const files = trackedFiles();
    expect(files).toContain('package.json');
    const found = files
      .filter((file) => file !== SELF)
      .flatMap((file) => {
        const bytes = readFileSync(join(REPO, file));
        return bytes.includes(0) ? [] : referencesOutside(file, bytes.toString('utf8'));
      });
    expect(found, 'put what these need into the repository (test/fixtures/, README.md)').toEqual([]);
  });

  it('the check catches sibling folders and absolute paths, and allows only the schema default', () => {
    expect(referencesOutside('a.ts', "readFileSync('../../shared/seeds/x.md')")).toEqual(['a.ts:1: ../../shared/seeds/x.md']);
    expect(referencesOutside('b.md', 'see [it](../shared/CONTRACT.md)')).toEqual(['b.md:1: ../shared/CONTRACT.md']);
    expect(referencesOutside('c.sh', 'cat /work/shared/x')).toEqual(['c.sh:1: /work/shared/x']);
    expect(referencesOutside('d.ts', `const SCHEMA = '${ALLOWED}';`)).toEqual([]);
    expect(referencesOutside('e.ts', "import x from './shared/x.js'; // src/work/y")).toEqual([]);
  });
});
