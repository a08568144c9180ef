import {
    DefaultLinker, interruptAndCheck, isReference, type AstNode, type LangiumCoreServices, type LangiumDocument, type ReferenceInfo, type Scope, type AstNodeDescriptionProvider
} from 'langium';
import { CancellationToken } from 'vscode-languageserver';
import * as ast from '../generated/ast.js';
import { isUnlinkedSingle, linkedTarget, resetReference, setResolution } from '../langium-internals.js';
import { forgetReplacements, replacedDeclarations } from '../parser/incremental-parse.js';
import { declaredType } from '../typing/type-checker.js';
import { referencesIn } from '../syntax.js';
import { LocalBinderDescription, binderNamed, forEachReferenceInScope, type CajalScopeProvider } from './cajal-scope.js';

/** How many declarations are linked between two interruption checks (a power of two). */
const DECLARATIONS_PER_CHECK = 16;

/** A cross-reference of a document (Cajal has no multi-references, but the document's list is typed for both). */
type AnyReference = LangiumDocument['references'][number];

/** The references inside one top-level node, and those among them that are not local variables. */
interface LinkedReferences {
    readonly all: AnyReference[];
    readonly nonLocal: ReferenceInfo[];
    /**
     * The Vars of `nonLocal`, made when first asked for: type checking, validation and the
     * cycle check each ask for every declaration. (A re-link resolves the same references
     * again, so the list holds as long as the entry.)
     */
    nonLocalVars?: readonly ast.Var[];
}

/** Top-level nodes whose global uses were resolved again since validation last took them; 'all' after a full link. */
export type Relinked = ReadonlySet<AstNode> | 'all';

/**
 * Langium's linker, made incremental per declaration. A reference to a local variable
 * resolves to a binder of the same declaration, decided by that declaration's text alone,
 * and is never resolved again. Declarations the incremental parser replaced are linked in
 * full. In the declarations it kept, a use of a global can resolve differently only if a
 * declaration of that name was removed or added, here or in an imported module; so when the
 * names the imports bring are the same nodes as at the last link (the imported files did
 * not change, or not in what they export), only the kept declarations using the names of
 * the replaced declarations are re-resolved (an index of each module's users per name finds
 * them). Otherwise — an imported module changed, a full re-parse — every use of a global is
 * resolved again.
 *
 * Which declarations changed is kept for validation (`takeRelinked`): those linked in full,
 * and kept ones whose globals now resolve differently — other than to the re-parsed
 * declaration that replaced their old target with the same signature. Any other declaration
 * has the same diagnostics as before (cajal-document-validator.ts).
 */
export class CajalLinker extends DefaultLinker {
    private readonly linked = new WeakMap<AstNode, LinkedReferences>();
    /** Per module: the top-level nodes using each name as a global (or unknown) name. */
    private readonly users = new WeakMap<AstNode, Map<string, Set<AstNode>>>();
    private readonly relinked = new WeakMap<AstNode, Relinked>();
    /** Per module: what its imports brought at its last complete link (name and node of each). */
    private readonly imported = new WeakMap<AstNode, readonly unknown[]>();
    /** Taken from the services when first linking (a lookup through Langium's injector each time showed in profiles). */
    private descriptions: AstNodeDescriptionProvider | undefined;
    /** Uses of globals resolved so far (for tests and profiling: how much an edit re-linked). */
    resolvedGlobalUses = 0;

    constructor(private readonly services: LangiumCoreServices & { references: { ScopeProvider: CajalScopeProvider } }) {
        super(services);
    }

    /** Resolutions are reset by `link`, which knows which of them an edit can change. */
    override unlink(document: LangiumDocument): void {
        document.references = [];
    }

