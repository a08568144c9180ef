import { CajalRuntimeError, ast, formatValue, type CajalServices } from '@cajal/language';
import type { LangiumDocument } from 'langium';
import { CliError, UsageError, type Command, type CommandIO } from '../command.js';
import { parseCommandArgs, MAX_TENSOR_OPTION, MAX_TENSOR_USAGE, maxTensorOption } from '../util/args.js';
import { diagnosticAtNode, diagnosticsJson, writeDiagnostics, type CliDiagnostic } from '../util/diagnostics.js';
import { displayPath, loadProgram, reportDiagnostics } from '../util/files.js';

const usage = `Usage: cajal eval FILE [--def NAME] [--json]

Checks FILE, then evaluates the definition \`main\` (or NAME) with the reference
interpreter and prints its value in Cajal syntax: true, 3, (false, true),
<function Bool -o Bool>. Ill-typed programs are refused with their diagnostics.

Options:
${MAX_TENSOR_USAGE}
  --def NAME   evaluate this definition instead of main
  --json       print {"def","type","value"} on stdout; on failure {"diagnostics":[…]}`;

export const evalCommand: Command = {
    name: 'eval',
    summary: 'evaluate a definition with the reference interpreter',
    usage,
    async run(args, io) {
        const { positionals, options } = parseCommandArgs(args, { ...MAX_TENSOR_OPTION, def: { type: 'string' }, json: { type: 'boolean' } }, usage);
        if (positionals.length !== 1) {
            throw new UsageError(positionals.length === 0 ? 'eval needs a file.' : 'eval takes exactly one file.', usage);
        }
        const json = options.json === true;
        const program = await loadProgram(positionals, io, maxTensorOption(options, usage));
        const fail = (diagnostics: readonly CliDiagnostic[]): number => {
            writeDiagnostics(io.stderr, diagnostics);
            if (json) io.stdout.write(diagnosticsJson(diagnostics));
            return 1;
        };
        if (reportDiagnostics(program, io, json)) return 1;
        const document = program.workspace.requested[0];
        const name = options.def ?? 'main';
        const definition = findDefinition(document, name, program.workspace.services, io);
        const services = program.workspace.services;
        let text: string;
        try {
            text = formatValue(services.interpreter.Interpreter.evaluateDefinition(definition));
        } catch (error) {
            if (error instanceof CajalRuntimeError) {
                return fail([diagnosticAtNode(error.node, 'runtime', error.message, io.cwd)]);
            }
            if (error instanceof RangeError && /call stack/i.test(error.message)) {
                return fail([diagnosticAtNode(definition, 'runtime', `Evaluating '${name}' nests too deeply for this thread's stack; split it into smaller definitions.`, io.cwd)]);
            }
            throw error;
        }
        const type = services.typing.TypeChecker.typeOf(definition).toString();
        io.stdout.write(json ? JSON.stringify({ def: name, type, value: text }) + '\n' : `${text}\n`);
        return 0;
    }
};

/** The definition to evaluate: one of the file's own, else one its imports bring in. */
function findDefinition(document: LangiumDocument, name: string, services: CajalServices, io: CommandIO): ast.Definition {
    const module = document.parseResult.value as ast.Module;
    const file = displayPath(document.uri.fsPath, io.cwd);
    const own = module.declarations.find(declaration => declaration.name === name);
    if (ast.isDefinition(own)) return own;
    if (ast.isExtern(own)) {
        throw new CliError(`'${name}' in ${file} is an extern (a learned network): it has no interpreter meaning. Use \`cajal run\` with trained weights, or evaluate a definition.`);
    }
    if (ast.isTraining(own)) {
        throw new CliError(`'${name}' in ${file} is a training declaration; use \`cajal train ${file} --train ${name}\`.`);
    }
    const imported = services.references.ScopeProvider.globalDescriptions(document)
        .find(description => description.name === name && description.node && ast.isDefinition(description.node));
    if (imported) return imported.node as ast.Definition;
    const available = module.declarations.filter(ast.isDefinition).map(definition => definition.name);
    const list = available.length > 0 ? `Available definitions: ${available.join(', ')}.` : 'It defines nothing to evaluate.';
    const hint = name === 'main' ? ' (choose one with --def NAME)' : '';
    throw new CliError(`${file} has no definition '${name}'${hint}. ${list}`);
}
