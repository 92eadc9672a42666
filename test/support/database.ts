import { inject } from 'vitest';
import { createScratchDatabase, type ScratchDatabase } from './scratch-database.js';

export type TestDatabase = ScratchDatabase;

/** A fresh, empty database of its own for one test file, dropped afterwards. */
export function createTestDatabase(label: string): Promise<TestDatabase> {
  return createScratchDatabase(inject('pgAdminUrl'), `fbt_${label}`);
}
