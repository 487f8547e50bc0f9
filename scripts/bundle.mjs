// Bundles the CLI for start-up speed: one ESM entry plus lazily loaded chunks (esbuild code splitting), so a
// 15-second Monit cycle pays for module resolution once per chunk instead of for hundreds of small files.
// tsc still type-checks and emits dist/ for the tests; the executables in bin/ load dist/bundle/.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';

const outdir = new URL('../dist/bundle', import.meta.url).pathname;
const root = new URL('..', import.meta.url).pathname;

// Build id for the validated-config cache (src/config/config-cache.ts): the sources and the locked dependency
// versions, so an entry written by another build of the parser is never trusted.
const buildId = (() => {
  const h = createHash('sha256');
  const files = readdirSync(`${root}src`, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  for (const f of [...files.map((f) => `src/${f}`), 'package.json', 'package-lock.json']) {
    h.update(`${f}\0`);
    try {
      h.update(readFileSync(`${root}${f}`));
    } catch {
      h.update('missing');
    }
  }
  return h.digest('hex').slice(0, 16);
})();
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { bin: new URL('../src/cli/bin.ts', import.meta.url).pathname },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  // The installed bundle runs on the distributions' own Node.js: Debian 12 and Ubuntu 24.04 ship 18.19
  // (test/cli/debian-node.test.ts runs it there). Building still needs Node >= 20.
  target: 'node18.19',
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies (nodemailer, net-snmp, pino) call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __zfoCreateRequire } from 'node:module'; const require = __zfoCreateRequire(import.meta.url);" },
  define: { __ZFO_BUILD_ID__: JSON.stringify(buildId) },
  logLevel: 'warning',
});
