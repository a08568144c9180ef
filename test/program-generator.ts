/**
 * The one generator of random well-typed, linear Cajal programs, for every property test.
 *
 * Programs are drawn type-directed as a tree of {@link Term}s over the types of
 * {@link GenType} (Bool, Nat[k], A * B, A -o B), threading the linear variables each subterm
 * must use exactly once, and printed fully parenthesised. Two draws share the types, the
 * terms, the printer and the source of choices:
 *
 * - {@link ProgramGenerator.coreProgram}: the linear core with parameters and unannotated
 *   literals (`def main (p : A) … : B = t` and `def test : B = main c …`), for the front
 *   end's properties; {@link evaluate} is an independent oracle for its terms.
 * - {@link randomProgram} / {@link randomReplicatingProgram}: closed programs over a small
 *   {@link PRELUDE}, with ascribed atoms, higher-order functions and iter steps that reuse an
 *   outer variable (`linearity/iter-replicates`), for the compiler's correctness theorem.
 *   These are a pure function of the seed (the correctness suite's fixed seed depends on it).
 */
import fc from 'fast-check';

// ---- types -------------------------------------------------------------------------------

/** The generated programs' types: the kinds of `@cajal/ir`'s type shapes without Real. */
export type GenType =
    | { kind: 'bool' }
    | { kind: 'nat'; bound: number }
    | { kind: 'function'; domain: GenType; codomain: GenType }
    | { kind: 'product'; left: GenType; right: GenType };

export const BOOL: GenType = { kind: 'bool' };
export const nat = (bound: number): GenType => ({ kind: 'nat', bound });
export const fn = (domain: GenType, codomain: GenType): GenType => ({ kind: 'function', domain, codomain });
export const pair = (left: GenType, right: GenType): GenType => ({ kind: 'product', left, right });

/** Cajal source for a type, fully parenthesised (`Nat` is `Nat[10]`). */
export function printType(type: GenType): string {
    switch (type.kind) {
        case 'bool': return 'Bool';
        case 'nat': return type.bound === 10 ? 'Nat' : `Nat[${type.bound}]`;
        case 'function': return `(${printType(type.domain)} -o ${printType(type.codomain)})`;
        case 'product': return `(${printType(type.left)} * ${printType(type.right)})`;
    }
}

export function typeEquals(a: GenType, b: GenType): boolean {
    return printType(a) === printType(b);
}

// ---- terms -------------------------------------------------------------------------------

export type Term =
    | { kind: 'var'; name: string; type: GenType }
    | { kind: 'lit'; text: string }
    | { kind: 'global'; name: string }
    /** A global applied to all its arguments at once: `(name a b)`. */
    | { kind: 'call'; name: string; args: Term[] }
    | { kind: 'if'; condition: Term; then: Term; else: Term }
    | { kind: 'pair'; left: Term; right: Term }
    | { kind: 'letPair'; first: string; second: string; value: Term; body: Term }
    | { kind: 'let'; name: string; type: GenType; value: Term; body: Term }
    /** A function applied and its result bound: `(let name : type = fn argument in body)`. */
    | { kind: 'letApply'; name: string; type: GenType; fn: Term; argument: Term; body: Term }
    | { kind: 'lam'; name: string; type: GenType; body: Term }
    | { kind: 'app'; fn: Term; argument: Term }
    | { kind: 'iter'; count: Term; base: Term; step: string; body: Term }
    | { kind: 'ascribe'; term: Term; type: GenType };

