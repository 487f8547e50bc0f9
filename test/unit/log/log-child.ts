// Child process for the logging test: logs one line with --verbose semantics, so stderr can be inspected.
import { createLogger } from '../../../src/log.js';

const log = await createLogger({ level: 'info', verbose: true });
log.info({ job: 'data', smtp: { auth: { user: 'ops', pass: 'hunter2' } } }, 'verbose line');
log.debug('not at info');
