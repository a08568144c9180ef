import { AstUtils, URI, UriUtils, type AstNode, type ValidationAcceptor, type ValidationChecks, type LangiumDocument } from 'langium';
import type { DiagnosticRelatedInformation } from 'vscode-languageserver';
import * as ast from '../generated/ast.js';
import type { CajalServices } from '../cajal-module.js';
import type { Relinked } from '../references/cajal-linker.js';
import { Codes, type CheckProblem } from '../problems.js';
import { termRange } from '../syntax.js';
import { formatBytes } from '../typing/tensor-sizes.js';
import { MAX_SOURCE_BYTES } from '../workspace/regular-files.js';
import { externProblems, partialExternApplication } from '../training/extern-checks.js';
import { DATA_FILE_EXTENSIONS, trainingProblems } from '../training/training-checks.js';
import { dataBaseDirectory, dataFilesOf, isInside } from '../training/data-files.js';

export function registerValidationChecks(services: CajalServices): void {
    const registry = services.validation.ValidationRegistry;
    const validator = services.validation.CajalValidator;
    const checks: ValidationChecks<ast.CajalAstType> = {
        Module: [validator.checkImports, validator.checkDuplicateNames, validator.checkCycles],
        Definition: validator.checkDeclaration,
        Extern: [validator.checkDeclaration, (node, accept) => externProblems(node).forEach(p => validator.report(p, accept))],
        Training: [validator.checkDeclaration, (node, accept) => trainingProblems(node, n => services.typing.TypeChecker.typeOf(n)).forEach(p => validator.report(p, accept)), validator.checkDataFiles]
    };
    // Checks are registered on the module and its declarations only: a declaration's checks
    // cover everything inside it (see CajalDocumentValidator, which visits no deeper).
    registry.register(checks, validator);
}

/** Reports the problems the type and linearity checkers found, plus module-level checks. */
export class CajalValidator {
    constructor(private readonly services: CajalServices) { }

    /**
     * The services each declaration's check uses, looked up once: a lookup through the
     * services (dependency injection's proxies) per declaration was a visible part of
     * validating a large file.
     */
    private declarationServices?: {
        readonly types: CajalServices['typing']['TypeChecker'];
        readonly linearity: CajalServices['linearity']['LinearityChecker'];
        readonly sizes: CajalServices['typing']['TensorSizes'];
        readonly linker: CajalServices['references']['Linker'];
    };

    checkDeclaration(declaration: ast.Declaration, accept: ValidationAcceptor): void {
        const services = this.declarationServices ??= {
            types: this.services.typing.TypeChecker, linearity: this.services.linearity.LinearityChecker,
            sizes: this.services.typing.TensorSizes, linker: this.services.references.Linker
        };
        // The declaration is typed once; linearity and sizes read that typing.
        const typing = services.types.checkDeclaration(declaration);
        for (const problem of typing.problems) this.report(problem, accept);
        for (const problem of services.linearity.checkDeclaration(declaration, typing)) this.report(problem, accept);
        for (const problem of services.sizes.checkDeclaration(declaration, typing)) this.report(problem, accept);
        // Externs of several arguments must be applied to all of them; only uses of globals can name one.
        for (const use of services.linker.nonLocalUses(declaration)) {
            const problem = partialExternApplication(use);
            if (problem) this.report(problem, accept);
        }
    }

    checkImports(module: ast.Module, accept: ValidationAcceptor): void {
        const document = AstUtils.getDocument(module);
        const scopes = this.services.references.ScopeProvider;
        for (const imp of module.imports) {
            if (imp.module && scopes.resolveImport(document, imp.module) === undefined) {
                const beside = UriUtils.joinPath(UriUtils.dirname(document.uri), `${imp.module}.cajal`).toString();
                const unreadable = this.services.workspace.UnreadableFiles.get(beside);
                const message = unreadable
                    ? `Cannot read module '${imp.module}': ${imp.module}.cajal ${unreadable}; only regular files of at most ${formatBytes(MAX_SOURCE_BYTES)} are read.`
                    : `Cannot find module '${imp.module}': expected a file ${imp.module}.cajal beside this one, or a workspace file starting with 'module ${imp.module}'.`;
                accept('error', message, { node: imp, property: 'module', code: Codes.unknownName });
            }
        }
    }