export function printTerm(term: Term): string {
    switch (term.kind) {
        case 'var': return term.name;
        case 'lit': return term.text;
        case 'global': return term.name;
        case 'call': return `(${[term.name, ...term.args.map(printTerm)].join(' ')})`;
        case 'if': return `(if ${printTerm(term.condition)} then ${printTerm(term.then)} else ${printTerm(term.else)})`;
        case 'pair': return `(${printTerm(term.left)}, ${printTerm(term.right)})`;
        case 'letPair': return `(let (${term.first}, ${term.second}) = ${printTerm(term.value)} in ${printTerm(term.body)})`;
        case 'let': return `(let ${term.name} : ${printType(term.type)} = ${printTerm(term.value)} in ${printTerm(term.body)})`;
        case 'letApply':
            return `(let ${term.name} : ${printType(term.type)} = ${printTerm(term.fn)} ${printTerm(term.argument)} in ${printTerm(term.body)})`;
        case 'lam': return `(fun (${term.name} : ${printType(term.type)}) => ${printTerm(term.body)})`;
        case 'app': return `(${printTerm(term.fn)} ${printTerm(term.argument)})`;
        case 'iter': return `(iter ${printTerm(term.count)} { zero => ${printTerm(term.base)} ; succ ${term.step} => ${printTerm(term.body)} })`;
        case 'ascribe': return `(${printTerm(term.term)} : ${printType(term.type)})`;
    }
}

/** The direct subterms of a term, in printing order. */
function children(term: Term): Term[] {
    switch (term.kind) {
        case 'var': case 'lit': case 'global': return [];
        case 'call': return term.args;
        case 'if': return [term.condition, term.then, term.else];
        case 'pair': return [term.left, term.right];
        case 'letPair': case 'let': return [term.value, term.body];
        case 'letApply': return [term.fn, term.argument, term.body];
        case 'lam': return [term.body];
        case 'app': return [term.fn, term.argument];
        case 'iter': return [term.count, term.base, term.body];
        case 'ascribe': return [term.term];
    }
}

/** Every use of a linear variable in a term (the `var` nodes), in printing order. */
export function variableUses(term: Term): Array<Extract<Term, { kind: 'var' }>> {
    return term.kind === 'var' ? [term] : children(term).flatMap(variableUses);
}

/** The term with every node `replace` returns a replacement for replaced (top-down). */
export function mapTerm(term: Term, replace: (t: Term) => Term | undefined): Term {
    const replaced = replace(term);
    if (replaced) return replaced;
    const m = (t: Term) => mapTerm(t, replace);
    switch (term.kind) {
        case 'var': case 'lit': case 'global': return term;
        case 'call': return { ...term, args: term.args.map(m) };
        case 'if': return { ...term, condition: m(term.condition), then: m(term.then), else: m(term.else) };
        case 'pair': return { ...term, left: m(term.left), right: m(term.right) };
        case 'letPair': case 'let': return { ...term, value: m(term.value), body: m(term.body) };
        case 'letApply': return { ...term, fn: m(term.fn), argument: m(term.argument), body: m(term.body) };
        case 'lam': return { ...term, body: m(term.body) };
        case 'app': return { ...term, fn: m(term.fn), argument: m(term.argument) };
        case 'iter': return { ...term, count: m(term.count), base: m(term.base), body: m(term.body) };
        case 'ascribe': return { ...term, term: m(term.term) };
    }
}

// ---- choices -----------------------------------------------------------------------------

/** A source of random choices. */
export interface Choices {
    /** An integer in [0, n). */
    int(n: number): number;
    /** True with probability p. */
    chance(p: number): boolean;
    pick<T>(items: readonly T[]): T;
}

/** A small deterministic PRNG (mulberry32), so a failing seed reproduces. */
export class Random implements Choices {
    private state: number;
    constructor(seed: number) { this.state = seed >>> 0; }
    next(): number {
        let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    }
    int(n: number): number { return Math.floor(this.next() * n); }
    pick<T>(items: readonly T[]): T { return items[this.int(items.length)]; }
    chance(p: number): boolean { return this.next() < p; }
}

/** Choices drawn from fast-check's `fc.gen()`, so a failure is reported (and shrunk) with its seed. */
export function fastCheckChoices(g: fc.GeneratorValue): Choices {
    const int = (n: number) => g(fc.integer, { min: 0, max: n - 1 });
    return { int, chance: p => int(1 << 20) < p * (1 << 20), pick: items => items[int(items.length)] };
}

