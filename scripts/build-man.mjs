// Writes the man pages (roff) into OUTDIR from the compiled generator in dist/cli/man (run `npm run build` first):
// zfailover.8, check_zfs_<name>.8, zfailover.yml.5. The date is SOURCE_DATE_EPOCH's (reproducible builds), else
// today's. Prints the files written.
//   node scripts/build-man.mjs OUTDIR
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const outdir = process.argv[2];
if (!outdir) {
  console.error('usage: node scripts/build-man.mjs OUTDIR');
  process.exit(3);
}
const { manPages } = await import(`${root}dist/cli/man/index.js`);
const epoch = process.env.SOURCE_DATE_EPOCH;
const date = new Date(epoch ? Number(epoch) * 1000 : Date.now()).toISOString().slice(0, 10);
const version = JSON.parse(readFileSync(`${root}package.json`, 'utf8')).version;
const example = readFileSync(`${root}examples/zfailover.yml`, 'utf8');
mkdirSync(outdir, { recursive: true });
for (const p of manPages({ date, version, example })) {
  writeFileSync(`${outdir}/${p.file}`, p.text);
  console.log(`${outdir}/${p.file}`);
}
