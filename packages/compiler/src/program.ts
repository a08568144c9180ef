/**
 * Compilation of terms that must run on tensors at run time — terms with free linear
 * variables (inputs) or externs (linked networks) — to a small IR ("program") that
 * `@cajal/runtime`'s `runProgram` executes and `generateTfjsModule` turns into code.
 * Extern-free subterms are folded to constant tensors here; what is left is run-time
 * work proportional to tensor sizes. The IR is plain data (see docs/compiler.md); every
 * node evaluates to a flat batched tensor [batch, dim] where batch may be 1 for constants.
 */
import { ast, applicationSpine, dim, externReading, isDiscrete, partialExternMessage, shape, uncurry, type CajalServices, type CajalType } from '@cajal/language';
import type { IrNode, Program, ProgramExtern, ProgramInput, TypeDesc, VarRef } from '@cajal/ir';
import { AstUtils, type AstNode } from 'langium';
import { ProgramAnalysis } from './analysis.js';
import { CompileError, Folder, ReplicatedVariableError, TensorTooLargeError, containsFunction, isHigherOrder } from './fold.js';
import { OUT, type NamedTensor } from './named-tensor.js';

// The program IR and type descriptions are the tensor contract, @cajal/ir; re-exported so
// that code generators can take them from the compiler that produces them.
export type { IrNode, Program, ProgramExtern, ProgramInput, TypeDesc, VarRef } from '@cajal/ir';

/** Something a compiled program computes differently from the interpreter, at a source node. */
export interface CompileWarning {
    /** `compile/substituted-value` or `compile/linear-extension` (docs/diagnostics.md). */
    readonly code: string;
    readonly message: string;
    readonly node: AstNode;
    /** The replicated variable the warning is about, if any. */
    readonly binder?: ast.Binder;
}

export interface ProgramOptions {
    /** Fold extern-free subterms to constant tensors (default true); false compiles every node structurally. */
    fold?: boolean;
    /** Largest tensor (entries) folding may build; bigger subterms are compiled structurally. Default 2^22. */
    maxFoldEntries?: number;
    /** Definitions: take every parameter of the (curried) type as an input (default true), or none. */
    uncurry?: boolean;
}

export function toTypeDesc(type: CajalType): TypeDesc {
    switch (type.kind) {
        case 'bool': return { kind: 'bool' };
        case 'nat': return { kind: 'nat', bound: type.bound };
        case 'real': return { kind: 'real', dims: [...type.dims] };
        case 'function': return { kind: 'function', domain: toTypeDesc(type.domain), codomain: toTypeDesc(type.codomain) };
        case 'product': return { kind: 'product', left: toTypeDesc(type.left), right: toTypeDesc(type.right) };
        case 'error': throw new CompileError('the program has type errors; fix them first');
    }
}

function stripAscriptions(term: ast.Term): ast.Term {
    let current = term;
    while (ast.isAscription(current) && current.term) current = current.term;
    return current;
}

/** A definition's binders and body: `def f (x : A) : B = fun y => t` gives [x, y] and t. */
export function peelBinders(definition: ast.Definition): { binders: ast.Binder[]; body: ast.Term } {
    const binders = [...definition.params];
    let body = definition.body;
    for (let lambda = stripAscriptions(body); ast.isLambda(lambda); lambda = stripAscriptions(body)) {
        binders.push(...lambda.binders);
        body = lambda.body;
    }
    return { binders, body };
}

export class ProgramCompiler {
    readonly folder: Folder;
    private readonly doFold: boolean;
    private readonly maxFoldEntries: number;
    private externs = new Map<string, ProgramExtern>();
    /** Inputs of compileTerm used more than once (data fields may be); see tryFold. */
    private sharedInputs = new Set<ast.Binder>();
    /**
     * All inputs of compileTerm: data fields carry arbitrary values (Real images, soft
     * labels), so folding must not broadcast along their axes either (see tryFold).
     */
    private termInputs = new Set<ast.Binder>();
    private nextFresh = 1_000_000;
    /** What the compiled programs compute that the interpreter would not (see noteReplicated). */
    readonly warnings: CompileWarning[] = [];