    /**
     * The files a train block's data options read (training/data-files.ts), looked at as
     * `cajal train` will: one that does not exist, is not a regular file or is above the size
     * cap is an error; one outside every workspace folder (known in editors only) a warning,
     * since a workspace's program then reads a file the user may not expect it to. Train
     * blocks are validated at every check (CajalDocumentValidator), so a file created or
     * removed on disk is seen at the next check of the document.
     */
    checkDataFiles(training: ast.Training, accept: ValidationAcceptor): void {
        const base = dataBaseDirectory(AstUtils.getDocument(training));
        if (base === undefined) return;
        const folders = (this.services.shared.workspace.WorkspaceManager.workspaceFolders ?? [])
            .map(folder => URI.parse(folder.uri)).filter(uri => uri.scheme === 'file').map(uri => uri.fsPath);
        for (const option of training.options.filter(ast.isDataOption)) {
            const pattern = option.file;
            // An unsupported kind of file is train/invalid already.
            if (pattern === undefined || !DATA_FILE_EXTENSIONS.some(ext => pattern.toLowerCase().endsWith(ext))) continue;
            for (const file of dataFilesOf(option, base) ?? []) {
                const named = `The data file '${file.shown}'${file.field ? ` (field '${file.field}')` : ''}`;
                if (file.problem !== undefined) {
                    const where = file.shown === file.path ? '' : ` (${file.path})`;
                    accept('error', `${named}${where} ${file.problem}: training would stop here.`, {
                        node: option, property: 'file', code: Codes.dataUnreadable, data: { path: file.path }
                    });
                } else if (folders.length > 0 && !folders.some(folder => isInside(file.path, folder))) {
                    accept('warning', `${named} is outside the workspace folder${folders.length === 1 ? '' : 's'}: training reads ${file.path}.`, {
                        node: option, property: 'file', code: Codes.dataOutsideWorkspace, data: { path: file.path }
                    });
                }
            }
        }
    }

    checkDuplicateNames(module: ast.Module, accept: ValidationAcceptor): void {
        const document = AstUtils.getDocument(module);
        const seen = new Map<string, ast.Declaration>();
        for (const declaration of module.declarations) {
            if (!declaration.name) continue;
            const first = seen.get(declaration.name);
            if (first) {
                accept('error', `'${declaration.name}' is already defined in this module (line ${line(first)}); give this ${kind(declaration)} another name.`, {
                    node: declaration, property: 'name', code: Codes.duplicateName,
                    relatedInformation: [this.relatedAt(first, 'name', `first definition of '${declaration.name}'`)],
                    data: { name: declaration.name }
                });
            } else {
                seen.set(declaration.name, declaration);
            }
        }
        // Names that imports bring in may not clash with ours or with each other's.
        const scopes = this.services.references.ScopeProvider;
        const importedBy = new Map<string, string>();
        for (const imp of module.imports) {
            const uri = scopes.resolveImport(document, imp.module);
            if (!uri || uri === document.uri.toString()) continue;
            const names = this.services.shared.workspace.IndexManager.allElements(undefined, new Set([uri]))
                .filter(description => description.type !== ast.Module.$type)
                .map(description => description.name);
            for (const name of names) {
                const own = seen.get(name);
                const other = importedBy.get(name);
                if (own) {
                    accept('error', `'${name}' is defined both in this module and in the imported module '${imp.module}'.`, {
                        node: own, property: 'name', code: Codes.duplicateName,
                        relatedInformation: [this.relatedAt(imp, 'module', `'${imp.module}' also defines '${name}'`)]
                    });
                } else if (other !== undefined && other !== imp.module) {
                    accept('error', `'${name}' is defined in both imported modules '${other}' and '${imp.module}'.`, {
                        node: imp, property: 'module', code: Codes.duplicateName
                    });
                } else {
                    importedBy.set(name, imp.module);
                }
            }
        }
    }

