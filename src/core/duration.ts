// Durations as operators write them: `90s`, `15m`, `2h`, `1d`, `1w`, `1h30m`; a bare number is seconds.
// Sizes/rates: `512K`, `10M`, `1.5G` (binary units). Pure.

const DURATION_UNITS: Readonly<Record<string, number>> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800 };
const DURATION_RE = /^(?:(\d+(?:\.\d+)?)(ms|s|m|h|d|w))+$/;
const PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/** Seconds, or null when the text is not a duration. */
export const parseDuration = (text: string | number): number | null => {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : null;
  const t = text.trim();
  if (/^\d+(?:\.\d+)?$/.test(t)) return Number(t);
  if (!DURATION_RE.test(t)) return null;
  let total = 0;
  for (const m of t.matchAll(PART_RE)) total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
  return total;
};

/** Compact human form for status lines: 45s, 12m, 3h05m, 2d04h. */
export const formatDuration = (seconds: number): string => {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${pad(Math.floor((s % 86400) / 3600))}h`;
};

const pad = (n: number): string => String(n).padStart(2, '0');

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, B: 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5, E: 1024 ** 6 };

/** Bytes from `512`, `512K`, `10M`, `1.5G`, `2T` (binary units, optional trailing `B`/`iB`); null if invalid. */
export const parseSize = (text: string | number): number | null => {
  if (typeof text === 'number') return Number.isFinite(text) && text >= 0 ? text : null;
  const m = /^(\d+(?:\.\d+)?)\s*([KMGTPE]?)(?:i?B)?$/i.exec(text.trim());
  if (!m) return null;
  return Math.round(Number(m[1]) * (SIZE_UNITS[(m[2] ?? '').toUpperCase()] as number));
};

/** 12.3MiB style, for status lines. */
export const formatSize = (bytes: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${Math.round(v)}B` : `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[i]}`;
};

/**
 * Node's timers hold at most 2^31-1 ms (24.8 days); a longer delay fires after 1 ms with a warning on stderr.
 * Every timer set from an operator's duration goes through this: longer means "not within this run".
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;
export const timerMs = (ms: number): number => Math.min(Math.max(0, ms), MAX_TIMER_MS);
