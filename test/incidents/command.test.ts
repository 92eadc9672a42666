import { describe, expect, it } from 'vitest';
import { parseIncidentCommand, titleProblem } from '../../src/incidents/command.js';

describe('parseIncidentCommand', () => {
  it.each([
    ['open sev1 Checkout failing', { kind: 'open', severity: 1, title: 'Checkout failing' }],
    ['open Checkout failing', { kind: 'open', severity: 2, title: 'Checkout failing' }],
    ['OPEN SEV4 Slow search', { kind: 'open', severity: 4, title: 'Slow search' }],
    ['open severe latency on API', { kind: 'open', severity: 2, title: 'severe latency on API' }],
    ['open', { kind: 'open', severity: 2, title: null }],
    ['open sev3', { kind: 'open', severity: 3, title: null }],
    ['status identified bad deploy', { kind: 'status', status: 'identified', text: 'bad deploy' }],
    ['status MONITORING', { kind: 'status', status: 'monitoring', text: '' }],
    ['severity sev1', { kind: 'severity', severity: 1 }],
    ['lead <@U123ABC|alice>', { kind: 'lead', userId: 'U123ABC' }],
    ['lead <@W999>', { kind: 'lead', userId: 'W999' }],
    ['note 12:34pm EAT users report errors', { kind: 'note', text: '12:34pm EAT users report errors' }],
    ['page', { kind: 'page', target: { kind: 'next' } }],
    ['page tier 2', { kind: 'page', target: { kind: 'tier', tier: 2 } }],
    ['page <@U1X>', { kind: 'page', target: { kind: 'user', userId: 'U1X' } }],
    ['close fixed the index', { kind: 'close', summary: 'fixed the index' }],
    ['close', { kind: 'close', summary: '' }],
    ['list', { kind: 'list' }],
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['timeline', { kind: 'timeline' }],
    ['ack', { kind: 'ack' }],
  ])('reads %j', (text, command) => {
    expect(parseIncidentCommand(text)).toEqual({ ok: true, command });
  });

  it.each([
    ['frobnicate', 'not an /incident command', '/incident help'],
    ['open sev9 Database down', '“sev9” is not a severity', '/incident open [sev1-4] <title>'],
    ['open sev0 Database down', 'not a severity', '/incident open'],
    ['open :fire: :fire:', 'not only emoji', '/incident open'],
    ['open 🔥🔥🔥', 'not only emoji', '/incident open'],
    [`open ${'x'.repeat(4000)}`, 'is 4000 characters long', '/incident open'],
    ['status', 'which status?', '/incident status'],
    ['status fixed', '“fixed” is not a status', '/incident status'],
    ['severity high', '“high” is not a severity', '/incident severity'],
    ['severity', 'which severity?', '/incident severity'],
    ['lead', 'who should lead?', '/incident lead'],
    ['lead bob', 'not a @mention', '/incident lead'],
    ['note', 'the note is empty', '/incident note'],
    ['list everything', 'takes no arguments', '/incident list'],
    ['page someone', 'neither a @mention', '/incident page'],
  ])('refuses %j, saying what is wrong and the right form', (text, error, usage) => {
    const result = parseIncidentCommand(text);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toContain(error);
    expect(result.usage).toContain(usage);
  });
});

describe('error replies', () => {
  it.each([
    ['status <!channel>', '“&lt;!channel&gt;” is not a status'],
    ['severity a<b&c', '“a&lt;b&amp;c” is not a severity'],
    ['lead <!here>', '“&lt;!here&gt;” is not a @mention'],
    ['<!everyone>', '`&lt;!everyone&gt;` is not an /incident command'],
  ])('escape the text they echo: %j', (text, error) => {
    const result = parseIncidentCommand(text);
    expect(result.ok ? null : result.error).toContain(error);
  });

  it('keep what they echo short', () => {
    const result = parseIncidentCommand(`status ${'<'.repeat(1_000)}`);
    expect(result.ok ? null : result.error.length).toBeLessThan(200);
  });
});

describe('titleProblem', () => {
  it('accepts titles in any script', () => {
    expect(titleProblem('Zahlungen schlagen fehl')).toBeNull();
    expect(titleProblem('決済エラー')).toBeNull();
  });
  it('refuses an empty title', () => {
    expect(titleProblem('')).toContain('needs a title');
  });
});