    /**
     * The declarations linked since the previous validation of the module being validated
     * ('all' if any may have changed), while CajalDocumentValidator runs the module's checks.
     */
    linkedSinceLastValidation: Relinked = 'all';
    /**
     * Modules whose last cycle check found none, with a topological order of their
     * definitions by name (every reference goes to a lower number), when names are unique.
     */
    private readonly acyclic = new WeakMap<ast.Module, ReadonlyMap<string, number> | undefined>();

    /** Definitions may not refer to themselves, even indirectly: Cajal recurses only with iter. */
    checkCycles(module: ast.Module, accept: ValidationAcceptor): void {
        const changed = this.linkedSinceLastValidation;
        if (changed !== 'all' && this.acyclic.has(module)) {
            // Only the changed declarations' references can differ from the last check, which
            // found no cycle: a new cycle passes through one of them. When each of their
            // references still goes down the last check's order (a re-parsed definition takes
            // its name's place), that order still holds, so there is none; otherwise the full
            // check runs (and finds a new order: keeping an order that some reference goes up
            // would let a later edit close a cycle unseen).
            const order = this.acyclic.get(module);
            const linker = this.services.references.Linker;
            const successors = (definition: ast.Definition): ast.Definition[] =>
                linker.nonLocalUses(definition).map(use => use.ref?.ref).filter(ast.isDefinition);
            const goesDown = (definition: ast.Definition): boolean => {
                const own = order?.get(definition.name);
                return own !== undefined && successors(definition).every(target =>
                    target.$container === module && (order!.get(target.name) ?? Infinity) < own);
            };
            if (![...changed].some(declaration => ast.isDefinition(declaration) && declaration.$container === module && !goesDown(declaration))) {
                return;
            }
        }
        const order = this.reportCycles(module, accept);
        if (order === 'cycles') this.acyclic.delete(module);
        else this.acyclic.set(module, order);
    }

    /**
     * Reports every definition on a cycle. Without cycles, gives a topological order of the
     * definitions by name (undefined if two share a name).
     */
    private reportCycles(module: ast.Module, accept: ValidationAcceptor): 'cycles' | ReadonlyMap<string, number> | undefined {
        // Each definition's edges are collected once, from its uses of globals (which the
        // linker keeps per declaration): a search per definition that recollected them made
        // this check quadratic (minutes for a few thousand definitions).
        const linker = this.services.references.Linker;
        const edgeCache = new Map<ast.Definition, Edge[]>();
        const edges = (definition: ast.Definition): Edge[] => {
            let result = edgeCache.get(definition);
            if (!result) {
                result = linker.nonLocalUses(definition)
                    .map(v => ({ target: v.ref?.ref, via: v }))
                    .filter((e): e is Edge => ast.isDefinition(e.target));
                edgeCache.set(definition, result);
            }
            return result;
        };
        const definitions = module.declarations.filter(ast.isDefinition);
        const component = stronglyConnectedComponents(definitions, definition => edges(definition).map(edge => edge.target));
        // A definition alone in its component is on a cycle only if it refers to itself: no
        // search (and its queue and map) for each of the others, almost every definition.
        const componentSizes: number[] = [];
        for (const number of component.values()) componentSizes[number] = (componentSizes[number] ?? 0) + 1;
        let found = false;
        for (const definition of definitions) {
            if (componentSizes[component.get(definition)!] === 1 && !edges(definition).some(edge => edge.target === definition)) continue;
            const path = shortestCycle(definition, edges, component);
            if (path) {
                found = true;
                const names = [definition, ...path.map(step => step.target)].map(d => d.name).join(' → ');
                accept('error', `'${definition.name}' refers to itself (${names}); Cajal has no recursion: use iter for bounded repetition.`, {
                    node: definition, property: 'name', code: Codes.cycle,
                    relatedInformation: path.map(step => this.relatedAt(step.via, undefined, `refers to '${step.target.name}'`))
                });
            }
        }
        if (found) return 'cycles';
        // Tarjan numbers components in reverse topological order: a reference goes to a lower number.
        const order = new Map<string, number>();
        for (const definition of definitions) {
            if (order.has(definition.name)) return undefined;
            order.set(definition.name, component.get(definition)!);
        }
        return order;
    }

