/**
 * A `train` block made ready to train, by either engine: the block found, its settings with
 * the command line's overrides, its data loaded, the model and target compiled, the extern
 * networks built and the targets computed.
 */
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import {
    ast, dim, externsUsed, isDiscrete, trainingSettings, type CajalServices, type CajalType, type LossName, type TrainingSettings
} from '@cajal/language';
import { CompileError, TermCompiler, type CompileWarning, type Program } from '@cajal/compiler';
import { initBackend, releaseProgram } from '@cajal/runtime';
import { programOnExamples, runOnBatch } from './batches.js';
import { loadData, type DataRequest, type ExampleSet, type LoadedData } from './data.js';
import { buildExternNetwork, type ExternNetwork } from './networks.js';
import { deriveSeed } from './random.js';
import { TrainingError, type TrainOptions, type TrainOverrides } from './trainer.js';
import { ensureConv2dGradientsOnWasm } from './wasm-conv.js';
import { linkNetworks } from './weights.js';

/** A train block made ready: data loaded, networks built, targets computed. */
export interface PreparedTraining {
    readonly name: string;
    /** The train block (for locations in messages). */
    readonly training: ast.Training;
    readonly settings: TrainingSettings & { loss: LossName };
    readonly data: LoadedData;
    readonly networks: Map<string, ExternNetwork>;
    readonly modelType: CajalType;
    readonly discrete: boolean;
    readonly fields: ReadonlyArray<ast.Binder>;
    /** The compiled model and target (@cajal/compiler programs over the data fields, in `fields` order). */
    readonly modelProgram: Program;
    readonly targetProgram: Program;
    /** What the compiled model or target computes differently from the interpreter (TermCompiler.warnings). */
    readonly warnings: readonly CompileWarning[];
    /** The model's prediction [batch, dim] for a batch of field tensors: the compiled model run with the networks. */
    predict(fields: ReadonlyMap<ast.Binder, tf.Tensor>, batch: number): tf.Tensor;
    readonly trainTargets: tf.Tensor;
    readonly testTargets: tf.Tensor;
    dispose(): void;
}

/** Loads data, builds networks and computes targets for a train block (which must have no errors). */
export async function prepareTraining(training: ast.Training, services: CajalServices, options: TrainOptions = {}): Promise<PreparedTraining> {
    // Before any tensor exists, so models are built on the backend that will train them.
    const choice = await initBackend(options.backend ?? 'auto');
    if (choice.backend === 'wasm') ensureConv2dGradientsOnWasm();
    const dataOption = training.options.find(ast.isDataOption);
    const model = training.options.find(ast.isModelOption)?.term;
    const target = training.options.find(ast.isTargetOption)?.term;
    if (!dataOption || !model || !target) throw new TrainingError(`train ${training.name} needs data, model and target.`);
    const modelType = services.typing.TypeChecker.typeOf(model);
    const discrete = isDiscrete(modelType);
    const settings = resolvedSettings(training, discrete, options);
    const fields = dataOption.groups.flatMap(group => group.fields);
    const data = loadTrainingData(training, dataOption, services, settings, options.limit);
    settings.examples = data.train.size;
    settings.test = data.test.size;

    // The model and target run as the compiler's programs, exactly what `cajal run` and
    // generated modules compute; the data fields are the programs' inputs.
    const { modelProgram, targetProgram, warnings } = compileModelAndTarget(training, model, target, fields, services);

    const externs = [...new Set([...externsUsed(model), ...externsUsed(target)])];
    const networks = new Map<string, ExternNetwork>();
    for (const extern of externs) networks.set(extern.name, buildExternNetwork(extern, deriveSeed(settings.seed, 'init')));
    const linked = linkNetworks(networks.values());
    const run = (program: Program, tensors: ReadonlyMap<ast.Binder, tf.Tensor>, batch: number): tf.Tensor =>
        runOnBatch(program, fields.map(field => tensors.get(field)!), linked, batch);

    const computeTargets = (set: ExampleSet): tf.Tensor => programOnExamples(targetProgram, set, fields, linked, dim(modelType)).values;
    const trainTargets = computeTargets(data.train);
    const testTargets = computeTargets(data.test);

    return {
        name: training.name, training, settings, data, networks, modelType, discrete, fields, modelProgram, targetProgram,
        warnings,
        predict: (tensors, batch) => run(modelProgram, tensors, batch),
        trainTargets, testTargets,
        dispose: () => {
            tf.dispose([trainTargets, testTargets]);
            releaseProgram(modelProgram);
            releaseProgram(targetProgram);
            for (const network of networks.values()) network.model.dispose();
        }
    };
}

