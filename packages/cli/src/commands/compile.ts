import * as path from 'node:path';
import { ast, type CajalServices } from '@cajal/language';
import { compileDocumentToTfjs, compileDocumentToTorch, encodeNpy, writeFileAtomic, CompileError, NeuronCompiler, type Neuron } from '@cajal/compiler';
import type { LangiumDocument } from 'langium';
import { CliError, UsageError, type Command, type CommandIO } from '../command.js';
import { parseCommandArgs, MAX_TENSOR_OPTION, MAX_TENSOR_USAGE, maxTensorOption } from '../util/args.js';
import { diagnosticAtNode, diagnosticsJson, writeDiagnostics } from '../util/diagnostics.js';
import { displayPath, loadProgram, reportDiagnostics } from '../util/files.js';

const usage = `Usage: cajal compile FILE --emit tfjs|torch|weights [-o DIR] [--json]

Checks FILE, then compiles its definitions to linear and recurrent neurons.
Ill-typed programs are refused with their diagnostics and nothing is written.

  --emit tfjs      write NAME.js, an ES module for @tensorflow/tfjs (one function per
                   definition over batched tf.Tensors, networks for externs as the last
                   argument, plus metadata), and its NAME.d.ts
  --emit torch     write NAME.py, a Python module for PyTorch 1.13/2.x importing only torch
                   (one torch.nn.Module per definition over batched tensors, constant
                   neurons as buffers, build_networks() for the declared externs, encode
                   and decode, metadata)
  --emit weights   write each closed definition's tensor as NAME.json (type, shape,
                   data, row and column labels) and NAME.npy (float32, for NumPy/PyTorch)

Options:
${MAX_TENSOR_USAGE}
  -o, --out DIR    output directory (default: beside FILE for tfjs and torch, FILE-weights/ for weights)
  --json           also print {"definitions":{NAME:{"type","shape","data","rows","cols"}}}
                   (weights) or {"files":[…]} (tfjs, torch) on stdout`;


export const compileCommand: Command = {
    name: 'compile',
    summary: 'compile to TensorFlow.js or PyTorch code, or weight files (JSON and .npy)',
    usage,
    async run(args, io) {
        const { positionals, options } = parseCommandArgs(args, {
            ...MAX_TENSOR_OPTION,
            emit: { type: 'string' }, out: { type: 'string', short: 'o' }, json: { type: 'boolean' }
        }, usage);
        if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'compile needs a file.' : 'compile takes exactly one file.', usage);
        const emit = options.emit;
        if (emit !== 'tfjs' && emit !== 'torch' && emit !== 'weights') {
            throw new UsageError(emit === undefined ? 'compile needs --emit tfjs, --emit torch or --emit weights.' : `--emit must be tfjs, torch or weights, not '${emit}'.`, usage);
        }
        const json = options.json === true;
        const program = await loadProgram(positionals, io, maxTensorOption(options, usage));
        if (reportDiagnostics(program, io, json)) return 1;
        const document = program.workspace.requested[0];
        const services = program.workspace.services;
        const source = document.uri.fsPath;
        const base = path.basename(source).replace(/\.cajal$/, '');
        try {
            if (emit === 'tfjs') {
                const directory = path.resolve(io.cwd, options.out ?? path.dirname(source));
                return emitTfjs(document, services, directory, base, json, io);
            }
            if (emit === 'torch') {
                const directory = path.resolve(io.cwd, options.out ?? path.dirname(source));
                return emitTorch(document, services, directory, base, json, io);
            }
            const directory = path.resolve(io.cwd, options.out ?? path.join(path.dirname(source), `${base}-weights`));
            return emitWeights(document, services, directory, json, io);
        } catch (error) {
            if (error instanceof CompileError) {
                const diagnostic = error.node
                    ? diagnosticAtNode(error.node, 'compile', error.message, io.cwd)
                    : undefined;
                if (diagnostic) {
                    writeDiagnostics(io.stderr, [diagnostic]);
                    if (json) io.stdout.write(diagnosticsJson([diagnostic]));
                    return 1;
                }
                throw new CliError(error.message);
            }
            throw error;
        }
    }
};

