import { AstUtils, type AstNode } from 'langium';
import type { CajalLinker } from '../references/cajal-linker.js';
import * as ast from '../generated/ast.js';
import {
    Bool, ErrorType, FunctionT, ProductT, RealT, containsError, fn, fnN, isError, natOf, type CajalType
} from './types.js';
import { applicationSpine, astNodesOf } from '../syntax.js';
import { isValidSize } from './tensor-sizes.js';
import { Codes, type CheckProblem } from '../problems.js';


/** The typing of one declaration: a type for each of its terms and binders. */
export interface DeclarationTyping {
    readonly types: ReadonlyMap<AstNode, CajalType>;
    readonly problems: readonly CheckProblem[];
    /**
     * The types of the type expressions written in the declaration (each whole expression,
     * not its parts), when checking met every one of them; undefined when it may have
     * missed some (a training block, a term of no known kind left by error recovery, a
     * lambda checked against a type that is not a function). Size analysis sizes these
     * instead of walking the declaration again (tensor-sizes.ts).
     */
    readonly writtenTypes: readonly CajalType[] | undefined;
}

/** Fields of the built-in data sources, by position within each field group. */
export const BUILTIN_DATA_FIELDS: Record<string, CajalType[]> = {
    mnist: [new RealT([28, 28]), natOf(10)]
};

/** The type an AST type expression denotes; malformed sizes become the error type. */
export function typeFromSyntax(node: ast.Type | undefined): CajalType {
    if (!node) {
        return ErrorType;
    }
    switch (node.$type) {
        case 'BoolType': return Bool;
        case 'NatType': {
            const bound = node.bound ?? 10;
            return bound >= 1 && Number.isSafeInteger(bound) ? natOf(bound) : ErrorType;
        }
        case 'RealType': return node.dims.length > 0 && node.dims.every(d => d >= 1 && Number.isSafeInteger(d)) ? new RealT(node.dims) : ErrorType;
        case 'FunctionType': return fn(typeFromSyntax(node.domain), typeFromSyntax(node.codomain));
        case 'ProductType': return new ProductT(typeFromSyntax(node.left), typeFromSyntax(node.right));
        // Error recovery can leave a type node of no known kind (e.g. `ool * Nat`).
        default: return ErrorType;
    }
}

/**
 * The declared type of a global: `def f (x : A) : B` is `A -o B`; `extern f : T` is T and
 * `extern f (x : A) : B` is `A -o B` (its binders are the network's inputs, B its output).
 */
export function declaredType(declaration: ast.Definition | ast.Extern): CajalType {
    return declaredTypeEntry(declaration).type;
}

/** A global's declared type and signature (see signatureOf), made once per declaration node. */
interface DeclaredType {
    readonly type: CajalType;
    signature?: string;
}

/**
 * Declared types by declaration node. A node's written types never change (an edit that
 * changes them re-parses the declaration into a new node), and every use of a global asks
 * for its type, and the type checker for its signature: built once, not at every use.
 */
const declaredTypes = new WeakMap<ast.Definition | ast.Extern, DeclaredType>();

function declaredTypeEntry(declaration: ast.Definition | ast.Extern): DeclaredType {
    let entry = declaredTypes.get(declaration);
    if (!entry) {
        const result = ast.isExtern(declaration) ? declaration.type : declaration.returnType;
        entry = { type: fnN(declaration.params.map(param => typeFromSyntax(param.type)), typeFromSyntax(result)) };
        declaredTypes.set(declaration, entry);
    }
    return entry;
}

/**
 * Bidirectional type checking (spec §5). Each declaration is checked once and the result
 * cached; `typeOf` answers for any term or binder inside it. Checking never throws:
 * ill-typed parts get the error type, which suppresses follow-on errors.
 *
 * The cache outlives edits: a declaration the incremental parser kept (the same AST node)
 * keeps its typing as long as the globals it uses still resolve to declarations of the
 * same kind and declared type — its typing depends on nothing else. So an edit re-checks
 * the edited declarations and, if a signature changed, the declarations that use it.
 */
export class CajalTypeChecker {
    private readonly cache = new WeakMap<ast.Declaration, CachedTyping>();
    /** How many declarations have been type-checked (not answered from the cache): for tests and benchmarks. */
    checkedDeclarations = 0;

    /** Looked up at the first check, not at each (a lookup through the services' proxies). */
    private linkerService: CajalLinker | undefined;

