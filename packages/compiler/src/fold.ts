/**
 * Compile-time folding: the denotation ⟦t⟧ of an extern-free term (spec §7) as a
 * NamedTensor with one OUT axis and one axis per free linear variable. Plain TypeScript;
 * the cost tracks tensor sizes, not syntax size.
 */
import { ast, applicationSpine, dim, type CajalServices, type CajalType } from '@cajal/language';
import type { AstNode } from 'langium';
import { NamedTensor, OUT, product, temporaryAxis } from './named-tensor.js';
import type { ProgramAnalysis } from './analysis.js';

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

/** Raised for programs the compiler must refuse (ill-typed parts, definition cycles). */
export class CompileError extends Error {
    constructor(message: string, readonly node?: AstNode) {
        super(message);
        this.name = 'CompileError';
    }
}

export const DEFAULT_MAX_ENTRIES = 1 << 24;

export class Folder {
    private readonly binderIds = new Map<ast.Binder, number>();
    private readonly definitionTensors = new Map<ast.Definition, NamedTensor>();
    private readonly inProgress = new Set<ast.Definition>();

    constructor(
        private readonly services: CajalServices,
        readonly analysis: ProgramAnalysis,
        readonly maxEntries: number = DEFAULT_MAX_ENTRIES
    ) { }

    typeOf(node: AstNode): CajalType {
        const type = this.services.typing.TypeChecker.typeOf(node);
        if (type.kind === 'error') throw new CompileError('this part of the program is ill-typed; fix its errors first', node);
        return type;
    }

    /** A stable positive axis id per binder. */
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

    /** The constant tensor of a closed definition (axes: OUT only). */
    definition(definition: ast.Definition): NamedTensor {
        const cached = this.definitionTensors.get(definition);
        if (cached) return cached;
        if (this.inProgress.has(definition)) {
            throw new CompileError(`'${definition.name}' refers to itself (a definition cycle)`, definition);
        }
        const extern = this.analysis.externOfDefinition(definition);
        if (extern) throw new NotConstantError(extern, definition);
        this.checkSize(dim(this.typeOf(definition)));
        this.inProgress.add(definition);
        try {
            if (!definition.body) throw new CompileError(`'${definition.name}' has no body`, definition);
            let t = this.fold(definition.body);
            for (let i = definition.params.length - 1; i >= 0; i--) t = this.abstract(t, definition.params[i]);
            this.definitionTensors.set(definition, t);
            return t;
        } finally {
            this.inProgress.delete(definition);
        }
    }

    /** ⟦t⟧ over OUT and the term's free variables (axis ids from axisOf). */
    fold(term: ast.Term): NamedTensor {
        switch (term.$type) {
            case 'BoolLiteral': return NamedTensor.basis(term.value ? 0 : 1, 2);
            case 'Zero': return NamedTensor.basis(0, dim(this.typeOf(term)));
            case 'Numeral': return NamedTensor.basis(term.value, dim(this.typeOf(term)));
            case 'Succ': return this.fold(term.argument).shift(OUT);
            case 'Ascription': return this.fold(term.term);
            case 'Var': {
                const target = term.ref?.ref;
                if (ast.isBinder(target)) return NamedTensor.identity(this.axisOf(target), dim(this.typeOf(target)));
                if (ast.isDefinition(target)) return this.definition(target);
                if (ast.isExtern(target)) throw new NotConstantError(target.name, term);
                throw new CompileError(`unknown name '${term.ref?.$refText}'`, term);
            }
            case 'IfTerm': {
                const c = this.fold(term.condition);
                const a = this.fold(term.thenBranch);
                const b = this.fold(term.elseBranch);
                return this.guard(this.guard(product(c.slice(OUT, 0), a)).add(this.guard(product(c.slice(OUT, 1), b))));
            }
            case 'Lambda': {
                let t = this.fold(term.body);
                for (let i = term.binders.length - 1; i >= 0; i--) t = this.abstract(t, term.binders[i]);
                return t;
            }
            case 'Application': {
                const { head, args } = applicationSpine(term);
                let f = this.fold(head);
                for (const argument of args) f = this.apply(f, this.fold(argument));
                return f;
            }
            case 'Iter': return this.iterate(term);
            case 'LetTerm': {
                const value = this.fold(term.value);
                const body = this.fold(term.body);
                const x = this.axisOf(term.binder);
                return this.guard(product(body, value.rename(OUT, x), [x]));
            }
            case 'LetPairTerm': {
                const pair = this.fold(term.value);
                const body = this.fold(term.body);
                const x = this.axisOf(term.first), y = this.axisOf(term.second);
                const split = pair.split(OUT, x, dim(this.typeOf(term.first)), y, dim(this.typeOf(term.second)));
                return this.guard(product(body, split, [x, y]));
            }
            case 'Pair': {
                const left = this.fold(term.first);
                const right = this.fold(term.second);
                const l = temporaryAxis(), r = temporaryAxis();
                return this.guard(product(left.rename(OUT, l), right.rename(OUT, r))).mergeFirst(l, r, OUT);
            }
        }
    }

    /** fun x => t: the binder's axis joins OUT as the column index (flat index b·dimA + a). */
    abstract(t: NamedTensor, binder: ast.Binder): NamedTensor {
        const x = this.axisOf(binder);
        let body = t;
        if (!body.has(x)) {
            // Only reachable for programs with linearity errors; the spec's column rule still applies.
            const d = dim(this.typeOf(binder));
            body = body.broadcast([...body.axes, x], [...body.dims, d]);
        }
        return this.guard(body.mergeFirst(OUT, x, OUT));
    }

    /** ⟦t u⟧: the function's OUT splits into [dim B, dim A]; dim A is contracted with the argument. */
    apply(f: NamedTensor, u: NamedTensor): NamedTensor {
        const dA = u.dimOf(OUT)!;
        const dFunction = f.dimOf(OUT)!;
        if (dFunction % dA !== 0) throw new CompileError(`cannot apply a tensor of dim ${dFunction} to an argument of dim ${dA}`);
        const a = temporaryAxis();
        const matrix = f.split(OUT, OUT, dFunction / dA, a, dA);
        return this.guard(product(matrix, u.rename(OUT, a), [a]));
    }

    /** Σᵢ nᵢ · sⁱ(b), unrolled only as far as the count can reach. */
    private iterate(term: ast.Iter): NamedTensor {
        const n = this.fold(term.count);
        const base = this.fold(term.base);
        const step = this.fold(term.step);
        const y = this.axisOf(term.stepBinder);
        const k = n.dimOf(OUT)!;
        const slices = Array.from({ length: k }, (_, i) => n.slice(OUT, i));
        let last = k - 1;
        while (last > 0 && slices[last].data.every(v => v === 0)) last--;
        let state = base;
        let sum = this.guard(product(slices[0], state));
        for (let i = 1; i <= last; i++) {
            state = this.guard(product(step, state.rename(OUT, y), [y]));
            if (slices[i].data.some(v => v !== 0)) sum = this.guard(sum.add(this.guard(product(slices[i], state))));
        }
        return sum;
    }
}
