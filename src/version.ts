// The package version, in a module of its own so the start-up path (config cache) can read it without commander.
export const VERSION = '0.1.0';
