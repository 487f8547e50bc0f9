// The de-duplication and flap-damping state machine: examples for each rule, and properties over arbitrary
// observation histories (bounded notification rate, eventual truth, idempotence, exact counts).
import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import type { ServiceState } from '../../../src/outcome.js';
import {
  activeAlerts,
  alertKey,
  alertLevel,
  decideAlerts,
  EMPTY_BOOK,
  eventNotifications,
  type AlertBook,
  type AlertPolicy,
} from '../../../src/alert/decide.js';
import type { AlertItem, Notification } from '../../../src/alert/types.js';
import { policyOf } from '../../../src/alert/notify.js';
import { parseConfigText } from '../../../src/config/load.js';
import type { ConflictName } from '../../../src/errors.js';

const T0 = Date.UTC(2026, 10, 26, 10, 0, 0);
const POLICY: AlertPolicy = { minState: 'WARNING', repeatMs: null, flap: { windowMs: 600_000, maxChanges: 4 }, forgetMs: 7 * 86400_000 };
const item = (state: ServiceState, extra: Partial<AlertItem> = {}): AlertItem => ({
  job: 'j',
  dataset: 'tank/a',
  kind: 'replication',
  state,
  summary: `now ${state}`,
  ...extra,
});

/** Feed (time, item) observations through decideAlerts, carrying the book; returns every notification. */
const replay = (obs: readonly (readonly [number, AlertItem])[], policy: AlertPolicy, start: AlertBook = EMPTY_BOOK) => {
  let book = start;
  const out: Notification[] = [];
  for (const [t, i] of obs) {
    const d = decideAlerts(book, [i], { now: t, source: 'sync', host: 'h', policy });
    book = d.book;
    out.push(...d.notifications);
  }
  return { book, out };
};
const every15s = (states: readonly ServiceState[], from = T0): [number, AlertItem][] => states.map((s, i) => [from + i * 15_000, item(s)]);

