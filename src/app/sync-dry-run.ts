// `sync --dry-run` output: the decision for every dataset of every target and the exact commands a real run
// would start, after the status line. Nothing is changed by a dry run (no lock, no snapshot, no state file).
import { renderResult } from '../outcome.js';
import type { CommandResult } from '../outcome.js';
import type { JobReport } from '../sync/report.js';

export const renderDryRun = (reports: readonly JobReport[], result: CommandResult): string => {
  const lines: string[] = [renderResult({ ...result, details: [] }, { json: false }).trimEnd()];
  for (const r of reports) {
    lines.push(`job ${r.job}: source ${r.source}${r.snapshot ? `, would take sync snapshot @${r.snapshot} where changed` : ''}`);
    if (r.error) lines.push(`  ${r.error.message}`);
    for (const t of r.targets) {
      lines.push(`  target ${t.id} ${t.side}${t.error ? `: ${t.error.message}` : ''}`);
      for (const d of t.datasets) {
        const head = d.conflict ? `conflict ${d.conflict}: ${d.message ?? ''}` : d.outcome === 'nothing-to-do' ? 'up to date' : d.outcome;
        lines.push(`    ${d.source} -> ${d.target}: ${head}`);
        for (const s of d.steps) lines.push(`      ${s.kind}: ${s.command}`);
        if (d.hint) lines.push(`      fix: ${d.hint}`);
      }
      for (const o of t.orphans) lines.push(`    ${o}: not on the source any more (left alone)`);
    }
  }
  return `${lines.join('\n')}\n`;
};
