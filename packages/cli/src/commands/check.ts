import { UsageError, type Command } from '../command.js';
import { parseCommandArgs, MAX_TENSOR_OPTION, MAX_TENSOR_USAGE, maxTensorOption } from '../util/args.js';
import { diagnosticsJson, summarize, writeDiagnostics } from '../util/diagnostics.js';
import { loadProgram } from '../util/files.js';

const usage = `Usage: cajal check FILE… [--json]

Parses, type-checks and linearity-checks the files and the modules they import.
Prints one line per problem, file:line:col: severity[code]: message, with related
locations indented below it. Exit code 1 if there is any error, else 0.

Options:
${MAX_TENSOR_USAGE}
  --json    print {"diagnostics":[…]} on stdout instead (1-based lines and columns)`;

export const checkCommand: Command = {
    name: 'check',
    summary: 'type- and linearity-check Cajal files',
    usage,
    async run(args, io) {
        const { positionals, options } = parseCommandArgs(args, { ...MAX_TENSOR_OPTION, json: { type: 'boolean' } }, usage);
        if (positionals.length === 0) {
            throw new UsageError('check needs at least one file.', usage);
        }
        const program = await loadProgram(positionals, io, maxTensorOption(options, usage));
        if (options.json) {
            io.stdout.write(diagnosticsJson(program.diagnostics));
        } else {
            writeDiagnostics(io.stdout, program.diagnostics);
            const files = program.workspace.documents.length;
            const summary = summarize(program.diagnostics);
            io.stderr.write(`${summary === '' ? 'No problems' : summary} in ${files} file${files === 1 ? '' : 's'}.\n`);
        }
        return program.hasErrors ? 1 : 0;
    }
};