    constructor(private readonly services: CajalServices, options: ProgramOptions = {}, analysis = new ProgramAnalysis()) {
        this.maxFoldEntries = options.maxFoldEntries ?? (1 << 22);
        this.doFold = options.fold ?? true;
        this.folder = new Folder(services, analysis, this.maxFoldEntries);
    }

    private get analysis(): ProgramAnalysis { return this.folder.analysis; }

    private typeOf(node: AstNode): CajalType { return this.folder.typeOf(node); }

    private varOf(binder: ast.Binder): VarRef { return { id: this.folder.axisOf(binder), name: binder.name }; }

    private fresh(name: string): VarRef { return { id: this.nextFresh++, name }; }

    /** Compiles a definition to a program whose inputs are its parameters (uncurried). */
    compileDefinition(definition: ast.Definition, options: ProgramOptions = {}): Program {
        this.externs = new Map();
        this.sharedInputs = new Set();
        this.termInputs = new Set();
        const type = this.typeOf(definition);
        const uncurried = options.uncurry ?? true;
        let body: IrNode;
        let inputs: ProgramInput[] = [];
        let resultType = type;
        if (uncurried) {
            const { binders, body: term } = peelBinders(definition);
            inputs = binders.map(binder => this.input(this.varOf(binder), this.typeOf(binder)));
            body = this.compile(term);
            resultType = this.typeOf(term);
            // Eta-expand whatever function type is left, so every parameter is an input.
            const { params, result } = uncurry(resultType);
            for (const param of params) {
                const ref = this.fresh(`arg${inputs.length + 1}`);
                inputs.push(this.input(ref, param));
                body = this.apply(body, { op: 'var', var: ref }, dim(param));
            }
            resultType = result;
        } else {
            body = this.definitionAsValue(definition);
        }
        return this.program(definition.name, type, inputs, resultType, body);
    }

    /**
     * Compiles a term whose free variables are `inputs` (e.g. a training block's model,
     * whose data fields may be used any number of times).
     */
    compileTerm(term: ast.Term, inputs: readonly ast.Binder[], name = 'term'): Program {
        this.externs = new Map();
        this.sharedInputs = repeatedBinders(term, inputs);
        this.termInputs = new Set(inputs);
        const type = this.typeOf(term);
        const body = this.compile(term);
        return this.program(name, type, inputs.map(binder => this.input(this.varOf(binder), this.typeOf(binder))), type, body);
    }

    /** A definition as one value (a closed definition's tensor, a function's matrix), batch 1 unless it calls networks. */
    private definitionAsValue(definition: ast.Definition): IrNode {
        if (this.doFold && !this.analysis.externOfDefinition(definition) && dim(this.typeOf(definition)) <= this.maxFoldEntries) {
            try {
                return this.constant(this.folder.definition(definition), []);
            } catch (error) {
                if (!(error instanceof TensorTooLargeError)) throw error;
            }
        }
        return this.definitionValue(definition);
    }

    private program(name: string, type: CajalType, inputs: ProgramInput[], output: CajalType, body: IrNode): Program {
        return {
            name, typeText: type.toString(), type: toTypeDesc(type), inputs,
            output: toTypeDesc(output), outputShape: shape(output), externs: [...this.externs.values()], body
        };
    }

    private input(ref: VarRef, type: CajalType): ProgramInput {
        return { id: ref.id, name: ref.name, type: toTypeDesc(type), shape: shape(type) };
    }