    constructor(private readonly linker: () => CajalLinker) { }

    /** The type of a term or binder; the error type where none could be determined. */
    typeOf(node: AstNode): CajalType {
        if (ast.isDefinition(node) || ast.isExtern(node)) {
            return declaredType(node);
        }
        const declaration = AstUtils.getContainerOfType(node, ast.isDeclaration);
        if (!declaration) {
            return ErrorType;
        }
        return this.checkDeclaration(declaration).types.get(node) ?? ErrorType;
    }

    checkDeclaration(declaration: ast.Declaration): DeclarationTyping {
        const document = AstUtils.getDocument(declaration);
        const cached = this.cache.get(declaration);
        if (cached && (cached.verifiedFor === document.references || cached.dependencies.every(stillHolds))) {
            cached.verifiedFor = document.references;
            return cached.typing;
        }
        this.checkedDeclarations++;
        const typing = new DeclarationCheck().run(declaration);
        // The targets' signatures are compared only when a target has changed (stillHolds):
        // a first check, which re-links everything, need not make one for every global.
        const dependencies = (this.linkerService ??= this.linker()).nonLocalUses(declaration).map(use => ({ use, target: use.ref?.ref }));
        this.cache.set(declaration, { typing, dependencies, verifiedFor: document.references });
        return typing;
    }
}

/** A declaration's typing and what it depends on outside itself. */
interface CachedTyping {
    readonly typing: DeclarationTyping;
    readonly dependencies: readonly Dependency[];
    /** The document's references when the dependencies were last found to hold (re-linking makes a new list). */
    verifiedFor: unknown;
}

/**
 * A use of a global (or of an unknown name) and what it resolved to when the declaration was
 * checked (a node whose written types, hence signature, never change: see declaredTypes).
 */
interface Dependency {
    readonly use: ast.Var;
    readonly target: AstNode | undefined;
}

/** What a use of a global contributes to typing: its kind and declared type. */
function signatureOf(target: AstNode | undefined): string | undefined {
    if (!(ast.isDefinition(target) || ast.isExtern(target))) return undefined;
    const entry = declaredTypeEntry(target);
    return entry.signature ??= `${target.$type} ${entry.type}`;
}

function stillHolds(dependency: Dependency): boolean {
    const target = dependency.use.ref?.ref;
    return target === dependency.target || (target !== undefined && dependency.target !== undefined && signatureOf(target) === signatureOf(dependency.target));
}

class DeclarationCheck {
    readonly types = new Map<AstNode, CajalType>();
    readonly problems: CheckProblem[] = [];
    /** Types for unannotated binders of a lambda applied directly to arguments (made at the first). */
    private binderHints: Map<ast.Binder, CajalType> | undefined;
    /** See DeclarationTyping.writtenTypes: undefined once a type expression may have been passed over. */
    private writtenTypes: CajalType[] | undefined = [];

    run(declaration: ast.Declaration): DeclarationTyping {
        if (ast.isDefinition(declaration)) {
            for (const param of declaration.params) {
                this.types.set(param, this.checkedTypeSyntax(param.type));
            }
            const result = this.checkedTypeSyntax(declaration.returnType);
            if (declaration.body) {
                this.check(declaration.body, result);
            }
        } else if (ast.isExtern(declaration)) {
            for (const param of declaration.params) {
                this.types.set(param, this.checkedTypeSyntax(param.type));
            }
            this.checkedTypeSyntax(declaration.type);
        } else if (ast.isTraining(declaration)) {
            // Only its first model and target options are checked.
            this.writtenTypes = undefined;
            this.checkTraining(declaration);
        }
        return { types: this.types, problems: this.problems, writtenTypes: this.writtenTypes };
    }

    private report(code: string, message: string, node: AstNode, extra: Partial<CheckProblem> = {}): void {
        this.problems.push({ code, message, node, severity: 'error', ...extra });
    }

    /** Converts a type expression, reporting `Nat[0]`, `Real[…, 0, …]` and sizes beyond whole numbers. */
    private checkedTypeSyntax(node: ast.Type | undefined): CajalType {
        if (node) {
            if (node.$type === ast.BoolType.$type || node.$type === ast.NatType.$type || node.$type === ast.RealType.$type) {
                // A type without parts (most written types): no walk.
                this.reportWrittenSize(node);
            } else {
                // astNodesOf: the same nodes in the same order as AstUtils.streamAst, without its
                // per-node iterator objects (a written type is converted for every binder).
                for (const part of astNodesOf(node)) this.reportWrittenSize(part);
            }
        }
        const type = typeFromSyntax(node);
        if (node) this.writtenTypes?.push(type);
        return type;
    }