    report(problem: CheckProblem, accept: ValidationAcceptor): void {
        const whole = !problem.property && !problem.keyword;
        accept(problem.severity, problem.message, {
            node: problem.node,
            property: problem.property as never,
            keyword: problem.keyword,
            range: whole ? termRange(problem.node) : undefined,
            code: problem.code,
            data: problem.data,
            relatedInformation: problem.related?.map(r => this.relatedAt(r.node, r.property, r.message))
        });
    }

    relatedAt(node: AstNode, property: string | undefined, message: string): DiagnosticRelatedInformation {
        const document: LangiumDocument = AstUtils.getDocument(node);
        const range = (property ? this.services.references.NameProvider.getNameNode(node)?.range : termRange(node))
            ?? node.$cstNode?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
        return { location: { uri: document.uri.toString(), range }, message };
    }
}

/** A reference from one definition to another. */
interface Edge {
    readonly target: ast.Definition;
    readonly via: ast.Var;
}

/**
 * Tarjan's strongly connected components of the graph reachable from `roots`, iteratively
 * (no recursion, so long chains of definitions cost no stack). Maps each node to its component.
 */
function stronglyConnectedComponents<T>(roots: readonly T[], successors: (node: T) => T[]): Map<T, number> {
    const index = new Map<T, number>();
    const low = new Map<T, number>();
    const onStack = new Set<T>();
    const stack: T[] = [];
    const component = new Map<T, number>();
    let counter = 0;
    let components = 0;
    const work: Array<{ node: T; next: T[]; position: number }> = [];
    const visit = (node: T): void => {
        index.set(node, counter);
        low.set(node, counter);
        counter++;
        stack.push(node);
        onStack.add(node);
        work.push({ node, next: successors(node), position: 0 });
    };
    for (const root of roots) {
        if (index.has(root)) continue;
        visit(root);
        while (work.length > 0) {
            const frame = work[work.length - 1];
            if (frame.position < frame.next.length) {
                const next = frame.next[frame.position++];
                if (!index.has(next)) {
                    visit(next);
                } else if (onStack.has(next)) {
                    low.set(frame.node, Math.min(low.get(frame.node)!, index.get(next)!));
                }
                continue;
            }
            work.pop();
            if (work.length > 0) {
                const parent = work[work.length - 1].node;
                low.set(parent, Math.min(low.get(parent)!, low.get(frame.node)!));
            }
            if (low.get(frame.node) === index.get(frame.node)) {
                let member: T;
                do {
                    member = stack.pop()!;
                    onStack.delete(member);
                    component.set(member, components);
                } while (member !== frame.node);
                components++;
            }
        }
    }
    return component;
}

/**
 * The shortest path of references from `start` back to itself, if `start` lies on a cycle
 * (breadth-first search within its strongly connected component).
 */
function shortestCycle(start: ast.Definition, edges: (node: ast.Definition) => Edge[], component: Map<ast.Definition, number>): Edge[] | undefined {
    const home = component.get(start);
    const previous = new Map<ast.Definition, { from: ast.Definition; edge: Edge }>();
    const queue: ast.Definition[] = [start];
    for (let head = 0; head < queue.length; head++) {
        const node = queue[head];
        for (const edge of edges(node)) {
            if (component.get(edge.target) !== home) continue;
            if (edge.target === start) {
                const path = [edge];
                for (let current = node; current !== start;) {
                    const step = previous.get(current)!;
                    path.push(step.edge);
                    current = step.from;
                }
                return path.reverse();
            }
            if (!previous.has(edge.target)) {
                previous.set(edge.target, { from: node, edge });
                queue.push(edge.target);
            }
        }
    }
    return undefined;
}

function line(node: AstNode): number {
    return (node.$cstNode?.range.start.line ?? 0) + 1;
}

function kind(declaration: ast.Declaration): string {
    return ast.isDefinition(declaration) ? 'definition' : ast.isExtern(declaration) ? 'extern' : 'training';
}
