// Parser of `zfs list -H -p -o name,type,<props...>` (OpenZFS): one tab-separated row per dataset, snapshot or
// bookmark. The hot loop of every check and sync cycle (100,000s of snapshot rows in a process that lives well
// under a second), so it is written for a cold V8. Pure; anything unexpected throws a bad-output ZfsError.
import type { Listing } from '../core/dataset.js';
import { Assembler, bad, intAt, isDigits, makeVersion, type ParseContext } from './parse-rows.js';

/**
 * One listing's rows. Why this shape: the former single function holding the loop was compiled on the stack
 * (OSR), then again after it deoptimized on the first rare row, and its helpers once more on their own: 40-70 ms
 * of compiler CPU per listing in a cold check, more than the parse itself. Here the outer loops are tiny
 * (`parseZfsList` hands out batches, `rows` calls `row`, too big to be inlined), so V8 compiles `row` once, as a
 * normal call, and the rest costs nothing. Datasets (few) and errors live in their own methods, so they neither
 * bloat nor deoptimize `row`.
 */
class ListRows {
  /** Field i of the current row spans [tabs[i-1] + 1, tabs[i]) (field 0 starts at the row). */
  private readonly tabs: Int32Array;
  private readonly n: number;
  private readonly iGuid: number;
  private readonly iTxg: number;
  private readonly iCreation: number;
  private readonly iRefs: number;
  /** guid, createtxg and creation are all columns (they always are in our argv; else every version row fails). */
  private readonly complete: boolean;

  constructor(
    private readonly text: string,
    columns: number,
    private readonly index: ReadonlyMap<string, number>,
    private readonly ctx: ParseContext,
    private readonly out: Assembler,
  ) {
    this.n = columns;
    this.tabs = new Int32Array(this.n + 1);
    this.iGuid = index.get('guid') ?? -1;
    this.iTxg = index.get('createtxg') ?? -1;
    this.iCreation = index.get('creation') ?? -1;
    this.iRefs = index.get('userrefs') ?? -1;
    this.complete = this.iGuid > 1 && this.iTxg > 1 && this.iCreation > 1;
  }

  /** Parses up to `max` rows from `start`; returns where the next row starts. */
  rows(start: number, max: number): number {
    const len = this.text.length;
    for (let i = 0; i < max && start < len; i++) start = this.row(start);
    return start;
  }

  /**
   * Parses the row starting at `start` (an empty one is skipped); returns where the next row starts. A version
   * row is validated in place and allocates only its short name, its guid and its object.
   */
  private row(start: number): number {
    const text = this.text;
    const tabs = this.tabs;
    const n = this.n;
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    if (end === start) return end + 1;
    // The name is long (found by indexOf), the other fields are short (a char scan beats an indexOf call each).
    let count = 0;
    let p = text.indexOf('\t', start);
    if (p >= 0 && p < end) {
      tabs[0] = p;
      count = 1;
      for (p++; p < end; p++) {
        if (text.charCodeAt(p) === 9) {
          if (count < n) tabs[count] = p;
          count++;
        }
      }
    }
    if (count !== n - 1) throw bad(this.ctx, `expected ${n} columns, got ${count + 1}`, text.slice(start, end));
    tabs[n - 1] = end;
    const t0 = tabs[0] as number;
    const isType8 = (tabs[1] as number) - t0 === 9;
    const isSnap = isType8 && text.startsWith('snapshot', t0 + 1);
    if (!isSnap && !(isType8 && text.startsWith('bookmark', t0 + 1))) {
      this.dataset(start, end, t0);
      return end + 1;
    }
    const out = this.out;
    const sepAt = text.indexOf(isSnap ? '@' : '#', start);
    const list = sepAt > start && sepAt < t0 ? out.listAt(text, start, sepAt) : out.listFor(text.slice(start, t0), -1);
    if (list === null) return end + 1;
    if (!this.complete) this.versionError(start, t0, sepAt, isSnap);
    const gA = (tabs[this.iGuid - 1] as number) + 1;
    const gB = tabs[this.iGuid] as number;
    const txg = intAt(text, (tabs[this.iTxg - 1] as number) + 1, tabs[this.iTxg] as number);
    const creation = intAt(text, (tabs[this.iCreation - 1] as number) + 1, tabs[this.iCreation] as number);
    const refs = this.iRefs < 0 ? -1 : intAt(text, (tabs[this.iRefs - 1] as number) + 1, tabs[this.iRefs] as number);
    if (txg < 0 || creation < 0 || refs < -1 || !isDigits(text, gA, gB, 20)) this.versionError(start, t0, sepAt, isSnap);
    const dataset = out.currentDataset;
    const name = text.slice(sepAt + 1, t0);
    const guid = text.slice(gA, gB);
    list.push(
      !isSnap
        ? { kind: 'bookmark', dataset, name, guid, createtxg: txg, creation }
        : refs >= 0
          ? { kind: 'snapshot', dataset, name, guid, createtxg: txg, creation, userrefs: refs }
          : { kind: 'snapshot', dataset, name, guid, createtxg: txg, creation },
    );
    return end + 1;
  }

  /** A filesystem or volume row (few): every column, looked up by name. */
  private dataset(start: number, end: number, t0: number): void {
    const f = this.text.slice(start, end).split('\t');
    const index = this.index;
    this.out.dataset({
      name: this.text.slice(start, t0),
      type: f[1] as string,
      value: (p) => {
        const i = index.get(p);
        return i === undefined ? undefined : f[i];
      },
      source: () => undefined,
    });
  }

  /** Throws the precise error of an invalid version row (makeVersion names the field). */
  private versionError(start: number, t0: number, sepAt: number, isSnap: boolean): never {
    const field = (i: number): string | undefined => (i < 0 ? undefined : this.text.slice((this.tabs[i - 1] as number) + 1, this.tabs[i]));
    const name = this.text.slice(start, t0);
    makeVersion(this.ctx, isSnap ? 'snapshot' : 'bookmark', name, sepAt - start, field(this.iGuid), field(this.iTxg), field(this.iCreation), field(this.iRefs));
    throw bad(this.ctx, 'invalid version row', name);
  }
}

/** `zfs list -H -p -o name,type,<props...>` output as a Listing; `extraProps` go to DatasetInfo.extra. */
export const parseZfsList = (text: string, columns: readonly string[], ctx: ParseContext, extraProps: readonly string[] = []): Listing => {
  if (columns[0] !== 'name' || columns[1] !== 'type') throw new RangeError('columns must start with name,type');
  const index = new Map(columns.map((c, i) => [c, i]));
  const out = new Assembler(ctx, extraProps);
  const rows = new ListRows(text, columns.length, index, ctx, out);
  const len = text.length;
  let start = 0;
  // Batches, so this loop stays short enough not to be compiled on the stack with `rows` and `row` inlined.
  while (start < len) start = rows.rows(start, 256);
  return out.listing();
};
