import { describe, expect, it } from 'vitest';
import { queryFingerprint, redactQuery, showQuery } from '../../src/locks/redact.js';

describe('redactQuery', () => {
  it.each([
    ["UPDATE accounts SET balance = balance - 100.50 WHERE id = 42 AND owner = 'alice'", "UPDATE accounts SET balance = balance - ? WHERE id = ? AND owner = '…'"],
    ["SELECT 'it''s secret', 1e-3, .5, 0x1F", "SELECT '…', ?, ?, ?"],
    ["SELECT E'pass\\'word', e'x\\\\' || 'y'", "SELECT '…', '…' || '…'"],
    ["SELECT U&'d\\0061t', B'1010', X'ff'", "SELECT '…', '…', '…'"],
    ['SELECT $$ body; with \'quotes\' $$, $fn$ secret $x$ still $fn$', "SELECT '…', '…'"],
    ['SELECT * FROM t WHERE a = $1 AND b = $2', 'SELECT * FROM t WHERE a = $1 AND b = $2'],
    ["SELECT 1 -- password 'hunter2'\nFROM t /* outer /* nested 'x' */ still */ WHERE t2.c3 = 7", 'SELECT ? FROM t WHERE t2.c3 = ?'],
    ['SELECT "weird ""col"" 42" FROM "T1"', 'SELECT "weird ""col"" 42" FROM "T1"'],
    ["INSERT INTO t VALUES ('unterminated", "INSERT INTO t VALUES ('…'"],
  ])('%s', (input, expected) => {
    expect(redactQuery(input)).toBe(expected);
  });

  it('never leaves a literal behind', () => {
    const secret = "SELECT * FROM users WHERE email = 'a@b.c' AND pin = 1234 AND note = $q$4321$q$";
    expect(redactQuery(secret)).not.toMatch(/a@b\.c|1234|4321/);
  });
});

describe('queryFingerprint', () => {
  it('treats statements that differ only in literals as the same', () => {
    expect(queryFingerprint("UPDATE t SET v = 1 WHERE id IN (1, 2, 3)")).toBe(queryFingerprint('update t  set v = 9 where id in (7)'));
    expect(queryFingerprint('UPDATE t SET v = 1')).not.toBe(queryFingerprint('UPDATE u SET v = 1'));
  });
});

describe('showQuery', () => {
  it('follows show_query and cuts long text', () => {
    expect(showQuery("SELECT 'x'", 'none', 100)).toBeNull();
    expect(showQuery("SELECT   'x'", 'full', 100)).toBe("SELECT 'x'");
    expect(showQuery("SELECT 'x'", 'redacted', 100)).toBe("SELECT '…'");
    expect(showQuery('SELECT ' + 'a, '.repeat(100), 'full', 20)).toHaveLength(20);
  });
});
