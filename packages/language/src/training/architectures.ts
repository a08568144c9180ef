/**
 * The architecture registry: what `extern f : A -o B = mlp(64)` may name, which arguments
 * each architecture takes, which input/output types it accepts, and its parameter count as a
 * plain formula (no tfjs here: the language server shows counts in hovers and must stay
 * small; @cajal/train builds the same networks with tfjs layers and its tests check the
 * counts agree).
 */
import type * as ast from '../generated/ast.js';
import { Codes } from '../problems.js';
import type { CajalType } from '../typing/types.js';
import { externReading, networkSignature, type ExternReading, type NetworkSignature } from './extern-reading.js';

/** How a network's raw output is turned into a value of the extern's result type. */
export type OutputNormalisation = 'softmax' | 'sigmoid' | 'raw';
export type Activation = 'relu' | 'tanh' | 'sigmoid' | 'linear';
export type Pooling = 'each' | 'last';

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

/** A whole number written in decimal digits (the form of architecture and setting arguments). */
export function isInteger(text: string): boolean {
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
    const args = splitArguments(request, description);
    if ('ok' in args) return args;
    const fail = (message: string, key?: string): ArchitectureResult =>
        ({ ok: false, code: Codes.training, message: `${request.architecture}: ${message}`, argIndex: key ? args.keyed.get(key)?.index : undefined });
    const settings = keyedSettings(args.keyed, signature);
    if ('message' in settings) return fail(settings.message, settings.key);
    return resolveShapes(request.architecture, args.positional, settings, signature, fail);
}

/** An architecture's arguments: positional whole numbers first, then `key = value` pairs of its keys, each once. */
function splitArguments(
    request: ArchitectureRequest, description: ArchitectureDescription
): { positional: number[]; keyed: Map<string, { value: string; index: number }> } | ArchitectureResult & { ok: false } {
    const positional: number[] = [];
    const keyed = new Map<string, { value: string; index: number }>();
    const fail = (argIndex: number, message: string) => ({ ok: false as const, code: Codes.training, argIndex, message: `${request.architecture}: ${message}` });
    for (let index = 0; index < request.args.length; index++) {
        const arg = request.args[index];
        if (arg.key === undefined) {
            if (keyed.size > 0) return fail(index, 'positional arguments must come before keyed ones (key = value).');
            if (!isInteger(arg.value) || Number(arg.value) < 1) return fail(index, `expected a positive whole number (${description.positional}), got '${arg.value}'.`);
            positional.push(Number(arg.value));
        } else {
            if (!description.keys.includes(arg.key)) {
                const known = description.keys.length > 0 ? `it takes ${description.keys.join(', ')}` : 'it takes no keyed arguments';
                return fail(index, `unknown argument '${arg.key}'; ${known}.`);
            }
            if (keyed.has(arg.key)) return fail(index, `'${arg.key}' is given twice.`);
            keyed.set(arg.key, { value: arg.value, index });
        }
    }
    return { positional, keyed };
}

/** The keyed settings of an architecture use, with their defaults. */
interface KeyedSettings {
    readonly activation: Activation;
    readonly output: OutputNormalisation;
    readonly kernel: number;
    readonly dense: number;
    readonly pool: number;
    readonly pooling: Pooling;
    /** hyperconv's per-image kernel side. */
    readonly window: number;
    readonly blend: number;
}

