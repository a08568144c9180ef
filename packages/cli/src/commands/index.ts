import type { Command } from '../command.js';
import { checkCommand } from './check.js';
import { compileCommand } from './compile.js';
import { runCommand } from './run.js';
import { trainCommand } from './train.js';
import { inspectCommand } from './inspect.js';
import { evalCommand } from './eval.js';
import { fmtCommand } from './fmt.js';
import { createHelpCommand } from './help.js';

/**
 * The subcommands, in the order `cajal help` lists them. To add one, write
 * `commands/NAME.ts` exporting a `Command` and add one line here.
 */
export const commands: readonly Command[] = [
    checkCommand,
    evalCommand,
    compileCommand,
    runCommand,
    trainCommand,
    inspectCommand,
    fmtCommand,
    createHelpCommand(() => commands)
];

export function findCommand(name: string): Command | undefined {
    return commands.find(command => command.name === name);
}
