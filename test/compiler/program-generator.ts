/**
 * Random well-typed, linear, closed Cajal programs for property tests of the compiler
 * (the papers' correctness theorem). Type-directed: every linear variable in the context
 * is used exactly once, eliminated by the construct its type offers (if for Bool, iter for
 * Nat, a pair pattern for products, application for functions). Atoms carry ascriptions,
 * so every term's type is inferable.
 */

export type GenType =
    | { kind: 'bool' }
    | { kind: 'nat'; bound: number }
    | { kind: 'function'; domain: GenType; codomain: GenType }
    | { kind: 'product'; left: GenType; right: GenType };

export const BOOL: GenType = { kind: 'bool' };
export const nat = (bound: number): GenType => ({ kind: 'nat', bound });
export const fn = (domain: GenType, codomain: GenType): GenType => ({ kind: 'function', domain, codomain });
export const pair = (left: GenType, right: GenType): GenType => ({ kind: 'product', left, right });

export function typeText(t: GenType): string {
    switch (t.kind) {
        case 'bool': return 'Bool';
        case 'nat': return `Nat[${t.bound}]`;
        case 'function': return `(${typeText(t.domain)} -o ${typeText(t.codomain)})`;
        case 'product': return `(${typeText(t.left)} * ${typeText(t.right)})`;
    }
}

export function sameType(a: GenType, b: GenType): boolean {
    return typeText(a) === typeText(b);
}

/** A small deterministic PRNG (mulberry32), so a failing seed reproduces. */
export class Random {
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

const BASE: GenType[] = [BOOL, nat(2), nat(3)];

/** A random base type: Bool, Nat[2] or Nat[3]. */
export function baseType(random: Random): GenType {
    return random.pick(BASE);
}

/** Types whose values the test can enumerate as arguments: base types, pairs of them, first-order functions. */
export function argumentType(random: Random): GenType {
    const r = random.int(5);
    if (r <= 2) return baseType(random);
    if (r === 3) return pair(baseType(random), baseType(random));
    return fn(baseType(random), baseType(random));
}

/** The type of a whole test program: first-order values, functions (also higher-order and curried). */
export function programType(random: Random): GenType {
    switch (random.int(6)) {
        case 0: return baseType(random);
        case 1: return pair(baseType(random), baseType(random));
        case 2: return fn(argumentType(random), baseType(random));
        case 3: return fn(argumentType(random), fn(baseType(random), baseType(random)));
        case 4: return fn(fn(baseType(random), baseType(random)), baseType(random));
        default: return fn(baseType(random), pair(baseType(random), baseType(random)));
    }
}

interface Variable { name: string; type: GenType }

/** Definitions every generated program may call (closed globals are unrestricted). */
export const PRELUDE = `
def not (x : Bool) : Bool = if x then false else true
def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
def xor (a : Bool) (b : Bool) : Bool = if a then not b else b
def mix3 (n : Nat[3]) : Nat[3] = iter n { zero => (2 : Nat[3]) ; succ y => (iter y { zero => (1 : Nat[3]) ; succ z => succ z }) }
`;

export class ProgramGenerator {
    private counter = 0;
    /** The types of the variables replicated by iter steps so far (the `linearity/iter-replicates` warning). */
    readonly replicated: GenType[] = [];
    constructor(private readonly random: Random) { }

    private fresh(prefix: string): string { return `${prefix}${this.counter++}`; }

    /** A term of type `type` using each variable of `context` exactly once. */
    term(type: GenType, context: Variable[], depth: number): string {
        const r = this.random;
        if (context.length === 0) return this.closed(type, depth);
        if (context.length === 1 && sameType(context[0].type, type) && (depth <= 0 || r.chance(0.4))) return context[0].name;
        if (depth > 0 && r.chance(0.15)) return this.replicating(type, context, depth - 1);
        if (depth > 0 && r.chance(0.35)) return this.introduce(type, context, depth - 1);
        return this.eliminate(type, context, depth - 1);
    }

    /** A closed term: a literal, or (with depth left) a construct built from closed parts. */
    private closed(type: GenType, depth: number): string {
        const r = this.random;
        if (depth > 0 && r.chance(0.5)) return this.introduce(type, [], depth - 1);
        switch (type.kind) {
            case 'bool': return r.chance(0.5) ? 'true' : 'false';
            case 'nat': return r.chance(0.2) ? `(zero : Nat[${type.bound}])` : `(${r.int(type.bound)} : Nat[${type.bound}])`;
            case 'function': {
                const x = this.fresh('x');
                return `(fun (${x} : ${typeText(type.domain)}) => ${this.term(type.codomain, [{ name: x, type: type.domain }], Math.max(depth, 0))})`;
            }
            case 'product': return `(${this.closed(type.left, depth)}, ${this.closed(type.right, depth)})`;
        }
    }

    private split(context: Variable[]): [Variable[], Variable[]] {
        const left: Variable[] = [], right: Variable[] = [];
        for (const v of context) (this.random.chance(0.5) ? left : right).push(v);
        return [left, right];
    }