describe('examples', () => {
  test('OK -> CRITICAL -> CRITICAL -> OK gives one problem and one recovery', () => {
    const { out } = replay(every15s(['OK', 'CRITICAL', 'CRITICAL', 'OK']), POLICY);
    expect(out.map((n) => [n.type, n.item.state, n.previousState])).toEqual([
      ['problem', 'CRITICAL', 'OK'],
      ['recovery', 'OK', 'CRITICAL'],
    ]);
    expect(out[0]?.since).toBe(T0 + 15_000);
  });

  test('the first observation notifies only when it is bad', () => {
    expect(replay(every15s(['OK']), POLICY).out).toEqual([]);
    expect(replay(every15s(['WARNING']), POLICY).out.map((n) => n.type)).toEqual(['problem']);
  });

  test('a change between bad states is notified; a new summary with the same state is not', () => {
    const obs: [number, AlertItem][] = [
      [T0, item('WARNING', { summary: 'lag 20m' })],
      [T0 + 15_000, item('WARNING', { summary: 'lag 21m' })],
      [T0 + 30_000, item('CRITICAL', { summary: 'lag 41m' })],
    ];
    expect(replay(obs, POLICY).out.map((n) => [n.type, n.item.state, n.previousState])).toEqual([
      ['problem', 'WARNING', 'OK'],
      ['problem', 'CRITICAL', 'WARNING'],
    ]);
  });

  test('a different conflict while CRITICAL is a new problem', () => {
    const obs: [number, AlertItem][] = [
      [T0, item('CRITICAL', { conflict: 'diverged' })],
      [T0 + 15_000, item('CRITICAL', { conflict: 'diverged' })],
      [T0 + 30_000, item('CRITICAL', { conflict: 'target-is-primary' })],
    ];
    expect(replay(obs, POLICY).out.map((n) => n.item.conflict)).toEqual(['diverged', 'target-is-primary']);
  });

  test('min_state CRITICAL: WARNING and UNKNOWN count as OK', () => {
    const p: AlertPolicy = { ...POLICY, minState: 'CRITICAL' };
    expect(replay(every15s(['OK', 'WARNING', 'UNKNOWN', 'WARNING', 'OK']), p).out).toEqual([]);
    expect(replay(every15s(['WARNING', 'CRITICAL', 'WARNING']), p).out.map((n) => [n.type, n.item.state])).toEqual([
      ['problem', 'CRITICAL'],
      ['recovery', 'WARNING'],
    ]);
    expect(alertLevel('UNKNOWN', 'WARNING')).toBe('UNKNOWN');
  });

  test('reminders every repeat while bad, none after recovery', () => {
    const p: AlertPolicy = { ...POLICY, repeatMs: 3600_000 };
    const obs: [number, AlertItem][] = [
      [T0, item('CRITICAL')],
      [T0 + 3599_000, item('CRITICAL')],
      [T0 + 3600_000, item('CRITICAL')],
      [T0 + 7199_000, item('CRITICAL')],
      [T0 + 7200_000, item('CRITICAL')],
      [T0 + 7215_000, item('OK')],
      [T0 + 20_000_000, item('OK')],
    ];
    expect(replay(obs, p).out.map((n) => [n.type, n.time - T0])).toEqual([
      ['problem', 0],
      ['reminder', 3600_000],
      ['reminder', 7200_000],
      ['recovery', 7215_000],
    ]);
  });

  test('flapping: the 4th change in 10m sends one notice, then silence until stable for 10m', () => {
    const states: ServiceState[] = ['OK', 'CRITICAL', 'OK', 'CRITICAL', 'OK', 'CRITICAL', 'OK', 'CRITICAL'];
    const flaps = every15s(states);
    const last = T0 + (states.length - 1) * 15_000;
    const stable: [number, AlertItem][] = Array.from({ length: 45 }, (_, i) => [last + (i + 1) * 15_000, item('CRITICAL')]);
    const { out, book } = replay([...flaps, ...stable], POLICY);
    expect(out.map((n) => n.type)).toEqual(['problem', 'recovery', 'problem', 'flapping', 'problem']);
    expect(out[3]?.note).toMatch(/changed 4 times in 10m/);
    expect(out[4]?.note).toBe('stable again for 10m after flapping');
    // The closing notice comes on the first run more than a full window after the last change.
    expect(out[4]?.time).toBe(last + 615_000);
    expect(Object.values(book.keys)[0]?.flapping).toBe(false);
  });

  test('a key is forgotten when it is not reported for `forget`', () => {
    const { book } = replay(every15s(['CRITICAL']), POLICY);
    const other = item('OK', { dataset: 'tank/b' });
    const later = decideAlerts(book, [other], { now: T0 + POLICY.forgetMs + 1, source: 'sync', host: 'h', policy: POLICY });
    expect(Object.keys(later.book.keys)).toEqual([alertKey(other)]);
  });

  test('events are notified exactly once each, whatever their state', () => {
    const ev = item('OK', { kind: 'promotion', epoch: 4, summary: 'promoted to primary' });
    const ns = eventNotifications([ev, ev], { now: T0, source: 'promote', host: 'h' });
    expect(ns.map((n) => [n.type, n.item.epoch])).toEqual([
      ['event', 4],
      ['event', 4],
    ]);
  });

  test('targets are separate keys: one target failing does not hide the other', () => {
    const d = decideAlerts(EMPTY_BOOK, [item('CRITICAL', { target: 'a' }), item('OK', { target: 'b' })], {
      now: T0,
      source: 'sync',
      host: 'h',
      policy: POLICY,
    });
    expect(d.notifications.map((n) => n.item.target)).toEqual(['a']);
    expect(activeAlerts(d.book).map((m) => m.target)).toEqual(['a']);
  });
});

// ---- properties --------------------------------------------------------------------------------

