import type { Reporter, TestModule } from 'vitest/node';

/**
 * Ends the run with one plain line, `Tests: N passed, N failed, N skipped`, that CI systems
 * read without parsing vitest's coloured summary, then names every skipped test, so a run says
 * plainly which checks it did not make.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    const skipped: string[] = [];
    for (const module of testModules) {
      const tests = [...module.children.allTests()];
      for (const test of tests) {
        const state = test.result().state;
        if (state === 'passed') counts.passed += 1;
        else if (state === 'failed') counts.failed += 1;
        else {
          counts.skipped += 1;
          skipped.push(`${module.moduleId.replace(`${process.cwd()}/`, '')} > ${test.fullName}`);
        }
      }
      // A file that failed outside any test (its import or a beforeAll) counts as one failure.
      if (module.state() === 'failed' && !tests.some((t) => t.result().state === 'failed')) counts.failed += 1;
    }
    const lines = [`Tests: ${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped`];
    for (const name of skipped) lines.push(`Skipped: ${name}`);
    process.stdout.write(`\n${lines.join('\n')}\n`);
  }
}
