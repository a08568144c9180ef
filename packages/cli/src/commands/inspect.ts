import * as fs from 'node:fs';
import * as path from 'node:path';
import { ast, basisLabels, declaredType, dim, product, uncurry, type CajalServices, type CajalType } from '@cajal/language';
import {
    columnArgmax, compileGeneratedDefinition, definitionMatrix, generateNearestProgram, matrixDistance, oneHotMatrix, tabulationProblem,
    type FunctionMatrix, type MatrixDistance
} from '@cajal/compiler';
import type { LangiumDocument } from 'langium';
import { CliError, UsageError, type Command, type Writer } from '../command.js';
import { parseCommandArgs, MAX_TENSOR_OPTION, MAX_TENSOR_USAGE, maxTensorOption } from '../util/args.js';
import { displayPath, loadProgram, reportDiagnostics } from '../util/files.js';

const usage = `Usage: cajal inspect FILE --extern NAME [--weights DIR] [--compare DEF] [--json]

Shows the learned neuron of a trained extern over discrete inputs (Bool, Nat[k] and
pairs of them): its matrix, computed by running the trained network on every basis
input (one column per input, one row per output), and, for a discrete result, the
nearest Cajal program, which takes the most likely output of each column. That program
is printed as Cajal source, checked and compiled back to its matrix before it is shown.

Options:
${MAX_TENSOR_USAGE}
  --extern NAME   the extern to inspect
  --weights DIR   the weights saved by cajal train (default: FILE.weights/TRAIN of the
                  train block whose weights hold NAME)
  --compare DEF   also give the distance to the compiled definition DEF (same inputs and
                  result, curried or as a pair)
  --json          print {"extern","type","weights","epoch","shape","rows","columns","matrix",
                  "nearest":{"name","source","table","distance"},"compare":{"def","type","distance","equalsNearest"}}`;

/** Matrices up to this many columns are printed; larger ones only with --json. */
const MAX_PRINTED_COLUMNS = 16;
const MAX_PRINTED_ROWS = 32;

export const inspectCommand: Command = {
    name: 'inspect',
    summary: 'show a trained extern\'s learned neuron and the nearest Cajal program',
    usage,
    async run(args, io) {
        const { positionals, options } = parseCommandArgs(args, {
            ...MAX_TENSOR_OPTION,
            extern: { type: 'string' }, weights: { type: 'string' }, compare: { type: 'string' }, json: { type: 'boolean' }
        }, usage);
        if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'inspect needs a file.' : 'inspect takes exactly one file.', usage);
        if (!options.extern) throw new UsageError('inspect needs --extern NAME.', usage);
        const json = options.json === true;
        const loaded = await loadProgram(positionals, io, maxTensorOption(options, usage));
        if (reportDiagnostics(loaded, io, json)) return 1;
        const document = loaded.workspace.requested[0];
        const services = loaded.workspace.services;
        const file = displayPath(document.uri.fsPath, io.cwd);
        const module = document.parseResult.value as ast.Module;

        const { extern, params, result } = inspectedExtern(module, options.extern, services, file);
        const compared = options.compare === undefined ? undefined : findComparedDefinition(document, options.compare, services, file);
        const trained = await learnedNeuron(extern, params, result, options.weights, document.uri.fsPath, module, file, io.cwd);
        const { learned } = trained;
        const nearest = tabulationProblem(params, result, 'program') === undefined
            ? await nearestProgram(`${extern.name}Nearest`, params, result, learned, services)
            : undefined;
        const comparison = compared && compareWith(compared, learned, nearest?.matrix, services);

        const rows = basisLabels(result);
        const columns = basisLabels(params.reduceRight<CajalType | undefined>((rest, param) => rest ? product(param, rest) : param, undefined)!);
        if (json) {
            io.stdout.write(JSON.stringify({
                extern: extern.name, type: trained.type, architecture: trained.architecture,
                weights: trained.weights, epoch: trained.epoch,
                shape: [learned.rows, learned.columns], rows, columns, matrix: learned.data,
                nearest: nearest ? { name: nearest.name, source: nearest.source, table: nearest.table.map(i => rows[i]), distance: nearest.distance } : null,
                compare: comparison ? { def: comparison.name, type: comparison.type, distance: comparison.distance, equalsNearest: comparison.equalsNearest } : null
            }) + '\n');
            return 0;
        }
        const out = io.stdout;
        out.write(`${extern.name} : ${trained.type} = ${trained.architecture}, trained ${trained.epoch} epoch${trained.epoch === 1 ? '' : 's'} (${displayPath(trained.weights, io.cwd)})\n\n`);
        out.write(`learned matrix [${learned.rows}, ${learned.columns}] (rows: outputs, columns: inputs):\n`);
        writeMatrix(out, learned, rows, columns);
        if (nearest) {
            out.write(`\nnearest program (the most likely output of each column), ${describeDistance(nearest.distance)} from the learned matrix:\n\n${nearest.source}`);
        } else {
            out.write(`\nno nearest program: ${tabulationProblem(params, result, 'program')}.\n`);
        }
        if (comparison) {
            out.write(`\ncompared with ${comparison.name} : ${comparison.type}: ${describeDistance(comparison.distance)}`
                + (comparison.equalsNearest === undefined ? '' : comparison.equalsNearest ? `; the nearest program computes ${comparison.name}` : `; the nearest program differs from ${comparison.name}`) + '.\n');
        }
        return 0;
    }
};

