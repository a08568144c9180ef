/**
 * Compile-time folding: the denotation ⟦t⟧ of an extern-free term (spec §7) as a
 * NamedTensor with one OUT axis and one axis per free linear variable. Plain TypeScript;
 * the cost tracks tensor sizes, not syntax size.
 *
 * Folding is a small evaluator over tensors. A value is a tensor, a *closure* (a function
 * known by its syntax: a lambda or a definition with its environment) or a pair of values.
 * Most applications multiply the function's matrix by the argument's tensor, which is exact
 * because the function is linear in its argument. A function whose parameters or result
 * involve functions may replicate a function-typed argument (an `iter` step that reuses an
 * outer variable, directly or through another function): it is polynomial in it, its matrix
 * is the linear extension and is exact only on basis inputs, and a closed function's tensor
 * is not a basis vector (`fun x => x` is e₀₀ + e₁₁). Such a *higher-order* closure is applied
 * by substitution instead, as the interpreter and the spec (§7, "application of a function
 * that replicates its argument") say; conditions and counts that are constant basis vectors
 * select their branch or number of steps, so closures flow through them unchanged.
 */
import { ast, applicationSpine, dim, type CajalServices, type CajalType } from '@cajal/language';
import type { AstNode } from 'langium';
import { NamedTensor, OUT, product, productSize, sumSize, temporaryAxis } from './named-tensor.js';
import { ProgramAnalysis } from './analysis.js';

/** Raised when a term cannot be folded: it depends on an extern (a learned network). */
export class NotConstantError extends Error {
    constructor(readonly extern: string, readonly node: AstNode) {
        super(`depends on the extern '${extern}' (a learned network), so it has no constant tensor; link the network and run it instead`);
        this.name = 'NotConstantError';
    }
}

/** Raised when folding would build a tensor above the size limit. */
export class TensorTooLargeError extends Error {
    constructor(readonly entries: number, readonly limit: number) {
        super(`folding needs a tensor of ${entries.toLocaleString('en-US')} entries, above the limit of ${limit.toLocaleString('en-US')}`);
        this.name = 'TensorTooLargeError';
    }
}

/**
 * Raised when folding a term with free variables would replicate one whose type involves
 * functions (see `fold`'s `exactIn`): its tensor would be the linear extension in that
 * variable, which is not what substituting a run-time function value computes.
 */
export class ReplicatedVariableError extends Error {
    constructor(readonly axis: number) {
        super('the term replicates a function-typed variable; it runs structurally, substituting the value');
        this.name = 'ReplicatedVariableError';
    }
}

/** Raised for programs the compiler must refuse (ill-typed parts, definition cycles). */
export class CompileError extends Error {
    constructor(message: string, readonly node?: AstNode) {
        super(message);
        this.name = 'CompileError';
    }
}

export const DEFAULT_MAX_ENTRIES = 1 << 24;

/** True when a value of the type is, or contains, a function. */
export function containsFunction(type: CajalType): boolean {
    switch (type.kind) {
        case 'function': return true;
        case 'product': return containsFunction(type.left) || containsFunction(type.right);
        default: return false;
    }
}

/**
 * True for a function type some parameter or result of which (uncurried) involves
 * functions: such a function may be polynomial in a function-valued argument, so it is
 * applied by substitution, not by its matrix.
 */
export function isHigherOrder(type: CajalType): boolean {
    if (type.kind !== 'function') return false;
    let current: CajalType = type;
    while (current.kind === 'function') {
        if (containsFunction(current.domain)) return true;
        current = current.codomain;
    }
    return containsFunction(current);
}

/** A function known by its syntax: `binders` still to be bound, then `body`, in `env`. */
class Closure {
    constructor(
        readonly binders: readonly ast.Binder[],
        readonly body: ast.Term,
        readonly env: Env | undefined,
        /** Whether it is applied by substitution (see isHigherOrder). */
        readonly substitutes: boolean,
        /** The definition it is (its tensor is cached there), when it is one unapplied. */
        readonly definition?: ast.Definition
    ) { }
}

/** A pair whose components involve functions, kept apart so closures inside stay closures. */
class PairValue {
    constructor(readonly left: Value, readonly right: Value) { }
}

