// mibs/ZFAILOVER-MIB.txt is valid SMIv2 (smilint, strictest level, no output at all: smilint always exits 0),
// resolves with Net-SNMP's snmptranslate, and agrees with the OIDs and values the sender uses (src/alert/mib.ts).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { NOTIFICATIONS, OBJECTS, STATE_VALUE } from '../../src/alert/mib.js';
import { DEFAULT_ENTERPRISE_OID } from '../../src/alert/settings.js';
import { BASE_MIBS_DIR, PROJECT_MIB } from '../helpers/snmptrapd.js';

const reason = !existsSync('/usr/bin/smilint')
  ? 'smilint is not installed (apt-get install smitools)'
  : !existsSync('/usr/bin/snmptranslate')
    ? 'snmptranslate is not installed (apt-get install snmp)'
    : !existsSync(`${BASE_MIBS_DIR}/SNMPv2-SMI.mib`)
      ? 'net-snmp base MIBs missing (npm install)'
      : null;

describe.skipIf(reason)(`ZFAILOVER-MIB ${reason ? `(skipped: ${reason})` : ''}`, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'zfo-mib-'));
  const smiPath = join(tmp, 'smi');
  const persist = join(tmp, 'persist');
  execFileSync('mkdir', ['-p', smiPath, persist]);
  // libsmi looks modules up by name without an extension.
  for (const m of ['SNMPv2-SMI', 'SNMPv2-TC', 'SNMPv2-CONF']) symlinkSync(`${BASE_MIBS_DIR}/${m}.mib`, join(smiPath, m));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const smilint = (file: string): string => {
    const r = spawnSync('smilint', ['-s', '-l', '6', file], { env: { ...process.env, SMIPATH: smiPath }, encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`;
  };
  const translate = (...args: string[]): string =>
    execFileSync('snmptranslate', ['-M', `${BASE_MIBS_DIR}:${join(PROJECT_MIB, '..')}`, '-m', 'ZFAILOVER-MIB', ...args], {
      env: { ...process.env, SNMP_PERSISTENT_DIR: persist },
      encoding: 'utf8',
    }).trim();

  test('smilint -s -l 6 prints nothing for the shipped MIB', () => {
    expect(smilint(PROJECT_MIB)).toBe('');
  });

  test('the same smilint run does report a broken copy (the check can fail)', () => {
    const broken = join(tmp, 'ZFAILOVER-MIB.txt');
    writeFileSync(
      broken,
      readFileSync(PROJECT_MIB, 'utf8').replace('SYNTAX      Integer32 (-1..2147483647)\n    UNITS', 'SYNTAX      Integer33 (-1..2147483647)\n    UNITS'),
    );
    expect(smilint(broken)).toMatch(/unknown type `Integer33'/);
  });

  test('snmptranslate resolves every notification to the OID the sender uses', () => {
    for (const { arc, name } of Object.values(NOTIFICATIONS)) {
      expect(translate('-On', `ZFAILOVER-MIB::${name}`)).toBe(`.${DEFAULT_ENTERPRISE_OID}.0.${arc}`);
    }
  });

  test('snmptranslate resolves every varbind object, and the notifications carry them in the sender order', () => {
    for (const { arc, name } of OBJECTS) expect(translate('-On', `ZFAILOVER-MIB::${name}`)).toBe(`.${DEFAULT_ENTERPRISE_OID}.1.${arc}`);
    const def = translate('-Td', 'ZFAILOVER-MIB::zfAlertProblem').replace(/\s+/g, ' ');
    expect(def).toContain(`OBJECTS { ${OBJECTS.map((o) => o.name).join(', ')} }`);
  });

  test('the state enumeration has the values the sender sends (the plugin exit codes)', () => {
    const def = translate('-Td', 'ZFAILOVER-MIB::zfState');
    const enumText = Object.entries(STATE_VALUE)
      .map(([s, v]) => `${s.toLowerCase()}(${v})`)
      .join(', ');
    expect(def).toContain(`INTEGER {${enumText}}`);
  });
});
