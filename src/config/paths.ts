// Where zfailover looks by default: the config file and the state directory (docs/design.md, the Debian package).
export const DEFAULT_CONFIG_PATH = '/etc/zfailover/zfailover.yml';
export const DEFAULT_STATE_DIR = '/var/lib/zfailover';
