// The first line of a sync run within its budget of characters (Monit and Nagios keep nothing else): what gives
// way first is the names, elided in their middle; the reason, which the operator acts on, stays whole while it
// can. A reason longer than what is left keeps its start (what failed, on which host) and its end (zfs's own
// words, where the specific cause is: "pool I/O is currently suspended", "contains partially-complete state").

/** `s` at most `n` characters: its start and end kept, `...` between; `headShare` of the room goes to the start. */
export const elideMiddle = (s: string, n: number, headShare = 0.4): string => {
  if (s.length <= n) return s;
  if (n <= 3) return s.slice(0, n);
  const room = n - 3;
  const head = Math.floor(room * headShare);
  return `${s.slice(0, head)}...${s.slice(s.length - (room - head))}`;
};

/** Room the names keep at least, together, when the reason is long. */
const NAMES_MIN = 40;
/** Share of a long reason's room kept from its start (`zfs receive on <host>: cannot receive ...`). */
const REASON_HEAD = 0.55;

/**
 * `<names><glue><reason>` in at most `n` characters. `names` are joined by `sep` (`src -> dst`); each is elided in
 * its middle (its dataset, at the end, is the more telling part) until the reason fits whole; a reason that cannot
 * fit even then is elided in its middle too.
 */
export const fitLine = (names: readonly string[], sep: string, reason: string, n: number, glue = ' '): string => {
  const join = (ns: readonly string[]) => ns.join(sep);
  const whole = `${join(names)}${glue}${reason}`;
  if (whole.length <= n) return whole;
  const fixed = sep.length * (names.length - 1) + glue.length;
  const room = Math.max(NAMES_MIN, n - reason.length - fixed);
  const each = Math.max(8, Math.floor(room / names.length));
  const short = join(names.map((x) => elideMiddle(x, each, 1 / 3)));
  return `${short}${glue}${elideMiddle(reason, Math.max(0, n - short.length - glue.length), REASON_HEAD)}`;
};
