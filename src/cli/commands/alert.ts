// `zfailover alert test|status|flush`: the operator's handle on email/SNMP alerting (src/alert, loaded on use).
import type { Command } from 'commander';
import { configure, type CommandDeps } from './deps.js';

export const registerAlert = (program: Command, { ctx, setResult, globals }: CommandDeps): void => {
  const alert = configure(program.command('alert').description('email and SNMP alerts: test the channels, show active alerts, retry the queue'), ctx);
  configure(alert.command('test').description('send a test notification through every configured channel and report each result'), ctx).action(async () => {
    const { runAlertTest } = await import('../../app/alert.js');
    setResult(await runAlertTest({ globals: globals(), ctx }));
  });
  configure(alert.command('status').description('list active alerts (WARNING/CRITICAL/UNKNOWN) and deliveries waiting for a retry'), ctx).action(async () => {
    const { runAlertStatus } = await import('../../app/alert.js');
    setResult(await runAlertStatus({ globals: globals(), ctx }));
  });
  configure(alert.command('flush').description('deliver queued alerts now instead of on the next run'), ctx).action(async () => {
    const { runAlertFlush } = await import('../../app/alert.js');
    setResult(await runAlertFlush({ globals: globals(), ctx }));
  });
};
