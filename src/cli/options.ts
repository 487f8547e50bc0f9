// Option value parsers for the commands not yet declared as tables (snapshot, prune, promote, demote, status):
// commander argParsers over the plain parsers of options/values.ts, so every command words a refusal alike.
import type { Option } from 'commander';
import { commanderParser, toOption } from './options/commander.js';
import { NOW } from './options/shared.js';
import { durationValue, portValue, sizeValue } from './options/values.js';

export const durationOption = commanderParser(durationValue);
export const sizeOption = commanderParser(sizeValue);
export const portOption = commanderParser(portValue);

export const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--now <ISO time>` of snapshot and prune (check gaps has it in its table): options/shared.ts declares it. */
export const nowOption = (): Option => toOption(NOW);