// ---- drawing programs --------------------------------------------------------------------

interface Variable { readonly name: string; readonly type: GenType }

/** Definitions every prelude program may call (closed globals are unrestricted). */
export const PRELUDE = `
def not (x : Bool) : Bool = if x then false else true
def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
def xor (a : Bool) (b : Bool) : Bool = if a then not b else b
def mix3 (n : Nat[3]) : Nat[3] = iter n { zero => (2 : Nat[3]) ; succ y => (iter y { zero => (1 : Nat[3]) ; succ z => succ z }) }
`;

const BASE: GenType[] = [BOOL, nat(2), nat(3)];

/** A random base type of the prelude programs: Bool, Nat[2] or Nat[3]. */
export function baseType(random: Choices): GenType {
    return random.pick(BASE);
}

/** Types whose values the test can enumerate as arguments: base types, pairs of them, first-order functions. */
export function argumentType(random: Choices): GenType {
    const r = random.int(5);
    if (r <= 2) return baseType(random);
    if (r === 3) return pair(baseType(random), baseType(random));
    return fn(baseType(random), baseType(random));
}

/** The type of a whole prelude program: first-order values, functions (also higher-order and curried). */
export function programType(random: Choices): GenType {
    switch (random.int(6)) {
        case 0: return baseType(random);
        case 1: return pair(baseType(random), baseType(random));
        case 2: return fn(argumentType(random), baseType(random));
        case 3: return fn(argumentType(random), fn(baseType(random), baseType(random)));
        case 4: return fn(fn(baseType(random), baseType(random)), baseType(random));
        default: return fn(baseType(random), pair(baseType(random), baseType(random)));
    }
}

/** A core program: `def main` over its parameters and `def test` applying it to closed arguments. */
export interface GeneratedProgram {
    readonly parameters: readonly Variable[];
    readonly result: GenType;
    readonly body: Term;
    readonly args: readonly Term[];
    readonly externs?: readonly string[];
}

/**
 * Draws terms that use each linear variable of their context exactly once on every path,
 * eliminating a variable by the construct its type offers (if for Bool, iter for Nat, a pair
 * pattern for products, application for functions).
 */
export class ProgramGenerator {
    private counter = 0;
    /** The types of the variables replicated by iter steps so far (the `linearity/iter-replicates` warning). */
    readonly replicated: GenType[] = [];

    constructor(private readonly random: Choices) { }

    private fresh(prefix: string): string {
        return `${prefix}${this.counter++}`;
    }

    /** Splits variables into two groups at random. */
    private split(variables: readonly Variable[]): [Variable[], Variable[]] {
        const left: Variable[] = [], right: Variable[] = [];
        for (const variable of variables) (this.random.int(2) === 0 ? left : right).push(variable);
        return [left, right];
    }

    // ---- the linear core (the front end's properties) ----

    /** A type of the core: Bool, Nat, Nat[3], and (with depth left) pairs and functions. */
    coreType(depth: number): GenType {
        switch (this.random.int(depth <= 0 ? 3 : 5)) {
            case 0: return BOOL;
            case 1: return nat(10);
            case 2: return nat(3);
            case 3: return pair(this.coreType(depth - 1), this.coreType(depth - 1));
            default: return fn(this.coreType(depth - 1), this.coreType(depth - 1));
        }
    }

    /** A core term of `type` without free linear variables (numerals unannotated). */
    coreClosed(type: GenType, depth: number): Term {
        switch (type.kind) {
            case 'bool': {
                if (depth > 0 && this.random.int(3) === 0) {
                    return { kind: 'if', condition: this.coreClosed(type, depth - 1), then: this.coreClosed(type, depth - 1), else: this.coreClosed(type, depth - 1) };
                }
                return { kind: 'lit', text: this.random.int(2) === 0 ? 'true' : 'false' };
            }
            case 'nat': {
                const value = this.random.int(type.bound);
                const form = this.random.int(3);
                if (form === 0 && value > 0) return { kind: 'lit', text: `(succ ${value - 1})` }; // never overflows
                if (form === 1 && value === 0) return { kind: 'lit', text: 'zero' };
                return { kind: 'lit', text: String(value) };
            }
            case 'product': return { kind: 'pair', left: this.coreClosed(type.left, depth - 1), right: this.coreClosed(type.right, depth - 1) };
            case 'function': {
                const name = this.fresh('x');
                return { kind: 'lam', name, type: type.domain, body: this.coreTerm(type.codomain, [{ name, type: type.domain }], depth - 1) };
            }
        }
    }