    /** Reports `Nat[0]`, `Real[…, 0, …]` and sizes beyond whole numbers in one part of a written type. */
    private reportWrittenSize(part: AstNode): void {
        // By $type: NatType and RealType have no subtypes (a reflection check per part costs more).
        if (part.$type === ast.NatType.$type) {
            const bound = (part as ast.NatType).bound;
            if (bound === undefined) return;
            if (bound < 1) {
                this.report('nat/out-of-range', `Nat[${bound}] has no numbers: the bound of Nat[k] must be at least 1.`, part);
            } else if (!isValidSize(bound)) {
                this.reportFarTooLarge(part, 'Nat[…]');
            }
        } else if (part.$type === ast.RealType.$type) {
            const dims = (part as ast.RealType).dims;
            if (dims.some(d => d < 1)) {
                this.report('type/mismatch', `Every dimension of Real[${dims.join(', ')}] must be at least 1.`, part);
            } else if (!dims.every(isValidSize)) {
                this.reportFarTooLarge(part, 'Real[…]');
            }
        }
    }

    /** A numeral beyond 2^53 is not exact in a JavaScript number (10^400 is Infinity). */
    private reportFarTooLarge(part: AstNode, unwritten: string): void {
        const written = part.$cstNode?.text ?? unwritten;
        this.report(Codes.tensorTooLarge, `${written.length > 40 ? `${written.slice(0, 37)}…` : written} is far too large: a size must be a whole number below 2^53 = 9,007,199,254,740,992, and the tensor within the limit.`, part);
    }

    private checkTraining(training: ast.Training): void {
        for (const option of training.options) {
            if (ast.isDataOption(option)) {
                const builtin = option.source ? BUILTIN_DATA_FIELDS[option.source] : undefined;
                for (const group of option.groups) {
                    group.fields.forEach((field, index) => {
                        const type = field.type ? this.checkedTypeSyntax(field.type) : builtin?.[index];
                        if (type) {
                            this.types.set(field, type);
                        } else {
                            this.types.set(field, ErrorType);
                            this.report('type/cannot-infer', `Cannot infer the type of the data field '${field.name}': annotate it, e.g. (${field.name} : Real[28, 28]).`, field, { property: 'name' });
                        }
                    });
                }
            }
        }
        const model = training.options.find(ast.isModelOption);
        const target = training.options.find(ast.isTargetOption);
        const modelType = model?.term ? this.infer(model.term) : undefined;
        if (target?.term) {
            if (modelType && !isError(modelType)) {
                this.check(target.term, modelType);
            } else {
                this.infer(target.term);
            }
        }
    }

    /** Infers the type of a term with no expectation. */
    infer(term: ast.Term): CajalType {
        return this.check(term, undefined);
    }

    /**
     * Checks a term against an expected type (if known) and records its type. The recorded
     * type is the expected one when the term fits it, so later phases see precise types.
     */
    check(term: ast.Term, expected: CajalType | undefined): CajalType {
        const actual = this.synthesize(term, expected);
        this.types.set(term, actual);
        if (expected && !isError(actual) && !containsError(expected) && !containsError(actual) && !actual.equals(expected)) {
            this.report('type/mismatch', `Expected ${expected}, but this has type ${actual}.`, term);
            return ErrorType;
        }
        return actual;
    }

    private synthesize(term: ast.Term, expected: CajalType | undefined): CajalType {
        switch (term.$type) {
            case 'BoolLiteral': return Bool;
            case 'Zero': return expected?.kind === 'nat' ? expected : natOf(10);
            case 'Numeral': return this.synthesizeNumeral(term, expected);
            case 'Succ': return this.synthesizeSucc(term, expected);
            case 'Var': return this.synthesizeVar(term);
            case 'IfTerm': return this.synthesizeIf(term, expected);
            case 'Lambda': return this.synthesizeLambda(term, expected);
            case 'Application': return this.synthesizeApplication(term);
            case 'Iter': return this.synthesizeIter(term, expected);
            case 'LetTerm': return this.synthesizeLet(term, expected);
            case 'LetPairTerm': return this.synthesizeLetPair(term, expected);
            case 'Pair': return this.synthesizePair(term, expected);
            case 'Ascription': {
                const type = this.checkedTypeSyntax(term.type);
                if (term.term) this.check(term.term, containsError(type) ? undefined : type);
                return type;
            }
            // Error recovery can leave a term of no known kind (e.g. the `(Bool` of `d (Bool -o Bool))`),
            // whose written types, if any, are not met.
            default:
                this.writtenTypes = undefined;
                return ErrorType;
        }
    }