    override async link(document: LangiumDocument, cancelToken?: CancellationToken): Promise<void> {
        const root = document.parseResult.value;
        const module = ast.isModule(root) ? root : undefined;
        const tops = module ? [...module.imports, ...module.declarations] : [root];
        const replaced = module ? replacedDeclarations(module) : undefined;
        let users = this.users.get(root);
        const imported = module ? this.importedNow(document) : [];
        // The kept top-level nodes whose uses of globals must be resolved again.
        let stale: Set<AstNode> | 'all' = 'all';
        if (replaced && users && sameItems(this.imported.get(root), imported)) {
            stale = new Set();
            const names = new Set([...replaced.removed, ...replaced.added].map(declaration => declaration.name));
            for (const removed of replaced.removed) this.forgetUses(users, removed);
            for (const name of names) {
                for (const user of users.get(name) ?? []) stale.add(user);
            }
        } else {
            // Kept only once complete: a link cancelled half-way must not leave a partial index.
            users = new Map();
            this.users.delete(root);
        }
        const references: AnyReference[] = [];
        const scopeProvider = this.services.references.ScopeProvider;
        // Asked for once a declaration must be linked in full (not on an edit that re-links none).
        let globals: Scope | undefined;
        const linkedNow = new Set<AstNode>();
        const added = new Set<AstNode>(replaced?.added);
        let unchecked = 0;
        await interruptAndCheck(cancelToken ?? CancellationToken.None);
        for (const top of tops) {
            // (A re-parsed declaration may already be linked, by a link that was then cancelled.)
            if (added.has(top)) linkedNow.add(top);
            let entry = this.linked.get(top);
            if (entry && stale !== 'all' && !stale.has(top)) {
                for (const reference of entry.all) references.push(reference);
                continue;
            }
            // Langium's check (yield when the interruption period is over, then look for a
            // cancellation) is an await: after every declaration it was a tenth of linking a
            // 5,000-line file. A declaration links in well under a millisecond.
            if ((++unchecked & (DECLARATIONS_PER_CHECK - 1)) === 0) await interruptAndCheck(cancelToken ?? CancellationToken.None);
            if (entry) {
                let changed = stale === 'all';
                for (const info of entry.nonLocal) {
                    this.resolvedGlobalUses++;
                    const before = linkedTarget(info.reference);
                    resetReference(info.reference);
                    this.doLink(info, document);
                    const after = linkedTarget(info.reference);
                    changed ||= after !== before && !(after && added.has(after) && sameSignature(before, after));
                }
                // A kept declaration whose globals were only replaced by re-parsed ones of the
                // same signature checks as before (the type checker's cache holds too).
                if (changed) linkedNow.add(top);
            } else {
                linkedNow.add(top);
                entry = this.linkDeclaration(top, document, globals ??= scopeProvider.globalScope(document));
                this.resolvedGlobalUses += entry.nonLocal.length;
                this.linked.set(top, entry);
            }
            if (stale === 'all' || !stale.has(top)) this.recordUses(users, top, entry);
            for (const reference of entry.all) references.push(reference);
        }
        document.references = references;
        this.users.set(root, users);
        this.imported.set(root, imported);
        const earlier = this.relinked.get(root);
        this.relinked.set(root, stale === 'all' || earlier === 'all' ? 'all' : new Set([...earlier ?? [], ...linkedNow]));
        if (replaced && module) forgetReplacements(module, replaced);
    }

