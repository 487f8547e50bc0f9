// Prints debian/copyright (machine-readable format 1.0) for the package: zfailover itself (MIT) and every npm
// package the bundle contains (the production dependencies in package-lock.json), each with its declared licence.
// The bundle is self-contained, so these are shipped inside /usr/lib/zfailover/dist/bundle.
import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;
const lock = JSON.parse(readFileSync(`${root}package-lock.json`, 'utf8'));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const year = new Date(Number(process.env.SOURCE_DATE_EPOCH ?? Date.now() / 1000) * 1000).getUTCFullYear();
const out = [
  'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/',
  'Upstream-Name: zfailover',
  '',
  'Files: *',
  `Copyright: ${year} zfailover developers`,
  `License: ${pkg.license}`,
  '',
];
const bundled = Object.entries(lock.packages)
  .filter(([path, p]) => path.startsWith('node_modules/') && !p.dev && !p.optional)
  .map(([path, p]) => ({ name: path.replace(/^.*node_modules\//, ''), version: p.version, license: p.license ?? 'unknown' }))
  .sort((a, b) => a.name.localeCompare(b.name));
const seen = new Set();
const listed = bundled.filter((b) => {
  const key = `${b.name}@${b.version}`;
  return seen.has(key) ? false : (seen.add(key), true);
});
const licenses = [...new Set([pkg.license, ...listed.map((b) => b.license)])].sort();
out.push(
  'Files: usr/lib/zfailover/dist/bundle/*',
  'Copyright: Copyright the authors of the bundled npm packages listed below',
  `License: ${licenses.join(' and ')}`,
  'Comment: the bundle contains zfailover and these npm packages (name@version: licence):',
  ...listed.map((b) => ` ${b.name}@${b.version}: ${b.license}`),
  '',
);
const MIT_BODY = `Permission is hereby granted, free of charge, to any person obtaining a copy of this software and
associated documentation files (the "Software"), to deal in the Software without restriction, including
without limitation the rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is furnished to do so, subject to the
following conditions:`;
const MIT_WARRANTY = `THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT
LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO
EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER
IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE
USE OR OTHER DEALINGS IN THE SOFTWARE.`;
const TEXTS = {
  MIT: `${MIT_BODY}\n\nThe above copyright notice and this permission notice shall be included in all copies or substantial\nportions of the Software.\n\n${MIT_WARRANTY}`,
  'MIT-0': `${MIT_BODY}\n\n${MIT_WARRANTY}`,
  ISC: `Permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is
hereby granted, provided that the above copyright notice and this permission notice appear in all copies.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES WITH REGARD TO THIS SOFTWARE
INCLUDING ALL IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR
ANY SPECIAL, DIRECT, INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES WHATSOEVER RESULTING FROM LOSS OF USE,
DATA OR PROFITS, WHETHER IN AN ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF OR IN
CONNECTION WITH THE USE OR PERFORMANCE OF THIS SOFTWARE.`,
  'Apache-2.0': 'On Debian systems, the full text of the Apache License, Version 2.0 is in\n/usr/share/common-licenses/Apache-2.0.',
};
for (const l of licenses) {
  const body = TEXTS[l];
  if (!body) throw new Error(`deb-copyright.mjs: no licence text for '${l}': add it to TEXTS`);
  out.push(`License: ${l}`, ...body.split('\n').map((x) => (x === '' ? ' .' : ` ${x}`)), '');
}
process.stdout.write(`${out.join('\n').replace(/\n+$/, '')}\n`);
