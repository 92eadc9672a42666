// The `postmortem:` part of firebreak.yml.
import { z } from 'zod';

export const postmortemSchema = z
  .object({
    /** How the draft writes times: `13:17` or `1:17 PM`. */
    clock: z.enum(['24h', '12h']).default('24h'),
    /** Also make a channel canvas of the first version, where the workspace has canvases. */
    canvas: z.boolean().default(true),
  })
  .strict()
  .default({ clock: '24h', canvas: true });

export type PostmortemConfig = z.output<typeof postmortemSchema>;
