// Every man page of the package: zfailover(8), check_zfs_<name>(8) and zfailover.yml(5), generated at build time
// (scripts/build-man.mjs) from the commander declarations and the config schema the program runs with.
import { configPage } from './config-page.js';
import { pluginNames, pluginPage, zfailoverPage, type ManPage } from './commands-page.js';

export type { ManPage };
export { pluginNames };

export const manPages = (opts: { date: string; version: string; example: string }): ManPage[] => [
  zfailoverPage(opts),
  ...pluginNames().map((n) => pluginPage(n, opts)),
  configPage(opts),
];
