// The zfs list parser as it was before parse-list.ts (one function holding the loop), kept verbatim as the
// oracle of test/unit/zfs/parse-list.test.ts: the faster parser must give the same Listing or the same error.
import type { Listing } from '../../src/core/dataset.js';
import { Assembler, bad, intAt, isDigits, makeVersion, type ParseContext } from '../../src/zfs/parse-rows.js';

/** `zfs list -H -p -o name,type,<props...>`: one tab-separated row per dataset, snapshot or bookmark. */
export const referenceParseZfsList = (text: string, columns: readonly string[], ctx: ParseContext, extraProps: readonly string[] = []): Listing => {
  if (columns[0] !== 'name' || columns[1] !== 'type') throw new RangeError('columns must start with name,type');
  const n = columns.length;
  const index = new Map(columns.map((c, i) => [c, i]));
  const [iGuid, iTxg, iCreation, iRefs] = ['guid', 'createtxg', 'creation', 'userrefs'].map((c) => index.get(c) ?? -1) as [number, number, number, number];
  const out = new Assembler(ctx, extraProps);
  // Field i spans [from(i), to(i)): positions of the tabs, reused for every line (no split arrays).
  const tabs = new Int32Array(n + 1);
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end > start) {
      let count = 0;
      for (let p = text.indexOf('\t', start); p !== -1 && p < end; p = text.indexOf('\t', p + 1)) {
        if (count < n) tabs[count] = p;
        count++;
      }
      if (count !== n - 1) throw bad(ctx, `expected ${n} columns, got ${count + 1}`, text.slice(start, end));
      tabs[n - 1] = end;
      const from = (i: number): number => (i === 0 ? start : (tabs[i - 1] as number) + 1);
      const field = (i: number): string | undefined => (i < 0 ? undefined : text.slice(i === 0 ? start : (tabs[i - 1] as number) + 1, tabs[i]));
      const t0 = tabs[0] as number;
      const typeLen = (tabs[1] as number) - t0 - 1;
      const isSnap = typeLen === 8 && text.startsWith('snapshot', t0 + 1);
      const isBook = !isSnap && typeLen === 8 && text.startsWith('bookmark', t0 + 1);
      if (isSnap || isBook) {
        // Hot path (100k rows): validate in place, allocate only the short name, the guid and the object.
        const sepAt = text.indexOf(isSnap ? '@' : '#', start);
        const list = sepAt > start && sepAt < t0 ? out.listAt(text, start, sepAt) : out.listFor(text.slice(start, t0), -1);
        if (list) {
          const gA = from(iGuid);
          const gB = tabs[iGuid] as number;
          const txg = intAt(text, from(iTxg), tabs[iTxg] as number);
          const creation = intAt(text, from(iCreation), tabs[iCreation] as number);
          const refs = iRefs < 0 ? -1 : intAt(text, from(iRefs), tabs[iRefs] as number);
          if (txg < 0 || creation < 0 || refs < -1 || (isSnap && refs === -2) || !isDigits(text, gA, gB, 20)) {
            const name = text.slice(start, t0);
            makeVersion(ctx, isSnap ? 'snapshot' : 'bookmark', name, sepAt - start, field(iGuid), field(iTxg), field(iCreation), field(iRefs)); // throws the precise error
            throw bad(ctx, 'invalid version row', name);
          }
          const ds = out.currentDataset;
          const short = text.slice(sepAt + 1, t0);
          const guid = text.slice(gA, gB);
          list.push(
            isBook
              ? { kind: 'bookmark', dataset: ds, name: short, guid, createtxg: txg, creation }
              : refs >= 0
                ? { kind: 'snapshot', dataset: ds, name: short, guid, createtxg: txg, creation, userrefs: refs }
                : { kind: 'snapshot', dataset: ds, name: short, guid, createtxg: txg, creation },
          );
        }
      } else {
        const name = text.slice(start, t0);
        const f = text.slice(start, end).split('\t');
        out.dataset({
          name,
          type: f[1] as string,
          value: (p) => {
            const i = index.get(p);
            return i === undefined ? undefined : f[i];
          },
          source: () => undefined,
        });
      }
    }
    start = end + 1;
  }
  return out.listing();
};
