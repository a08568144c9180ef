/**
 * Learned neurons read back as programs: a function over discrete types is a matrix
 * [dim B, dim A1 · … · dim An] (one column per basis input, spec §7), whether it is a compiled
 * definition (curried, `A1 -o … -o An -o B`) or a trained extern's network (one network of all
 * its arguments). For a discrete codomain, the nearest Cajal program takes the most likely
 * output of each column; `generateNearestProgram` prints it as a linear Cajal definition.
 * Plain TypeScript: the learned matrix itself is computed where tfjs is (`@cajal/train`).
 */
import { DEFAULT_NAT_BOUND } from '@cajal/ir';
import { URI } from 'langium';
import { ast, checkSourceText, dim, errorsOf, isDiscrete, uncurry, type CajalServices, type CajalType } from '@cajal/language';
import { neuronOf } from './neuron.js';

/** Row-major matrix with its shape. */
export interface FunctionMatrix {
    readonly rows: number;
    readonly columns: number;
    /** rows × columns entries, row-major: entry (b, a) at b · columns + a. */
    readonly data: readonly number[];
}

/**
 * The matrix of a function of n arguments from its compiled (curried) tensor: the tensor of
 * `A1 -o R` is [dim R, dim A1] (column a1 is the flat tensor of R), recursively, so entry
 * (b; a1 … an) sits at ((b · d_n + a_n) · d_{n-1} + …) · d_1 + a_1. The column index is the
 * mixed-radix number a1 … an (a1 most significant), which is also the basis order of
 * A1 * … * An, so an uncurried extern of `A1 * A2 -o B` compares directly with a curried
 * definition of `A1 -o A2 -o B`.
 */
export function uncurriedMatrix(tensor: ArrayLike<number>, params: readonly CajalType[], result: CajalType): FunctionMatrix {
    const dims = params.map(dim);
    const rows = dim(result);
    const columns = dims.reduce((a, b) => a * b, 1);
    if (tensor.length !== rows * columns) throw new Error(`a tensor of ${tensor.length} entries is not a function of ${columns} inputs to ${rows} outputs`);
    const data = new Array<number>(rows * columns);
    const digits = new Array<number>(dims.length);
    for (let column = 0; column < columns; column++) {
        let rest = column;
        for (let i = dims.length - 1; i >= 0; i--) {
            digits[i] = rest % dims[i];
            rest = Math.floor(rest / dims[i]);
        }
        for (let b = 0; b < rows; b++) {
            let index = b;
            for (let i = dims.length - 1; i >= 0; i--) index = index * dims[i] + digits[i];
            data[b * columns + column] = tensor[index];
        }
    }
    return { rows, columns, data };
}

/** The row of the largest entry of each column (the first on ties). */
export function columnArgmax(matrix: FunctionMatrix): number[] {
    return Array.from({ length: matrix.columns }, (_, column) => {
        let best = 0;
        for (let row = 1; row < matrix.rows; row++) {
            if (matrix.data[row * matrix.columns + column] > matrix.data[best * matrix.columns + column]) best = row;
        }
        return best;
    });
}

/** The matrix whose column j is the basis vector of row `choice[j]`. */
export function oneHotMatrix(choice: readonly number[], rows: number): FunctionMatrix {
    const data = new Array<number>(rows * choice.length).fill(0);
    choice.forEach((row, column) => { data[row * choice.length + column] = 1; });
    return { rows, columns: choice.length, data };
}

/** How far two matrices of one shape are apart. */
export interface MatrixDistance {
    /** Largest absolute difference of an entry. */
    readonly maxAbs: number;
    /** Frobenius norm of the difference. */
    readonly frobenius: number;
    /** Columns (basis inputs) whose most likely output is the same in both. */
    readonly agreeing: number;
    readonly columns: number;
}

export function matrixDistance(a: FunctionMatrix, b: FunctionMatrix): MatrixDistance {
    if (a.rows !== b.rows || a.columns !== b.columns) {
        throw new Error(`matrices of shapes [${a.rows}, ${a.columns}] and [${b.rows}, ${b.columns}] cannot be compared`);
    }
    let maxAbs = 0, squares = 0;
    a.data.forEach((x, i) => {
        const d = Math.abs(x - b.data[i]);
        maxAbs = Math.max(maxAbs, d);
        squares += d * d;
    });
    const left = columnArgmax(a), right = columnArgmax(b);
    return { maxAbs, frobenius: Math.sqrt(squares), agreeing: left.filter((row, j) => row === right[j]).length, columns: a.columns };
}

/** Why a function type has no finite table of basis inputs (or no nearest program), or undefined. */
export function tabulationProblem(params: readonly CajalType[], result: CajalType, purpose: 'matrix' | 'program'): string | undefined {
    const notDiscrete = params.find(param => !isDiscrete(param));
    if (notDiscrete) return `its input ${notDiscrete} is not discrete (Bool, Nat[k] or pairs of them), so it has no finite basis of inputs`;
    if (purpose === 'program' && !isDiscrete(result)) return `its result ${result} is not discrete, so no program reads off its columns`;
    return undefined;
}

