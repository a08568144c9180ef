import { CliError, type Command } from '../command.js';
import { cliVersion } from '../version.js';

const usage = `Usage: cajal help [COMMAND]

Lists the commands, or prints the usage of one.`;

/** The overview printed by `cajal`, `cajal help` and `cajal --help`. */
export function overview(commands: readonly Command[]): string {
    const width = Math.max(...commands.map(command => command.name.length));
    const lines = commands.map(command => `  ${command.name.padEnd(width)}  ${command.summary}`);
    return `cajal ${cliVersion()} — tools for Cajal, a typed linear language that compiles to neurons

Usage: cajal COMMAND [ARGUMENTS…]

Commands:
${lines.join('\n')}

Run \`cajal help COMMAND\` or \`cajal COMMAND --help\` for a command's options.
Other options: --help, --version.
`;
}

/** `cajal help`, listing the commands that `table` returns when it runs. */
export function createHelpCommand(table: () => readonly Command[]): Command {
    return {
        name: 'help',
        summary: 'list the commands, or show the usage of one',
        usage,
        async run(args, io) {
            const commands = table();
            if (args.length === 0) {
                io.stdout.write(overview(commands));
                return 0;
            }
            const command = commands.find(candidate => candidate.name === args[0]);
            if (!command) {
                throw new CliError(`unknown command '${args[0]}'. Commands: ${commands.map(c => c.name).join(', ')}.`, 2);
            }
            io.stdout.write(`${command.usage}\n`);
            return 0;
        }
    };
}
