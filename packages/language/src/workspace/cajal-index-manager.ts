import {
    AstUtils, DefaultIndexManager, DefaultReferenceDescriptionProvider, UriUtils, isReference, stream,
    type AstNode, type LangiumDocument, type ReferenceDescription, type Stream
} from 'langium';

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

    override isAffected(document: LangiumDocument, changedUris: Set<string>): boolean {
        if (!this.unindexed.has(document.uri.toString())) {
            return super.isAffected(document, changedUris);
        }
        return stream(document.references).some(reference => {
            const target = isReference(reference) ? reference.$nodeDescription?.documentUri : undefined;
            return target !== undefined && !UriUtils.equals(target, document.uri) && changedUris.has(target.toString());
        });
    }
}
