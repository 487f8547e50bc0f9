// The option declarations (options/*.ts) as commander Options: the only place that turns one into the other.
// A parser's thrown reason becomes commander's InvalidArgumentError, so usage errors read as commander words them.
import { type Command, InvalidArgumentError, Option } from 'commander';
import { isZfoError } from '../../errors.js';
import type { OptionSpec } from './spec.js';

/** A plain value parser as commander's argParser: a refusal is a usage error with the parser's reason. */
export const commanderParser =
  <T>(parse: (value: string) => T) =>
  (value: string): T => {
    try {
      return parse(value);
    } catch (e) {
      throw new InvalidArgumentError(isZfoError(e) ? e.message : String(e));
    }
  };

export const toOption = (spec: OptionSpec): Option => {
  const option = new Option(spec.flags, spec.description);
  const parse = spec.parse ? commanderParser(spec.parse) : (v: string): unknown => v;
  if (spec.repeatable) option.argParser((v: string, previous: unknown[] | undefined) => [...(previous ?? []), parse(v)]);
  else if (spec.parse) option.argParser(parse);
  if (spec.choices) option.choices(spec.choices);
  if (spec.hidden) option.hideHelp();
  return option;
};

/** Adds the table's options in its order; `version` is commander's version option with this text. */
export const addOptions = (cmd: Command, table: readonly OptionSpec[], version?: string): Command => {
  for (const spec of table) {
    if (spec.version) {
      if (version !== undefined) cmd.version(version, spec.flags, spec.description);
    } else cmd.addOption(toOption(spec));
  }
  return cmd;
};