/**
 * A computation that failed (an overflow, a failed condition or count, a failed argument:
 * spec §7's zero vector), kept apart from its zero tensor because a *function* whose matrix
 * is zero is not a failure: it is a closure that fails only where it is applied (the
 * interpreter's `fun x => succ (… overflows …)`), and binding it, unlike binding a failed
 * computation, does not make the whole result fail (call by value).
 */
class Failure {
    constructor(readonly dim: number) { }
}

/**
 * A free variable or a binder being abstracted: the identity from its axis to OUT, made only
 * when something needs it as a tensor. A count `iter x {…}` over Nat[k] never does (see
 * iterateOverVariable), so its k×k identity (10^10 entries for Nat[100000]) is never built.
 */
class Variable {
    constructor(readonly axis: number, readonly dim: number) { }
}

type Value = NamedTensor | Closure | PairValue | Failure | Variable;

/**
 * Binders bound by substitution, innermost first. A binder not in it denotes its own axis
 * (axisOf). A chain, so binding is O(1) however deep the term (10,000 nested lets); a
 * lookup walks to the binder, which is near the top for the usual nesting.
 */
class Env {
    constructor(readonly binder: ast.Binder, readonly value: Value, readonly parent: Env | undefined) { }
}

function lookup(env: Env | undefined, binder: ast.Binder): Value | undefined {
    for (let e = env; e; e = e.parent) if (e.binder === binder) return e.value;
    return undefined;
}

function extend(env: Env | undefined, binder: ast.Binder, value: Value): Env {
    return new Env(binder, value, env);
}

const EMPTY_ENV: Env | undefined = undefined;

/** A constant (no variable axes) tensor's basis index, 'zero' for the zero vector, else undefined. */
function constantBasis(t: NamedTensor): number | 'zero' | undefined {
    if (t.axes.length !== 1 || t.axes[0] !== OUT) return undefined;
    let index: number | 'zero' = 'zero';
    for (let i = 0; i < t.data.length; i++) {
        const v = t.data[i];
        if (v === 0) continue;
        if (v !== 1 || index !== 'zero') return undefined;
        index = i;
    }
    return index;
}

export class Folder {
    private readonly binderIds = new Map<ast.Binder, number>();
    private readonly definitionTensors = new Map<ast.Definition, NamedTensor>();
    private readonly definitionValues = new Map<ast.Definition, Value>();
    private readonly closureTensors = new WeakMap<Closure, NamedTensor>();
    private readonly inProgress = new Set<ast.Definition>();
    /** Axes that must not be replicated during the current `fold` (see ReplicatedVariableError). */
    private exactAxes: ReadonlySet<number> = new Set();

    constructor(
        private readonly services: CajalServices,
        readonly analysis: ProgramAnalysis = new ProgramAnalysis(),
        readonly maxEntries: number = DEFAULT_MAX_ENTRIES
    ) { }

    typeOf(node: AstNode): CajalType {
        const type = this.services.typing.TypeChecker.typeOf(node);
        if (type.kind === 'error') throw new CompileError('this part of the program is ill-typed; fix its errors first', node);
        return type;
    }

    /** A stable positive axis id per binder: the axis of a free variable. */
    axisOf(binder: ast.Binder): number {
        let id = this.binderIds.get(binder);
        if (id === undefined) this.binderIds.set(binder, id = this.binderIds.size + 1);
        return id;
    }

    private guard(t: NamedTensor): NamedTensor {
        if (t.size > this.maxEntries) throw new TensorTooLargeError(t.size, this.maxEntries);
        return t;
    }

    private checkSize(entries: number): void {
        if (entries > this.maxEntries) throw new TensorTooLargeError(entries, this.maxEntries);
    }

    // Every tensor the folder makes is sized before it is allocated: a type may be far too
    // large (the checker refuses those above its limit, but folding has its own, smaller one).

    /** The basis vector e_index of a dim-d space. */
    private basis(index: number, d: number): NamedTensor {
        this.checkSize(d);
        return NamedTensor.basis(index, d);
    }

    /** The zero vector of a space: the meaning of a failed computation (spec §7). */
    private zeros(d: number): NamedTensor {
        this.checkSize(d);
        return new NamedTensor([OUT], [d], new Float64Array(d));
    }

    /** The denotation of a variable: the identity from its axis to OUT, a [d, d] matrix. */
    private identity(axis: number, d: number): NamedTensor {
        this.checkSize(d * d);
        return NamedTensor.identity(axis, d);
    }