/**
 * Cajal source of a definition `name` of type A1 -o … -o An -o B that maps the j-th basis
 * input to the `choice[j]`-th basis output. Linear by construction: a Bool is consumed by an
 * `if` whose branches both consume the remaining variables, a pair by `let (x, y) = p in`, a
 * Nat[k] by a chain of zero tests (an `iter` computing (n = 0, n - 1)), and a variable the
 * rest does not depend on by a test with equal branches. A single remaining variable of the
 * result's type that is passed through is written as itself (`if x then y else …`).
 */
export function generateNearestProgram(name: string, params: readonly CajalType[], result: CajalType, choice: readonly number[]): string {
    const problem = tabulationProblem(params, result, 'program');
    if (problem) throw new Error(`no nearest program for '${name}': ${problem}`);
    const columns = params.map(dim).reduce((a, b) => a * b, 1);
    if (choice.length !== columns) throw new Error(`a table of ${choice.length} columns for ${columns} basis inputs`);
    const names = new NameSupply();
    const binders = params.map(param => ({ name: names.fresh(param), type: param }));
    const writer = new TableWriter(name, names, result);
    const body = writer.write(binders, digits => choice[mixedRadix(digits, params.map(dim))]);
    const header = binders.map(b => ` (${b.name} : ${b.type})`).join('');
    const helpers = [...writer.zeroTests].sort((a, b) => a - b).map(bound => zeroTestDefinition(name, bound));
    return [...helpers, `def ${name}${header} : ${result} =\n  ${body}\n`].join('\n');
}

function zeroTestName(name: string, bound: number): string {
    return `${name}ZeroPred${bound}`;
}

/**
 * (n = 0, n - 1) for n : Nat[k], by iteration: it starts at (true, 0); a step from (true, c)
 * gives (false, 0), one from (false, c) gives (false, c + 1).
 */
function zeroTestDefinition(name: string, bound: number): string {
    const state = `Bool * Nat[${bound}]`;
    return `def ${zeroTestName(name, bound)} (n : Nat[${bound}]) : ${state} =\n`
        + `  iter n { zero => (true, 0) ; succ s => let (z, c) = s in if z then iter c { zero => ((false, 0) : ${state}) ; succ d => d } else (false, succ c) }\n`;
}

function mixedRadix(digits: readonly number[], dims: readonly number[]): number {
    return digits.reduce((n, d, i) => n * dims[i] + d, 0);
}

interface Binder { readonly name: string; readonly type: CajalType }
/** The output's basis index for basis indices of the binders in scope. */
type Table = (digits: readonly number[]) => number;

class NameSupply {
    private used = new Set<string>();
    fresh(type: CajalType | 'helper'): string {
        const stem = type === 'helper' ? 'n' : type.kind === 'product' ? 'p' : type.kind === 'nat' ? 'm' : 'x';
        const letters = type === 'helper' ? ['n', 'k'] : type.kind === 'product' ? ['p', 'q', 'r'] : type.kind === 'nat' ? ['m', 'n', 'k'] : ['x', 'y', 'z', 'u', 'v', 'w'];
        for (let i = 0; ; i++) {
            const candidate = i < letters.length ? letters[i] : `${stem}${i - letters.length + 1}`;
            if (!this.used.has(candidate)) {
                this.used.add(candidate);
                return candidate;
            }
        }
    }
}

class TableWriter {
    /** Bounds k whose zero test `NAMEZeroPredK : Nat[k] -o Bool * Nat[k]` the program uses. */
    readonly zeroTests = new Set<number>();

    constructor(private readonly name: string, private readonly names: NameSupply, private readonly result: CajalType) { }

    write(binders: readonly Binder[], table: Table): string {
        if (binders.length === 0) return literal(this.result, table([]));
        const [first, ...rest] = binders;
        if (rest.length === 0 && first.type.equals(this.result) && isIdentity(table, dim(first.type))) return first.name;
        const fix = (value: number): Table => digits => table([value, ...digits]);
        if (first.type.kind === 'product') {
            const left = { name: this.names.fresh(first.type.left), type: first.type.left };
            const right = { name: this.names.fresh(first.type.right), type: first.type.right };
            const rightDim = dim(first.type.right);
            return `let (${left.name}, ${right.name}) = ${first.name} in ${this.write([left, right, ...rest], digits => table([digits[0] * rightDim + digits[1], ...digits.slice(2)]))}`;
        }
        if (first.type.kind === 'bool') {
            return `if ${first.name} then ${this.branch(rest, fix(0))} else ${this.write(rest, fix(1))}`;
        }
        if (first.type.kind === 'nat') return this.natCases(first.name, first.type.bound, 0, rest, table);
        throw new Error(`unreachable: ${first.type} is not discrete`);
    }