    /** The IR of a term; free variables are looked up at run time. */
    compile(term: ast.Term): IrNode {
        const folded = this.tryFold(term);
        if (folded) return folded;
        switch (term.$type) {
            case 'Ascription': return this.compile(term.term);
            case 'Var': {
                const target = term.ref?.ref;
                if (ast.isBinder(target)) return { op: 'var', var: this.varOf(target) };
                if (ast.isDefinition(target)) return this.definitionValue(target);
                if (ast.isExtern(target)) {
                    // An extern used as a value: its matrix on the domain's basis (spec §7, fun x => f x).
                    const { params } = this.externSignature(target);
                    if (params.length > 1) throw this.partialApplication(target, 0, term);
                    const x = this.fresh('x');
                    return { op: 'lambda', binder: x, domainDim: dim(params[0]), body: this.network(target, [{ op: 'var', var: x }]) };
                }
                throw new CompileError(`unknown name '${term.ref?.$refText}'`, term);
            }
            case 'BoolLiteral': case 'Zero': case 'Numeral': {
                // A basis vector; built here, as folding would refuse one above its own size limit.
                const d = dim(this.typeOf(term));
                const data = new Float32Array(d);
                const index = ast.isBoolLiteral(term) ? (term.value ? 0 : 1) : ast.isNumeral(term) ? term.value : 0;
                if (index < d) data[index] = 1;
                return { op: 'tensor', shape: [d], data, inputs: [] };
            }
            case 'Succ': return { op: 'succ', argument: this.compile(term.argument) };
            case 'IfTerm':
                return { op: 'gate', condition: this.compile(term.condition), then: this.compile(term.thenBranch), else: this.compile(term.elseBranch) };
            case 'Lambda': return this.lambdas(term.binders, term.body);
            case 'Application': return this.application(term);
            case 'Iter': return this.iterate(term);
            case 'LetTerm': return this.letNode(term.binder, this.compile(term.value), term.body, this.compile(term.body));
            case 'LetPairTerm':
                return {
                    op: 'letPair', pair: this.compile(term.value), first: this.varOf(term.first), second: this.varOf(term.second),
                    dims: [dim(this.typeOf(term.first)), dim(this.typeOf(term.second))], body: this.compile(term.body)
                };
            case 'Pair': return { op: 'pair', left: this.compile(term.first), right: this.compile(term.second) };
        }
    }

    /** Folds an extern-free term when its tensor (over OUT and its free variables) is small enough. */
    private tryFold(term: ast.Term): IrNode | undefined {
        if (!this.doFold) return undefined;
        const facts = this.analysis.factsOf(term);
        if (facts.extern) return undefined;
        const inner = stripAscriptions(term);
        if (ast.isVar(inner) && ast.isBinder(inner.ref?.ref)) return undefined; // a plain variable is cheapest as is
        // Folding merges the occurrences of a variable into one axis, which is exact on basis
        // vectors only; an input used twice may carry any (soft or Real) value at run time,
        // so a subterm using it twice runs structurally: a product of its actual occurrences.
        if (this.sharedInputs.size > 0 && facts.free.some(binder => this.sharedInputs.has(binder)) && repeatedBinders(term, this.sharedInputs).size > 0) return undefined;
        let entries = dim(this.typeOf(term));
        for (const binder of facts.free) entries *= dim(this.typeOf(binder));
        if (entries > this.maxFoldEntries) return undefined;
        // A free variable that involves functions carries a run-time value that is applied by
        // substitution (spec §7): a term replicating it runs structurally, one occurrence at a time.
        // So does a data field (compileTerm's inputs, which unlike a definition's parameters may
        // be used in one branch of an `if` and not the other): broadcasting the other branch
        // along its axis would scale that branch by the sum of the field's run-time value.
        const exactIn = new Set(facts.free.filter(binder => this.termInputs.has(binder) || containsFunction(this.typeOf(binder))).map(binder => this.folder.axisOf(binder)));
        try {
            return this.constant(this.folder.fold(term, exactIn), facts.free);
        } catch (error) {
            if (error instanceof TensorTooLargeError) return undefined;
            if (error instanceof ReplicatedVariableError) {
                this.noteReplicated(term, facts.free.find(binder => this.folder.axisOf(binder) === error.axis));
                return undefined;
            }
            throw error;
        }
    }

