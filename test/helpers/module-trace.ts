// Runs a built executable under a module hook that records every bundle chunk it loads, and tells what a chunk
// holds: how the start-up tests prove that a path never loads yaml, zod, the config schemas or commander.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

// A module hook that records every file the process loads (node >= 20.6 runs it on a loader thread).
const HOOKS = `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(process.env.ZFO_TRACE, url + '\\n');
  return next(url, context);
}`;

export interface TracedRun {
  readonly code: number | undefined;
  readonly out: string;
  /** Bundle chunks (absolute paths) the run loaded. */
  readonly loaded: string[];
}

/** A tracer writing its hook and traces under `dir`; each call runs `file args` once. */
export const moduleTracer = (dir: string): ((file: string, ...args: string[]) => Promise<TracedRun>) => {
  writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module'; register(${JSON.stringify(`file://${dir}/hooks.mjs`)});`);
  let runs = 0;
  return async (file, ...args) => {
    const trace = join(dir, `trace-${++runs}.txt`);
    writeFileSync(trace, '');
    const r = await execa('node', ['--import', join(dir, 'register.mjs'), file, ...args], {
      reject: false,
      env: { PATH: process.env.PATH ?? '', ZFO_TRACE: trace },
    });
    const loaded = [
      ...new Set(
        readFileSync(trace, 'utf8')
          .split('\n')
          .filter((u) => u.includes('/dist/bundle/')),
      ),
    ].map((u) => new URL(u).pathname);
    return { code: r.exitCode, out: r.stdout, loaded };
  };
};

/**
 * Loaded chunks holding a module whose source path contains `marker` (esbuild's `// <path>` comments). The path
 * may start with `../` segments: a git worktree whose node_modules is a symlink gets `// ../main/node_modules/...`.
 */
export const chunksHolding = (files: readonly string[], marker: string): string[] =>
  files.filter((f) =>
    readFileSync(f, 'utf8')
      .split('\n')
      .some((line) => line.startsWith('// ') && `/${line.slice(3)}`.includes(`/${marker}`)),
  );
