// The fleet view end to end, all real: `zfailover sync` cycles on zfs-fuse write the node_exporter textfile; a
// real node_exporter serves it over HTTP; a real Prometheus scrapes it and evaluates the shipped
// prometheus/zfailover.rules.yml verbatim; a real Alertmanager delivers the lag alert to a webhook in this test.
// The target host becomes unreachable (its sshd stops): the lag rises, the alert arrives; sshd comes back: the
// lag falls and the alert resolves. Every wait polls with a generous bound; nothing sleeps a fixed time.
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBuilt, ROOT, runCli } from '../helpers/cli.js';
import {
  ALERTMANAGER,
  dashboardQueries,
  httpText,
  missingTools,
  NODE_EXPORTER,
  pollUntil,
  PROMETHEUS,
  PROMTOOL,
  promtool,
  startDaemon,
  type Daemon,
} from '../helpers/prometheus.js';
import { mountpointOf, writeRandom } from '../helpers/replica.js';
import { sshdUnavailableReason, startSshd, type TestSshd } from '../helpers/sshd.js';
import { createPool, TEST_ROOT, uniqueName, zfsFuseUnavailableReason, zfs, type TestPool } from '../helpers/zfs-fuse.js';

const reason = zfsFuseUnavailableReason() ?? sshdUnavailableReason() ?? cliBuilt() ?? missingTools(PROMTOOL, PROMETHEUS, NODE_EXPORTER, ALERTMANAGER);
const RULES = join(ROOT, 'prometheus/zfailover.rules.yml');

interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Samples of `name` in a scrape, with their labels. */
const samples = (text: string, name: string): { labels: Record<string, string>; value: number }[] =>
  text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => {
      const m = /^[^{ ]+(?:\{(.*)\})? (\S+)$/.exec(l)!;
      const labels: Record<string, string> = {};
      for (const p of (m[1] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g))
        labels[p[1]!] = p[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
      return { labels, value: Number(m[2]) };
    });

describe.skipIf(reason)(`zfs-fuse + node_exporter + Prometheus + Alertmanager${reason ? ` (skipped: ${reason})` : ''}`, () => {
  let src: TestPool;
  let dst: TestPool;
  let dir: string;
  let cfg: string;
  let textDir: string;
  let sshd: TestSshd;
  const daemons: Daemon[] = [];
  let nodeExporter: Daemon;
  let prometheus: Daemon;
  let hook: Server;
  const received: WebhookAlert[] = [];
  let source: string;
  let target: string;

  beforeAll(async () => {
    dir = `${TEST_ROOT}/${uniqueName('metrics-')}`;
    textDir = `${dir}/textfile`;
    mkdirSync(textDir, { recursive: true, mode: 0o755 });
    chmodSync(textDir, 0o755);
    src = await createPool('zfomsrc');
    dst = await createPool('zfomdst');
    sshd = await startSshd();
    source = `${src.name}/my data`;
    target = `${dst.name}/my data`;
    await zfs('create', source);
    await writeRandom(`${await mountpointOf(source)}/a.bin`, 1);
    cfg = `${dir}/zfailover.yml`;
    writeFileSync(
      cfg,
      [
        `state_dir: ${dir}/state`,
        'metrics:',
        `  textfile_dir: ${textDir}`,
        'checks:',
        '  rpo: { warning: 20s, critical: 30s }',
        'ssh:',
        `  key: ${sshd.keyFile}`,
        `  options: ${JSON.stringify(sshd.sshOptions)}`,
        'templates:',
        '  few:',
        '    schedules:',
        '      hourly: { keep: 2 }',
        'snapshots:',
        `  - { dataset: "${source}", use: few }`,
        'jobs:',
        '  web:',
        `    source: "${source}"`,
        '    targets:',
        `      - { name: dr, dataset: "${sshd.side(target)}" }`,
        '',
      ].join('\n'),
    );
    chmodSync(cfg, 0o600);

    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        try {
          received.push(...(JSON.parse(body) as { alerts: WebhookAlert[] }).alerts);
        } catch {
          // not an Alertmanager payload: ignored, the test waits for a real one
        }
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    const hookPort = (hook.address() as { port: number }).port;

    nodeExporter = await startDaemon(
      NODE_EXPORTER,
      (p) => [`--web.listen-address=127.0.0.1:${p}`, '--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${textDir}`],
      '/metrics',
    );
    daemons.push(nodeExporter);

    writeFileSync(
      `${dir}/alertmanager.yml`,
      [
        'route:',
        '  receiver: test',
        '  group_by: [alertname, zfailover_job, target]',
        '  group_wait: 1s',
        '  group_interval: 1s',
        '  repeat_interval: 1h',
        'receivers:',
        '  - name: test',
        '    webhook_configs:',
        `      - url: http://127.0.0.1:${hookPort}/alerts`,
        '        send_resolved: true',
        '',
      ].join('\n'),
    );
    mkdirSync(`${dir}/am-data`);
    const am = await startDaemon(
      ALERTMANAGER,
      (p) => [`--config.file=${dir}/alertmanager.yml`, `--storage.path=${dir}/am-data`, `--web.listen-address=127.0.0.1:${p}`, '--cluster.listen-address='],
      '/-/ready',
    );
    daemons.push(am);

    writeFileSync(
      `${dir}/prometheus.yml`,
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        `  - ${JSON.stringify(RULES)}`, // the shipped file, not a copy
        'alerting:',
        '  alertmanagers:',
        `    - static_configs: [{ targets: ["127.0.0.1:${am.port}"] }]`,
        'scrape_configs:',
        '  - job_name: node',
        `    static_configs: [{ targets: ["127.0.0.1:${nodeExporter.port}"] }]`,
        '',
      ].join('\n'),
    );
    mkdirSync(`${dir}/prom-data`);
    prometheus = await startDaemon(
      PROMETHEUS,
      (p) => [
        `--config.file=${dir}/prometheus.yml`,
        `--storage.tsdb.path=${dir}/prom-data`,
        `--web.listen-address=127.0.0.1:${p}`,
        '--rules.alert.resend-delay=1s',
      ],
      '/-/ready',
    );
    daemons.push(prometheus);
  }, 300_000);

  afterAll(async () => {
    for (const d of daemons.reverse()) await d.stop().catch(() => undefined);
    await new Promise((r) => (hook ? hook.close(r) : r(undefined)));
    await sshd?.stop();
    await src?.destroy();
    await dst?.destroy();
    rmSync(dir, { recursive: true, force: true });
  }, 300_000);

  const sync = () => runCli(['--config', cfg, 'sync', '--job', 'web']);
  const scrape = () => httpText(`${nodeExporter.url}/metrics`);
  const one = (text: string, name: string, labels: Record<string, string> = {}): number | undefined =>
    samples(text, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
  const promQuery = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    const r = JSON.parse(await httpText(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(q)}`)) as {
      data: { result: { metric: Record<string, string>; value: [number, string] }[] };
    };
    return r.data.result;
  };
  const lagOf = (text: string) => one(text, 'zfailover_replication_lag_seconds', { zfailover_job: 'web', target: 'dr', dataset: source });

  it('a real node_exporter serves the textfile of a real sync run; promtool finds nothing in it', async () => {
    const r = await sync();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readdirSync(textDir)).toEqual(['zfailover-sync-web.prom']);
    const lint = await promtool(['check', 'metrics'], { input: readFileSync(`${textDir}/zfailover-sync-web.prom`, 'utf8') });
    expect(lint.all).toBe('');
    expect(lint.exitCode).toBe(0);
    const text = await pollUntil('node_exporter to serve the zfailover textfile', async () => {
      const t = await scrape();
      return lagOf(t) !== undefined ? t : undefined;
    });
    expect(one(text, 'node_textfile_scrape_error')).toBe(0);
    // The sync snapshot is taken during the run and the lag measured at its end: at most the run's duration (a
    // fixed bound failed on a loaded machine, where one run took 41 s).
    expect(lagOf(text)).toBeLessThanOrEqual(one(text, 'zfailover_last_run_duration_seconds', { command: 'sync', zfailover_job: 'web' })! + 1);
    expect(one(text, 'zfailover_last_run_state', { command: 'sync', zfailover_job: 'web' })).toBe(0);
    expect(one(text, 'zfailover_runs_total', { command: 'sync', zfailover_job: 'web' })).toBe(1);
    expect(one(text, 'zfailover_sync_sent_bytes_total', { zfailover_job: 'web', target: 'dr' })).toBeGreaterThan(1024 * 1024);
    expect(one(text, 'zfailover_replication_lag_threshold_seconds', { zfailover_job: 'web', severity: 'critical' })).toBe(30);
    expect(one(text, 'zfailover_replication_snapshots_behind', { zfailover_job: 'web', target: 'dr', dataset: source })).toBe(0);
    expect(one(text, 'zfailover_dataset_role', { side: 'source', role: 'primary' })).toBe(1);
  }, 300_000);

  it('snapshot and prune write their own files, also clean for promtool and served', async () => {
    const snap = await runCli(['--config', cfg, 'snapshot']);
    expect(snap.code, snap.stdout + snap.stderr).toBe(0);
    const r = await runCli(['--config', cfg, 'prune']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const files = readdirSync(textDir)
      .filter((f) => /^zfailover-(prune|snapshot)-/.test(f))
      .sort();
    // The entry on the job's source is accounted to the job by prune; snapshot names its unit (the dataset).
    expect(files).toEqual(['zfailover-prune-web.prom', `zfailover-snapshot-${encodeURIComponent(source)}.prom`]);
    for (const f of files) {
      const lint = await promtool(['check', 'metrics'], { input: readFileSync(`${textDir}/${f}`, 'utf8') });
      expect(lint.all, f).toBe('');
    }
    const text = await pollUntil('node_exporter to serve the prune metrics', async () => {
      const t = await scrape();
      return one(t, 'zfailover_retention_pileup_ceiling_snapshots', { zfailover_job: 'web', side: 'source', dataset: source }) !== undefined ? t : undefined;
    });
    expect(one(text, 'zfailover_last_run_state', { command: 'prune', zfailover_job: 'web' })).toBe(0);
    expect(one(text, 'zfailover_last_run_state', { command: 'snapshot', zfailover_job: source })).toBe(0);
    expect(one(text, 'zfailover_snapshot_last_run_taken_snapshots', { zfailover_job: source })).toBe(1); // the hourly one due
    expect(one(text, 'zfailover_retention_pileup_snapshots', { zfailover_job: 'web', side: 'source', dataset: source })).toBe(0);
    expect(one(text, 'node_textfile_scrape_error')).toBe(0);
  }, 300_000);

  it('target unreachable: the lag rises with every cycle, Prometheus fires the lag alert and Alertmanager delivers it', async () => {
    // Start from a fresh success: on a busy machine the tests before can take longer than the 30 s RPO, and the
    // first unreachable cycle would already be past it (one lag value, not a rising series).
    const fresh = await sync();
    expect(fresh.code, fresh.stdout).toBe(0);
    await sshd.pause();
    const lags: number[] = [];
    let last = '';
    // Cycles keep running (as Monit would) until the served lag passes the critical RPO of 30 s.
    await pollUntil(
      'the served lag to pass 30 s',
      async () => {
        const r = await sync();
        expect(r.code, r.stdout).toBe(1); // an unreachable host is WARNING
        last = await scrape();
        const lag = lagOf(last);
        if (lag !== undefined && lag !== lags.at(-1)) lags.push(lag);
        return lag !== undefined && lag > 31 ? true : undefined;
      },
      240_000,
      1000,
    );
    expect(lags.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < lags.length; i++) expect(lags[i]!).toBeGreaterThan(lags[i - 1]!);
    expect(one(last, 'zfailover_last_run_state', { command: 'sync', zfailover_job: 'web' })).toBe(1);
    expect(one(last, 'zfailover_target_last_run_state', { zfailover_job: 'web', target: 'dr' })).toBe(1);
    expect(one(last, 'zfailover_consecutive_failures', { command: 'sync', zfailover_job: 'web' })).toBeGreaterThanOrEqual(2);
    expect(one(last, 'zfailover_run_failures_total', { command: 'sync', zfailover_job: 'web' })).toBeGreaterThanOrEqual(2);
    expect(one(last, 'zfailover_replication_snapshots_behind', { zfailover_job: 'web', target: 'dr', dataset: source })).toBeGreaterThanOrEqual(1);

    // Prometheus uses the RPO the config set, not the rules' default of 2 minutes.
    const threshold = await pollUntil(
      'the recorded threshold',
      async () => (await promQuery('zfailover:replication_lag_threshold_seconds:critical'))[0]?.value[1],
    );
    expect(threshold).toBe('30');
    const alert = await pollUntil(
      'Alertmanager to deliver ZfailoverReplicationLagCritical',
      async () => received.find((a) => a.status === 'firing' && a.labels.alertname === 'ZfailoverReplicationLagCritical'),
      240_000,
    );
    expect(alert.labels).toMatchObject({
      zfailover_job: 'web',
      target: 'dr',
      dataset: source,
      severity: 'critical',
      job: 'node',
      instance: `127.0.0.1:${nodeExporter.port}`,
    });
    expect(alert.annotations.summary).toMatch(new RegExp(`^Replica dr of ${source} is .+ behind$`));
    expect(received.some((a) => a.labels.alertname === 'ZfailoverReplicationLagWarning' && a.status === 'firing')).toBe(true);
  }, 600_000);

  it('target back: the lag falls, the counters go on, and the alert resolves', async () => {
    await sshd.resume();
    const before = lagOf(await scrape())!;
    const r = await sync();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const text = await pollUntil('node_exporter to serve the recovered run', async () => {
      const t = await scrape();
      return one(t, 'zfailover_last_run_state', { command: 'sync', zfailover_job: 'web' }) === 0 ? t : undefined;
    });
    expect(lagOf(text)!).toBeLessThan(before);
    expect(lagOf(text)!).toBeLessThanOrEqual(one(text, 'zfailover_last_run_duration_seconds', { command: 'sync', zfailover_job: 'web' })! + 1);
    expect(one(text, 'zfailover_consecutive_failures', { command: 'sync', zfailover_job: 'web' })).toBe(0);
    expect(one(text, 'zfailover_replication_snapshots_behind', { zfailover_job: 'web', target: 'dr', dataset: source })).toBe(0);
    const runs = one(text, 'zfailover_runs_total', { command: 'sync', zfailover_job: 'web' })!;
    const failures = one(text, 'zfailover_run_failures_total', { command: 'sync', zfailover_job: 'web' })!;
    expect(runs).toBe(failures + 3); // the first run, the one before the outage and this one succeeded; every other run failed
    // Cycles go on (as under Monit) so the lag stays below the RPO while Alertmanager reports the resolution.
    await pollUntil(
      'Alertmanager to report ZfailoverReplicationLagCritical resolved',
      async () => {
        const s = await sync();
        expect(s.code, s.stdout).toBe(0);
        return received.find((a) => a.status === 'resolved' && a.labels.alertname === 'ZfailoverReplicationLagCritical');
      },
      240_000,
      1000,
    );
  }, 600_000);

  it('an unusable textfile directory is one logged warning: the run is OK, its exit code unchanged', async () => {
    const open = `${dir}/world-writable`;
    mkdirSync(open, { mode: 0o777 });
    chmodSync(open, 0o777);
    for (const [name, textfileDir] of [
      ['open', open],
      ['missing', `${dir}/no-such-dir`],
    ] as const) {
      const logFile = `${dir}/${name}.log`;
      const bad = `${dir}/zfailover-${name}.yml`;
      writeFileSync(bad, readFileSync(cfg, 'utf8').replace(`textfile_dir: ${textDir}`, `textfile_dir: ${textfileDir}\nlog:\n  file: ${logFile}`), {
        mode: 0o600,
      });
      const r = await runCli(['--config', bad, 'sync', '--job', 'web']);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.line).toMatch(/^OK: /);
      const warnings = readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => l.includes('cannot write the metrics textfile'));
      expect(warnings, name).toHaveLength(1);
    }
    expect(readdirSync(open)).toEqual([]);
  }, 300_000);

  it('every query of the shipped Grafana dashboard runs in the real Prometheus, the lag panel with data', async () => {
    for (const q of dashboardQueries()) {
      const expr = (/^label_values\(([^,)]*)[,)]/.exec(q)?.[1] ?? q).replace(/\$\w+/g, '.*');
      const r = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      expect(r.status, `${expr}: ${await r.clone().text()}`).toBe(200);
    }
    const lag = await pollUntil('the dashboard lag query to return the replica', async () => {
      const res = await promQuery(dashboardQueries()[0]!.replace(/\$\w+/g, '.*'));
      return res.length > 0 ? res : undefined;
    });
    expect(lag[0]!.metric).toMatchObject({ zfailover_job: 'web', target: 'dr', dataset: source });
  }, 300_000);
  it('promote and demote write their own files (outcome, epoch, primary, last switch): clean for promtool, served', async () => {
    // Refused first (the primary answers): nothing switched, the outcome says so.
    const refused = await runCli(['--config', cfg, 'promote', '--job', 'web', '--takeover', '--force']);
    expect(refused.code, refused.stdout).toBe(2);
    const promoteFile = `${textDir}/zfailover-promote-web.prom`;
    let text = readFileSync(promoteFile, 'utf8');
    expect(one(text, 'zfailover_failover_outcome', { command: 'promote', zfailover_job: 'web', outcome: 'refused' })).toBe(1);
    expect(one(text, 'zfailover_last_run_state', { command: 'promote', zfailover_job: 'web' })).toBe(2);
    expect(samples(text, 'zfailover_failover_last_switch_timestamp_seconds')).toEqual([]);
    const before = Date.now() / 1000;
    const r = await runCli(['--config', cfg, 'promote', '--job', 'web']);
    expect(r.code, r.stdout).toBe(0);
    // The job's source is a replica now: demote --job web refuses (sides swapped) and says so in its own file.
    const demote = await runCli(['--config', cfg, 'demote', '--job', 'web']);
    expect(demote.code, demote.stdout).toBe(2);
    for (const f of ['zfailover-promote-web.prom', 'zfailover-demote-web.prom']) {
      const lint = await promtool(['check', 'metrics'], { input: readFileSync(`${textDir}/${f}`, 'utf8') });
      expect(lint.all, f).toBe('');
    }
    text = await pollUntil('node_exporter to serve the promote metrics', async () => {
      const t = await scrape();
      return one(t, 'zfailover_failover_epoch', { command: 'promote', zfailover_job: 'web' }) !== undefined &&
        one(t, 'zfailover_failover_outcome', { command: 'demote', zfailover_job: 'web', outcome: 'refused' }) === 1
        ? t
        : undefined;
    });
    expect(one(text, 'node_textfile_scrape_error')).toBe(0); // no series shared with another file
    expect(one(text, 'zfailover_failover_epoch', { command: 'promote', zfailover_job: 'web' })).toBe(1);
    expect(one(text, 'zfailover_failover_outcome', { command: 'promote', zfailover_job: 'web', outcome: 'switched' })).toBe(1);
    expect(one(text, 'zfailover_failover_outcome', { command: 'promote', zfailover_job: 'web', outcome: 'refused' })).toBe(0);
    expect(one(text, 'zfailover_failover_primary_info', { command: 'promote', zfailover_job: 'web', primary: sshd.side(target) })).toBe(1);
    expect(one(text, 'zfailover_failover_last_switch_timestamp_seconds', { command: 'promote', zfailover_job: 'web' })).toBeGreaterThanOrEqual(
      Math.floor(before),
    );
    expect(one(text, 'zfailover_runs_total', { command: 'promote', zfailover_job: 'web' })).toBe(2);
    expect(one(text, 'zfailover_run_failures_total', { command: 'promote', zfailover_job: 'web' })).toBe(1);
    expect(one(text, 'zfailover_last_run_state', { command: 'demote', zfailover_job: 'web' })).toBe(2);
  }, 300_000);

  it('check health and check capacity export the pools they saw: clean for promtool, served', async () => {
    for (const check of ['health', 'capacity']) {
      const r = await runCli(['--config', cfg, 'check', check, src.name, dst.name]);
      expect(r.code, r.stdout).toBe(0);
      expect(r.stderr).toBe('');
      const lint = await promtool(['check', 'metrics'], { input: readFileSync(`${textDir}/zfailover-check-${check}-local.prom`, 'utf8') });
      expect(lint.all, check).toBe('');
    }
    const text = await pollUntil('node_exporter to serve the pool metrics', async () => {
      const t = await scrape();
      return one(t, 'zfailover_pool_health', { pool: src.name, health: 'ONLINE' }) !== undefined &&
        one(t, 'zfailover_pool_size_bytes', { pool: dst.name }) !== undefined
        ? t
        : undefined;
    });
    expect(one(text, 'node_textfile_scrape_error')).toBe(0);
    expect(one(text, 'zfailover_pool_health', { host: 'local', pool: src.name, health: 'ONLINE' })).toBe(1);
    expect(one(text, 'zfailover_pool_health', { host: 'local', pool: src.name, health: 'DEGRADED' })).toBe(0);
    expect(one(text, 'zfailover_pool_size_bytes', { host: 'local', pool: dst.name })).toBeGreaterThan(0);
    expect(one(text, 'zfailover_pool_allocated_bytes', { host: 'local', pool: src.name })).toBeGreaterThan(0);
    const used = one(text, 'zfailover_pool_used_ratio', { host: 'local', pool: src.name })!;
    expect(used).toBeGreaterThanOrEqual(0);
    expect(used).toBeLessThan(1);
    expect(one(text, 'zfailover_last_run_state', { command: 'check', zfailover_job: 'health-local' })).toBe(0);
    // Only the pools asked for: another engineer's or test's pool never appears.
    expect(new Set(samples(text, 'zfailover_pool_size_bytes').map((x) => x.labels.pool))).toEqual(new Set([src.name, dst.name]));
  }, 300_000);
});
