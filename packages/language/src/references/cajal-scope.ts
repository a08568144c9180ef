import {
    AstUtils, DefaultScopeComputation, DefaultScopeProvider, DocumentState, EMPTY_SCOPE, MultiMap, isAstNode, isReference, UriUtils, WorkspaceCache, stream,
    type AstNode, type AstNodeDescription, type LangiumCoreServices, type LangiumDocument, type LocalSymbols, type ReferenceInfo, type Scope,
    type Stream, type AstNodeDescriptionProvider, type AstNodeLocator, type URI
} from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import * as ast from '../generated/ast.js';

/** The name a module is imported by: its `module` header, else its file name without `.cajal`. */
export function moduleName(module: ast.Module, uri: { path: string }): string {
    if (module.name) {
        return module.name;
    }
    const base = UriUtils.basename(uri as Parameters<typeof UriUtils.basename>[0]);
    return base.endsWith('.cajal') ? base.slice(0, -'.cajal'.length) : base;
}

/**
 * Exports each module's global names (`def`, `extern`) and the module itself (under its
 * import name), so that `import name` can find it. Local variables are resolved by walking
 * the tree in {@link CajalScopeProvider}, so no local symbol tables are built.
 */
export class CajalScopeComputation extends DefaultScopeComputation {
    /** Each global's description, made once per declaration node (see {@link GlobalDescription}). */
    private readonly globals = new WeakMap<AstNode, GlobalDescription>();
    private readonly locator: AstNodeLocator;

    constructor(services: LangiumCoreServices) {
        super(services);
        this.locator = services.workspace.AstNodeLocator;
    }

    override async collectExportedSymbols(document: LangiumDocument, _cancelToken?: CancellationToken): Promise<AstNodeDescription[]> {
        const module = document.parseResult.value as ast.Module;
        const exports: AstNodeDescription[] = [];
        if (!ast.isModule(module)) {
            return exports;
        }
        exports.push(this.descriptions.createDescription(module, moduleName(module, document.uri), document));
        for (const declaration of module.declarations) {
            if ((ast.isDefinition(declaration) || ast.isExtern(declaration)) && declaration.name) {
                let description = this.globals.get(declaration);
                if (!description || description.documentUri !== document.uri) {
                    description = new GlobalDescription(declaration, document, this.descriptions, this.locator);
                    this.globals.set(declaration, description);
                }
                exports.push(description);
            }
        }
        return exports;
    }

    override async collectLocalSymbols(_document: LangiumDocument, _cancelToken?: CancellationToken): Promise<LocalSymbols> {
        return new MultiMap<AstNode, AstNodeDescription>();
    }
}

/**
 * Binders that are in scope at `child`, a direct child of `parent`, innermost last.
 * A `let` binder scopes over the body only, an `iter` step binder over the step only.
 */
export function bindersInScopeOf(parent: AstNode, child: AstNode): ast.Binder[] {
    // Dispatch on $type: this runs for every node on the way up from every reference.
    switch (parent.$type) {
        case 'Lambda': return (parent as ast.Lambda).body === child ? (parent as ast.Lambda).binders : [];
        case 'Definition': return (parent as ast.Definition).body === child ? (parent as ast.Definition).params : [];
        case 'LetTerm': return (parent as ast.LetTerm).body === child ? [(parent as ast.LetTerm).binder] : [];
        case 'LetPairTerm': {
            const let_ = parent as ast.LetPairTerm;
            return let_.body === child ? [let_.first, let_.second] : [];
        }
        case 'Iter': return (parent as ast.Iter).step === child ? [(parent as ast.Iter).stepBinder] : [];
        case 'ModelOption': case 'TargetOption':
            return ast.isTraining(parent.$container) ? dataFieldsOf(parent.$container) : [];
        default: return [];
    }
}

export function dataFieldsOf(training: ast.Training): ast.Binder[] {
    return training.options.filter(ast.isDataOption).flatMap(option => option.groups.flatMap(group => group.fields));
}

/** The binders in scope at a node as a linked list, innermost first; shared by nested scopes. */
export interface ScopeLink {
    readonly binder: ast.Binder;
    readonly next: ScopeLink | undefined;
}

/**
 * Scope chains are memoised per node (AST nodes are immutable; a re-parse makes new ones),
 * so resolving every variable of a deeply nested term costs time linear in its size
 * instead of walking to the root from each reference.
 */
const scopeChains = new WeakMap<AstNode, ScopeLink | null>();

export function scopeChain(node: AstNode): ScopeLink | undefined {
    const path: AstNode[] = [];
    let current: AstNode | undefined = node;
    let chain: ScopeLink | undefined;
    while (current) {
        const cached = scopeChains.get(current);
        if (cached !== undefined) {
            chain = cached ?? undefined;
            break;
        }
        path.push(current);
        current = current.$container;
    }
    for (let i = path.length - 1; i >= 0; i--) {
        const child = path[i];
        if (child.$container) chain = scopeInto(child.$container, child, chain);
        // A Var is a leaf, on no other node's way up: its chain is asked for once (when it
        // is linked), so keeping it would only grow the table (a third of all nodes).
        if (i > 0 || child.$type !== ast.Var.$type) scopeChains.set(child, chain ?? null);
    }
    return chain;
}

