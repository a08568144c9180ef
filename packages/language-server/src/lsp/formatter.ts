import type { LangiumDocument } from 'langium';
import type { Formatter } from 'langium/lsp';
import type {
    DocumentFormattingParams, DocumentOnTypeFormattingOptions, DocumentRangeFormattingParams, TextEdit
} from 'vscode-languageserver';
import { formatText } from './format-text.js';

/**
 * Formats a whole document with the house layout (see format-text.ts). A document that
 * does not parse is left alone: its layout would be a guess.
 */
export class CajalFormatter implements Formatter {
    formatDocument(document: LangiumDocument, _params: DocumentFormattingParams): TextEdit[] {
        return formatWholeDocument(document);
    }

    /** Cajal's layout depends on whole declarations; a range request formats the document. */
    formatDocumentRange(document: LangiumDocument, _params: DocumentRangeFormattingParams): TextEdit[] {
        return formatWholeDocument(document);
    }

    formatDocumentOnType(): TextEdit[] {
        return [];
    }

    get formatOnTypeOptions(): DocumentOnTypeFormattingOptions | undefined {
        return undefined;
    }
}

function formatWholeDocument(document: LangiumDocument): TextEdit[] {
    const { lexerErrors, parserErrors } = document.parseResult;
    if (lexerErrors.length > 0 || parserErrors.length > 0) {
        return [];
    }
    const text = document.textDocument.getText();
    const formatted = formatText(text);
    if (formatted === text) return [];
    return [{ range: { start: { line: 0, character: 0 }, end: document.textDocument.positionAt(text.length) }, newText: formatted }];
}
