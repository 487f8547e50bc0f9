// Shared pieces of the alert integration tests: configs built through the real schema, a capturing logger,
// state directories, and items as sync would report them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AlertsConfig } from '../../src/alert/settings.js';
import type { AlertItem, AlertLogger } from '../../src/alert/types.js';
import { alertsSchema } from '../../src/config/schema/alerts.js';

export const HOST = 'host-a.test';
export const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);

/** The `alerts:` section as an operator writes it, validated by the real schema. */
export const alertsConfig = (section: Record<string, unknown>): AlertsConfig => {
  const parsed = alertsSchema.parse(section);
  if (!parsed) throw new Error('alerts section parsed to nothing');
  return parsed;
};

export interface CapturingLogger extends AlertLogger {
  readonly lines: string[];
  text(): string;
}

export const capturingLogger = (): CapturingLogger => {
  const lines: string[] = [];
  const at =
    (level: string) =>
    (obj: object, msg: string): void => {
      lines.push(`${level} ${msg} ${JSON.stringify(obj)}`);
    };
  return { lines, text: () => lines.join('\n'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
};

export const tempStateDir = (): { dir: string; remove(): void } => {
  const dir = mkdtempSync(join(tmpdir(), 'zfo-alert-state-'));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
};

/** The replication item sync reports for tank/data -> backup. */
export const replication = (state: AlertItem['state'], extra: Partial<AlertItem> = {}): AlertItem => ({
  job: 'nightly',
  dataset: 'tank/data',
  target: 'backup',
  kind: 'replication',
  state,
  summary: state === 'OK' ? 'replicated, lag 12s' : 'target diverged from source after snapshot zfailover-sync_nightly_20261126T095945.000Z',
  ...(state === 'OK' ? { lagSeconds: 12 } : { lagSeconds: 2400, conflict: 'diverged' as const, command: 'zfailover sync --job nightly --rollback-target' }),
  ...extra,
});