    /**
     * A term replicates a function-valued variable bound at run time: the program substitutes
     * the value (a matrix) for each occurrence, which is exact when the value is one function's
     * matrix but not for a soft mixture Σ cᵢ·Mᵢ of several (it computes p(Σ cᵢ·Mᵢ), not Σ cᵢ·p(Mᵢ)).
     */
    private noteReplicated(term: ast.Term, binder: ast.Binder | undefined): void {
        // Only a function value is substituted; a data field simply runs structurally.
        if (!binder || !containsFunction(this.typeOf(binder)) || this.warnings.some(w => w.binder === binder)) return;
        this.warnings.push({
            code: 'compile/substituted-value', binder, node: term,
            message: `'${binder.name}' is replicated (an iter step reuses it), so its run-time value is substituted for each use: ` +
                `exact when it is the matrix of one function, but a soft mixture Σ cᵢ·Mᵢ of functions gives p(Σ cᵢ·Mᵢ), not Σ cᵢ·p(Mᵢ)`
        });
    }

    /**
     * A higher-order function value computed at run time (an iter's state, a variable bound
     * to one) is applied by its matrix, its linear extension: exact on basis arguments, but
     * where it replicates a function argument the interpreter substitutes instead.
     */
    private noteMatrixApplication(head: ast.Term): void {
        if (this.warnings.some(w => w.node === head)) return;
        this.warnings.push({
            code: 'compile/linear-extension', node: head,
            message: `this higher-order function is computed at run time, so it is applied by its matrix (its linear extension): ` +
                `exact on basis arguments, but where it replicates a function-valued argument the interpreter substitutes that argument instead`
        });
    }

    /** A folded tensor as an IR node whose inputs are its free variables, read at run time. */
    private constant(t: NamedTensor, free: readonly ast.Binder[]): IrNode {
        const present = free.filter(binder => t.has(this.folder.axisOf(binder)));
        const ordered = t.permute([OUT, ...present.map(binder => this.folder.axisOf(binder))]);
        return {
            op: 'tensor', shape: [...ordered.dims], data: Float32Array.from(ordered.data),
            inputs: present.map(binder => ({ op: 'var', var: this.varOf(binder) }) as IrNode)
        };
    }

    /**
     * Applies a compiled function to an argument of dim dA. Applying a folded tensor only
     * reshapes it and adds an input, so `and (f a) (g b)` becomes one contraction.
     */
    apply(f: IrNode, argument: IrNode, dA: number): IrNode {
        if (f.op === 'tensor') {
            const [dFunction, ...rest] = f.shape;
            return { op: 'tensor', shape: [dFunction / dA, dA, ...rest], data: f.data, inputs: [argument, ...f.inputs] };
        }
        return { op: 'apply', function: f, argument };
    }

    private lambdas(binders: readonly ast.Binder[], body: ast.Term | IrNode): IrNode {
        let node = isIrNode(body) ? body : this.compile(body);
        for (let i = binders.length - 1; i >= 0; i--) {
            node = { op: 'lambda', binder: this.varOf(binders[i]), domainDim: dim(this.typeOf(binders[i])), body: node };
        }
        return node;
    }

    /** The value of a definition that cannot be folded: its body, with parameters as function binders. */
    private definitionValue(definition: ast.Definition): IrNode {
        if (definition.params.length === 0) return this.guardCycle(definition, () => this.compile(definition.body));
        return this.guardCycle(definition, () => this.lambdas(definition.params, definition.body));
    }

    private readonly compiling = new Set<ast.Definition>();
    private guardCycle<T>(definition: ast.Definition, work: () => T): T {
        if (this.compiling.has(definition)) throw new CompileError(`'${definition.name}' refers to itself (a definition cycle)`, definition);
        this.compiling.add(definition);
        try { return work(); } finally { this.compiling.delete(definition); }
    }

    /**
     * An extern's network inputs and output (its reading): `A1 -o … -o An -o B` is one network
     * of A1 … An; `(x : A) : B -o C` a network of x whose output is the function value B -o C,
     * which further arguments are applied to.
     */
    private externSignature(extern: ast.Extern): { type: CajalType; params: readonly CajalType[]; result: CajalType } {
        const type = this.typeOf(extern);
        const { inputs: params, output: result } = externReading(extern);
        if (params.length === 0) throw new CompileError(`the extern '${extern.name}' must have a function type`, extern);
        return { type, params, result };
    }