    /**
     * A sum of two tensors; an axis missing on one side is broadcast there. For an exact
     * axis that is a sum of terms of different degree in the variable: the missing side uses
     * it zero times (an iter step of count 0 replicates it, `if c then iter 0 {… f …} else f b`),
     * and broadcasting makes that side constant along the axis, so contracting it with a
     * run-time value v scales it by Σ v (2 for `fun x => x`'s e₀₀ + e₁₁), where substitution
     * leaves it alone. A zero side (a failed branch) is the same under both.
     */
    private add(a: NamedTensor, b: NamedTensor): NamedTensor {
        if (this.exactAxes.size > 0) {
            for (const [one, other] of [[a, b], [b, a]]) {
                const missing = one.axes.find(axis => this.exactAxes.has(axis) && !other.has(axis));
                if (missing !== undefined && other.data.some(v => v !== 0)) throw new ReplicatedVariableError(missing);
            }
        }
        this.checkSize(sumSize(a, b));
        return a.add(b);
    }

    /** A product of two tensors; a variable axis in both (not contracted) is replicated there. */
    private mul(a: NamedTensor, b: NamedTensor, contracted: readonly number[] = []): NamedTensor {
        if (this.exactAxes.size > 0) {
            for (const axis of a.axes) {
                if (this.exactAxes.has(axis) && b.has(axis) && !contracted.includes(axis)) throw new ReplicatedVariableError(axis);
            }
        }
        this.checkSize(productSize(a, b, contracted));
        return product(a, b, contracted);
    }

    /** The constant tensor of a closed definition (axes: OUT only). */
    definition(definition: ast.Definition): NamedTensor {
        const cached = this.definitionTensors.get(definition);
        if (cached) return cached;
        const extern = this.analysis.externOfDefinition(definition);
        if (extern) throw new NotConstantError(extern, definition);
        this.checkSize(dim(this.typeOf(definition)));
        const t = this.tensor(this.definitionValue(definition));
        this.definitionTensors.set(definition, t);
        return t;
    }

    /**
     * A closed definition applied to constant argument vectors (e.g. a function's matrix):
     * by substitution where the definition is higher-order, else its matrix times them.
     * What a compiled program computes for that application with those values at run time.
     */
    applyDefinition(definition: ast.Definition, args: readonly ArrayLike<number>[]): NamedTensor {
        let f: Value = this.definitionValue(definition);
        let type = this.typeOf(definition);
        for (const argument of args) {
            if (type.kind !== 'function') throw new CompileError(`'${definition.name}' is applied to more arguments than it takes`, definition);
            f = this.apply(f, NamedTensor.vector(argument), type.domain);
            type = type.codomain;
        }
        return this.tensor(f);
    }

    /**
     * ⟦t⟧ over OUT and the term's free variables (axis ids from axisOf). `exactIn`: axes of
     * free variables that will carry arbitrary run-time values; folding fails with
     * ReplicatedVariableError rather than replicate one of them.
     */
    fold(term: ast.Term, exactIn: ReadonlySet<number> = new Set()): NamedTensor {
        const saved = this.exactAxes;
        this.exactAxes = exactIn;
        try {
            return this.tensor(this.value(term, EMPTY_ENV));
        } finally {
            this.exactAxes = saved;
        }
    }

    /** A closed definition as a value: a closure when it is a higher-order function, else its tensor. */
    private definitionValue(definition: ast.Definition): Value {
        const cached = this.definitionValues.get(definition) ?? this.definitionTensors.get(definition);
        if (cached) return cached;
        if (this.inProgress.has(definition)) {
            throw new CompileError(`'${definition.name}' refers to itself (a definition cycle)`, definition);
        }
        const extern = this.analysis.externOfDefinition(definition);
        if (extern) throw new NotConstantError(extern, definition);
        if (!definition.body) throw new CompileError(`'${definition.name}' has no body`, definition);
        this.inProgress.add(definition);
        try {
            const type = this.typeOf(definition);
            let value: Value;
            if (definition.params.length > 0) {
                const closure = new Closure(definition.params, definition.body, EMPTY_ENV, isHigherOrder(type), definition);
                value = this.keepsClosure(closure) ? closure : this.tensor(closure);
            } else {
                value = this.value(definition.body, EMPTY_ENV);
                if (!isHigherOrder(type) && !this.keepsClosure(value)) value = this.tensor(value);
            }
            if (value instanceof NamedTensor) this.definitionTensors.set(definition, value);
            else this.definitionValues.set(definition, value);
            return value;
        } finally {
            this.inProgress.delete(definition);
        }
    }

