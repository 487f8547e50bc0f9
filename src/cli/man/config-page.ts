// zfailover.yml(5), generated from the zod schema the loader validates with (via zod's JSON Schema export): every
// key the file may hold, its type or allowed values, whether it is required, and what a value looks like (the
// `kind` of the custom value schemas in src/config/schema/common.ts). The example file is quoted verbatim.
import * as z from 'zod';
import { configSchema } from '../../config/schema/index.js';
import { DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR } from '../../config/paths.js';
import type { ManPage } from './commands-page.js';
import { bold, header, italic, paragraphs, section, subsection, tagged, text, wrapLines } from './roff.js';

interface Json {
  type?: string | string[];
  description?: string;
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, Json>;
  additionalProperties?: Json | boolean;
  required?: string[];
  items?: Json;
  anyOf?: Json[];
  oneOf?: Json[];
  minItems?: number;
  minimum?: number;
  maximum?: number;
  pattern?: string;
  default?: unknown;
}

const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** What a value looks like, in one phrase. */
const describe = (j: Json): string => {
  const alts = j.anyOf ?? j.oneOf;
  if (alts) return [...new Set(alts.map(describe))].join(', or ');
  const parts: string[] = [];
  if (j.const !== undefined) parts.push(show(j.const));
  else if (j.enum) parts.push(`one of ${j.enum.map(show).join(', ')}`);
  else if (j.type === 'array') parts.push(`list of ${j.items ? describe(j.items) : 'values'}${j.minItems ? ` (at least ${j.minItems})` : ''}`);
  else if (j.type === 'object') parts.push(j.properties ? 'mapping (keys below)' : 'mapping');
  else if (Array.isArray(j.type)) parts.push(j.type.join(' or '));
  else if (j.type) parts.push(j.type === 'integer' ? 'whole number' : j.type);
  if (j.minimum !== undefined) parts.push(`at least ${j.minimum}`);
  if (j.maximum !== undefined) parts.push(`at most ${j.maximum}`);
  if (j.description) parts.push(j.description);
  if (j.default !== undefined) parts.push(`default ${show(j.default)}`);
  return parts.join(', ') || 'any value';
};

interface Entry {
  readonly path: string;
  readonly what: string;
  readonly required: boolean;
}

/** Every key below `j`, depth first: `<name>` for free-form mapping keys, `[]` for list items. */
const walk = (j: Json, path: string, out: Entry[]): void => {
  const alts = j.anyOf ?? j.oneOf;
  if (alts) {
    for (const a of alts) walk(a, path, out);
    return;
  }
  if (j.type === 'array' && j.items) return walk(j.items, `${path}[]`, out);
  if (j.type !== 'object') return;
  const required = new Set(j.required ?? []);
  for (const [k, v] of Object.entries(j.properties ?? {})) {
    const p = path === '' ? k : `${path}.${k}`;
    if (!out.some((e) => e.path === p)) out.push({ path: p, what: describe(v), required: required.has(k) });
    walk(v, p, out);
  }
  if (typeof j.additionalProperties === 'object') {
    const p = `${path}.<name>`;
    if (!out.some((e) => e.path === p)) out.push({ path: p, what: describe(j.additionalProperties), required: false });
    walk(j.additionalProperties, p, out);
  }
};

/** The keys of the config file, grouped by top-level section. */
export const configKeys = (): Entry[] => {
  const schema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as Json;
  const out: Entry[] = [];
  walk(schema, '', out);
  return out;
};

export const configPage = (opts: { date: string; version: string; example: string }): ManPage => {
  const keys = configKeys();
  const sections = [...new Set(keys.map((k) => k.path.split('.')[0] ?? ''))];
  const lines = [
    ...header({ name: 'zfailover.yml', section: 5, date: opts.date, source: `zfailover ${opts.version}`, manual: 'File Formats' }),
    section('NAME'),
    'zfailover.yml \\- configuration of zfailover',
    section('SYNOPSIS'),
    italic(DEFAULT_CONFIG_PATH),
    section('DESCRIPTION'),
    ...paragraphs(
      `zfailover(8) reads its jobs, retention, checks and alerts from ${DEFAULT_CONFIG_PATH} (another file with --config). The file is YAML. ` +
        'Unknown keys are errors. Any problem is reported as one line, UNKNOWN: config error: FILE:LINE: key.path: message, with exit status 3, and nothing is done.',
      'Keep the file mode 0600, owned by root, once it holds secrets (SMTP passwords, SNMP keys): zfailover refuses secrets in a file other users can read.',
      `Relative paths are refused: Monit and cron run programs with the working directory /. The state directory defaults to ${DEFAULT_STATE_DIR}.`,
    ),
    section('KEYS'),
    ...paragraphs(
      'Each key with what its value looks like. <name> stands for a name the operator chooses (a job, a target label, a template); [] for each item of a list.',
    ),
  ];
  const scalars = sections.filter((s) => !keys.some((e) => e.path.startsWith(`${s}.`)));
  lines.push(subsection('"Top level"'));
  for (const k of keys.filter((e) => scalars.includes(e.path))) lines.push(...tagged(bold(k.path), text(`${k.what}${k.required ? '; required' : ''}.`)));
  for (const s of sections.filter((x) => !scalars.includes(x))) {
    lines.push(subsection(s));
    for (const k of keys.filter((e) => e.path === s || e.path.startsWith(`${s}.`))) {
      lines.push(...tagged(bold(k.path), text(`${k.what}${k.required ? '; required' : ''}.`)));
    }
  }
  lines.push(
    section('EXAMPLE'),
    ...paragraphs('The example installed as the initial configuration (also in /usr/share/doc/zfailover/examples/zfailover.yml):'),
    '.PP',
    '.nf',
    '.RS 4',
    ...opts.example
      .replace(/\n+$/, '')
      .split('\n')
      .map((l) => (l === '' ? '\\&' : text(l))),
    '.RE',
    '.fi',
    section('FILES'),
    ...tagged(italic(DEFAULT_CONFIG_PATH), text('The configuration.')),
    section('SEE ALSO'),
    `${bold('zfailover')}(8)`,
  );
  return { file: 'zfailover.yml.5', text: wrapLines(lines) };
};
