/**
 * A small generator of well-typed linear Cajal programs, for property tests. Terms are
 * built as a tree over types Bool, Nat[k], A * B and A -o B, threading the set of linear
 * variables each subterm must use exactly once, then printed fully parenthesized.
 */
export type Ty =
    | { kind: 'bool' }
    | { kind: 'nat'; bound: number }
    | { kind: 'pair'; left: Ty; right: Ty }
    | { kind: 'fn'; domain: Ty; codomain: Ty };

export type Term =
    | { kind: 'var'; name: string; type: Ty }
    | { kind: 'lit'; text: string }
    | { kind: 'global'; name: string }
    | { kind: 'if'; condition: Term; then: Term; else: Term }
    | { kind: 'pair'; left: Term; right: Term }
    | { kind: 'letPair'; first: string; second: string; value: Term; body: Term }
    | { kind: 'let'; name: string; type: Ty; value: Term; body: Term }
    | { kind: 'lam'; name: string; type: Ty; body: Term }
    | { kind: 'app'; fn: Term; argument: Term }
    | { kind: 'iter'; count: Term; base: Term; step: string; body: Term }
    | { kind: 'ascribe'; term: Term; type: Ty };

/** A source of choices: `choose(n)` is an integer in [0, n). fast-check's `fc.gen()` provides one. */
export type Choose = (n: number) => number;

export function printType(type: Ty): string {
    switch (type.kind) {
        case 'bool': return 'Bool';
        case 'nat': return type.bound === 10 ? 'Nat' : `Nat[${type.bound}]`;
        case 'pair': return `(${printType(type.left)} * ${printType(type.right)})`;
        case 'fn': return `(${printType(type.domain)} -o ${printType(type.codomain)})`;
    }
}

export function printTerm(term: Term): string {
    switch (term.kind) {
        case 'var': return term.name;
        case 'lit': return term.text;
        case 'global': return term.name;
        case 'if': return `(if ${printTerm(term.condition)} then ${printTerm(term.then)} else ${printTerm(term.else)})`;
        case 'pair': return `(${printTerm(term.left)}, ${printTerm(term.right)})`;
        case 'letPair': return `(let (${term.first}, ${term.second}) = ${printTerm(term.value)} in ${printTerm(term.body)})`;
        case 'let': return `(let ${term.name} : ${printType(term.type)} = ${printTerm(term.value)} in ${printTerm(term.body)})`;
        case 'lam': return `(fun (${term.name} : ${printType(term.type)}) => ${printTerm(term.body)})`;
        case 'app': return `(${printTerm(term.fn)} ${printTerm(term.argument)})`;
        case 'iter': return `(iter ${printTerm(term.count)} { zero => ${printTerm(term.base)} ; succ ${term.step} => ${printTerm(term.body)} })`;
        case 'ascribe': return `(${printTerm(term.term)} : ${printType(term.type)})`;
    }
}

export function typeEquals(a: Ty, b: Ty): boolean {
    if (a.kind !== b.kind) return false;
    switch (a.kind) {
        case 'bool': return true;
        case 'nat': return a.bound === (b as typeof a).bound;
        case 'pair': return typeEquals(a.left, (b as typeof a).left) && typeEquals(a.right, (b as typeof a).right);
        case 'fn': return typeEquals(a.domain, (b as typeof a).domain) && typeEquals(a.codomain, (b as typeof a).codomain);
    }
}

interface Variable { readonly name: string; readonly type: Ty }

export class ProgramGenerator {
    private counter = 0;

    constructor(private readonly choose: Choose) { }

    private fresh(prefix: string): string {
        return `${prefix}${this.counter++}`;
    }

    randomType(depth: number): Ty {
        const pick = this.choose(depth <= 0 ? 3 : 5);
        switch (pick) {
            case 0: return { kind: 'bool' };
            case 1: return { kind: 'nat', bound: 10 };
            case 2: return { kind: 'nat', bound: 3 };
            case 3: return { kind: 'pair', left: this.randomType(depth - 1), right: this.randomType(depth - 1) };
            default: return { kind: 'fn', domain: this.randomType(depth - 1), codomain: this.randomType(depth - 1) };
        }
    }

