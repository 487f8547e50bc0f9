// What loading a config file gives every command: the validated data, where it came from, and how to name a line
// of it in an error. A file of types only, so the reader (loader.ts) and the parser (load.ts) both use it without
// importing each other.
import type { ConfigFileError, KeyPath } from './problems.js';
import type { ConfigData } from './schema/index.js';

export interface LoadedConfig {
  /** The file read, or null when the (optional) default file does not exist: built-in defaults only. */
  readonly path: string | null;
  /** Permission bits (`st_mode & 0o7777`) and owner of the file, as read from the open descriptor. */
  readonly mode: number | null;
  readonly uid: number | null;
  readonly data: ConfigData;
  /** Line of a key path in the file (or of its deepest existing parent), for errors found later. */
  locate(path: KeyPath): number | null;
  /** A ConfigFileError naming this file, the line of `path` and the path itself. */
  error(path: KeyPath, message: string): ConfigFileError;
  /** True when `data` came from the validated-config cache instead of a parse (for logs and tests). */
  readonly cached?: boolean;
}

export interface LoadOptions {
  /** A missing *default* file is fine (ad-hoc runs); an explicit path must exist. */
  readonly optional?: boolean;
  /** Where the default file is (tests). */
  readonly defaultPath?: string;
  /**
   * Use the validated-config cache under the state directory: `--state-dir` when given, else the file's own
   * top-level `state_dir`, else the default. Opt-in: the commands on the 15-second path ask for it.
   */
  readonly cache?: { readonly stateDir: string | undefined };
}