    /** A core term of `type` that uses each of `variables` exactly once on every path. */
    coreTerm(type: GenType, variables: readonly Variable[], depth: number): Term {
        if (variables.length === 0) return this.coreClosed(type, depth);
        if (variables.length === 1 && typeEquals(variables[0].type, type) && (depth <= 0 || this.random.int(3) === 0)) {
            return { kind: 'var', name: variables[0].name, type };
        }
        const options: Array<() => Term> = [];
        const index = this.random.int(variables.length);
        // Eliminating a variable always makes progress: its type is used up or gets smaller.
        options.push(() => this.coreEliminate(type, variables, index, depth));
        if (depth > 0) {
            if (type.kind === 'product') {
                options.push(() => {
                    const [left, right] = this.split(variables);
                    return { kind: 'pair', left: this.coreTerm(type.left, left, depth - 1), right: this.coreTerm(type.right, right, depth - 1) };
                });
            }
            if (type.kind === 'function') {
                options.push(() => {
                    const name = this.fresh('x');
                    return { kind: 'lam', name, type: type.domain, body: this.coreTerm(type.codomain, [...variables, { name, type: type.domain }], depth - 1) };
                });
            }
            options.push(() => {
                const [inValue, inBody] = this.split(variables);
                const valueType = this.coreType(1);
                const name = this.fresh('l');
                return {
                    kind: 'let', name, type: valueType, value: this.coreTerm(valueType, inValue, depth - 1),
                    body: this.coreTerm(type, [...inBody, { name, type: valueType }], depth - 1)
                };
            });
        }
        // Without depth left, only elimination (which terminates by type size).
        return options[depth > 0 ? this.random.int(options.length) : 0]();
    }

    private coreEliminate(type: GenType, variables: readonly Variable[], index: number, depth: number): Term {
        const variable = variables[index];
        const rest = variables.filter((_, i) => i !== index);
        const use: Term = { kind: 'var', name: variable.name, type: variable.type };
        const next = depth - 1;
        switch (variable.type.kind) {
            case 'bool':
                return { kind: 'if', condition: use, then: this.coreTerm(type, rest, next), else: this.coreTerm(type, rest, next) };
            case 'nat': {
                const step = this.fresh('y');
                return { kind: 'iter', count: use, base: this.coreTerm(type, rest, next), step, body: this.coreTerm(type, [{ name: step, type }], next) };
            }
            case 'product': {
                const first = this.fresh('a'), second = this.fresh('b');
                return {
                    kind: 'letPair', first, second, value: use,
                    body: this.coreTerm(type, [...rest, { name: first, type: variable.type.left }, { name: second, type: variable.type.right }], next)
                };
            }
            case 'function': {
                const [forArgument, forBody] = this.split(rest);
                const result = this.fresh('r');
                return {
                    kind: 'letApply', name: result, type: variable.type.codomain, fn: use,
                    argument: this.coreTerm(variable.type.domain, forArgument, next),
                    body: this.coreTerm(type, [...forBody, { name: result, type: variable.type.codomain }], next)
                };
            }
        }
    }

    /**
     * A core program: `def main (p1 : A1) … : B = t` using every parameter once, and
     * `def test : B = main c1 …` applying it to closed arguments.
     */
    coreProgram(): GeneratedProgram {
        const parameters: Variable[] = Array.from({ length: 1 + this.random.int(3) }, () => ({ name: this.fresh('p'), type: this.coreType(1) }));
        const result = this.coreType(2);
        const body = this.coreTerm(result, parameters, 4);
        const args = parameters.map(p => this.coreClosed(p.type, 2));
        return { parameters, result, body, args };
    }