/** The scope at `child`, a direct child of `parent` whose scope is `chain`: `chain` with the binders `parent` brings into scope at `child`. */
function scopeInto(parent: AstNode, child: AstNode, chain: ScopeLink | undefined): ScopeLink | undefined {
    for (const binder of bindersInScopeOf(parent, child)) {
        if (binder) chain = { binder, next: chain };
    }
    return chain;
}

/** The innermost binder called `name` in a scope: what a variable of that name refers to, if it is local. */
export function binderNamed(chain: ScopeLink | undefined, name: string): ast.Binder | undefined {
    for (let link = chain; link; link = link.next) {
        if (link.binder.name === name) return link.binder;
    }
    return undefined;
}

/**
 * Calls `visit` on each cross-reference of `root`'s subtree, in the order of `referencesIn`
 * (syntax.ts), with the binders in scope at it: one walk down the tree carrying the scope,
 * for linking a whole declaration (each reference's own `scopeChain` walks up and memoises
 * every node on the way, which was most of linking a 5,000-line file). Iterative, so deep
 * terms cost no stack.
 */
export function forEachReferenceInScope(root: AstNode, visit: (info: ReferenceInfo, scope: ScopeLink | undefined) => void): void {
    const nodes: AstNode[] = [root];
    // (The container's chain, memoised, and not the root's: a top-level root would add an entry per declaration.)
    const scopes: Array<ScopeLink | undefined> = [root.$container ? scopeInto(root.$container, root, scopeChain(root.$container)) : undefined];
    const children: AstNode[] = [];
    while (nodes.length > 0) {
        const node = nodes.pop()!;
        const scope = scopes.pop();
        // Keys in place, as forEachAstNode and referencesIn walk them (syntax.ts): an AST node is a plain object.
        for (const key in node) {
            if (key.charCodeAt(0) === 36 /* $ */) continue;
            const value = (node as unknown as Record<string, unknown>)[key];
            if (isAstNode(value)) children.push(value);
            else if (isReference(value)) visit({ reference: value, container: node, property: key }, scope);
            else if (Array.isArray(value)) {
                for (let index = 0; index < value.length; index++) {
                    const element: unknown = value[index];
                    if (isAstNode(element)) children.push(element);
                    else if (isReference(element)) visit({ reference: element, container: node, property: key, index }, scope);
                }
            }
        }
        // Only binding forms change the scope of their children; the rest share theirs.
        const binds = children.length > 0 && bringsBinders(node);
        for (let i = children.length - 1; i >= 0; i--) {
            nodes.push(children[i]);
            scopes.push(binds ? scopeInto(node, children[i], scope) : scope);
        }
        children.length = 0;
    }
}

/** Whether `bindersInScopeOf(node, child)` can be non-empty for some child. */
function bringsBinders(node: AstNode): boolean {
    switch (node.$type) {
        case 'Lambda': case 'Definition': case 'LetTerm': case 'LetPairTerm': case 'Iter': case 'ModelOption': case 'TargetOption': return true;
        default: return false;
    }
}

/** Every binder visible at `node`, innermost first (so the first match by name wins). */
export function visibleBinders(node: AstNode): ast.Binder[] {
    const result: ast.Binder[] = [];
    for (let link = scopeChain(node); link; link = link.next) {
        result.push(link.binder);
    }
    return result;
}

/** Local variables in scope, looked up along the scope chain, then the globals. */
class BinderScope implements Scope {
    constructor(
        private readonly chain: ScopeLink,
        private readonly outer: Scope,
        private readonly document: LangiumDocument,
        private readonly descriptions: AstNodeDescriptionProvider
    ) { }

    getElement(name: string): AstNodeDescription | undefined {
        const binder = binderNamed(this.chain, name);
        return binder ? new LocalBinderDescription(binder, this.document, this.descriptions) : this.outer.getElement(name);
    }

    getElements(name: string): Stream<AstNodeDescription> {
        return this.getAllElements().filter(element => element.name === name);
    }

    getAllElements(): Stream<AstNodeDescription> {
        const binders: ast.Binder[] = [];
        for (let link: ScopeLink | undefined = this.chain; link; link = link.next) {
            if (link.binder.name) binders.push(link.binder);
        }
        return stream(binders).map(binder => new LocalBinderDescription(binder, this.document, this.descriptions)).concat(this.outer.getAllElements());
    }
}

/**
 * The global names of a document, looked up by name in constant time. Like a stream scope,
 * the first description of a name wins (the document's own declarations come first).
 */
class GlobalScope implements Scope {
    private readonly byName = new Map<string, AstNodeDescription>();

    constructor(private readonly elements: readonly AstNodeDescription[]) {
        for (const element of elements) {
            if (!this.byName.has(element.name)) this.byName.set(element.name, element);
        }
    }

    getElement(name: string): AstNodeDescription | undefined {
        return this.byName.get(name);
    }

    getElements(name: string): Stream<AstNodeDescription> {
        return stream(this.elements).filter(element => element.name === name);
    }