/** The extern to inspect, uncurried, refused where it has no learned matrix or one above the tensor limit. */
function inspectedExtern(module: ast.Module, name: string, services: CajalServices, file: string): { extern: ast.Extern; params: CajalType[]; result: CajalType } {
    const extern = findExtern(module, name, file);
    const { params, result } = uncurry(declaredType(extern));
    const problem = tabulationProblem(params, result, 'matrix');
    if (problem) throw new CliError(`${file}: the extern '${extern.name}' has no learned matrix to inspect: ${problem}.`);
    // One input row per basis input and one output column each: bounded like every tensor (--max-tensor).
    const entries = params.reduce((n, param) => n * dim(param), 1) * Math.max(dim(result), params.reduce((n, param) => n + dim(param), 0));
    const limit = services.typing.TensorSizes.maxEntries;
    if (entries > limit) {
        throw new CliError(`${file}: the learned matrix of '${extern.name}' needs ${entries.toLocaleString('en-US')} entries, above the limit of ${limit.toLocaleString('en-US')} (--max-tensor).`);
    }
    return { extern, params, result };
}

/** The trained network of an extern, from its weights folder, and its matrix over the basis inputs. */
interface LearnedNeuron {
    readonly weights: string;
    readonly epoch: number;
    readonly architecture: string;
    /** The extern's declared type, which the weights were trained for. */
    readonly type: string;
    readonly learned: FunctionMatrix;
}

async function learnedNeuron(
    extern: ast.Extern, params: CajalType[], result: CajalType, weightsOption: string | undefined,
    sourceFile: string, module: ast.Module, file: string, cwd: string
): Promise<LearnedNeuron> {
    // Loaded here, not at the top: @cajal/train loads tfjs (docs/cli.md, "Start-up").
    const train = await import('@cajal/train');
    // The CPU backend: a few dozen basis inputs, not worth starting WASM for.
    await (await import('@cajal/runtime')).initBackend('cpu');
    const weights = weightsOption !== undefined
        ? path.resolve(cwd, weightsOption)
        : defaultWeightsFor(train, sourceFile, module, extern.name, file);
    let manifest;
    let networks;
    try {
        manifest = train.readManifest(weights);
        networks = await train.loadNetworks(weights);
    } catch (error) {
        throw new CliError(`cannot load weights from '${displayPath(weights, cwd)}': ${error instanceof Error ? error.message : String(error)}`);
    }
    const network = networks.get(extern.name);
    if (!network) throw new CliError(`${displayPath(weights, cwd)} has no trained network for '${extern.name}' (it has ${Object.keys(manifest.externs).join(', ') || 'none'}).`);
    const declared = declaredType(extern).toString();
    if (network.manifest.type !== declared) {
        throw new CliError(`the weights in ${displayPath(weights, cwd)} were trained for '${extern.name} : ${network.manifest.type}', but ${file} declares '${extern.name} : ${declared}'; train again.`);
    }
    const learned = train.learnedMatrix(network, params, result);
    for (const loadedNetwork of networks.values()) loadedNetwork.model.dispose();
    return { weights, epoch: manifest.epoch, architecture: network.manifest.architecture, type: declared, learned };
}

interface NearestProgram {
    readonly name: string;
    readonly source: string;
    /** The output chosen for each basis input (a row index). */
    readonly table: number[];
    readonly matrix: FunctionMatrix;
    readonly distance: MatrixDistance;
}

async function nearestProgram(name: string, params: CajalType[], result: CajalType, learned: FunctionMatrix, services: CajalServices): Promise<NearestProgram> {
    const table = columnArgmax(learned);
    const source = generateNearestProgram(name, params, result, table);
    const matrix = oneHotMatrix(table, learned.rows);
    // The printed program must mean what it claims: check it and compile it back.
    const compiled = await compileGeneratedDefinition(source, name, services);
    if (JSON.stringify(compiled) !== JSON.stringify(matrix)) throw new Error(`the nearest program of '${name}' does not compile to its table:\n${source}`);
    return { name, source, table, matrix, distance: matrixDistance(learned, matrix) };
}

