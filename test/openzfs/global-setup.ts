// vitest globalSetup of the "openzfs" project: prepares the OpenZFS guest once per vitest run, hands the state
// file to the test processes (inject('zfoOpenzfsState')), and releases the guest after the last test.
// Runs only when a file of that project is selected, so unit-only runs never build or boot anything.
import type { TestProject } from 'vitest/node';
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { portFromEnv, prepareGuest, STATE_ROOT } from './lifecycle.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of the state.json written by prepareGuest (a GuestState). */
    zfoOpenzfsState: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const port = portFromEnv();
  if (typeof port === 'string') {
    // A bad setting: still write a state file, so every test file shows the same reason.
    const dir = join(STATE_ROOT, `${process.pid}-badport`);
    mkdirSync(dir, { recursive: true });
    const stateFile = join(dir, 'state.json');
    writeFileSync(stateFile, JSON.stringify({ reason: port, logFile: join(dir, 'harness.log') }));
    project.provide('zfoOpenzfsState', stateFile);
    return async () => {};
  }
  pruneOldStateDirs();
  const guest = await prepareGuest({ port });
  project.provide('zfoOpenzfsState', guest.stateFile);
  return async () => {
    // ZFO_OPENZFS_KEEP=1: leave a guest this run booted running for the next run (our lease dies with us,
    // so a later run without KEEP stops it).
    // vitest exits 10 s (teardownTimeout) after the last test: a slower stop goes on in the background.
    const released = process.env.ZFO_OPENZFS_KEEP === '1' ? 'done' : await guest.release({ returnAfterS: 7 });
    // A skipped run keeps its directory: the skip reason points at its harness.log. So does a stop still running.
    if (!guest.state.reason && released === 'done') rmSync(dirname(guest.stateFile), { recursive: true, force: true });
  };
}

/** State directories of earlier runs (kept when they were skipped, or when a run was killed) older than a day. */
const pruneOldStateDirs = (): void => {
  let names: string[] = [];
  try {
    names = readdirSync(STATE_ROOT);
  } catch {
    return;
  }
  for (const n of names) {
    const p = join(STATE_ROOT, n);
    try {
      if (Date.now() - statSync(p).mtimeMs > 86_400_000) rmSync(p, { recursive: true, force: true });
    } catch {
      // raced with another run's pruning
    }
  }
};
