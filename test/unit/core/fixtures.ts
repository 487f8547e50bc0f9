// Tiny notation for version lists (after zrepl's fsvlist): '@a:1' is snapshot a with createtxg 1 and guid 'a';
// '#c:3' a bookmark; '@a:7=g' a snapshot named a whose guid is g (to model renames and received copies).
import type { Version } from '../../../src/core/versions.js';

export const vl = (dataset: string, ...specs: string[]): Version[] =>
  specs.map((s) => {
    const m = /^([@#])([^:=]+):(\d+)(?:=(.+))?$/.exec(s);
    if (!m) throw new Error(`bad version spec ${s}`);
    const [, sigil, name, txg, guid] = m as unknown as [string, string, string, string, string | undefined];
    return {
      kind: sigil === '@' ? 'snapshot' : 'bookmark',
      dataset,
      name,
      guid: guid ?? name,
      createtxg: Number(txg),
      creation: 1_700_000_000 + Number(txg),
    } as Version;
  });
