// Micro-benchmark of the listing parsers (run `npm run build` first): 100k snapshot rows of one dataset tree,
// as OpenZFS `zfs list -H -p` prints them and as zfs-fuse `zfs get -H -p` does (one row per property).
// Target: well under 100 ms for 100k snapshots on OpenZFS output. Usage: node bench/zfs-parse.mjs [snapshots]
import { DATASET_PROPERTIES, parseZfsGet, parseZfsList } from '../dist/zfs/parse.js';

const N = Number(process.argv[2] ?? 100_000);
const DATASETS = 100;
const root = 'tank/data';
const cols = ['name', 'type', ...DATASET_PROPERTIES];
const dsRow = (name, i) => ({
  type: 'filesystem',
  guid: String(10n ** 18n + BigInt(i)),
  createtxg: '5',
  creation: '1795668094',
  written: '0',
  receive_resume_token: '-',
  readonly: 'off',
  encryption: 'off',
  encryptionroot: '-',
  keystatus: 'none',
  mountpoint: `/${name}`,
  canmount: 'on',
  mounted: 'yes',
  origin: '-',
  used: '1024',
  available: '2048',
  referenced: '512',
  userrefs: '-',
  'zfailover:role': 'primary',
  'zfailover:epoch': '1',
  'zfailover:promoted': '-',
});
const snapRow = (i) => ({
  type: 'snapshot',
  guid: String(17n * 10n ** 18n + BigInt(i)),
  createtxg: String(100 + i),
  creation: String(1795668094 + i),
  userrefs: '0',
});
const names = Array.from({ length: DATASETS }, (_, d) => (d === 0 ? root : `${root}/child${d}`));
const list = [];
const get = [];
for (const [d, name] of names.entries()) {
  const r = dsRow(name, d);
  list.push([name, ...cols.slice(1).map((c) => r[c] ?? '-')].join('\t'));
  for (const [k, v] of Object.entries(r)) get.push(`${name}\t${k}\t${v}\t-`);
  for (let i = d; i < N; i += DATASETS) {
    const s = snapRow(i);
    const sn = `${name}@zfailover-sync_job_20261126T${String(i).padStart(6, '0')}.000Z`;
    list.push([sn, ...cols.slice(1).map((c) => s[c] ?? '-')].join('\t'));
    for (const [k, v] of Object.entries(s)) get.push(`${sn}\t${k}\t${v}\t-`);
  }
}
const listText = `${list.join('\n')}\n`;
const getText = `${get.join('\n')}\n`;
const ctx = { host: 'local', root, recursive: true, argv: ['zfs', 'list'] };

const time = (label, fn, runs = 7) => {
  fn(); // warm-up
  const ts = [];
  const cpu = [];
  let out;
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    out = fn();
    const dc = process.cpuUsage(c);
    ts.push(Number(process.hrtime.bigint() - t) / 1e6);
    cpu.push((dc.user + dc.system) / 1000);
  }
  ts.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const versions = [...out.datasets.values()].reduce((n, d) => n + d.versions.length, 0);
  // CPU time is reported too: on a busy machine wall time mostly measures the neighbours.
  console.log(
    `${label}: median ${ts[runs >> 1].toFixed(1)} ms wall (min ${ts[0].toFixed(1)}), ${cpu[runs >> 1].toFixed(1)} ms CPU (min ${cpu[0].toFixed(1)}) for ${versions} snapshots in ${out.datasets.size} datasets`,
  );
};

console.log(`input: list ${(listText.length / 1e6).toFixed(1)} MB, get ${(getText.length / 1e6).toFixed(1)} MB`);
time('OpenZFS zfs list -H -p', () => parseZfsList(listText, cols, ctx));
time('zfs-fuse zfs get -H -p', () => parseZfsGet(getText, ctx));