    /** A term of `type` without free linear variables. */
    closed(type: Ty, depth: number): Term {
        switch (type.kind) {
            case 'bool': {
                if (depth > 0 && this.choose(3) === 0) {
                    return { kind: 'if', condition: this.closed(type, depth - 1), then: this.closed(type, depth - 1), else: this.closed(type, depth - 1) };
                }
                return { kind: 'lit', text: this.choose(2) === 0 ? 'true' : 'false' };
            }
            case 'nat': {
                const value = this.choose(type.bound);
                const form = this.choose(3);
                if (form === 0 && value > 0) return { kind: 'lit', text: `(succ ${value - 1})` }; // never overflows
                if (form === 1 && value === 0) return { kind: 'lit', text: 'zero' };
                return { kind: 'lit', text: String(value) };
            }
            case 'pair': return { kind: 'pair', left: this.closed(type.left, depth - 1), right: this.closed(type.right, depth - 1) };
            case 'fn': {
                const name = this.fresh('x');
                return { kind: 'lam', name, type: type.domain, body: this.term(type.codomain, [{ name, type: type.domain }], depth - 1) };
            }
        }
    }

    /** Splits variables into two groups at random. */
    private split(variables: readonly Variable[]): [Variable[], Variable[]] {
        const left: Variable[] = [], right: Variable[] = [];
        for (const variable of variables) (this.choose(2) === 0 ? left : right).push(variable);
        return [left, right];
    }

    /** A term of `type` that uses each of `variables` exactly once on every path. */
    term(type: Ty, variables: readonly Variable[], depth: number): Term {
        if (variables.length === 0) return this.closed(type, depth);
        if (variables.length === 1 && typeEquals(variables[0].type, type) && (depth <= 0 || this.choose(3) === 0)) {
            return { kind: 'var', name: variables[0].name, type };
        }
        const options: Array<() => Term> = [];
        const index = this.choose(variables.length);
        // Eliminating a variable always makes progress: its type is used up or gets smaller.
        options.push(() => this.eliminate(type, variables, index, depth));
        if (depth > 0) {
            if (type.kind === 'pair') {
                options.push(() => {
                    const [left, right] = this.split(variables);
                    return { kind: 'pair', left: this.term(type.left, left, depth - 1), right: this.term(type.right, right, depth - 1) };
                });
            }
            if (type.kind === 'fn') {
                options.push(() => {
                    const name = this.fresh('x');
                    return { kind: 'lam', name, type: type.domain, body: this.term(type.codomain, [...variables, { name, type: type.domain }], depth - 1) };
                });
            }
            options.push(() => {
                const [inValue, inBody] = this.split(variables);
                const valueType = this.randomType(1);
                const name = this.fresh('l');
                return {
                    kind: 'let', name, type: valueType, value: this.term(valueType, inValue, depth - 1),
                    body: this.term(type, [...inBody, { name, type: valueType }], depth - 1)
                };
            });
        }
        // Without depth left, only elimination (which terminates by type size).
        return options[depth > 0 ? this.choose(options.length) : 0]();
    }

    private eliminate(type: Ty, variables: readonly Variable[], index: number, depth: number): Term {
        const variable = variables[index];
        const rest = variables.filter((_, i) => i !== index);
        const use: Term = { kind: 'var', name: variable.name, type: variable.type };
        const next = depth - 1;
        switch (variable.type.kind) {
            case 'bool':
                return { kind: 'if', condition: use, then: this.term(type, rest, next), else: this.term(type, rest, next) };
            case 'nat': {
                const step = this.fresh('y');
                return { kind: 'iter', count: use, base: this.term(type, rest, next), step, body: this.term(type, [{ name: step, type }], next) };
            }
            case 'pair': {
                const first = this.fresh('a'), second = this.fresh('b');
                return {
                    kind: 'letPair', first, second, value: use,
                    body: this.term(type, [...rest, { name: first, type: variable.type.left }, { name: second, type: variable.type.right }], next)
                };
            }
            case 'fn': {
                const [forArgument, forBody] = this.split(rest);
                const result = this.fresh('r');
                return {
                    kind: 'let', name: result, type: variable.type.codomain,
                    value: { kind: 'app', fn: use, argument: this.term(variable.type.domain, forArgument, next) },
                    body: this.term(type, [...forBody, { name: result, type: variable.type.codomain }], next)
                };
            }
        }
    }

