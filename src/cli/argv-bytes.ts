// Arguments as the kernel passed them: Node decodes argv as UTF-8 and silently replaces invalid bytes with
// U+FFFD, so `--config $'\xff.yml'` would name another file than the one typed. The raw bytes are in
// /proc/self/cmdline; an argument that is not valid UTF-8 is refused with one line instead (Linux only; elsewhere
// nothing is checked).
import { readFileSync } from 'node:fs';

/** 1-based position of the first of the user's `count` arguments that is not valid UTF-8, or null. */
export const invalidUtf8Argument = (count: number, cmdline: () => Buffer = () => readFileSync('/proc/self/cmdline')): number | null => {
  let raw: Buffer;
  try {
    raw = cmdline();
  } catch {
    return null;
  }
  const parts: Buffer[] = [];
  for (let start = 0; start < raw.length;) {
    const end = raw.indexOf(0, start);
    parts.push(raw.subarray(start, end < 0 ? raw.length : end));
    start = end < 0 ? raw.length : end + 1;
  }
  const user = parts.slice(Math.max(0, parts.length - count));
  const strict = new TextDecoder('utf-8', { fatal: true });
  for (let i = 0; i < user.length; i++) {
    try {
      strict.decode(user[i]);
    } catch {
      return i + 1;
    }
  }
  return null;
};