    private partialApplication(extern: ast.Extern, given: number, where: AstNode): CompileError {
        const { params } = this.externSignature(extern);
        return new CompileError(partialExternMessage(extern.name, params.length, given), where);
    }

    /** One call of an extern's network on all its arguments. */
    private network(extern: ast.Extern, args: readonly IrNode[]): IrNode {
        const { type, params, result } = this.externSignature(extern);
        const entry: ProgramExtern = { name: extern.name, type: toTypeDesc(type), inputShapes: params.map(shape), outputShape: shape(result) };
        this.externs.set(extern.name, entry);
        return { op: 'network', name: extern.name, arguments: args, inputShapes: entry.inputShapes, outputShape: entry.outputShape };
    }

    private application(term: ast.Application): IrNode {
        const { head, args } = applicationSpine(term);
        return this.applyTerms(head, args, term);
    }

    /** `head a1 … an`, compiled by the head's kind. */
    private applyTerms(head: ast.Term, args: readonly ast.Term[], where: ast.Term): IrNode {
        if (args.length === 0) return this.compile(head);
        const callee = stripAscriptions(head);
        if (ast.isLambda(callee)) return this.beta(callee.binders, callee.body, args, where);
        if (ast.isApplication(callee)) {
            const inner = applicationSpine(callee);
            return this.applyTerms(inner.head, [...inner.args, ...args], where);
        }
        if (ast.isVar(callee)) {
            const target = callee.ref?.ref;
            if (ast.isDefinition(target) && (this.analysis.externOfDefinition(target) || isHigherOrder(this.typeOf(target)))) {
                // Inline a definition that calls networks: its parameters bind the arguments.
                // So is a higher-order one: it may replicate a function-valued argument, and
                // applying it means substituting the argument (spec §7), not multiplying by
                // its matrix, which is exact only on basis inputs.
                const { binders, body } = peelBinders(target);
                return this.beta(binders, body, args, where, target);
            }
            if (ast.isExtern(target)) {
                // A network has a meaning only on all of its arguments (docs/compiler.md).
                const arity = this.externSignature(target).params.length;
                if (args.length < arity) throw this.partialApplication(target, args.length, where);
                let node = this.network(target, args.slice(0, arity).map(argument => this.compile(argument)));
                for (const argument of args.slice(arity)) node = this.apply(node, this.compile(argument), dim(this.typeOf(argument)));
                return node;
            }
        }
        if (isHigherOrder(this.typeOf(head))) {
            // A higher-order function computed at run time has no syntax to substitute into:
            // push the application into a conditional's branches and a let's body, where the
            // functions are known again ((if c then f else g) a = if c then f a else g a).
            if (ast.isIfTerm(callee)) {
                return { op: 'gate', condition: this.compile(callee.condition), then: this.applyTerms(callee.thenBranch, args, where), else: this.applyTerms(callee.elseBranch, args, where) };
            }
            if (ast.isLetTerm(callee)) {
                return this.letNode(callee.binder, this.compile(callee.value), callee.body, this.applyTerms(callee.body, args, where));
            }
            if (ast.isLetPairTerm(callee)) {
                return {
                    op: 'letPair', pair: this.compile(callee.value), first: this.varOf(callee.first), second: this.varOf(callee.second),
                    dims: [dim(this.typeOf(callee.first)), dim(this.typeOf(callee.second))], body: this.applyTerms(callee.body, args, where)
                };
            }
            this.noteMatrixApplication(head);
        }
        let node = this.compile(head);
        for (const argument of args) node = this.apply(node, this.compile(argument), dim(this.typeOf(argument)));
        return node;
    }

