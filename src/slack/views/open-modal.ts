import { MAX_TITLE_LENGTH, SEVERITIES, type Severity } from '../../incidents/model.js';

export const OPEN_MODAL_CALLBACK = 'incident_open';
export const TITLE_BLOCK = 'title';
export const SEVERITY_BLOCK = 'severity';
const TITLE_ACTION = 'title_input';
const SEVERITY_ACTION = 'severity_select';

const option = (severity: Severity) => ({
  text: { type: 'plain_text', text: `SEV${severity}` },
  value: `sev${severity}`,
});

/** The modal `/incident open` shows when typed without a title, preset to the severity typed (sev2 if none). */
export function openIncidentModal(originChannelId: string, severity: Severity): Record<string, unknown> {
  return {
    type: 'modal',
    callback_id: OPEN_MODAL_CALLBACK,
    private_metadata: originChannelId,
    title: { type: 'plain_text', text: 'Open an incident' },
    submit: { type: 'plain_text', text: 'Open' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'input',
        block_id: TITLE_BLOCK,
        label: { type: 'plain_text', text: 'What is happening?' },
        element: {
          type: 'plain_text_input',
          action_id: TITLE_ACTION,
          max_length: MAX_TITLE_LENGTH,
          placeholder: { type: 'plain_text', text: 'Checkout requests time out' },
        },
      },
      {
        type: 'input',
        block_id: SEVERITY_BLOCK,
        label: { type: 'plain_text', text: 'Severity' },
        element: {
          type: 'static_select',
          action_id: SEVERITY_ACTION,
          initial_option: option(severity),
          options: SEVERITIES.map(option),
        },
      },
    ],
  };
}

interface StateValue {
  value?: string | null;
  selected_option?: { value?: string } | null;
}

/** Reads the submitted title and severity from `view.state.values`. */
export function readOpenModal(values: Record<string, Record<string, StateValue>>): { title: string; severityText: string } {
  return {
    title: (values[TITLE_BLOCK]?.[TITLE_ACTION]?.value ?? '').trim(),
    severityText: values[SEVERITY_BLOCK]?.[SEVERITY_ACTION]?.selected_option?.value ?? 'sev2',
  };
}