    // ---- prelude programs (the compiler's correctness theorem) ----

    /** A term of type `type` using each variable of `context` exactly once. */
    term(type: GenType, context: readonly Variable[], depth: number): Term {
        const r = this.random;
        if (context.length === 0) return this.closed(type, depth);
        if (context.length === 1 && typeEquals(context[0].type, type) && (depth <= 0 || r.chance(0.4))) return this.use(context[0]);
        if (depth > 0 && r.chance(0.15)) return this.replicating(type, context, depth - 1);
        if (depth > 0 && r.chance(0.35)) return this.introduce(type, context, depth - 1);
        return this.eliminate(type, context, depth - 1);
    }

    private use(variable: Variable): Term {
        return { kind: 'var', name: variable.name, type: variable.type };
    }

    /** A closed term: an ascribed literal, or (with depth left) a construct built from closed parts. */
    private closed(type: GenType, depth: number): Term {
        const r = this.random;
        if (depth > 0 && r.chance(0.5)) return this.introduce(type, [], depth - 1);
        switch (type.kind) {
            case 'bool': return { kind: 'lit', text: r.chance(0.5) ? 'true' : 'false' };
            case 'nat': return { kind: 'ascribe', term: { kind: 'lit', text: r.chance(0.2) ? 'zero' : String(r.int(type.bound)) }, type };
            case 'function': {
                const x = this.fresh('x');
                return { kind: 'lam', name: x, type: type.domain, body: this.term(type.codomain, [{ name: x, type: type.domain }], Math.max(depth, 0)) };
            }
            case 'product': return { kind: 'pair', left: this.closed(type.left, depth), right: this.closed(type.right, depth) };
        }
    }

    /** Builds a term by a construct that produces `type` (splitting the context among parts). */
    private introduce(type: GenType, context: readonly Variable[], depth: number): Term {
        const r = this.random;
        const options: Array<() => Term> = [];
        options.push(() => {
            const [c, rest] = this.split(context);
            return { kind: 'if', condition: this.term(BOOL, c, depth), then: this.term(type, rest, depth), else: this.term(type, rest, depth) };
        });
        options.push(() => {
            const argument = argumentType(r);
            const [f, a] = this.split(context);
            return { kind: 'app', fn: this.term(fn(argument, type), f, depth), argument: this.term(argument, a, depth) };
        });
        options.push(() => {
            const bound = r.pick([2, 3]);
            const [n, rest] = this.split(context);
            const y = this.fresh('y');
            return { kind: 'iter', count: this.term(nat(bound), n, depth), base: this.term(type, rest, depth), step: y, body: this.term(type, [{ name: y, type }], depth) };
        });
        options.push(() => {
            const valueType = argumentType(r);
            const [v, rest] = this.split(context);
            const x = this.fresh('l');
            return { kind: 'let', name: x, type: valueType, value: this.term(valueType, v, depth), body: this.term(type, [...rest, { name: x, type: valueType }], depth) };
        });
        if (type.kind === 'function') {
            options.push(() => {
                const x = this.fresh('x');
                return { kind: 'lam', name: x, type: type.domain, body: this.term(type.codomain, [...context, { name: x, type: type.domain }], depth) };
            });
        }
        if (type.kind === 'product') {
            options.push(() => {
                const [a, b] = this.split(context);
                return { kind: 'pair', left: this.term(type.left, a, depth), right: this.term(type.right, b, depth) };
            });
        }
        if (type.kind === 'nat') options.push(() => ({ kind: 'call', name: 'succ', args: [this.term(type, context, depth)] }));
        if (type.kind === 'nat' && type.bound === 3) options.push(() => ({ kind: 'call', name: 'mix3', args: [this.term(type, context, depth)] }));
        if (type.kind === 'bool') {
            options.push(() => ({ kind: 'call', name: 'not', args: [this.term(BOOL, context, depth)] }));
            options.push(() => {
                const [a, b] = this.split(context);
                const name = r.pick(['and', 'xor']);
                return { kind: 'call', name, args: [this.term(BOOL, a, depth), this.term(BOOL, b, depth)] };
            });
        }
        return r.pick(options)();
    }

