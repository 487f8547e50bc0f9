// Reading the config file (with its owner and mode) and, on request, answering from the validated-config
// cache; the YAML parser and the zod schemas (load.ts) are imported only when the file must be parsed.
// Every problem becomes `config error: FILE:LINE: key.path: message` (ConfigFileError, exit 3 UNKNOWN).
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { isZfoError } from '../errors.js';
import { DEFAULT_CONFIG_PATH, DEFAULT_STATE_DIR } from './paths.js';
import { cacheFileFor, fileKey, locateIn, readCachedConfig, stateDirInText, storeCachedConfig, type CacheKey } from './config-cache.js';
import { ConfigFileError, formatKeyPath, problemAt, type KeyPath } from './problems.js';
import type { ConfigData } from './schema/index.js';
import type { LoadedConfig, LoadOptions } from './loaded.js';
import { configFileProblem, secureFix, stateDirProblem, UntrustedPathError } from '../state/trust.js';

export type { LoadedConfig, LoadOptions };

// A config file is a few KiB; a limit keeps a mistaken path (a disk image, /dev/zero) from eating memory.
const MAX_SIZE = 1024 * 1024;

export const loadConfig = async (path: string | undefined, opts: LoadOptions = {}): Promise<LoadedConfig> => {
  const file = path ?? opts.defaultPath ?? DEFAULT_CONFIG_PATH;
  const fail = (message: string): ConfigFileError => new ConfigFileError(file, [{ line: null, path: null, message }]);
  let handle;
  try {
    // O_NONBLOCK: a FIFO given as the config must not block the open (and the run) until someone writes it.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && path === undefined && opts.optional) return emptyConfig();
    throw fail(`cannot read: ${describeErrno(e)}`);
  }
  try {
    const st = await handle.stat({ bigint: true });
    if (st.isDirectory()) throw fail('cannot read: is a directory');
    if (!st.isFile()) throw fail('cannot read: not a regular file');
    if (st.size > MAX_SIZE) throw fail(`cannot read: larger than ${MAX_SIZE} bytes, not a config file`);
    const text = await handle.readFile({ encoding: 'utf8' });
    const meta = { mode: Number(st.mode & 0o7777n), uid: Number(st.uid) };
    // StrictModes: a config another user could have written (its ssh options, hosts and paths run as root).
    const untrusted = configFileProblem(meta);
    if (untrusted) throw new UntrustedPathError(file, `config file not trusted: ${untrusted}`, secureFix(file));
    const loaded = opts.cache
      ? await loadCached(file, text, { path: resolvePath(file), key: fileKey(st), text }, meta, opts.cache.stateDir)
      : await parse(file, text, meta);
    if (loaded.data.alerts) {
      // Secrets (SMTP password, SNMPv3 keys) in a file other users can read: refused for every command, on
      // every run, from the mode and owner read just now (a cache hit included), and secret files re-checked.
      const { verifyAlertSecrets } = await import('../alert/secrets.js');
      verifyAlertSecrets(loaded.data.alerts, { path: file, mode: loaded.mode, uid: loaded.uid });
    }
    return loaded;
  } catch (e) {
    if (isZfoError(e)) throw e;
    throw fail(`cannot read: ${describeErrno(e)}`);
  } finally {
    await handle.close();
  }
};

type Meta = { mode: number; uid: number };

const parse = async (file: string, text: string, meta: Meta): Promise<LoadedConfig> => (await import('./load.js')).parseConfigText(text, file, meta);

const loadCached = async (file: string, text: string, want: CacheKey, meta: Meta, cliStateDir: string | undefined): Promise<LoadedConfig> => {
  // Same precedence as resolveStateDir; the file's own state_dir is found by a scan, confirmed after a parse.
  const cli = cliStateDir !== undefined && cliStateDir !== '' ? resolvePath(cliStateDir) : null;
  const lookIn = cli ?? stateDirInText(text) ?? DEFAULT_STATE_DIR;
  // The cache of a state dir others could write is not read (nor written): resolveStateDir refuses it later.
  if (stateDirProblem(lookIn)) return parse(file, text, meta);
  const hit = await readCachedConfig(cacheFileFor(lookIn, want.path), want);
  if (hit) {
    const locate = (p: KeyPath) => locateIn(hit.lines, p);
    return {
      path: file,
      ...meta,
      data: hit.data as ConfigData,
      locate: (p) => locate(p).line,
      error: (p, message) => new ConfigFileError(file, [problemAt(locate, p, message)]),
      cached: true,
    };
  }
  const { parseConfigSource } = await import('./load.js');
  // Throws the ConfigFileError of a bad file exactly as an uncached load does; nothing is stored then.
  const parsed = parseConfigSource(text, file, meta);
  const loaded = parsed.loaded;
  // Stored only where the parsed config keeps its state, which is also where the next run looks.
  if (lookIn === (cli ?? loaded.data.state_dir ?? DEFAULT_STATE_DIR)) {
    const lines = parsed.lines();
    if (lines) await storeCachedConfig(lookIn, want, loaded.data, lines);
  }
  return loaded;
};

const emptyConfig = (): LoadedConfig => ({
  path: null,
  mode: null,
  uid: null,
  data: {},
  locate: () => null,
  error: (p, message) => new ConfigFileError(null, [{ line: null, path: formatKeyPath(p) || null, message }]),
});

const describeErrno = (e: unknown): string => {
  const err = e as NodeJS.ErrnoException;
  const text: Record<string, string> = {
    ENOENT: 'no such file',
    EACCES: 'permission denied',
    EISDIR: 'is a directory',
    ENOTDIR: 'a parent is not a directory',
    ELOOP: 'too many symbolic links',
  };
  return (err.code && text[err.code]) ?? err.message?.replace(/\s+/g, ' ') ?? String(e);
};
