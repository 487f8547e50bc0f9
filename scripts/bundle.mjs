// Bundles the CLI for start-up speed: one ESM entry plus lazily loaded chunks (esbuild code splitting), so a
// 15-second Monit cycle pays for module resolution once per chunk instead of for hundreds of small files.
// tsc still type-checks and emits dist/ for the tests; the executables in bin/ load dist/bundle/.
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const outdir = new URL('../dist/bundle', import.meta.url).pathname;
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: { bin: new URL('../src/cli/bin.ts', import.meta.url).pathname },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  chunkNames: 'chunks/[name]-[hash]',
  // CommonJS dependencies (nodemailer, net-snmp, pino) call require(): give the ESM bundle one.
  banner: { js: "import { createRequire as __zfoCreateRequire } from 'node:module'; const require = __zfoCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