    /**
     * An iter whose step reuses a variable of the context bound outside it: the step is
     * polynomial in it (the `linearity/iter-replicates` warning; spec §7).
     */
    replicating(type: GenType, context: readonly Variable[], depth: number): Term {
        const r = this.random;
        const index = r.int(context.length);
        const v = context[index];
        const [n, base] = this.split(context.filter((_, i) => i !== index));
        const y = this.fresh('y');
        this.replicated.push(v.type);
        return {
            kind: 'iter', count: this.term(nat(r.pick([2, 3])), n, depth), base: this.term(type, base, depth),
            step: y, body: this.term(type, [{ name: y, type }, v], depth)
        };
    }

    /** Uses one variable of the context by the elimination form of its type. */
    private eliminate(type: GenType, context: readonly Variable[], depth: number): Term {
        const r = this.random;
        const index = r.int(context.length);
        const v = context[index];
        const rest = context.filter((_, i) => i !== index);
        if (rest.length === 0 && typeEquals(v.type, type)) return this.use(v);
        switch (v.type.kind) {
            case 'bool':
                return { kind: 'if', condition: this.use(v), then: this.term(type, rest, depth), else: this.term(type, rest, depth) };
            case 'nat': {
                const y = this.fresh('y');
                return { kind: 'iter', count: this.use(v), base: this.term(type, rest, depth), step: y, body: this.term(type, [{ name: y, type }], depth) };
            }
            case 'product': {
                const a = this.fresh('p'), b = this.fresh('q');
                return {
                    kind: 'letPair', first: a, second: b, value: this.use(v),
                    body: this.term(type, [...rest, { name: a, type: v.type.left }, { name: b, type: v.type.right }], depth)
                };
            }
            case 'function': {
                const [forArgument, forBody] = this.split(rest);
                const z = this.fresh('z');
                if (forBody.length === 0 && typeEquals(v.type.codomain, type)) {
                    return { kind: 'app', fn: this.use(v), argument: this.term(v.type.domain, forArgument, depth) };
                }
                return {
                    kind: 'letApply', name: z, type: v.type.codomain, fn: this.use(v), argument: this.term(v.type.domain, forArgument, depth),
                    body: this.term(type, [...forBody, { name: z, type: v.type.codomain }], depth)
                };
            }
        }
    }
}

/** A prelude program, its `main`'s type and the types its iter steps replicate. */
export interface PreludeProgram { text: string; type: GenType; replicated: GenType[] }

function preludeProgram(type: GenType, body: Term, generator: ProgramGenerator): PreludeProgram {
    return { text: `${PRELUDE}\ndef main : ${printType(type)} = ${printTerm(body)}\n`, type, replicated: generator.replicated };
}

/** A random program `PRELUDE + def main : T = …` and its type. */
export function randomProgram(seed: number, depth = 3): PreludeProgram {
    const random = new Random(seed);
    const type = programType(random);
    const generator = new ProgramGenerator(random);
    return preludeProgram(type, generator.term(type, [], depth), generator);
}

const REPLICATED_KINDS: Array<(random: Choices) => GenType> = [
    () => BOOL,
    random => nat(random.pick([2, 3])),
    random => pair(baseType(random), baseType(random)),
    random => fn(baseType(random), baseType(random))
];

/**
 * A random program whose iter steps reuse a variable bound outside them (spec §7: polynomial
 * in it, applied by substitution): `def main : A -o R = fun x => iter … { …; succ y => … x … }`
 * with x of each kind in turn (Bool, Nat, a pair, a function), or that function applied to a
 * closed or computed argument (`main : R`).
 */