    /**
     * Whether a definition's value stays a closure rather than its matrix: a higher-order
     * one (applied by substitution), and one whose result after its binders is a function —
     * its matrix's column for an argument is zero both where the body fails there and where
     * it gives a function that fails everywhere, and only the first is a failure.
     */
    private keepsClosure(value: Value): boolean {
        return value instanceof Closure && (value.substitutes || containsFunction(this.typeOf(value.body)));
    }

    /** A value as its tensor: a closure's matrix (column j = its body on basis j), a pair's outer product. */
    private tensor(value: Value): NamedTensor {
        if (value instanceof NamedTensor) return value;
        if (value instanceof Failure) return this.zeros(value.dim);
        if (value instanceof Variable) return this.identity(value.axis, value.dim);
        if (value instanceof PairValue) {
            const l = temporaryAxis(), r = temporaryAxis();
            return this.mul(this.tensor(value.left).rename(OUT, l), this.tensor(value.right).rename(OUT, r)).mergeFirst(l, r, OUT);
        }
        if (value.definition) {
            const cached = this.definitionTensors.get(value.definition);
            if (cached) return cached;
        }
        const cached = this.closureTensors.get(value);
        if (cached) return cached;
        // Each abstraction gets fresh axes: the same lambda may be abstracted again inside
        // its own body's evaluation (e.g. `twice twice`), and its axes must not meet.
        const axes = value.binders.map(() => temporaryAxis());
        let env = value.env;
        value.binders.forEach((binder, i) => { env = extend(env, binder, new Variable(axes[i], dim(this.typeOf(binder)))); });
        let t = this.tensor(this.value(value.body, env));
        for (let i = value.binders.length - 1; i >= 0; i--) t = this.abstract(t, axes[i], value.binders[i]);
        this.closureTensors.set(value, t);
        if (value.definition) this.definitionTensors.set(value.definition, t);
        return t;
    }

    /** fun x => t: the binder's axis joins OUT as the column index (flat index b·dimA + a). */
    private abstract(t: NamedTensor, axis: number, binder: ast.Binder): NamedTensor {
        let body = t;
        if (!body.has(axis)) {
            this.checkSize(body.size * dim(this.typeOf(binder)));
            // Only reachable for programs with linearity errors (or a replicated variable an
            // iter of count 0 never uses); the spec's column rule still applies.
            body = body.broadcast([...body.axes, axis], [...body.dims, dim(this.typeOf(binder))]);
        }
        return this.guard(body.mergeFirst(OUT, axis, OUT));
    }

