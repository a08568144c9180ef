import { DefaultDefinitionProvider, DefaultDocumentHighlightProvider, DefaultReferencesProvider } from 'langium/lsp';
import { AstUtils, UriUtils, type LangiumDocument, type LeafCstNode, type MaybePromise } from 'langium';
import type {
    DefinitionParams, DocumentHighlight, DocumentHighlightParams, Location, LocationLink, ReferenceParams
} from 'vscode-languageserver';
import { findNameLeafAt } from '@cajal/language';

/*
 * Langium's go-to-definition, find-references and document-highlight, finding the name under
 * the cursor with the leaf index (findNameLeafAt) instead of Langium's CST descent, whose
 * cost grows with the square of the nesting depth (seconds per request at 10,000 deep).
 */

export class CajalDefinitionProvider extends DefaultDefinitionProvider {
    override getDefinition(document: LangiumDocument, params: DefinitionParams): MaybePromise<LocationLink[] | undefined> {
        const root = document.parseResult.value.$cstNode;
        const leaf = root && findNameLeafAt(root, document.textDocument.offsetAt(params.position), this.grammarConfig.nameRegexp);
        return leaf ? this.collectLocationLinks(leaf, params) : undefined;
    }
}

export class CajalReferencesProvider extends DefaultReferencesProvider {
    override findReferences(document: LangiumDocument, params: ReferenceParams): MaybePromise<Location[]> {
        const root = document.parseResult.value.$cstNode;
        const leaf = root && findNameLeafAt(root, document.textDocument.offsetAt(params.position), this.grammarConfig.nameRegexp);
        return leaf ? this.getReferences(leaf as LeafCstNode, params, document) : [];
    }
}

export class CajalDocumentHighlightProvider extends DefaultDocumentHighlightProvider {
    override getDocumentHighlight(document: LangiumDocument, params: DocumentHighlightParams): MaybePromise<DocumentHighlight[] | undefined> {
        const root = document.parseResult.value.$cstNode;
        const leaf = root && findNameLeafAt(root, document.textDocument.offsetAt(params.position), this.grammarConfig.nameRegexp);
        if (!leaf) return undefined;
        const highlights: DocumentHighlight[] = [];
        for (const target of this.references.findDeclarations(leaf)) {
            const includeDeclaration = UriUtils.equals(AstUtils.getDocument(target).uri, document.uri);
            const references = this.references.findReferences(target, { documentUri: document.uri, includeDeclaration });
            highlights.push(...references.map(reference => this.createDocumentHighlight(reference)).toArray());
        }
        return highlights;
    }
}
