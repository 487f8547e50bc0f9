// Config slot for per-job `failover:`: how `zfailover promote`/`demote` treat this job. Read from
// LoadedConfig.data.jobs[name].failover (JobSpec does not carry it); resolved with defaults in
// src/actions/promote/settings.ts.
//
//   failover:
//     max_lag: 5m                 # planned switchover: refuse when the replica is older than this
//     hook_timeout: 60s           # default timeout of a hook
//     hooks:
//       - name: stop-app          # identifier, shown in output and logs, used by --skip-hook
//         when: before            # before: before the switch (a failure refuses it); after: once promoted;
//                                 # abort: when a planned switchover fails after `before` hooks ran;
//                                 # demote: on the side being demoted, before anything changes there
//         on: primary             # host it runs on: local (where zfailover runs), primary or replica
//         run: [systemctl, stop, app]   # argv, no shell
//         timeout: 2m
//         modes: [planned]        # planned and/or takeover (default both); `on: primary` never runs in a takeover
import * as z from 'zod';
import { duration, identifier } from './common.js';

export const HOOK_WHEN = ['before', 'after', 'abort', 'demote'] as const;
export const HOOK_ON = ['local', 'primary', 'replica'] as const;
export const PROMOTE_MODES = ['planned', 'takeover'] as const;

const argv = z
  .array(
    z
      .string()
      .min(1, { error: 'empty argument' })
      .refine((s) => !s.includes('\0'), { error: 'argument contains a NUL byte' }),
    {
      error: 'expected the command as a list of arguments, e.g. [systemctl, stop, app] (no shell)',
    },
  )
  .min(1, { error: 'the command is empty' });

export const hookSchema = z.strictObject({
  name: identifier('hook name'),
  when: z.enum(HOOK_WHEN, { error: `expected one of ${HOOK_WHEN.join(', ')}` }),
  on: z.enum(HOOK_ON, { error: `expected one of ${HOOK_ON.join(', ')}` }),
  run: argv,
  timeout: duration({ min: 1 }).optional(),
  modes: z
    .array(z.enum(PROMOTE_MODES, { error: `expected planned or takeover` }))
    .min(1)
    .optional(),
});

export const failoverSchema = z
  .strictObject({
    max_lag: duration({ min: 0 }).optional(),
    hook_timeout: duration({ min: 1 }).optional(),
    hooks: z
      .array(hookSchema)
      .superRefine((hooks, ctx) => {
        const seen = new Set<string>();
        hooks.forEach((h, i) => {
          if (seen.has(h.name)) ctx.addIssue({ code: 'custom', message: `duplicate hook name '${h.name}'`, path: [i, 'name'], input: h.name });
          seen.add(h.name);
          if (h.when === 'demote' && h.modes)
            ctx.addIssue({ code: 'custom', message: 'modes apply to promote hooks, not to demote hooks', path: [i, 'modes'], input: h.modes });
        });
      })
      .optional(),
  })
  .optional();

export type FailoverConfig = z.output<typeof failoverSchema>;
export type HookConfig = z.output<typeof hookSchema>;