    /** Numerals take the expected Nat's bound (Nat = Nat[10] otherwise) and must fit it. */
    private synthesizeNumeral(term: ast.Numeral, expected: CajalType | undefined): CajalType {
        const type = expected?.kind === 'nat' ? expected : natOf(10);
        if (term.value >= type.bound) {
            this.report('nat/out-of-range', `The numeral ${term.value} is out of range for ${type}, whose numbers are 0 … ${type.bound - 1}.`, term);
            return ErrorType;
        }
        return type;
    }

    private synthesizeSucc(term: ast.Succ, expected: CajalType | undefined): CajalType {
        const argumentType = term.argument ? this.check(term.argument, expected?.kind === 'nat' ? expected : undefined) : ErrorType;
        if (isError(argumentType)) return ErrorType;
        if (argumentType.kind !== 'nat') {
            this.report('type/mismatch', `succ expects a Nat, but its argument has type ${argumentType}.`, term.argument!);
            return ErrorType;
        }
        return argumentType;
    }

    /** Both branches get the expected type; without one, the first branch that has a type gives it. */
    private synthesizeIf(term: ast.IfTerm, expected: CajalType | undefined): CajalType {
        if (term.condition) this.check(term.condition, Bool);
        if (expected) {
            if (term.thenBranch) this.check(term.thenBranch, expected);
            if (term.elseBranch) this.check(term.elseBranch, expected);
            return expected;
        }
        const thenType = term.thenBranch ? this.infer(term.thenBranch) : ErrorType;
        if (isError(thenType)) {
            return term.elseBranch ? this.infer(term.elseBranch) : ErrorType;
        }
        if (term.elseBranch) this.check(term.elseBranch, thenType);
        return thenType;
    }

    /** The state (base and step) has the expected type; the count is a Nat. */
    private synthesizeIter(term: ast.Iter, expected: CajalType | undefined): CajalType {
        const countType = term.count ? this.infer(term.count) : ErrorType;
        if (!isError(countType) && countType.kind !== 'nat') {
            this.report('type/mismatch', `iter counts with a Nat, but this has type ${countType}.`, term.count!);
        }
        const stateType = term.base ? this.check(term.base, expected) : (expected ?? ErrorType);
        if (term.stepBinder) this.types.set(term.stepBinder, stateType);
        if (term.step) this.check(term.step, isError(stateType) ? undefined : stateType);
        return stateType;
    }

    private synthesizeLet(term: ast.LetTerm, expected: CajalType | undefined): CajalType {
        const binder = term.binder;
        const annotation = binder?.type ? this.checkedTypeSyntax(binder.type) : undefined;
        const valueType = term.value ? this.check(term.value, annotation) : ErrorType;
        if (binder) this.types.set(binder, annotation ?? valueType);
        return term.body ? this.check(term.body, expected) : ErrorType;
    }

    private synthesizeLetPair(term: ast.LetPairTerm, expected: CajalType | undefined): CajalType {
        const valueType = term.value ? this.infer(term.value) : ErrorType;
        let left: CajalType = ErrorType, right: CajalType = ErrorType;
        if (valueType.kind === 'product') {
            left = valueType.left;
            right = valueType.right;
        } else if (!isError(valueType)) {
            this.report('type/mismatch', `A pair pattern needs a value of a pair type A * B, but this has type ${valueType}.`, term.value!);
        }
        if (term.first) this.types.set(term.first, left);
        if (term.second) this.types.set(term.second, right);
        return term.body ? this.check(term.body, expected) : ErrorType;
    }

    private synthesizePair(term: ast.Pair, expected: CajalType | undefined): CajalType {
        const parts = expected?.kind === 'product' ? expected : undefined;
        const left = term.first ? this.check(term.first, parts?.left) : ErrorType;
        const right = term.second ? this.check(term.second, parts?.right) : ErrorType;
        if (expected && !parts && !containsError(expected)) {
            this.report('type/mismatch', `Expected ${expected}, but this is a pair.`, term);
            return ErrorType;
        }
        return containsError(left) || containsError(right) ? ErrorType : new ProductT(left, right);
    }