function emitTfjs(document: LangiumDocument, services: CajalServices, directory: string, base: string, json: boolean, io: CommandIO): number {
    const module = compileDocumentToTfjs(document, services, { source: path.basename(document.uri.fsPath) });
    const files = [path.join(directory, `${base}.js`), path.join(directory, `${base}.d.ts`)];
    writeFileAtomic(files[0], module.js);
    writeFileAtomic(files[1], module.dts);
    const shown = files.map(file => displayPath(file, io.cwd));
    if (json) {
        io.stdout.write(JSON.stringify({
            files: shown,
            definitions: Object.fromEntries(module.programs.map(p => [p.name, { type: p.typeText, inputs: p.inputs.map(i => i.name), outputShape: p.outputShape, externs: p.externs.map(e => e.name) }]))
        }) + '\n');
    } else {
        io.stdout.write(`Wrote ${shown.join(' and ')} (${module.programs.length} definition${module.programs.length === 1 ? '' : 's'}).\n`);
    }
    return 0;
}

function emitTorch(document: LangiumDocument, services: CajalServices, directory: string, base: string, json: boolean, io: CommandIO): number {
    const module = compileDocumentToTorch(document, services, { source: path.basename(document.uri.fsPath) });
    // A Python module name cannot contain '-' or '.'.
    const file = path.join(directory, `${base.replace(/[^A-Za-z0-9_]/g, '_')}.py`);
    writeFileAtomic(file, module.python);
    const shown = displayPath(file, io.cwd);
    if (json) {
        io.stdout.write(JSON.stringify({
            files: [shown],
            definitions: Object.fromEntries(module.programs.map(p => [p.name, { type: p.typeText, inputs: p.inputs.map(i => i.name), outputShape: p.outputShape, externs: p.externs.map(e => e.name) }]))
        }) + '\n');
    } else {
        io.stdout.write(`Wrote ${shown} (${module.programs.length} definition${module.programs.length === 1 ? '' : 's'}).\n`);
    }
    return 0;
}

function emitWeights(document: LangiumDocument, services: CajalServices, directory: string, json: boolean, io: CommandIO): number {
    const definitions = (document.parseResult.value as ast.Module).declarations.filter(ast.isDefinition);
    // The limit checking used (--max-tensor): every definition that passed it is written.
    const compiler = new NeuronCompiler(services, { maxEntries: services.typing.TensorSizes.maxEntries, maxLabels: Number.MAX_SAFE_INTEGER });
    const neurons: Neuron[] = [];
    for (const definition of definitions) {
        const neuron = compiler.neuronOf(definition);
        if (neuron.data === null) {
            io.stderr.write(`note: '${definition.name}' is not written: ${neuron.note}.\n`);
            continue;
        }
        neurons.push(neuron);
    }
    for (const neuron of neurons) {
        const { name, type, shape, data, rows, cols } = neuron;
        writeFileAtomic(path.join(directory, `${name}.json`), JSON.stringify({ name, type, shape, data, rows, cols }) + '\n');
        writeFileAtomic(path.join(directory, `${name}.npy`), encodeNpy(data!, shape));
    }
    if (json) {
        io.stdout.write(JSON.stringify({
            definitions: Object.fromEntries(neurons.map(n => [n.name, { type: n.type, shape: n.shape, data: n.data, rows: n.rows, cols: n.cols }]))
        }) + '\n');
    } else {
        for (const n of neurons) io.stdout.write(`${n.name} : ${n.type}  [${n.shape.join(', ')}], ${n.weights} weight${n.weights === 1 ? '' : 's'}\n`);
        io.stdout.write(`Wrote ${neurons.length} neuron${neurons.length === 1 ? '' : 's'} to ${displayPath(directory, io.cwd)} (.json and .npy).\n`);
    }
    return 0;
}