    /** The value of a term in an environment of substituted binders. */
    private value(term: ast.Term, env: Env | undefined): Value {
        switch (term.$type) {
            case 'BoolLiteral': return this.basis(term.value ? 0 : 1, 2);
            case 'Zero': return this.basis(0, dim(this.typeOf(term)));
            case 'Numeral': return this.basis(term.value, dim(this.typeOf(term)));
            case 'Succ': return this.tensor(this.value(term.argument, env)).shift(OUT);
            case 'Ascription': return this.value(term.term, env);
            case 'Var': {
                const target = term.ref?.ref;
                if (ast.isBinder(target)) return lookup(env, target) ?? new Variable(this.axisOf(target), dim(this.typeOf(target)));
                if (ast.isDefinition(target)) return this.definitionValue(target);
                if (ast.isExtern(target)) throw new NotConstantError(target.name, term);
                throw new CompileError(`unknown name '${term.ref?.$refText}'`, term);
            }
            case 'IfTerm': {
                const c = this.tensor(this.value(term.condition, env));
                const basis = constantBasis(c);
                if (basis === 0) return this.value(term.thenBranch, env);
                if (basis === 1) return this.value(term.elseBranch, env);
                if (basis === 'zero') return new Failure(dim(this.typeOf(term)));
                const a = this.tensor(this.value(term.thenBranch, env));
                const b = this.tensor(this.value(term.elseBranch, env));
                return this.add(this.mul(c.slice(OUT, 0), a), this.mul(c.slice(OUT, 1), b));
            }
            case 'Lambda': return new Closure(term.binders, term.body, env, isHigherOrder(this.typeOf(term)));
            case 'Application': {
                const { head, args } = applicationSpine(term);
                let f = this.value(head, env);
                for (const argument of args) f = this.apply(f, this.value(argument, env), this.typeOf(argument));
                return f;
            }
            case 'Iter': return this.iterate(term, env);
            case 'LetTerm': {
                const value = this.value(term.value, env);
                return this.bind(term.binder, value, env, next => this.value(term.body, next), () => dim(this.typeOf(term)));
            }
            case 'LetPairTerm': {
                const pair = this.value(term.value, env);
                if (pair instanceof Failure) return new Failure(dim(this.typeOf(term)));
                if (pair instanceof PairValue) {
                    const resultDim = () => dim(this.typeOf(term));
                    return this.bind(term.first, pair.left, env, next => this.bind(term.second, pair.right, next, last => this.value(term.body, last), resultDim), resultDim);
                }
                const t = this.tensor(pair);
                const x = temporaryAxis(), y = temporaryAxis();
                const dx = dim(this.typeOf(term.first)), dy = dim(this.typeOf(term.second));
                const split = t.split(OUT, x, dx, y, dy);
                let next = extend(env, term.first, this.identity(x, dx));
                next = extend(next, term.second, this.identity(y, dy));
                const body = this.tensor(this.value(term.body, next));
                return this.mul(body, split, [x, y]);
            }
            case 'Pair': {
                const left = this.value(term.first, env);
                const right = this.value(term.second, env);
                if (left instanceof Failure || right instanceof Failure) return new Failure(dim(this.typeOf(term)));
                if (containsFunction(this.typeOf(term))) return new PairValue(left, right);
                return this.tensor(new PairValue(left, right));
            }
        }
    }

    /**
     * Binds `binder` to `value` for `body`. A function-valued binder (or a constant one) is
     * substituted; otherwise it gets a fresh axis that is contracted with the value
     * afterwards — the linear extension, exact because the body is linear in it.
     */
    private bind(binder: ast.Binder, value: Value, env: Env | undefined, body: (env: Env | undefined) => Value, resultDim: () => number): Value {
        // Call by value: an argument that failed makes the whole result fail.
        if (value instanceof Failure) return new Failure(resultDim());
        if (value instanceof Variable) value = this.tensor(value);
        if (!(value instanceof NamedTensor)) return body(extend(env, binder, value));
        const functionValued = containsFunction(this.typeOf(binder));
        const basis = constantBasis(value);
        // A discrete zero vector is a failed computation (no value of the type is zero); a
        // function's zero matrix is a value (see Failure).
        if (basis === 'zero' && !functionValued) return new Failure(resultDim());
        if (basis !== undefined || functionValued) return body(extend(env, binder, value));
        const x = temporaryAxis();
        const t = this.tensor(body(extend(env, binder, this.identity(x, value.dimOf(OUT)!))));
        return this.mul(t, value.rename(OUT, x), [x]);
    }

    /**
     * f a: substitution for a higher-order closure, and for a closure whose result is a
     * function (see keepsClosure); else the matrix times the argument.
     */
    private apply(f: Value, argument: Value, argumentType: CajalType): Value {
        const dA = dim(argumentType);
        if (f instanceof Failure) return new Failure(f.dim / dA);
        if (f instanceof PairValue) throw new CompileError('cannot apply a pair');
        if (f instanceof Closure && (f.substitutes || f.binders.length > 1 || containsFunction(this.typeOf(f.body)))) {
            const [binder, ...rest] = f.binders;
            return this.bind(binder, argument, f.env, env => {
                return rest.length > 0 ? new Closure(rest, f.body, env, f.substitutes) : this.value(f.body, env);
            }, () => rest.reduce((d, b) => d * dim(this.typeOf(b)), dim(this.typeOf(f.body))));
        }
        const matrix = this.tensor(f);
        // Call by value, as in bind: a failed argument fails the application, even where the
        // result is a function (whose zero matrix alone would read as a value).
        if (argument instanceof Failure || (!containsFunction(argumentType) && argument instanceof NamedTensor && constantBasis(argument) === 'zero')) {
            return new Failure(matrix.dimOf(OUT)! / dA);
        }
        return this.applyTensor(matrix, this.tensor(argument), dA);
    }