/** The block's settings with the command line's overrides; the loss defaults by the model's type. */
function resolvedSettings(training: ast.Training, discrete: boolean, options: TrainOverrides): TrainingSettings & { loss: LossName } {
    const base = trainingSettings(training);
    return {
        ...base,
        loss: base.loss ?? (discrete ? 'cross_entropy' : 'l2'),
        ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        ...(options.batch !== undefined ? { batch: options.batch } : {}),
        ...(options.lr !== undefined ? { lr: options.lr } : {}),
        ...(options.examples !== undefined ? { examples: options.examples } : {}),
        ...(options.test !== undefined ? { test: options.test } : {})
    } as TrainingSettings & { loss: LossName };
}

/** The block's data, read relative to its source file, at most `limit` training and test examples. */
function loadTrainingData(
    training: ast.Training, dataOption: ast.DataOption, services: CajalServices, settings: TrainingSettings, limit: number | undefined
): LoadedData {
    const document = training.$document ?? (training.$container as ast.Module).$document;
    const baseDirectory = document ? path.dirname(document.uri.fsPath) : process.cwd();
    const request: DataRequest = {
        source: dataOption.source, file: dataOption.file, baseDirectory,
        groups: dataOption.groups.map(group => group.fields.map(field => ({ name: field.name, type: services.typing.TypeChecker.typeOf(field) })))
    };
    let examples = settings.examples;
    let test = settings.test;
    if (limit !== undefined) {
        examples = Math.min(examples ?? limit, limit);
        test = Math.min(test ?? limit, limit);
    }
    return loadData(request, { examples, test, seed: settings.seed, pairs: settings.pairs });
}

/**
 * The model and target compiled over the data fields with one compiler (they share its cache
 * and its warnings); what cannot be compiled is a TrainingError at its location.
 */
function compileModelAndTarget(
    training: ast.Training, model: ast.Term, target: ast.Term, fields: readonly ast.Binder[], services: CajalServices
): { modelProgram: Program; targetProgram: Program; warnings: readonly CompileWarning[] } {
    const compiler = new TermCompiler(fields, services);
    const compile = (term: ast.Term, what: string): Program => {
        try {
            return compiler.compile(term, `${training.name}.${what}`);
        } catch (error) {
            if (error instanceof CompileError) throw new TrainingError(`the ${what} cannot be compiled${locationOf(error.node ?? term)}: ${error.message}`);
            throw error;
        }
    };
    const modelProgram = compile(model, 'model');
    const targetProgram = compile(target, 'target');
    return { modelProgram, targetProgram, warnings: compiler.warnings };
}

/** ` at FILE:LINE:COLUMN` of a node (1-based), or '' when it has no text position. */
export function locationOf(node: { readonly $cstNode?: { readonly range: { readonly start: { readonly line: number; readonly character: number } } }; readonly $container?: unknown }): string {
    const start = node.$cstNode?.range.start;
    if (!start) return '';
    let root: { $container?: unknown; $document?: { uri: { fsPath: string } } } = node;
    while (root.$container) root = root.$container as typeof root;
    const file = root.$document ? path.basename(root.$document.uri.fsPath) : undefined;
    return ` at ${file ? `${file}:` : 'line '}${start.line + 1}:${start.character + 1}`;
}

/** Finds a train block by name in a module (or the only one when no name is given). */
export function findTraining(module: ast.Module, name?: string): ast.Training {
    const blocks = module.declarations.filter(ast.isTraining);
    if (name !== undefined) {
        const found = blocks.find(block => block.name === name);
        if (!found) throw new TrainingError(`no train block '${name}'${blocks.length > 0 ? `; the file has ${blocks.map(b => b.name).join(', ')}` : '; the file has none'}.`);
        return found;
    }
    if (blocks.length === 0) throw new TrainingError('the file has no train block.');
    if (blocks.length > 1) throw new TrainingError(`the file has ${blocks.length} train blocks (${blocks.map(b => b.name).join(', ')}); choose one with --train NAME.`);
    return blocks[0];
}