    /** Builds a term by a construct that produces `type` (splitting the context among parts). */
    private introduce(type: GenType, context: Variable[], depth: number): string {
        const r = this.random;
        const options: Array<() => string> = [];
        options.push(() => {
            const [c, rest] = this.split(context);
            return `(if ${this.term(BOOL, c, depth)} then ${this.term(type, rest, depth)} else ${this.term(type, rest, depth)})`;
        });
        options.push(() => {
            const argument = argumentType(r);
            const [f, a] = this.split(context);
            return `(${this.term(fn(argument, type), f, depth)} ${this.term(argument, a, depth)})`;
        });
        options.push(() => {
            const bound = r.pick([2, 3]);
            const [n, rest] = this.split(context);
            const y = this.fresh('y');
            return `(iter ${this.term(nat(bound), n, depth)} { zero => ${this.term(type, rest, depth)} ; succ ${y} => ${this.term(type, [{ name: y, type }], depth)} })`;
        });
        options.push(() => {
            const valueType = argumentType(r);
            const [v, rest] = this.split(context);
            const x = this.fresh('l');
            return `(let ${x} : ${typeText(valueType)} = ${this.term(valueType, v, depth)} in ${this.term(type, [...rest, { name: x, type: valueType }], depth)})`;
        });
        if (type.kind === 'function') {
            options.push(() => {
                const x = this.fresh('x');
                return `(fun (${x} : ${typeText(type.domain)}) => ${this.term(type.codomain, [...context, { name: x, type: type.domain }], depth)})`;
            });
        }
        if (type.kind === 'product') {
            options.push(() => {
                const [a, b] = this.split(context);
                return `(${this.term(type.left, a, depth)}, ${this.term(type.right, b, depth)})`;
            });
        }
        if (type.kind === 'nat') options.push(() => `(succ ${this.term(type, context, depth)})`);
        if (type.kind === 'nat' && type.bound === 3) options.push(() => `(mix3 ${this.term(type, context, depth)})`);
        if (type.kind === 'bool') {
            options.push(() => `(not ${this.term(BOOL, context, depth)})`);
            options.push(() => {
                const [a, b] = this.split(context);
                return `(${r.pick(['and', 'xor'])} ${this.term(BOOL, a, depth)} ${this.term(BOOL, b, depth)})`;
            });
        }
        return r.pick(options)();
    }

    /**
     * An iter whose step reuses a variable of the context bound outside it: the step is
     * polynomial in it (the `linearity/iter-replicates` warning; spec §7).
     */
    replicating(type: GenType, context: Variable[], depth: number): string {
        const r = this.random;
        const index = r.int(context.length);
        const v = context[index];
        const [n, base] = this.split(context.filter((_, i) => i !== index));
        const y = this.fresh('y');
        this.replicated.push(v.type);
        return `(iter ${this.term(nat(r.pick([2, 3])), n, depth)} { zero => ${this.term(type, base, depth)} ; succ ${y} => ${this.term(type, [{ name: y, type }, v], depth)} })`;
    }

    /** Uses one variable of the context by the elimination form of its type. */
    private eliminate(type: GenType, context: Variable[], depth: number): string {
        const r = this.random;
        const index = r.int(context.length);
        const v = context[index];
        const rest = context.filter((_, i) => i !== index);
        if (rest.length === 0 && sameType(v.type, type)) return v.name;
        switch (v.type.kind) {
            case 'bool':
                return `(if ${v.name} then ${this.term(type, rest, depth)} else ${this.term(type, rest, depth)})`;
            case 'nat': {
                const y = this.fresh('y');
                return `(iter ${v.name} { zero => ${this.term(type, rest, depth)} ; succ ${y} => ${this.term(type, [{ name: y, type }], depth)} })`;
            }
            case 'product': {
                const a = this.fresh('p'), b = this.fresh('q');
                return `(let (${a}, ${b}) = ${v.name} in ${this.term(type, [...rest, { name: a, type: v.type.left }, { name: b, type: v.type.right }], depth)})`;
            }
            case 'function': {
                const [forArgument, forBody] = this.split(rest);
                const z = this.fresh('z');
                if (forBody.length === 0 && sameType(v.type.codomain, type)) {
                    return `(${v.name} ${this.term(v.type.domain, forArgument, depth)})`;
                }
                return `(let ${z} : ${typeText(v.type.codomain)} = ${v.name} ${this.term(v.type.domain, forArgument, depth)} in ${this.term(type, [...forBody, { name: z, type: v.type.codomain }], depth)})`;
            }
        }
    }
}

/** A random program `PRELUDE + def main : T = …` and its type. */
export function randomProgram(seed: number, depth = 3): { text: string; type: GenType; replicated: GenType[] } {
    const random = new Random(seed);
    const type = programType(random);
    const generator = new ProgramGenerator(random);
    const body = generator.term(type, [], depth);
    return { text: `${PRELUDE}\ndef main : ${typeText(type)} = ${body}\n`, type, replicated: generator.replicated };
}

const REPLICATED_KINDS: Array<(random: Random) => GenType> = [
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
export function randomReplicatingProgram(seed: number, depth = 3): { text: string; type: GenType; replicated: GenType[] } {
    const random = new Random(seed);
    const domain = REPLICATED_KINDS[seed % REPLICATED_KINDS.length](random);
    const result = random.chance(0.6) ? baseType(random) : fn(baseType(random), baseType(random));
    const generator = new ProgramGenerator(random);
    const x = `r${seed % 97}`;
    const lambda = `(fun (${x} : ${typeText(domain)}) => ${generator.replicating(result, [{ name: x, type: domain }], depth)})`;
    const applied = random.chance(0.5);
    const type = applied ? result : fn(domain, result);
    const body = applied ? `(${lambda} ${generator.term(domain, [], depth)})` : lambda;
    return { text: `${PRELUDE}\ndef main : ${typeText(type)} = ${body}\n`, type, replicated: generator.replicated };
}