/** The keyed arguments read and checked (defaults for those not given), or the first bad one's message and key. */
function keyedSettings(keyed: ReadonlyMap<string, { value: string }>, signature: NetworkSignature): KeyedSettings | { message: string; key?: string } {
    const fail = (message: string, key: string) => ({ message, key });
    const activationText = keyed.get('activation')?.value ?? 'relu';
    if (!ACTIVATIONS.includes(activationText as Activation)) return fail(`activation must be one of ${ACTIVATIONS.join(', ')}, got '${activationText}'.`, 'activation');
    const outputText = keyed.get('output')?.value ?? (signature.discreteOutput ? 'softmax' : 'raw');
    if (!OUTPUTS.includes(outputText as OutputNormalisation)) return fail(`output must be one of ${OUTPUTS.join(', ')}, got '${outputText}'.`, 'output');
    if (signature.functionOutput && outputText === 'softmax') {
        return fail('a function-valued output is a matrix (one column per basis vector of its domain), not one distribution: use output = raw (the default) or sigmoid.', 'output');
    }
    const kernelText = keyed.get('kernel')?.value ?? '3';
    if (!isInteger(kernelText) || Number(kernelText) < 1 || Number(kernelText) % 2 === 0) return fail(`kernel must be an odd positive whole number, got '${kernelText}'.`, 'kernel');
    const denseText = keyed.get('dense')?.value ?? '0';
    if (!isInteger(denseText)) return fail(`dense must be a whole number (0 = no dense hidden layer), got '${denseText}'.`, 'dense');
    const poolText = keyed.get('pool')?.value ?? '2';
    if (!isInteger(poolText) || Number(poolText) < 1) return fail(`pool must be a positive whole number (the max-pooling window and stride), got '${poolText}'.`, 'pool');
    const poolingText = keyed.get('pooling')?.value ?? 'each';
    if (!POOLINGS.includes(poolingText as Pooling)) return fail(`pooling must be 'each' (after every convolution) or 'last' (once, after the last), got '${poolingText}'.`, 'pooling');
    const windowText = keyed.get('window')?.value ?? '3';
    if (!isInteger(windowText) || Number(windowText) < 1 || Number(windowText) % 2 === 0) {
        return fail(`window must be an odd positive whole number (the per-image kernel is centred on each pixel), got '${windowText}'.`, 'window');
    }
    const blendText = keyed.get('blend')?.value ?? '1';
    const blend = Number(blendText);
    if (!/^[0-9]+(\.[0-9]+)?$/.test(blendText) || blend > 1) return fail(`blend must be a number from 0 to 1 (the result is (1 − blend)·x + blend·dilated x), got '${blendText}'.`, 'blend');
    return {
        activation: activationText as Activation, output: outputText as OutputNormalisation, kernel: Number(kernelText), dense: Number(denseText),
        pool: Number(poolText), pooling: poolingText as Pooling, window: Number(windowText), blend
    };
}

/** Each architecture's checks of the network's shapes, and its parameter count. */
function resolveShapes(
    architecture: string, positional: readonly number[], settings: KeyedSettings, signature: NetworkSignature, fail: (message: string) => ArchitectureResult
): ArchitectureResult {
    const { kernel, dense, pool, pooling, blend, activation, output } = settings;
    const inDim = signature.inputs.reduce((total, s) => total + size(s), 0);
    const outDim = size(signature.output);
    const base = { architecture, kernel, dense, pool, pooling, window: 0, element: [] as number[], blend: 1, activation, output, signature };

    switch (architecture) {
        case 'mlp':
        case 'linear': {
            if (architecture === 'linear' && positional.length > 0) return fail('takes no hidden layer widths; use mlp(…) for hidden layers.');
            return { ok: true, resolved: { ...base, layers: positional, learnable: true, parameters: denseParameters([inDim, ...positional, outDim]) } };
        }
        case 'cnn': {
            const trunk = trunkShape(signature, architecture, positional, kernel, pool, pooling);
            if (typeof trunk === 'string') return fail(trunk);
            const parameters = trunk.parameters + denseParameters(dense > 0 ? [trunk.flat, dense, outDim] : [trunk.flat, outDim]);
            return { ok: true, resolved: { ...base, layers: positional, learnable: true, parameters } };
        }
        case 'hyperconv': {
            const image = singleImage(signature, architecture);
            if (typeof image === 'string') return fail(`${image}.`);
            if (image[2] !== 1 || signature.output.length !== 2 || signature.output[0] !== image[0] || signature.output[1] !== image[1] || signature.discreteOutput) {
                return fail(`the per-image kernel step maps a one-channel image to one of the same size: its type must be Real[${image[0]}, ${image[1]}] -o Real[${image[0]}, ${image[1]}].`);
            }
            const trunk = trunkShape(signature, architecture, positional, kernel, pool, pooling);
            if (typeof trunk === 'string') return fail(trunk);
            const window = settings.window;
            const parameters = trunk.parameters + denseParameters([trunk.flat, window * window]);
            return { ok: true, resolved: { ...base, window, layers: positional, learnable: true, parameters } };
        }
        case 'conv': {
            const image = singleImage(signature, architecture);
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
            const image = singleImage(signature, architecture);
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
