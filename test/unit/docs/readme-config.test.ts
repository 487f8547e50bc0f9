// The configuration shown to operators must be valid: every ```yaml block of the README and the docs is
// parsed and validated as a zfailover config (as `zfailover --config` would), so the documentation cannot rot.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../src/config/load.js';

const ROOT = new URL('../../../', import.meta.url).pathname;
const docs = [
  'README.md',
  ...readdirSync(`${ROOT}docs`)
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('YAML examples in the documentation are valid configs', () => {
  for (const file of docs) {
    const blocks = [...readFileSync(`${ROOT}${file}`, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] as string);
    blocks.forEach((text, i) => {
      it(`${file} block ${i + 1}`, () => {
        expect(() => parseConfigText(text, `${file}#${i + 1}`, { mode: 0o600, uid: 0 })).not.toThrow();
      });
    });
  }
  it('the README has examples to check', () => {
    expect(readFileSync(`${ROOT}README.md`, 'utf8')).toContain('```yaml');
  });
});