const stateArb = fc.constantFrom<ServiceState>('OK', 'WARNING', 'CRITICAL', 'UNKNOWN');
const conflictArb = fc.option(fc.constantFrom<ConflictName>('diverged', 'target-newer'), { nil: undefined });
/** Observations at increasing times (gaps of 1 s to 20 min), as one key would be reported. */
const historyArb = fc.array(fc.tuple(fc.integer({ min: 1, max: 1200 }), stateArb, conflictArb), { maxLength: 80 }).map((steps) => {
  let t = T0;
  return steps.map(([gap, s, c]): [number, AlertItem] => {
    t += gap * 1000;
    return [t, item(s, c ? { conflict: c } : {})];
  });
});
const flapArb = fc.record({ windowMs: fc.integer({ min: 60, max: 3600 }).map((s) => s * 1000), maxChanges: fc.integer({ min: 2, max: 8 }) });
const policyArb = fc.record({
  minState: fc.constantFrom<'WARNING' | 'CRITICAL'>('WARNING', 'CRITICAL'),
  repeatMs: fc.constant(null),
  flap: fc.option(flapArb, { nil: null }),
  forgetMs: fc.constant(7 * 86400_000),
});
/** The signature decide.ts documents: the level, plus the conflict while bad. */
const sig = (i: AlertItem, p: AlertPolicy): string => {
  const level = alertLevel(i.state, p.minState);
  return level === 'OK' ? 'OK' : i.conflict ? `${level}:${i.conflict}` : level;
};

describe('properties', () => {
  test.prop([historyArb, policyArb])('without flap damping, exactly one notification per change of level (or conflict)', (obs, p) => {
    const policy = { ...p, flap: null };
    const { out } = replay(obs, policy);
    let last = 'OK';
    const expected: string[] = [];
    for (const [, i] of obs) {
      const s = sig(i, policy);
      if (s !== last) expected.push(s === 'OK' ? 'recovery' : 'problem');
      last = s;
    }
    expect(out.map((n) => n.type)).toEqual(expected);
  });

  test.prop([historyArb, flapArb])('with flap damping, any window holds at most max_changes + 1 notifications', (obs, flap) => {
    const { out } = replay(obs, { ...POLICY, flap });
    for (const n of out) {
      const inWindow = out.filter((m) => m.time >= n.time && m.time < n.time + flap.windowMs);
      expect(inWindow.length).toBeLessThanOrEqual(flap.maxChanges + 1);
    }
  });

  test.prop([historyArb, policyArb, stateArb, fc.integer({ min: 1, max: 300 })])(
    'eventual truth: once a state holds for a whole window, the last notified level is that state',
    (obs, policy, final, stepS) => {
      const start = (obs.at(-1)?.[0] ?? T0) + 1000;
      const windowMs = policy.flap?.windowMs ?? 0;
      const n = Math.ceil((windowMs + 1000) / (stepS * 1000)) + 1;
      const stable: [number, AlertItem][] = Array.from({ length: n }, (_, k) => [start + k * stepS * 1000, item(final)]);
      const { book, out } = replay([...obs, ...stable], policy);
      const mem = Object.values(book.keys)[0];
      expect(mem?.flapping).toBe(false);
      expect(mem?.notifiedSignature).toBe(sig(item(final), policy));
      const lastOut = out.at(-1);
      if (lastOut && lastOut.time >= start) expect(alertLevel(lastOut.item.state, policy.minState)).toBe(alertLevel(final, policy.minState));
    },
  );

  test.prop([historyArb, policyArb])('re-observing the same state at the same time changes nothing', (obs, policy) => {
    fc.pre(obs.length > 0);
    const { book } = replay(obs, policy);
    const [t, i] = obs.at(-1) as [number, AlertItem];
    const again = decideAlerts(book, [i], { now: t, source: 'sync', host: 'h', policy });
    expect(again.notifications).toEqual([]);
    expect(again.changed).toBe(false);
    expect(again.book).toBe(book);
  });

  test.prop([fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 400 })])(
    'reminders: a problem lasting D with repeat R gives floor(D/R) reminders when observed every 15 s',
    (repeatQuarterHours, runs) => {
      const repeatMs = repeatQuarterHours * 900_000;
      const states = Array.from({ length: runs }, (): ServiceState => 'CRITICAL');
      const { out } = replay(every15s(states), { ...POLICY, repeatMs, flap: null });
      const duration = (runs - 1) * 15_000;
      expect(out.filter((n) => n.type === 'reminder')).toHaveLength(Math.floor(duration / repeatMs));
      expect(out.filter((n) => n.type === 'problem')).toHaveLength(1);
    },
  );

  test.prop([historyArb, policyArb])('every recovery follows a problem or flapping notice of the same key', (obs, policy) => {
    const { out } = replay(obs, policy);
    let outstanding = false;
    for (const n of out) {
      if (n.type === 'recovery') expect(outstanding).toBe(true);
      outstanding = n.type !== 'recovery';
    }
  });
});

