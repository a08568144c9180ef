export { main } from './main.js';
export * from './command.js';
export { commands, findCommand } from './commands/index.js';
export * from './util/args.js';
export * from './util/diagnostics.js';
export * from './util/files.js';
export { cliVersion } from './version.js';
