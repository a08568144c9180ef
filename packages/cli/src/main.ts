import { OutputWriteError } from '@cajal/compiler';
import { CliError, UsageError, processIO, type CommandIO } from './command.js';
import { commands, findCommand } from './commands/index.js';
import { overview } from './commands/help.js';
import { wantsHelp } from './util/args.js';
import { cliVersion } from './version.js';

/**
 * Runs `cajal ARGV…` and resolves to the exit code: 0 success, 1 the input has errors
 * (or a file cannot be read), 2 wrong usage. Never throws for bad input; an unexpected
 * failure is reported as an internal error (exit code 70) with its stack.
 */
export async function main(argv: string[], io: CommandIO = processIO()): Promise<number> {
    const [name, ...args] = argv;
    if (name === undefined || name === '--help' || name === '-h') {
        io.stdout.write(overview(commands));
        return name === undefined ? 2 : 0;
    }
    if (name === '--version' || name === '-V') {
        io.stdout.write(`${cliVersion()}\n`);
        return 0;
    }
    const command = findCommand(name);
    if (!command) {
        io.stderr.write(`cajal: unknown command '${name}'. Commands: ${commands.map(c => c.name).join(', ')}. See cajal --help.\n`);
        return 2;
    }
    if (command.name !== 'help' && wantsHelp(args)) {
        io.stdout.write(`${command.usage}\n`);
        return 0;
    }
    try {
        return await command.run(args, io);
    } catch (error) {
        if (error instanceof UsageError) {
            io.stderr.write(`cajal ${command.name}: ${error.message}\n${error.usage ? `\n${error.usage}\n` : ''}`);
            return error.exitCode;
        }
        if (error instanceof CliError) {
            io.stderr.write(`cajal ${command.name}: ${error.message}\n`);
            return error.exitCode;
        }
        if (error instanceof OutputWriteError) {
            // A full disk, a folder without write permission, a read-only file system: the
            // user's situation, one line (writeFileAtomic left nothing partial).
            io.stderr.write(`cajal ${command.name}: ${error.message}.\n`);
            return 1;
        }
        if (error instanceof RangeError && /allocation failed|Invalid typed array length|Invalid array length/.test(error.message)) {
            // Only reachable with --max-tensor raised above what this machine's memory holds.
            io.stderr.write(`cajal ${command.name}: out of memory: a tensor could not be allocated (${error.message}). ` +
                'Lower --max-tensor to find the definitions that need such tensors, or run with more memory.\n');
            return 1;
        }
        const detail = error instanceof Error ? error.stack ?? error.message : String(error);
        io.stderr.write(`cajal ${command.name}: internal error (please report it): ${detail}\n`);
        return 70;
    }
}
