// Pure SNMP encoding: UTF-8 cut at character boundaries, DateAndTime, the default v3 engineID, varbind order.
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { dateAndTime, defaultEngineId, notificationOid, notificationVarbinds, OBJECTS, utf8Truncate } from '../../../src/alert/mib.js';
import type { Notification } from '../../../src/alert/types.js';

const PEN = '1.3.6.1.4.1.32473';
const n = (over: Partial<Notification> = {}): Notification => ({
  type: 'problem',
  source: 'sync',
  host: 'host-a',
  time: Date.UTC(2026, 10, 26, 10, 15, 7, 340),
  item: { job: 'nightly', dataset: 'tank/data', kind: 'replication', state: 'CRITICAL', summary: 'diverged', lagSeconds: 2400.4, epoch: 3 },
  previousState: 'OK',
  since: 0,
  ...over,
});

describe('utf8Truncate', () => {
  test.prop([fc.string({ unit: 'binary', maxLength: 400 }), fc.integer({ min: 0, max: 300 })])(
    'keeps at most max bytes and only whole characters',
    (s, max) => {
      const bytes = utf8Truncate(s, max);
      expect(bytes.length).toBeLessThanOrEqual(max);
      const decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      const full = new TextDecoder().decode(new TextEncoder().encode(s));
      expect(full.startsWith(decoded)).toBe(true);
      if (new TextEncoder().encode(s).length <= max) expect(decoded).toBe(full);
      // Nothing more was cut than the character that did not fit.
      else expect(max - bytes.length).toBeLessThan(4);
    },
  );
});

describe('dateAndTime', () => {
  test('encodes UTC with deci-seconds and a +0:0 offset', () => {
    expect([...dateAndTime(Date.UTC(2026, 10, 26, 10, 15, 7, 340))]).toEqual([0x07, 0xea, 11, 26, 10, 15, 7, 3, 0x2b, 0, 0]);
  });
  test.prop([fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) })])('decodes back to the same second', (ms) => {
    const b = dateAndTime(ms);
    const back = Date.UTC(((b[0] as number) << 8) | (b[1] as number), (b[2] as number) - 1, b[3], b[4], b[5], b[6], (b[7] as number) * 100);
    expect(back).toBe(Math.floor(ms / 100) * 100);
  });
});

describe('defaultEngineId', () => {
  test('RFC 3411 text format under the enterprise number, host name as text', () => {
    expect(defaultEngineId(PEN, 'host-a')).toBe('80007ED904686F73742D61');
    expect(defaultEngineId('1.3.6.1.4.1.9', 'x')).toBe('800000090478');
  });
  test.prop([fc.string({ maxLength: 100 })])('is always 6 to 32 bytes of hex', (host) => {
    const id = defaultEngineId(PEN, host);
    expect(id).toMatch(/^(?:[0-9A-F]{2}){6,32}$/);
  });
});

describe('notificationVarbinds', () => {
  test('objects in the MIB order, values as sent', () => {
    const vbs = notificationVarbinds(n(), PEN);
    expect(vbs.map((v) => v.name)).toEqual(OBJECTS.map((o) => o.name));
    expect(vbs.map((v) => v.oid)).toEqual(OBJECTS.map((o) => `${PEN}.1.${o.arc}.0`));
    const get = (name: string) => vbs.find((v) => v.name === name)?.value;
    expect(get('zfState')).toBe(2);
    expect(get('zfPreviousState')).toBe(0);
    expect(get('zfLagSeconds')).toBe(2400);
    expect(get('zfEpoch')).toBe(3);
    expect(new TextDecoder().decode(get('zfTarget') as Uint8Array)).toBe('');
    expect(notificationOid(PEN, 'recovery')).toBe(`${PEN}.0.2`);
  });
  test('unknown lag and epoch are -1; huge ones are clamped to Integer32', () => {
    const vbs = notificationVarbinds(n({ item: { ...n().item, lagSeconds: undefined, epoch: 1e12 } }), PEN);
    expect(vbs.find((v) => v.name === 'zfLagSeconds')?.value).toBe(-1);
    expect(vbs.find((v) => v.name === 'zfEpoch')?.value).toBe(2147483647);
  });
  test('a long multi-line message becomes one line of at most 255 bytes, with the note', () => {
    const vbs = notificationVarbinds(n({ item: { ...n().item, summary: `first\nsecond ${'é'.repeat(300)}` }, note: 'n' }), PEN);
    const msg = vbs.find((v) => v.name === 'zfMessage')?.value as Uint8Array;
    expect(msg.length).toBeLessThanOrEqual(255);
    expect(new TextDecoder().decode(msg)).toMatch(/^first second é+$/);
  });
});
