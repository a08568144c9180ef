import {
    AstUtils, DefaultIndexManager, DefaultReferenceDescriptionProvider, UriUtils, isReference, stream,
    URI, type AstNode, type LangiumDocument, type ReferenceDescription, type Stream
} from 'langium';
import * as ast from '../generated/ast.js';
import { moduleName } from '../references/cajal-scope.js';

/** Describes a document's references synchronously (Langium's provider does it asynchronously). */
export class CajalReferenceDescriptionProvider extends DefaultReferenceDescriptionProvider {
    describe(document: LangiumDocument): ReferenceDescription[] {
        const descriptions: ReferenceDescription[] = [];
        for (const node of AstUtils.streamAst(document.parseResult.value)) {
            AstUtils.streamReferences(node).forEach(info => {
                if (!info.reference.error) descriptions.push(...this.createInfoDescriptions(info));
            });
        }
        return descriptions;
    }
}

/**
 * Langium's index, except that a document's reference descriptions (used to find
 * references and to tell which documents a change affects) are computed when first
 * asked for, not after every build: on a 5,000-line file that was a seventh of each
 * re-check, for an index that only "find references" reads. Which documents a change
 * affects is answered from the linked references directly.
 */
export class CajalIndexManager extends DefaultIndexManager {
    private readonly unindexed = new Map<string, LangiumDocument>();

    override async updateReferences(document: LangiumDocument): Promise<void> {
        const uri = document.uri.toString();
        this.referenceIndex.delete(uri);
        this.unindexed.set(uri, document);
    }

    override removeReferences(uri: Parameters<DefaultIndexManager['removeReferences']>[0]): void {
        super.removeReferences(uri);
        this.unindexed.delete(uri.toString());
    }

    override findAllReferences(targetNode: AstNode, astNodePath: string): Stream<ReferenceDescription> {
        for (const [uri, document] of this.unindexed) {
            const provider = this.serviceRegistry.getServices(document.uri).workspace.ReferenceDescriptionProvider;
            this.referenceIndex.set(uri, provider instanceof CajalReferenceDescriptionProvider ? provider.describe(document) : []);
        }
        this.unindexed.clear();
        return super.findAllReferences(targetNode, astNodePath);
    }

    /**
     * A document is affected by a change to a document it refers to, or to one it imports:
     * names an import brings in can clash with its own even when it uses none of them.
     */
    override isAffected(document: LangiumDocument, changedUris: Set<string>): boolean {
        if (this.importsAnyOf(document, changedUris)) {
            return true;
        }
        if (!this.unindexed.has(document.uri.toString())) {
            return super.isAffected(document, changedUris);
        }
        return stream(document.references).some(reference => {
            const target = isReference(reference) ? reference.$nodeDescription?.documentUri : undefined;
            return target !== undefined && !UriUtils.equals(target, document.uri) && changedUris.has(target.toString());
        });
    }

    /** Whether an `import` names one of the documents, by file name or by (old) module name. */
    private importsAnyOf(document: LangiumDocument, uris: Set<string>): boolean {
        const module = document.parseResult.value;
        if (!ast.isModule(module) || module.imports.length === 0) {
            return false;
        }
        const imported = new Set(module.imports.map(imp => imp.module));
        for (const uri of uris) {
            const parsed = URI.parse(uri);
            const fileName = UriUtils.basename(parsed).replace(/\.cajal$/, '');
            const changed = this.documents.getDocument(parsed)?.parseResult.value;
            if (imported.has(fileName) || (ast.isModule(changed) && imported.has(moduleName(changed, parsed)))) return true;
        }
        return false;
    }
}
