/**
 * @cajal/cli — the `cajal` command line (check, fmt, eval, run, compile, train). Programs use
 * it through `main` with their own I/O; the commands' helpers stay internal.
 */

// Running the command line.
export { main } from './main.js';
export { cliVersion } from './version.js';

// Commands and their I/O (for embedding the CLI, e.g. in tests or the VS Code worker).
export { commands, findCommand } from './commands/index.js';
export { CliError, StringWriter, UsageError, processIO } from './command.js';
export type { Command, CommandIO, Writer } from './command.js';