    /** A `then` branch: parenthesised unless it is atomic, so the source reads unambiguously. */
    private branch(binders: readonly Binder[], table: Table): string {
        const text = this.write(binders, table);
        return /^[\w']+$/.test(text) || /^\(.*\)$/.test(text) && balanced(text.slice(1, -1)) ? text : `(${text})`;
    }

    /** The cases `low`, …, bound-1 of a Nat[bound] variable `n` that holds the number minus `low`. */
    private natCases(n: string, bound: number, low: number, rest: readonly Binder[], table: Table): string {
        const at = (value: number): Table => digits => table([value, ...digits]);
        if (low === bound - 1 || dependsOnlyOnRest(rest, table, low, bound)) {
            const step = this.names.fresh('helper');
            return `iter ${n} { zero => ${this.write(rest, at(low))} ; succ ${step} => ${step} }`;
        }
        const isZero = this.names.fresh('helper'), predecessor = this.names.fresh('helper'), step = this.names.fresh('helper');
        this.zeroTests.add(bound);
        const whenZero = `iter ${predecessor} { zero => ${this.write(rest, at(low))} ; succ ${step} => ${step} }`;
        return `let (${isZero}, ${predecessor}) = ${zeroTestName(this.name, bound)} ${n} in if ${isZero} then (${whenZero}) else ${this.natCases(predecessor, bound, low + 1, rest, table)}`;
    }
}

/** True when the table gives the same output for every value low … bound-1 of its first binder. */
function dependsOnlyOnRest(rest: readonly Binder[], table: Table, low: number, bound: number): boolean {
    for (const digits of allDigits(rest.map(b => dim(b.type)))) {
        const first = table([low, ...digits]);
        for (let value = low + 1; value < bound; value++) if (table([value, ...digits]) !== first) return false;
    }
    return true;
}

function* allDigits(dims: readonly number[]): Generator<number[]> {
    const total = dims.reduce((a, b) => a * b, 1);
    for (let index = 0; index < total; index++) {
        const digits = new Array<number>(dims.length);
        let rest = index;
        for (let i = dims.length - 1; i >= 0; i--) {
            digits[i] = rest % dims[i];
            rest = Math.floor(rest / dims[i]);
        }
        yield digits;
    }
}

function isIdentity(table: Table, size: number): boolean {
    for (let i = 0; i < size; i++) if (table([i]) !== i) return false;
    return true;
}

function balanced(text: string): boolean {
    let depth = 0;
    for (const c of text) {
        if (c === '(') depth++;
        else if (c === ')' && --depth < 0) return false;
    }
    return depth === 0;
}

/** The Cajal value of the `index`-th basis vector of a discrete type. */
export function literal(type: CajalType, index: number): string {
    switch (type.kind) {
        case 'bool': return index === 0 ? 'true' : 'false';
        // A numeral takes its bound from the expected type, which an iter's zero branch may not
        // give; without one it is a Nat (= Nat[10]), so other bounds are ascribed.
        case 'nat': return type.bound === DEFAULT_NAT_BOUND ? String(index) : `(${index} : ${type})`;
        case 'product': {
            const rightDim = dim(type.right);
            return `(${literal(type.left, Math.floor(index / rightDim))}, ${literal(type.right, index % rightDim)})`;
        }
        default: throw new Error(`unreachable: ${type} has no basis of values`);
    }
}

/** A closed definition's matrix over its curried arguments (its neuron, uncurried). */
export function definitionMatrix(definition: ast.Definition, services: CajalServices): { matrix: FunctionMatrix; params: CajalType[]; result: CajalType } {
    const type = services.typing.TypeChecker.typeOf(definition);
    const { params, result } = uncurry(type);
    if (params.length === 0) throw new Error(`'${definition.name}' is not a function (it has type ${type})`);
    const neuron = neuronOf(definition, services);
    if (!neuron.data) throw new Error(`'${definition.name}' has no constant matrix: ${neuron.note ?? 'it is not closed'}`);
    return { matrix: uncurriedMatrix(neuron.data, params, result), params, result };
}

/**
 * Checks the source of a generated definition `name` in `services`' workspace (as an
 * in-memory document) and compiles it: its matrix, or an error naming the first problem.
 * The nearest program is verified this way before it is shown.
 */
export async function compileGeneratedDefinition(source: string, name: string, services: CajalServices): Promise<FunctionMatrix> {
    const document = await checkSourceText(source, services, URI.file(`/cajal-generated/${name}-${Math.random().toString(36).slice(2)}.cajal`));
    const errors = errorsOf(document);
    if (errors.length > 0) throw new Error(`the generated program does not check: ${errors[0].message} (line ${errors[0].range.start.line + 1})`);
    const definition = document.parseResult.value.declarations.find(d => ast.isDefinition(d) && d.name === name) as ast.Definition | undefined;
    if (!definition) throw new Error(`the generated program has no definition '${name}'`);
    return definitionMatrix(definition, services).matrix;
}