    getAllElements(): Stream<AstNodeDescription> {
        return stream(this.elements);
    }
}

/**
 * The description of a local variable for the linker, which needs only its node. Langium's
 * full description (path, name and selection ranges) is computed when asked for: building
 * it eagerly for every local reference was a sixth of re-checking a 5,000-line file. It is
 * not kept, because a local reference outlives edits elsewhere in the file (see
 * cajal-linker.ts), which move the binder's position and can change its path.
 */
export class LocalBinderDescription implements AstNodeDescription {
    readonly type = ast.Binder.$type;

    constructor(readonly node: ast.Binder, private readonly document: LangiumDocument, private readonly descriptions: AstNodeDescriptionProvider) { }

    get name(): string { return this.node.name; }
    get documentUri(): URI { return this.document.uri; }
    get path(): string { return this.described().path; }
    get nameSegment(): AstNodeDescription['nameSegment'] { return this.described().nameSegment; }
    get selectionSegment(): AstNodeDescription['selectionSegment'] { return this.described().selectionSegment; }

    private described(): AstNodeDescription {
        return this.descriptions.createDescription(this.node, this.node.name, this.document);
    }
}

/**
 * The description of a global (a definition or extern) for the index. Its name and node are
 * fixed (a re-parse makes a new node), so one object serves from build to build; its path
 * (`/declarations@12`) and segments depend on where the declaration now is, so they are
 * computed when asked. Langium's descriptions compute the declaration's range eagerly:
 * doing that for every global after each edit was an eighth of re-checking a 20,000-line file.
 */
class GlobalDescription implements AstNodeDescription {
    readonly type: string;
    readonly name: string;
    readonly documentUri: URI;

    constructor(
        readonly node: ast.Definition | ast.Extern, document: LangiumDocument,
        private readonly descriptions: AstNodeDescriptionProvider, private readonly locator: AstNodeLocator
    ) {
        this.type = node.$type;
        this.name = node.name;
        this.documentUri = document.uri;
    }

    get path(): string { return this.locator.getAstNodePath(this.node); }
    get nameSegment(): AstNodeDescription['nameSegment'] { return this.described().nameSegment; }
    get selectionSegment(): AstNodeDescription['selectionSegment'] { return this.described().selectionSegment; }

    private described(): AstNodeDescription {
        return this.descriptions.createDescription(this.node, this.name);
    }
}

export class CajalScopeProvider extends DefaultScopeProvider {
    /**
     * Each document's global scope, computed once per indexing: rebuilding it for every
     * reference made linking quadratic in the number of declarations. The index changes
     * only in the IndexedContent phase (and on deletions), which clear this cache.
     */
    private readonly globalScopes: WorkspaceCache<string, Scope>;

    constructor(services: LangiumCoreServices) {
        super(services);
        this.globalScopes = new WorkspaceCache(services.shared, DocumentState.IndexedContent);
    }

    override getScope(context: ReferenceInfo): Scope {
        if (!(ast.isVar(context.container) && context.property === 'ref')) {
            return EMPTY_SCOPE;
        }
        const document = AstUtils.getDocument(context.container);
        const globals = this.globalScope(document);
        const chain = scopeChain(context.container);
        return chain ? new BinderScope(chain, globals, document, this.descriptions) : globals;
    }

    /** The global names visible in a document (those of `globalDescriptions`), looked up by name. */
    globalScope(document: LangiumDocument): Scope {
        return this.globalScopes.get(document.uri.toString(), () => new GlobalScope(this.globalDescriptions(document)));
    }

    /** The global names visible in a document: its own declarations, then its imports'. */
    globalDescriptions(document: LangiumDocument): AstNodeDescription[] {
        const own = this.indexManager.allElements(undefined, new Set([document.uri.toString()]))
            .filter(description => description.type !== ast.Module.$type)
            .toArray();
        const fromImports = this.importedDescriptions(document);
        return fromImports.length === 0 ? own : [...own, ...fromImports];
    }

    /** The global names a document's imports bring, in the order the first of a name wins. */
    importedDescriptions(document: LangiumDocument): AstNodeDescription[] {
        const module = document.parseResult.value as ast.Module;
        const imported = (module.imports ?? [])
            .map(imp => this.resolveImport(document, imp.module))
            .filter((uri): uri is string => uri !== undefined && uri !== document.uri.toString());
        if (imported.length === 0) {
            return [];
        }
        return this.indexManager.allElements(undefined, new Set(imported))
            .filter(description => description.type !== ast.Module.$type)
            .toArray();
    }

    /**
     * The document that `import name` refers to: `name.cajal` beside the importing file if
     * there is one, else a workspace document whose module is called `name`.
     */
    resolveImport(document: LangiumDocument, name: string | undefined): string | undefined {
        if (!name) {
            return undefined;
        }
        const candidates = this.indexManager.allElements(ast.Module.$type)
            .filter(description => description.name === name)
            .map(description => description.documentUri.toString())
            .toArray();
        const beside = UriUtils.joinPath(UriUtils.dirname(document.uri), `${name}.cajal`).toString();
        return candidates.find(uri => uri === beside) ?? candidates[0];
    }
}
