import {
    AstUtils, DefaultLinker, interruptAndCheck, isReference, type AstNode, type LangiumDocument, type ReferenceInfo
} from 'langium';
import { CancellationToken } from 'vscode-languageserver';
import * as ast from '../generated/ast.js';
import { linkedTarget, resetReference } from '../langium-internals.js';

/** A cross-reference of a document (Cajal has no multi-references, but the document's list is typed for both). */
type AnyReference = LangiumDocument['references'][number];

/** The references inside one top-level node, and those among them that are not local variables. */
interface LinkedReferences {
    readonly all: AnyReference[];
    readonly nonLocal: ReferenceInfo[];
}

/**
 * Langium's linker, made incremental per declaration. A reference to a local variable
 * resolves to a binder of the same declaration, decided by that declaration's text alone;
 * so when a document is re-linked (after an edit re-parsed some declarations, or a file
 * it imports changed), only references to globals and unresolved names are resolved again
 * in declarations that were kept, and declarations the incremental parser replaced are
 * linked in full. On a full re-parse every declaration is new, so everything is linked.
 */
export class CajalLinker extends DefaultLinker {
    private readonly linked = new WeakMap<AstNode, LinkedReferences>();

    override unlink(document: LangiumDocument): void {
        for (const reference of document.references) {
            if (!isLocal(reference)) {
                resetReference(reference);
            }
        }
        document.references = [];
    }

    override async link(document: LangiumDocument, cancelToken?: CancellationToken): Promise<void> {
        const root = document.parseResult.value;
        const references: AnyReference[] = [];
        const tops = ast.isModule(root) ? [...root.imports, ...root.declarations] : [root];
        for (const top of tops) {
            await interruptAndCheck(cancelToken ?? CancellationToken.None);
            let entry = this.linked.get(top);
            if (entry) {
                for (const info of entry.nonLocal) this.doLink(info, document);
            } else {
                const all: AnyReference[] = [];
                const infos: ReferenceInfo[] = [];
                for (const node of AstUtils.streamAst(top)) {
                    AstUtils.streamReferences(node).forEach(info => {
                        this.doLink(info, document);
                        all.push(info.reference);
                        infos.push(info);
                    });
                }
                entry = { all, nonLocal: infos.filter(info => !isLocal(info.reference)) };
                this.linked.set(top, entry);
            }
            for (const reference of entry.all) references.push(reference);
        }
        document.references = references;
    }

    /**
     * The uses of globals and of unknown names in a top-level node: its references to
     * anything but its own binders, which are all that its checking depends on outside it.
     */
    nonLocalUses(top: AstNode): ast.Var[] {
        const infos = this.linked.get(top)?.nonLocal
            ?? AstUtils.streamAst(top).flatMap(node => AstUtils.streamReferences(node)).filter(info => {
                const target = isReference(info.reference) ? info.reference.ref : undefined;
                return !(target && ast.isBinder(target));
            }).toArray();
        return infos.map(info => info.container).filter(ast.isVar);
    }
}

/** Whether a reference resolved to a binder: a local variable, linked by its declaration's text alone. */
function isLocal(reference: AnyReference): boolean {
    const target = linkedTarget(reference);
    return target !== undefined && ast.isBinder(target);
}
