// Undo stack of the bench: everything it creates (pools, sshds, ssh masters, guest datasets, temp dirs)
// registers how to remove it, and the stack runs in reverse at the end, on an error and on Ctrl-C/SIGTERM.
import { killLiveChildren, progress } from './proc.mjs';

const stack = [];
let running = null;

/** Register an undo step; returns a function that runs it early (and drops it from the stack). */
export const onCleanup = (label, fn) => {
  const entry = { label, fn };
  stack.push(entry);
  return async () => {
    const i = stack.indexOf(entry);
    if (i >= 0) stack.splice(i, 1);
    await fn();
  };
};

export const cleanupAll = () => {
  running ??= (async () => {
    await killLiveChildren();
    while (stack.length > 0) {
      const { label, fn } = stack.pop();
      try {
        await fn();
      } catch (e) {
        progress(`cleanup: ${label} failed: ${e.message.split('\n')[0]} (remove it by hand)`);
      }
    }
  })();
  return running;
};

let interrupted = null;
/** Set once a signal arrived: long loops check it between runs. */
export const interruptedBy = () => interrupted;

/** First signal: stop children, clean up, exit 130/143. A second one exits at once. */
export const installSignalHandlers = () => {
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      if (interrupted) {
        process.stderr.write(`second ${sig}: exiting without finishing the cleanup\n`);
        process.exit(sig === 'SIGINT' ? 130 : 143);
      }
      interrupted = sig;
      progress(`${sig}: stopping and cleaning up (pools, sshds, guest datasets)...`);
      cleanupAll().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }
};
