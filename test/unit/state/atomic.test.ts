// Atomic JSON files: readers never see a torn write, concurrent writers never corrupt, damage is reported.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { readJson, writeJsonAtomic } from '../../../src/state/atomic.js';
import { StateFileCorruptError } from '../../../src/state/errors.js';
import { exited, spawnFixture, tempDir } from './helpers.js';

const tmp = tempDir('zfo-atomic-');
afterAll(tmp.cleanup);

interface Big {
  writer: string;
  seq: number;
  pad: string;
  check: string;
}
const asBig = (v: unknown): Big => {
  const b = v as Big;
  if (b.check !== `${b.writer}:${b.seq}` || b.pad.length !== 200_000) throw new Error('torn value');
  return b;
};

describe('writeJsonAtomic / readJson', () => {
  test('round trip; a missing file reads as null', async () => {
    const p = join(tmp.dir, 'rt.json');
    expect(await readJson(p, (v) => v)).toBeNull();
    await writeJsonAtomic(p, { a: 1, b: ['x'] });
    expect(await readJson(p, (v) => v)).toEqual({ a: 1, b: ['x'] });
  });

  test('concurrent writer processes and a reader: every read is one complete value; no temp files remain', async () => {
    const p = join(tmp.dir, 'race.json');
    const writers = ['a', 'b', 'c', 'd'].map((id) => spawnFixture('writer.ts', [p, id, '40']));
    let reads = 0;
    const seen = new Set<string>();
    const running = Promise.all(writers.map(exited));
    let done = false;
    void running.then(() => {
      done = true;
    });
    while (!done) {
      const v = await readJson(p, asBig);
      if (v) {
        reads++;
        seen.add(v.writer);
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(await running).toEqual([0, 0, 0, 0]);
    const last = await readJson(p, asBig);
    expect(last?.seq).toBe(39);
    expect(reads).toBeGreaterThan(0);
    expect(seen.size).toBeGreaterThan(0);
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  test('concurrent writers in one process (overlapping async writes): the file is always whole', async () => {
    const p = join(tmp.dir, 'inproc.json');
    await Promise.all(Array.from({ length: 30 }, (_, i) => writeJsonAtomic(p, { writer: 'w', seq: i, pad: 'y'.repeat(200_000), check: `w:${i}` })));
    expect(asBig(JSON.parse(readFileSync(p, 'utf8'))).writer).toBe('w');
  });

  test('damaged files are a typed error (UNKNOWN for the checks), never a guess', async () => {
    const bad = join(tmp.dir, 'bad.json');
    writeFileSync(bad, '{"version": 1, "job": ');
    const err = await readJson(bad, (v) => v).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StateFileCorruptError);
    expect((err as StateFileCorruptError).kind).toBe('internal');
    expect((err as Error).message).toBe(`state file ${bad} is unusable: not valid JSON`);
    writeFileSync(bad, '');
    await expect(readJson(bad, (v) => v)).rejects.toThrow(`state file ${bad} is unusable: empty file`);
    writeFileSync(bad, '{"x": 1}');
    await expect(
      readJson(bad, () => {
        throw new Error('x: expected a string');
      }),
    ).rejects.toThrow(`state file ${bad} is unusable: x: expected a string`);
  });

  test('a write into a missing directory fails with one line and leaves nothing behind', async () => {
    const p = join(tmp.dir, 'nodir', 'x.json');
    await expect(writeJsonAtomic(p, {})).rejects.toThrow(`state directory ${join(tmp.dir, 'nodir')}: cannot write x.json: no such file or directory`);
  });
});