    /**
     * A program: `def main (p1 : A1) … : B = t` using every parameter once, and
     * `def test : B = main c1 …` applying it to closed arguments.
     */
    program(): GeneratedProgram {
        const parameters: Variable[] = Array.from({ length: 1 + this.choose(3) }, () => ({ name: this.fresh('p'), type: this.randomType(1) }));
        const result = this.randomType(2);
        const body = this.term(result, parameters, 4);
        const args = parameters.map(p => this.closed(p.type, 2));
        return { parameters, result, body, args };
    }
}

export interface GeneratedProgram {
    readonly parameters: readonly Variable[];
    readonly result: Ty;
    readonly body: Term;
    readonly args: readonly Term[];
    readonly externs?: readonly string[];
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

/** Every use of a linear variable in a term (the `var` nodes), in printing order. */
export function variableUses(term: Term): Array<Extract<Term, { kind: 'var' }>> {
    const uses: Array<Extract<Term, { kind: 'var' }>> = [];
    const visit = (t: Term): void => {
        switch (t.kind) {
            case 'var': uses.push(t); break;
            case 'lit': case 'global': break;
            case 'if': visit(t.condition); visit(t.then); visit(t.else); break;
            case 'pair': visit(t.left); visit(t.right); break;
            case 'letPair': visit(t.value); visit(t.body); break;
            case 'let': visit(t.value); visit(t.body); break;
            case 'lam': visit(t.body); break;
            case 'app': visit(t.fn); visit(t.argument); break;
            case 'iter': visit(t.count); visit(t.base); visit(t.body); break;
            case 'ascribe': visit(t.term); break;
        }
    };
    visit(term);
    return uses;
}

/** The term with every node `replace` returns a replacement for replaced (top-down). */
export function mapTerm(term: Term, replace: (t: Term) => Term | undefined): Term {
    const replaced = replace(term);
    if (replaced) return replaced;
    const m = (t: Term) => mapTerm(t, replace);
    switch (term.kind) {
        case 'var': case 'lit': case 'global': return term;
        case 'if': return { ...term, condition: m(term.condition), then: m(term.then), else: m(term.else) };
        case 'pair': return { ...term, left: m(term.left), right: m(term.right) };
        case 'letPair': return { ...term, value: m(term.value), body: m(term.body) };
        case 'let': return { ...term, value: m(term.value), body: m(term.body) };
        case 'lam': return { ...term, body: m(term.body) };
        case 'app': return { ...term, fn: m(term.fn), argument: m(term.argument) };
        case 'iter': return { ...term, count: m(term.count), base: m(term.base), body: m(term.body) };
        case 'ascribe': return { ...term, term: m(term.term) };
    }
}


/** Values of the generator's own evaluator (an independent oracle for the interpreter). */
export type OracleValue = boolean | number | [OracleValue, OracleValue] | ((argument: OracleValue) => OracleValue);

/** Evaluates a generated term call-by-value, written independently of the real interpreter. */
export function evaluate(term: Term, env: ReadonlyMap<string, OracleValue> = new Map()): OracleValue {
    const bind = (name: string, value: OracleValue) => new Map(env).set(name, value);
    switch (term.kind) {
        case 'var': return env.get(term.name)!;
        case 'lit': {
            if (term.text === 'true' || term.text === 'false') return term.text === 'true';
            if (term.text === 'zero') return 0;
            const succ = /^\(succ (\d+)\)$/.exec(term.text);
            return succ ? Number(succ[1]) + 1 : Number(term.text);
        }
        case 'global': throw new Error(`no oracle meaning for the global '${term.name}'`);
        case 'if': return evaluate(term.condition, env) ? evaluate(term.then, env) : evaluate(term.else, env);
        case 'pair': return [evaluate(term.left, env), evaluate(term.right, env)];
        case 'letPair': {
            const [first, second] = evaluate(term.value, env) as [OracleValue, OracleValue];
            return evaluate(term.body, bind(term.first, first).set(term.second, second));
        }
        case 'let': return evaluate(term.body, bind(term.name, evaluate(term.value, env)));
        case 'lam': return (argument: OracleValue) => evaluate(term.body, bind(term.name, argument));
        case 'app': return (evaluate(term.fn, env) as (a: OracleValue) => OracleValue)(evaluate(term.argument, env));
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