    private synthesizeVar(term: ast.Var): CajalType {
        const target = term.ref?.ref;
        if (!target) {
            return ErrorType; // reported by the linker as name/unknown
        }
        if (ast.isDefinition(target) || ast.isExtern(target)) {
            return declaredType(target);
        }
        // A binder: its type was recorded when it was bound (binders precede their scope).
        return this.types.get(target) ?? ErrorType;
    }

    private synthesizeLambda(term: ast.Lambda, expected: CajalType | undefined): CajalType {
        let remaining = expected && !containsError(expected) ? expected : undefined;
        const binderTypes: CajalType[] = [];
        for (const binder of term.binders) {
            const expectedDomain = remaining?.kind === 'function' ? remaining.domain : undefined;
            if (remaining && remaining.kind !== 'function') {
                this.report('type/mismatch', `Expected ${remaining}, but this is a function of ${term.binders.length} argument${term.binders.length === 1 ? '' : 's'}.`, term);
                this.writtenTypes = undefined; // the binders' and the body's are not met
                return ErrorType;
            }
            let type: CajalType;
            if (binder.type) {
                type = this.checkedTypeSyntax(binder.type);
                if (expectedDomain && !containsError(type) && !type.equals(expectedDomain)) {
                    this.report('type/mismatch', `Expected a parameter of type ${expectedDomain}, but '${binder.name}' is annotated ${type}.`, binder.type);
                }
            } else if (expectedDomain) {
                type = expectedDomain;
            } else if (this.binderHints?.has(binder)) {
                type = this.binderHints.get(binder)!;
            } else {
                type = ErrorType;
                this.report('type/cannot-infer', `Cannot infer the type of '${binder.name}': add an annotation, e.g. fun (${binder.name} : Bool) => …`, binder, { property: 'name' });
            }
            this.types.set(binder, type);
            binderTypes.push(type);
            remaining = remaining?.kind === 'function' ? remaining.codomain : undefined;
        }
        const bodyType = term.body ? this.check(term.body, remaining) : ErrorType;
        return fnN(binderTypes, bodyType);
    }

    /** Application spines are walked iteratively, so `f x1 … x10000` needs no deep recursion. */
    private synthesizeApplication(term: ast.Application): CajalType {
        const { head, args } = applicationSpine(term);
        // `(fun x => t) u`: an unannotated binder takes its type from the argument.
        // Made only for a lambda head (rare): most applications apply a name.
        let preInferred: Map<number, CajalType> | undefined;
        if (ast.isLambda(head)) {
            const inferred = new Map<number, CajalType>();
            head.binders.forEach((binder, i) => {
                if (binder && !binder.type && args[i]) {
                    const type = this.infer(args[i]);
                    inferred.set(i, type);
                    if (!containsError(type)) (this.binderHints ??= new Map()).set(binder, type);
                }
            });
            preInferred = inferred;
        }
        let current = this.infer(head);
        for (let i = 0; i < args.length; i++) {
            const argument = args[i];
            if (!argument) {
                current = ErrorType; // a parse error already stands here
                continue;
            }
            const application = argument.$container as ast.Application;
            const known = preInferred?.get(i);
            if (isError(current)) {
                if (!known) this.infer(argument);
            } else if (current instanceof FunctionT) {
                if (!known) {
                    this.check(argument, containsError(current.domain) ? undefined : current.domain);
                } else if (!containsError(known) && !containsError(current.domain) && !known.equals(current.domain)) {
                    this.report('type/mismatch', `Expected ${current.domain}, but this has type ${known}.`, argument);
                }
                current = current.codomain;
            } else {
                const applied = i === 0 ? describeHead(head) : 'This application';
                this.report('type/not-a-function', `${applied} has type ${current}, which is not a function, so it cannot be applied to an argument.`, i === 0 ? head : application.function, {
                    related: [{ node: argument, message: 'the argument it is applied to' }]
                });
                if (!known) this.infer(argument);
                current = ErrorType;
            }
            if (application !== term) {
                this.types.set(application, current);
            }
        }
        return current;
    }
}

function describeHead(head: ast.Term): string {
    if (ast.isVar(head)) return `'${head.ref?.$refText ?? '?'}'`;
    return 'This term';
}