describe('the default flap damping (alerts: with no flap:) leaves ordinary incidents alone', () => {
  const DEFAULT = policyOf(parseConfigText('alerts:\n', '/etc/zfailover/zfailover.yml').data.alerts!);
  const typesOf = (states: readonly ServiceState[]) => replay(every15s(states), DEFAULT).out.map((n) => `${n.type} ${n.item.state}`);

  test('OK -> WARNING -> CRITICAL -> OK, with and without a start-up blip, and via WARNING on the way down', () => {
    expect(typesOf(['OK', 'WARNING', 'CRITICAL', 'OK'])).toEqual(['problem WARNING', 'problem CRITICAL', 'recovery OK']);
    expect(typesOf(['OK', 'WARNING', 'OK', 'WARNING', 'CRITICAL', 'OK'])).toEqual([
      'problem WARNING',
      'recovery OK',
      'problem WARNING',
      'problem CRITICAL',
      'recovery OK',
    ]);
    expect(typesOf(['OK', 'WARNING', 'CRITICAL', 'WARNING', 'OK'])).toEqual(['problem WARNING', 'problem CRITICAL', 'problem WARNING', 'recovery OK']);
    // and a change right after the recovery is not held back
    expect(typesOf(['OK', 'WARNING', 'CRITICAL', 'OK', 'CRITICAL'])).toEqual(['problem WARNING', 'problem CRITICAL', 'recovery OK', 'problem CRITICAL']);
  });

  test('a state that really flaps (OK/CRITICAL every 15 s) is still damped', () => {
    const out = typesOf(['OK', 'CRITICAL', 'OK', 'CRITICAL', 'OK', 'CRITICAL', 'OK', 'CRITICAL', 'OK', 'CRITICAL']);
    expect(out.filter((t) => t.startsWith('flapping'))).toHaveLength(1);
    expect(out.length).toBeLessThanOrEqual(DEFAULT.flap!.maxChanges + 1);
  });

  // Any history of at most 5 level changes, at any spacing (all inside one window or not): one plain problem or
  // recovery per change, never FLAPPING, so the recovery never arrives as `FLAPPING OK`.
  const levelsArb = fc.array(fc.constantFrom<ServiceState>('OK', 'WARNING', 'CRITICAL', 'UNKNOWN'), { minLength: 1, maxLength: 12 });
  test.prop([levelsArb, fc.array(fc.integer({ min: 1, max: 120_000 }), { minLength: 12, maxLength: 12 })])(
    'at most 5 changes: exactly one problem/recovery per change, no flapping notice, no held-back change',
    (levels, gaps) => {
      const changes = levels.filter((s, i) => i > 0 && s !== levels[i - 1]).length;
      fc.pre(changes <= 5);
      let t = T0;
      const obs: [number, AlertItem][] = levels.map((s, i) => [(t += gaps[i] ?? 1), item(s)]);
      const { out } = replay(obs, DEFAULT);
      expect(out.every((n) => n.type === 'problem' || n.type === 'recovery')).toBe(true);
      expect(out.length).toBe(changes + (levels[0] === 'OK' ? 0 : 1));
      expect(out.every((n) => n.note === undefined)).toBe(true);
    },
  );
});
