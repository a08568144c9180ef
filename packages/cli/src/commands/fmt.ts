import { writeFileAtomic } from '@cajal/compiler';
import { CajalFormatError, formatCajalText } from '@cajal/language/format';
import { UsageError, type Command } from '../command.js';
import { parseCommandArgs } from '../util/args.js';
import { displayPath, readInputFile, resolveInputFiles } from '../util/files.js';

const usage = `Usage: cajal fmt FILE… [--check | --write]

Formats Cajal files (comments are kept). Without options, prints the formatted text.

Options:
  --check   print the files that are not formatted; exit code 1 if there are any
  --write   rewrite the files in place`;

export const fmtCommand: Command = {
    name: 'fmt',
    summary: 'format Cajal files',
    usage,
    async run(args, io) {
        const { positionals, options } = parseCommandArgs(args, { check: { type: 'boolean' }, write: { type: 'boolean' } }, usage);
        if (positionals.length === 0) throw new UsageError('fmt needs at least one file.', usage);
        if (options.check && options.write) throw new UsageError('give either --check or --write, not both.', usage);
        const files = resolveInputFiles(positionals, io.cwd);
        let unformatted = 0;
        let failed = 0;
        for (const file of files) {
            const shown = displayPath(file, io.cwd);
            const text = readInputFile(file, io.cwd);
            let formatted: string;
            try {
                formatted = formatCajalText(text);
            } catch (error) {
                // The formatter refuses text that does not parse (its layout would be a guess).
                if (!(error instanceof CajalFormatError)) throw error;
                const message = error.message.replace(/^\d+:\d+: /, '');
                io.stderr.write(`${shown}:${error.line}:${error.column}: error[parse]: ${message}\n`);
                failed++;
                continue;
            }
            if (options.check) {
                if (formatted !== text) {
                    io.stdout.write(`${shown}\n`);
                    unformatted++;
                }
            } else if (options.write) {
                if (formatted !== text) {
                    // Beside the file and renamed: an interruption never leaves half a file.
                    writeFileAtomic(file, formatted);
                }
            } else {
                io.stdout.write(formatted);
            }
        }
        if (options.check && unformatted > 0) {
            io.stderr.write(`${unformatted} file${unformatted === 1 ? ' is' : 's are'} not formatted; run cajal fmt --write.\n`);
        }
        return failed > 0 || unformatted > 0 ? 1 : 0;
    }
};