function compareWith(definition: ast.Definition, learned: FunctionMatrix, nearest: FunctionMatrix | undefined, services: CajalServices) {
    let compiled: ReturnType<typeof definitionMatrix>;
    try {
        compiled = definitionMatrix(definition, services);
    } catch (error) {
        throw new CliError(`cannot compare with '${definition.name}': ${(error as Error).message}.`);
    }
    const type = services.typing.TypeChecker.typeOf(definition).toString();
    if (compiled.matrix.rows !== learned.rows || compiled.matrix.columns !== learned.columns) {
        throw new CliError(`cannot compare with '${definition.name} : ${type}': its matrix is [${compiled.matrix.rows}, ${compiled.matrix.columns}], the learned one [${learned.rows}, ${learned.columns}].`);
    }
    return {
        name: definition.name, type, distance: matrixDistance(learned, compiled.matrix),
        equalsNearest: nearest === undefined ? undefined : JSON.stringify(nearest.data) === JSON.stringify(compiled.matrix.data)
    };
}

function describeDistance(distance: MatrixDistance): string {
    return `max |Δ| ${distance.maxAbs.toFixed(4)}, ‖Δ‖ ${distance.frobenius.toFixed(4)}, same most likely output on ${distance.agreeing}/${distance.columns} inputs`;
}

function writeMatrix(out: Writer, matrix: FunctionMatrix, rows: string[], columns: string[]): void {
    if (matrix.columns > MAX_PRINTED_COLUMNS || matrix.rows > MAX_PRINTED_ROWS) {
        out.write(`  (too large to print here: --json has all ${matrix.rows * matrix.columns} entries)\n`);
        return;
    }
    const rowWidth = Math.max(...rows.map(r => r.length));
    const cells = (row: number) => Array.from({ length: matrix.columns }, (_, column) => matrix.data[row * matrix.columns + column].toFixed(4));
    const widths = columns.map((label, column) => Math.max(label.length, ...Array.from({ length: matrix.rows }, (_, row) => cells(row)[column].length)));
    out.write(`  ${' '.repeat(rowWidth)}  ${columns.map((label, i) => label.padStart(widths[i])).join('  ')}\n`);
    for (let row = 0; row < matrix.rows; row++) {
        out.write(`  ${rows[row].padEnd(rowWidth)}  ${cells(row).map((cell, i) => cell.padStart(widths[i])).join('  ')}\n`);
    }
}

function findExtern(module: ast.Module, name: string, file: string): ast.Extern {
    const declaration = module.declarations.find(d => d.name === name);
    if (ast.isExtern(declaration)) return declaration;
    const externs = module.declarations.filter(ast.isExtern).map(e => e.name);
    throw new CliError(`${file} has no extern '${name}'${declaration ? ` ('${name}' is ${ast.isDefinition(declaration) ? 'a definition' : 'a train block'})` : ''}. `
        + (externs.length > 0 ? `Its externs: ${externs.join(', ')}.` : 'It declares no externs.'));
}

function findComparedDefinition(document: LangiumDocument, name: string, services: CajalServices, file: string): ast.Definition {
    const module = document.parseResult.value as ast.Module;
    const own = module.declarations.find(d => d.name === name);
    if (ast.isDefinition(own)) return own;
    const imported = services.references.ScopeProvider.globalDescriptions(document)
        .find(description => description.name === name && description.node && ast.isDefinition(description.node));
    if (imported) return imported.node as ast.Definition;
    throw new CliError(`${file} has no definition '${name}' to compare with. Available definitions: ${module.declarations.filter(ast.isDefinition).map(d => d.name).join(', ') || 'none'}.`);
}

/** FILE.weights/TRAIN of the train blocks (in file order) whose saved weights hold the extern. */
function defaultWeightsFor(train: typeof import('@cajal/train'), sourceFile: string, module: ast.Module, externName: string, file: string): string {
    const blocks = module.declarations.filter(ast.isTraining).map(block => block.name);
    for (const block of blocks) {
        const directory = train.defaultWeightsDirectory(sourceFile, block);
        if (!fs.existsSync(path.join(directory, train.MANIFEST))) continue; // not trained yet
        try {
            if (externName in train.readManifest(directory).externs) return directory;
        } catch {
            // An unreadable manifest: try the next block (an explicit --weights reports it).
        }
    }
    throw new CliError(`no trained weights for '${externName}' beside ${file}: train first (cajal train ${file}${blocks.length > 1 ? ' --train NAME' : ''}) or give --weights DIR.`);
}
