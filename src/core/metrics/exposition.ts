// Prometheus text exposition format (version 0.0.4), as node_exporter's textfile collector reads it: pure.
// One family = HELP + TYPE + samples; names and label names are checked here, label values escaped, so no
// caller can emit a line promtool or node_exporter would refuse.

export type MetricType = 'gauge' | 'counter';
export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  readonly labels: Labels;
  readonly value: number;
}

export interface MetricFamily {
  /** `zfailover_...`; counters end in `_total`, units are base units in the name (`_seconds`, `_bytes`). */
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  readonly samples: readonly Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export class MetricFormatError extends Error {}

/** Label value escaping of the text format: backslash, double quote and line feed. */
export const escapeLabelValue = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
/** HELP escaping: backslash and line feed only. */
const escapeHelp = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

export const formatValue = (v: number): string => {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return Object.is(v, -0) ? '0' : String(v);
};

const labelText = (labels: Labels): string => {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  for (const k of keys) if (!LABEL_NAME.test(k) || k.startsWith('__')) throw new MetricFormatError(`invalid label name ${JSON.stringify(k)}`);
  return `{${keys.map((k) => `${k}="${escapeLabelValue(labels[k]!)}"`).join(',')}}`;
};

/**
 * The exposition text of `families`, sorted by name (samples in the order given). Families without samples
 * are left out; a duplicate family name or a duplicate label set is a bug of the caller and throws.
 */
export const renderExposition = (families: readonly MetricFamily[]): string => {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of [...families].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (!METRIC_NAME.test(f.name)) throw new MetricFormatError(`invalid metric name ${JSON.stringify(f.name)}`);
    if (seen.has(f.name)) throw new MetricFormatError(`metric ${f.name} given twice`);
    seen.add(f.name);
    if (f.type === 'counter' && !f.name.endsWith('_total')) throw new MetricFormatError(`counter ${f.name} must end in _total`);
    if (f.samples.length === 0) continue;
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    const series = new Set<string>();
    for (const s of f.samples) {
      const labels = labelText(s.labels);
      if (series.has(labels)) throw new MetricFormatError(`metric ${f.name}${labels} given twice`);
      series.add(labels);
      out.push(`${f.name}${labels} ${formatValue(s.value)}`);
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
};