    /**
     * (fun x1 … xn => body) a1 … am as lets (and lambdas for missing arguments, applications
     * for extra ones). When `inlined` is the definition the body comes from, only the body is
     * inside its cycle guard: the arguments are not (`and (and a b) c` is no cycle).
     */
    private beta(binders: readonly ast.Binder[], body: ast.Term, args: readonly ast.Term[], where: ast.Term, inlined?: ast.Definition): IrNode {
        const bound = Math.min(binders.length, args.length);
        const values = args.slice(0, bound).map(argument => this.compile(argument));
        const inner = () => args.length > bound ? this.applyTerms(body, args.slice(bound), where) : this.lambdas(binders.slice(bound), body);
        let node = inlined ? this.guardCycle(inlined, inner) : inner();
        for (let i = bound - 1; i >= 0; i--) node = this.letNode(binders[i], values[i], body, node);
        return node;
    }

    /**
     * `iter n { zero => b ; succ y => s }`. A step that reuses its own state y in an inner
     * iter step is polynomial in y; for a discrete state it is applied as its linear
     * extension (see `letNode`), as folding does.
     */
    private iterate(term: ast.Iter): IrNode {
        const count = this.compile(term.count), base = this.compile(term.base), step = this.compile(term.step);
        if (!this.bindsByBasis(term.stepBinder, term.step)) return { op: 'iterate', count, base, binder: this.varOf(term.stepBinder), step };
        const state = this.fresh(term.stepBinder.name);
        return { op: 'iterate', count, base, binder: state, step: this.byBasis(term.stepBinder, step, { op: 'var', var: state }) };
    }

    /**
     * `let x = value in body`. Substitution, unless x is discrete (Bool, Nat and their
     * pairs) and an iter step in the body reuses it: the body is then polynomial in x, and
     * substituting a value that is not a basis vector is not its compiled meaning. Above all
     * the zero vector (a failed value, e.g. an overflow) must give zero, as the interpreter's
     * call by value fails, while a body that uses x zero times (an inner iter of count 0)
     * would give a constant. The body's linear extension, Σⱼ xⱼ · body[x := eⱼ], is exact on
     * basis values and zero on the zero vector; function-typed values keep substitution
     * (spec §7), and Real ones too (no basis to enumerate cheaply, no interpreted meaning).
     */
    private letNode(binder: ast.Binder, value: IrNode, bodyTerm: ast.Term, body: IrNode): IrNode {
        if (this.bindsByBasis(binder, bodyTerm)) return this.byBasis(binder, body, value);
        return { op: 'let', binder: this.varOf(binder), value, body };
    }

    private bindsByBasis(binder: ast.Binder, body: ast.Term): boolean {
        return isDiscrete(this.typeOf(binder)) && reusedByIterStep(body, binder);
    }

    /** (fun x => body) value, applied as the matrix of the body over x's basis vectors. */
    private byBasis(binder: ast.Binder, body: IrNode, value: IrNode): IrNode {
        return { op: 'apply', function: { op: 'lambda', binder: this.varOf(binder), domainDim: dim(this.typeOf(binder)), body }, argument: value };
    }
}

/** Whether an iter step inside `term` refers to `binder` (the iter-replicates warning's case). */
function reusedByIterStep(term: ast.Term, binder: ast.Binder): boolean {
    for (const node of AstUtils.streamAst(term)) {
        if (!ast.isIter(node)) continue;
        for (const inner of AstUtils.streamAst(node.step)) {
            if (ast.isVar(inner) && inner.ref?.ref === binder) return true;
        }
    }
    return false;
}

/** The binders among `candidates` that `term` refers to more than once. */
function repeatedBinders(term: ast.Term, candidates: Iterable<ast.Binder>): Set<ast.Binder> {
    const wanted = new Set(candidates);
    const seen = new Set<ast.Binder>();
    const repeated = new Set<ast.Binder>();
    if (wanted.size === 0) return repeated;
    for (const node of AstUtils.streamAst(term)) {
        if (!ast.isVar(node)) continue;
        const target = node.ref?.ref;
        if (!ast.isBinder(target) || !wanted.has(target)) continue;
        if (seen.has(target)) repeated.add(target); else seen.add(target);
    }
    return repeated;
}

function isIrNode(value: unknown): value is IrNode {
    return typeof value === 'object' && value !== null && typeof (value as { op?: unknown }).op === 'string' && !('$type' in value);
}