    /** ⟦t u⟧: the function's OUT splits into [dim B, dim A]; dim A is contracted with the argument. */
    private applyTensor(f: NamedTensor, u: NamedTensor, dA: number): NamedTensor {
        const dFunction = f.dimOf(OUT)!;
        if (dFunction % dA !== 0 || u.dimOf(OUT) !== dA) throw new CompileError(`cannot apply a tensor of dim ${dFunction} to an argument of dim ${u.dimOf(OUT)}`);
        const a = temporaryAxis();
        const matrix = f.split(OUT, OUT, dFunction / dA, a, dA);
        return this.mul(matrix, u.rename(OUT, a), [a]);
    }

    /**
     * Σᵢ nᵢ · sⁱ(b), unrolled only as far as the count can reach. A state that involves
     * functions is stepped by substitution (each sⁱ(b) a value); a constant count then
     * selects its state.
     */
    private iterate(term: ast.Iter, env: Env | undefined): Value {
        const count = this.value(term.count, env);
        if (count instanceof Variable && !containsFunction(this.typeOf(term))) {
            const stacked = this.iterateOverVariable(term, env, count);
            if (stacked) return stacked;
        }
        const n = this.tensor(count);
        const k = n.dimOf(OUT)!;
        const slices = Array.from({ length: k }, (_, i) => n.slice(OUT, i));
        let last = k - 1;
        while (last > 0 && slices[last].data.every(v => v === 0)) last--;
        const y = term.stepBinder;
        const basis = constantBasis(n);
        if (basis === 'zero') return new Failure(dim(this.typeOf(term)));
        if (containsFunction(this.typeOf(term))) {
            let state = this.value(term.base, env);
            const states: Value[] = [state];
            for (let i = 1; i <= last; i++) {
                state = this.bind(y, state, env, next => this.value(term.step, next), () => dim(this.typeOf(term)));
                states.push(state);
            }
            if (basis !== undefined) return states[basis];
            let sum: NamedTensor | undefined;
            states.forEach((s, i) => {
                if (slices[i].data.every(v => v === 0)) return;
                const weighted = this.mul(slices[i], this.tensor(s));
                sum = sum ? this.add(sum, weighted) : weighted;
            });
            return sum ?? this.zeros(dim(this.typeOf(term))); // a count that is zero wherever it is defined
        }
        const base = this.tensor(this.value(term.base, env));
        if (last === 0) return this.mul(slices[0], base);
        const axis = temporaryAxis();
        const step = this.tensor(this.value(term.step, extend(env, y, this.identity(axis, base.dimOf(OUT)!))));
        let state = base;
        let sum = this.mul(slices[0], state);
        for (let i = 1; i <= last; i++) {
            state = this.mul(step, state.rename(OUT, axis), [axis]);
            if (slices[i].data.some(v => v !== 0)) sum = this.add(sum, this.mul(slices[i], state));
        }
        return sum;
    }

    /**
     * `iter x {…}` with a variable count x of Nat[k]: Σᵢ eᵢ(x) ⊗ sⁱ(b) is the states stacked
     * along x's axis, k steps of the state's size, where the general path multiplies each
     * state by a slice of the k×k identity (O(k²), and Nat[100000] never finished).
     * Undefined where the general path must decide: the count's variable inside the state
     * or the step (replicated), or states with different axes (broadcast by add).
     */
    private iterateOverVariable(term: ast.Iter, env: Env | undefined, count: Variable): NamedTensor | undefined {
        const base = this.tensor(this.value(term.base, env));
        if (base.has(count.axis)) return undefined;
        const axis = temporaryAxis();
        const step = this.tensor(this.value(term.step, extend(env, term.stepBinder, this.identity(axis, base.dimOf(OUT)!))));
        if (step.has(count.axis)) return undefined;
        const order = base.axes;
        this.checkSize(count.dim * base.size);
        const data = new Float64Array(count.dim * base.size);
        let state = base;
        for (let i = 0; i < count.dim; i++) {
            if (state.axes.length !== order.length || order.some(a => !state.has(a))) return undefined;
            state = state.permute(order);
            // A zero state stays zero (the step is linear in it): the rest of the columns are zero.
            if (state.data.every(v => v === 0)) break;
            data.set(state.data, i * base.size);
            if (i + 1 < count.dim) state = this.mul(step, state.rename(OUT, axis), [axis]);
        }
        return new NamedTensor([count.axis, ...order], [count.dim, ...base.dims], data);
    }
}
