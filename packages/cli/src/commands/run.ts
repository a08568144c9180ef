import { ast, type CajalServices } from '@cajal/language';
import { CompileError, compileDefinition, type Program } from '@cajal/compiler';
import type { LangiumDocument } from 'langium';
import { CliError, UsageError, type Command, type CommandIO } from '../command.js';
import { parseCommandArgs, MAX_TENSOR_OPTION, MAX_TENSOR_USAGE, maxTensorOption } from '../util/args.js';
import { diagnosticAtNode, diagnosticsJson, writeDiagnostics } from '../util/diagnostics.js';
import { displayPath, loadProgram, reportDiagnostics } from '../util/files.js';

const usage = `Usage: cajal run FILE [--def NAME] [--weights DIR] [--backend auto|wasm|cpu] [--json]

Checks FILE, compiles the definition \`main\` (or NAME) to tensors and runs it on
TensorFlow.js. Prints the result tensor, its decoding (e.g. \`true (p = 1.00)\`) and
the backend used. A definition of function type prints its matrix.

Options:
${MAX_TENSOR_USAGE}
  --def NAME        run this definition instead of main
  --weights DIR     link the externs' trained networks saved by \`cajal train\` in DIR
  --backend B       auto (default: WASM, else CPU), wasm or cpu
  --json            print {"def","type","backend","shape","data","decoded","probability"}`;

export const runCommand: Command = {
    name: 'run',
    summary: 'compile a definition and run it on TensorFlow.js',
    usage,
    async run(args, io) {
        const { positionals, options } = parseCommandArgs(args, {
            ...MAX_TENSOR_OPTION,
            def: { type: 'string' }, weights: { type: 'string' }, backend: { type: 'string' }, json: { type: 'boolean' }
        }, usage);
        if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'run needs a file.' : 'run takes exactly one file.', usage);
        const backendChoice = options.backend ?? 'auto';
        if (backendChoice !== 'auto' && backendChoice !== 'wasm' && backendChoice !== 'cpu') {
            throw new UsageError(`--backend must be auto, wasm or cpu, not '${backendChoice}'.`, usage);
        }
        const json = options.json === true;
        const loaded = await loadProgram(positionals, io, maxTensorOption(options, usage));
        if (reportDiagnostics(loaded, io, json)) return 1;
        const document = loaded.workspace.requested[0];
        const services = loaded.workspace.services;
        const name = options.def ?? 'main';
        const definition = findDefinition(document, name, services, io);
        let program: Program;
        try {
            const compiled = compileDefinition(definition, services, { uncurry: false });
            program = compiled.program;
            writeDiagnostics(io.stderr, compiled.warnings.map(w => diagnosticAtNode(w.node, w.code, w.message, io.cwd, 'warning')));
        } catch (error) {
            if (error instanceof CompileError) {
                const diagnostic = diagnosticAtNode(error.node ?? definition, 'compile', error.message, io.cwd);
                writeDiagnostics(io.stderr, [diagnostic]);
                if (json) io.stdout.write(diagnosticsJson([diagnostic]));
                return 1;
            }
            throw error;
        }
        const runtime = await import('@cajal/runtime');
        // Before any tensor exists (loading weights makes some), so they live on the chosen backend.
        const backend = await runtime.initBackend(backendChoice);
        let networks = {};
        if (options.weights) {
            const train = await import('@cajal/train');
            try {
                networks = await train.loadLinkedNetworks(options.weights);
            } catch (error) {
                throw new CliError(`cannot load weights from '${options.weights}': ${error instanceof Error ? error.message : String(error)}`);
            }
        }
        const missing = runtime.missingNetworks(program.externs.map(e => e.name), networks);
        if (missing) {
            const names = missing.missing.map(n => `'${n}'`).join(', ');
            throw new CliError(`'${name}' calls the extern${missing.missing.length === 1 ? '' : 's'} ${names} (learned network${missing.missing.length === 1 ? '' : 's'}) with no implementation: `
                + (options.weights ? `${options.weights} has no trained network for ${missing.missing.length === 1 ? 'it' : 'them'}.` : 'train with `cajal train` and pass --weights DIR.'));
        }
        const tf = await import('@tensorflow/tfjs');
        const result = runtime.runProgram(program, [], networks);
        const data = Array.from(await result.data());
        tf.dispose(result);
        const decoded = runtime.decodeVector(program.output, data);
        const shape = program.outputShape;
        if (json) {
            io.stdout.write(JSON.stringify({
                def: name, type: program.typeText, backend: backend.backend, shape, data, decoded: decoded.text, probability: decoded.probability
            }) + '\n');
            return 0;
        }
        io.stdout.write(`${name} : ${program.typeText}\n`);
        io.stdout.write(`tensor [${shape.join(', ')}]: ${formatTensor(data, shape)}\n`);
        io.stdout.write(`${decoded.text}${decoded.probability === null ? '' : ` (p = ${decoded.probability.toFixed(2)})`}\n`);
        io.stdout.write(`backend: ${backend.backend} (${backend.reason})\n`);
        return 0;
    }
};

const MAX_PRINTED = 400;

/** Nested brackets for small tensors, a flat prefix for big ones. */
function formatTensor(data: readonly number[], shape: readonly number[]): string {
    const format = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(4));
    if (data.length > MAX_PRINTED) return `[${data.slice(0, 20).map(format).join(', ')}, … (${data.length} entries)]`;
    if (shape.length === 2) {
        const [rows, cols] = shape;
        return `[${Array.from({ length: rows }, (_, r) => `[${data.slice(r * cols, (r + 1) * cols).map(format).join(', ')}]`).join(', ')}]`;
    }
    return `[${data.map(format).join(', ')}]`;
}

function findDefinition(document: LangiumDocument, name: string, services: CajalServices, io: CommandIO): ast.Definition {
    const module = document.parseResult.value as ast.Module;
    const file = displayPath(document.uri.fsPath, io.cwd);
    const own = module.declarations.find(declaration => declaration.name === name);
    if (ast.isDefinition(own)) return own;
    if (ast.isExtern(own)) throw new CliError(`'${name}' in ${file} is an extern (a learned network), not a definition; run a definition that uses it.`);
    if (ast.isTraining(own)) throw new CliError(`'${name}' in ${file} is a training declaration; use \`cajal train ${file} --train ${name}\`.`);
    const imported = services.references.ScopeProvider.globalDescriptions(document)
        .find(description => description.name === name && description.node && ast.isDefinition(description.node));
    if (imported) return imported.node as ast.Definition;
    const available = module.declarations.filter(ast.isDefinition).map(definition => definition.name);
    throw new CliError(`${file} has no definition '${name}'${name === 'main' ? ' (choose one with --def NAME)' : ''}. `
        + (available.length > 0 ? `Available definitions: ${available.join(', ')}.` : 'It defines nothing to run.'));
}
