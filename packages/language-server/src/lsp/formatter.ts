import { formatTextRange, parsesAlone, type TextReplacement } from '@cajal/language/format';
import type { LangiumDocument } from 'langium';
import type { Formatter } from 'langium/lsp';
import type {
    DocumentFormattingParams, DocumentOnTypeFormattingOptions, DocumentRangeFormattingParams, TextEdit
} from 'vscode-languageserver';

/** Whether a piece of Cajal text parses on its own (no lexer or parser error). */
export type ParseCheck = (text: string) => boolean;

/**
 * Formats with the house layout (see @cajal/language/format), declaration by declaration: a range
 * request formats the top-level declarations (or the module header block) the range touches,
 * exactly as whole-document formatting would, and leaves every other byte alone. Text that
 * does not parse is left alone, since its layout would be a guess: a whole document with a
 * syntax error is not formatted, and a range request formats only the selected declarations
 * that parse on their own, so a half-typed declaration elsewhere does not block it.
 */
export class CajalFormatter implements Formatter {
    constructor(private readonly parses: ParseCheck = parsesAlone) {}

    formatDocument(document: LangiumDocument, _params: DocumentFormattingParams): TextEdit[] {
        if (!documentParses(document)) return [];
        const text = document.textDocument.getText();
        return toTextEdits(document, formatTextRange(text, 0, text.length));
    }

    formatDocumentRange(document: LangiumDocument, params: DocumentRangeFormattingParams): TextEdit[] {
        const text = document.textDocument.getText();
        const start = document.textDocument.offsetAt(params.range.start);
        const end = document.textDocument.offsetAt(params.range.end);
        // When the whole document parses, so does each declaration: no need to parse them again.
        const parses = documentParses(document) ? () => true : this.parses;
        return toTextEdits(document, formatTextRange(text, Math.min(start, end), Math.max(start, end), parses));
    }

    formatDocumentOnType(): TextEdit[] {
        return [];
    }

    get formatOnTypeOptions(): DocumentOnTypeFormattingOptions | undefined {
        return undefined;
    }
}

function documentParses(document: LangiumDocument): boolean {
    const { lexerErrors, parserErrors } = document.parseResult;
    return lexerErrors.length === 0 && parserErrors.length === 0;
}

function toTextEdits(document: LangiumDocument, replacements: TextReplacement[]): TextEdit[] {
    return replacements.map(({ start, end, newText }) => ({
        range: { start: document.textDocument.positionAt(start), end: document.textDocument.positionAt(end) },
        newText
    }));
}
