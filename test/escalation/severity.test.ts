import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, startHarness, type Harness } from '../support/harness.js';

const ALICE = 'U0ALICE';
const ROUTINE = 'U0ROUTINE';
const URGENT = 'U0URGENT';
const YAML = `timezone: Europe/Berlin
escalation:
  default_policy: routine
  by_severity: {1: urgent}
  policies:
    routine:
      tiers:
        - {after: 0s, notify: [${ROUTINE}]}
    urgent:
      tiers:
        - {after: 0s, notify: [${URGENT}]}
`;

let h: Harness;
let general: string;
beforeAll(async () => {
  h = await startHarness('esc_severity', { yaml: YAML });
  for (const [id, name] of [[ALICE, 'alice'], [ROUTINE, 'routine'], [URGENT, 'urgent']] as const) h.fake.addUser({ id, name, tz: 'Europe/Berlin' });
  general = h.fake.addChannel({ name: 'general', members: [ALICE] }).id;
});
afterAll(async () => h?.stop());

const pagedOnce = (userId: string) =>
  eventually(async () => {
    const dm = h.fake.imWith(userId);
    return dm && h.fake.messages(dm).length === 1 ? true : undefined;
  }, 10_000);

it('moves a running escalation to the policy of the new severity when /incident severity changes it', async () => {
  const opened = await h.driver.slashCommand({ text: 'open sev3 Search slow', userId: ALICE, channelId: general });
  const [reply] = await opened.waitForResponses(1, 5_000);
  const channel = /<#(C\w+)>/.exec(String(reply?.body['text']))![1]!;
  await pagedOnce(ROUTINE);
  expect(h.fake.imWith(URGENT)).toBeUndefined();

  const raised = await h.driver.slashCommand({ text: 'severity sev1', userId: ALICE, channelId: channel });
  await raised.waitForResponses(1, 5_000);
  await pagedOnce(URGENT);
  const { rows } = await h.db.query<{ policy: string }>('SELECT policy FROM escalations');
  expect(rows).toEqual([{ policy: 'urgent' }]);
});
