import {
    AstUtils, DefaultScopeComputation, DefaultScopeProvider, DocumentState, EMPTY_SCOPE, MultiMap, UriUtils, WorkspaceCache, stream,
    type AstNode, type AstNodeDescription, type LangiumCoreServices, type LangiumDocument, type LocalSymbols, type ReferenceInfo, type Scope,
    type Stream
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
    override async collectExportedSymbols(document: LangiumDocument, _cancelToken?: CancellationToken): Promise<AstNodeDescription[]> {
        const module = document.parseResult.value as ast.Module;
        const exports: AstNodeDescription[] = [];
        if (!ast.isModule(module)) {
            return exports;
        }
        exports.push(this.descriptions.createDescription(module, moduleName(module, document.uri), document));
        for (const declaration of module.declarations) {
            if ((ast.isDefinition(declaration) || ast.isExtern(declaration)) && declaration.name) {
                exports.push(this.descriptions.createDescription(declaration, declaration.name, document));
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
    if (ast.isLambda(parent) && parent.body === child) return parent.binders;
    if (ast.isDefinition(parent) && parent.body === child) return parent.params;
    if (ast.isLetTerm(parent) && parent.body === child) return [parent.binder];
    if (ast.isLetPairTerm(parent) && parent.body === child) return [parent.first, parent.second];
    if (ast.isIter(parent) && parent.step === child) return [parent.stepBinder];
    if ((ast.isModelOption(parent) || ast.isTargetOption(parent)) && ast.isTraining(parent.$container)) {
        return dataFieldsOf(parent.$container);
    }
    return [];
}

export function dataFieldsOf(training: ast.Training): ast.Binder[] {
    return training.options.filter(ast.isDataOption).flatMap(option => option.groups.flatMap(group => group.fields));
}

/** Every binder visible at `node`, innermost first (so the first match by name wins). */
export function visibleBinders(node: AstNode): ast.Binder[] {
    const result: ast.Binder[] = [];
    let child = node;
    let parent = node.$container;
    while (parent) {
        const binders = bindersInScopeOf(parent, child);
        for (let i = binders.length - 1; i >= 0; i--) {
            result.push(binders[i]);
        }
        child = parent;
        parent = parent.$container;
    }
    return result;
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
        const globals = this.globalScopes.get(document.uri.toString(), () => new GlobalScope(this.globalDescriptions(document)));
        const binders = visibleBinders(context.container).filter(binder => binder.name);
        return binders.length === 0 ? globals : this.createScopeForNodes(binders, globals);
    }

    /** The global names visible in a document: its own declarations, then its imports'. */
    globalDescriptions(document: LangiumDocument): AstNodeDescription[] {
        const module = document.parseResult.value as ast.Module;
        const own = this.indexManager.allElements(undefined, new Set([document.uri.toString()]))
            .filter(description => description.type !== ast.Module.$type)
            .toArray();
        const imported = module.imports
            .map(imp => this.resolveImport(document, imp.module))
            .filter((uri): uri is string => uri !== undefined && uri !== document.uri.toString());
        if (imported.length === 0) {
            return own;
        }
        const fromImports = this.indexManager.allElements(undefined, new Set(imported))
            .filter(description => description.type !== ast.Module.$type)
            .toArray();
        return [...own, ...fromImports];
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