    /**
     * Links the references of a top-level node in one walk down it, carrying the binders in
     * scope (`forEachReferenceInScope`): what `doLink` of each reference finds through
     * `getScope` (a local binder's description, else the global's, else Langium's linking
     * error), without each reference's scope chain, scope and document lookups. References
     * already resolved (read before linking) stay as they are, as in `doLink`.
     */
    private linkDeclaration(top: AstNode, document: LangiumDocument, globals: Scope): LinkedReferences {
        const all: AnyReference[] = [];
        const nonLocal: ReferenceInfo[] = [];
        const descriptions = this.descriptions ??= this.services.workspace.AstNodeDescriptionProvider;
        forEachReferenceInScope(top, (info, scope) => {
            const reference = info.reference;
            all.push(reference);
            // (Var has no subtypes; any other reference, and one already resolved, goes the general way.)
            if (info.property !== 'ref' || info.container.$type !== ast.Var.$type || !isUnlinkedSingle(reference)) {
                this.doLink(info, document);
                if (!isLocal(reference)) nonLocal.push(info);
                return;
            }
            const binder = binderNamed(scope, reference.$refText);
            if (binder) {
                setResolution(reference, binder, new LocalBinderDescription(binder, document, descriptions));
                return;
            }
            nonLocal.push(info);
            const description = globals.getElement(reference.$refText);
            const target = description && this.loadAstNode(description);
            setResolution(reference, target ?? this.createLinkingError(info, description), description);
        });
        return { all, nonLocal };
    }

    /** Each name the document's imports bring, with its node (or where it is, for a description without one). */
    private importedNow(document: LangiumDocument): unknown[] {
        return this.services.references.ScopeProvider.importedDescriptions(document)
            .flatMap(description => [description.name, description.node ?? `${description.documentUri.toString()}#${description.path}`]);
    }

    /**
     * The top-level nodes of a module linked since the last call (validation takes them);
     * 'all' when every one may have changed. Undefined for a module never linked.
     */
    takeRelinked(root: AstNode): Relinked | undefined {
        const relinked = this.relinked.get(root);
        this.relinked.set(root, new Set());
        return relinked;
    }

    /** Gives back what `takeRelinked` returned, when validation was cancelled before using it. */
    restoreRelinked(root: AstNode, taken: Relinked | undefined): void {
        const now = this.relinked.get(root);
        if (taken === undefined || taken === 'all' || now === 'all') {
            this.relinked.set(root, 'all');
        } else {
            this.relinked.set(root, new Set([...taken, ...now ?? []]));
        }
    }

    private recordUses(users: Map<string, Set<AstNode>>, top: AstNode, entry: LinkedReferences): void {
        for (const info of entry.nonLocal) {
            const name = info.reference.$refText;
            let set = users.get(name);
            if (!set) users.set(name, set = new Set());
            set.add(top);
        }
    }

    private forgetUses(users: Map<string, Set<AstNode>>, top: AstNode): void {
        for (const info of this.linked.get(top)?.nonLocal ?? []) {
            users.get(info.reference.$refText)?.delete(top);
        }
    }

    /**
     * The uses of globals and of unknown names in a top-level node: its references to
     * anything but its own binders, which are all that its checking depends on outside it.
     */
    nonLocalUses(top: AstNode): readonly ast.Var[] {
        const entry = this.linked.get(top);
        if (entry) return entry.nonLocalVars ??= entry.nonLocal.map(info => info.container).filter(ast.isVar);
        return referencesIn(top).filter(info => {
            const target = isReference(info.reference) ? info.reference.ref : undefined;
            return !(target && ast.isBinder(target));
        }).map(info => info.container).filter(ast.isVar);
    }
}

/**
 * Whether two globals are the same to the checks of a declaration using them: their kind,
 * declared type and number of parameters (an extern of several must be applied to all).
 */
function sameSignature(before: AstNode | undefined, after: AstNode): boolean {
    const signature = (node: AstNode | undefined): string | undefined =>
        ast.isDefinition(node) || ast.isExtern(node) ? `${node.$type} ${node.params.length} ${declaredType(node)}` : undefined;
    const old = signature(before);
    return old !== undefined && old === signature(after);
}

function sameItems(before: readonly unknown[] | undefined, now: readonly unknown[]): boolean {
    return before !== undefined && before.length === now.length && before.every((item, i) => item === now[i]);
}

/** Whether a reference resolved to a binder: a local variable, linked by its declaration's text alone. */
function isLocal(reference: AnyReference): boolean {
    const target = linkedTarget(reference);
    return target !== undefined && ast.isBinder(target);
}
