/**
 * The linear neuron of a closed definition — its constant tensor with shape, weight count
 * and basis labels — for hovers, the `cajal/neuron` request and `cajal compile --emit weights`.
 */
import { ast, basisLabels, dim, shape, type CajalServices, type CajalType } from '@cajal/language';
import { ProgramAnalysis } from './analysis.js';
import { Folder, NotConstantError, TensorTooLargeError, DEFAULT_MAX_ENTRIES } from './fold.js';

export interface Neuron {
    name: string;
    /** Cajal syntax of the type, e.g. `Bool -o Bool -o Bool`. */
    type: string;
    /** Spec §7 shape: [dim B, dim A] for A -o B, [dim A, dim B] for A * B, [k] for Nat[k]. */
    shape: number[];
    /** Number of entries (dim of the type). */
    weights: number;
    /** Entries, flat row-major; null when above `maxEntries` or not a constant. */
    data: number[] | null;
    /** Labels of the first axis (codomain basis for functions). Empty when above `maxLabels`. */
    rows: string[];
    /** Labels of the second axis (domain basis for functions); empty for vectors. */
    cols: string[];
    /** Why data is null, when it is. */
    note?: string;
}

export interface NeuronOptions {
    /** Largest tensor to compute and return (entries). Default 2^24. */
    maxEntries?: number;
    /** Largest number of labels per axis to build. Default 65,536. */
    maxLabels?: number;
}

/** Row and column types of a type's tensor layout. */
function axisTypes(type: CajalType): [CajalType | undefined, CajalType | undefined] {
    switch (type.kind) {
        case 'function': return [type.codomain, type.domain];
        case 'product': return [type.left, type.right];
        default: return [type, undefined];
    }
}

function labels(type: CajalType | undefined, maxLabels: number): string[] {
    if (!type || dim(type) > maxLabels) return [];
    return basisLabels(type);
}

/** A closed definition's neuron. Definitions that call externs get `data: null` and a note. */
export function neuronOf(definition: ast.Definition, services: CajalServices, options: NeuronOptions = {}): Neuron {
    return new NeuronCompiler(services, options).neuronOf(definition);
}

/**
 * Neurons of several closed definitions of one workspace state, sharing the tensors of the
 * definitions they call (a cache that must not outlive an edit: make a new one after a change).
 */
export class NeuronCompiler {
    private readonly maxEntries: number;
    private readonly maxLabels: number;
    private readonly folder: Folder;

    constructor(private readonly services: CajalServices, options: NeuronOptions = {}) {
        this.maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
        this.maxLabels = options.maxLabels ?? 65_536;
        this.folder = new Folder(services, new ProgramAnalysis(), this.maxEntries);
    }

    /** A closed definition's neuron. Definitions that call externs get `data: null` and a note. */
    neuronOf(definition: ast.Definition): Neuron {
        const type = this.services.typing.TypeChecker.typeOf(definition);
        if (type.kind === 'error') throw new Error(`'${definition.name}' is ill-typed; fix its errors first`);
        const [rowType, colType] = axisTypes(type);
        const neuron: Neuron = {
            name: definition.name, type: type.toString(), shape: shape(type), weights: dim(type), data: null,
            rows: labels(rowType, this.maxLabels), cols: labels(colType, this.maxLabels)
        };
        if (neuron.weights > this.maxEntries) {
            neuron.note = `${neuron.weights.toLocaleString('en-US')} weights, above the limit of ${this.maxEntries.toLocaleString('en-US')}`;
            return neuron;
        }
        try {
            neuron.data = Array.from(this.folder.definition(definition).data);
        } catch (error) {
            if (error instanceof NotConstantError || error instanceof TensorTooLargeError) {
                neuron.note = error.message;
            } else {
                throw error;
            }
        }
        return neuron;
    }
}
