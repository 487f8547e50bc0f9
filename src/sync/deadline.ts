// The --deadline of a sync cycle as an AbortSignal that also follows the run's own signal (SIGTERM).

/**
 * The cycle's deadline as a signal that also follows `outer` (SIGTERM). Not `AbortSignal.timeout` inside
 * `AbortSignal.any`: Node may garbage-collect that timeout signal before it fires (nodejs/node#57736), and a
 * 40 s `--deadline` then never came (seen on the OpenZFS guest). Our own timer holds the controller strongly.
 * The reason is a TimeoutError, as `AbortSignal.timeout` gives, which the zfs layer maps to DeadlineError.
 */
export const deadlineSignal = (outer: AbortSignal, ms: number): { readonly signal: AbortSignal; clear(): void } => {
  const c = new AbortController();
  const follow = (): void => c.abort(outer.reason);
  if (outer.aborted) follow();
  else outer.addEventListener('abort', follow, { once: true });
  const timer = setTimeout(() => c.abort(new DOMException(`deadline of ${Math.round(ms / 1000)}s reached`, 'TimeoutError')), ms);
  timer.unref(); // the run's own work keeps the process alive; the deadline alone must not
  return {
    signal: c.signal,
    clear: () => {
      clearTimeout(timer);
      outer.removeEventListener('abort', follow);
    },
  };
};
