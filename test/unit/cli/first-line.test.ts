// The first status line never carries Nagios's default illegal_macro_output_chars (they are stripped from
// $SERVICEOUTPUT$ in notifications, changing the meaning): enforced where the line is formatted.
import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { renderResult } from '../../../src/cli/output.js';

const ILLEGAL = /[`~$&|'"<>]/;

describe('first status line', () => {
  fcTest.prop([fc.string({ maxLength: 60 })], { numRuns: 300 })('never contains `~$&|\'"<>', (summary) => {
    const first = renderResult({ state: 'CRITICAL', summary }, { json: false }).split('\n')[0]!;
    expect(first).not.toMatch(ILLEGAL);
  });

  test('says in words what the characters meant; names with blanks stay as they are', () => {
    const line = (summary: string) => renderResult({ state: 'WARNING', summary, perfdata: 'rpo=1s;;;0' }, { json: false }).split('\n')[0];
    expect(line('src/a b -> dst/a  b 2 snapshots')).toBe('WARNING: src/a b to dst/a  b 2 snapshots | rpo=1s;;;0');
    expect(line("rpo 3m00s (> 2m00s), can't")).toBe('WARNING: rpo 3m00s (above 2m00s), cant | rpo=1s;;;0');
  });
});