export function randomReplicatingProgram(seed: number, depth = 3): PreludeProgram {
    const random = new Random(seed);
    const domain = REPLICATED_KINDS[seed % REPLICATED_KINDS.length](random);
    const result = random.chance(0.6) ? baseType(random) : fn(baseType(random), baseType(random));
    const generator = new ProgramGenerator(random);
    const x = `r${seed % 97}`;
    const lambda: Term = { kind: 'lam', name: x, type: domain, body: generator.replicating(result, [{ name: x, type: domain }], depth) };
    const applied = random.chance(0.5);
    const type = applied ? result : fn(domain, result);
    return preludeProgram(type, applied ? { kind: 'app', fn: lambda, argument: generator.term(domain, [], depth) } : lambda, generator);
}

export function printProgram(program: GeneratedProgram): string {
    const params = program.parameters.map(p => `(${p.name} : ${printType(p.type)})`).join(' ');
    return [
        ...(program.externs ?? []),
        `def main ${params} : ${printType(program.result)} =`,
        `  ${printTerm(program.body)}`,
        `def test : ${printType(program.result)} = main ${program.args.map(printTerm).join(' ')}`,
        ''
    ].join('\n');
}

// ---- the oracle --------------------------------------------------------------------------

/** Values of the generator's own evaluator (an independent oracle for the interpreter). */
export type OracleValue = boolean | number | [OracleValue, OracleValue] | ((argument: OracleValue) => OracleValue);

/** Evaluates a core term call-by-value, written independently of the real interpreter. */
export function evaluate(term: Term, env: ReadonlyMap<string, OracleValue> = new Map()): OracleValue {
    const bind = (name: string, value: OracleValue) => new Map(env).set(name, value);
    const apply = (f: Term, argument: Term) => (evaluate(f, env) as (a: OracleValue) => OracleValue)(evaluate(argument, env));
    switch (term.kind) {
        case 'var': return env.get(term.name)!;
        case 'lit': {
            if (term.text === 'true' || term.text === 'false') return term.text === 'true';
            if (term.text === 'zero') return 0;
            const succ = /^\(succ (\d+)\)$/.exec(term.text);
            return succ ? Number(succ[1]) + 1 : Number(term.text);
        }
        case 'global': case 'call': throw new Error(`no oracle meaning for the global '${term.name}'`);
        case 'if': return evaluate(term.condition, env) ? evaluate(term.then, env) : evaluate(term.else, env);
        case 'pair': return [evaluate(term.left, env), evaluate(term.right, env)];
        case 'letPair': {
            const [first, second] = evaluate(term.value, env) as [OracleValue, OracleValue];
            return evaluate(term.body, bind(term.first, first).set(term.second, second));
        }
        case 'let': return evaluate(term.body, bind(term.name, evaluate(term.value, env)));
        case 'letApply': return evaluate(term.body, bind(term.name, apply(term.fn, term.argument)));
        case 'lam': return (argument: OracleValue) => evaluate(term.body, bind(term.name, argument));
        case 'app': return apply(term.fn, term.argument);
        case 'iter': {
            const count = evaluate(term.count, env) as number;
            let state = evaluate(term.base, env);
            for (let i = 0; i < count; i++) state = evaluate(term.body, bind(term.step, state));
            return state;
        }
        case 'ascribe': return evaluate(term.term, env);
    }
}

/** Prints an oracle value like the interpreter's formatValue, with functions as `<function>`. */
export function printValue(value: OracleValue): string {
    if (typeof value === 'function') return '<function>';
    if (Array.isArray(value)) return `(${printValue(value[0])}, ${printValue(value[1])})`;
    return String(value);
}

/** The expected value of `test`: main's body with the parameters bound to the arguments. */
export function expectedTestValue(program: GeneratedProgram): string {
    const env = new Map<string, OracleValue>();
    program.parameters.forEach((parameter, i) => env.set(parameter.name, evaluate(program.args[i])));
    return printValue(evaluate(program.body, env));
}
