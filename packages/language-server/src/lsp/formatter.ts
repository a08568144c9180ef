import { createCajalCoreServices } from '@cajal/language';
import type { LangiumDocument } from 'langium';
import type { Formatter } from 'langium/lsp';
import type {
    DocumentFormattingParams, DocumentOnTypeFormattingOptions, DocumentRangeFormattingParams, TextEdit
} from 'vscode-languageserver';
import { formatTextRange, type TextReplacement } from './format-text.js';

/** Whether a piece of Cajal text parses on its own (no lexer or parser error). */
export type ParseCheck = (text: string) => boolean;

let standaloneParser: ReturnType<typeof createCajalCoreServices>['Cajal']['parser']['LangiumParser'] | undefined;

/**
 * Parses a declaration's text alone. The document's own parse errors cannot say which
 * declaration is broken: after an error the parser recovers and often reports it at the
 * next declaration's first token (`def f : Bool = if x then y` ends at the next `def`).
 */
export function parsesAlone(text: string): boolean {
    standaloneParser ??= createCajalCoreServices().Cajal.parser.LangiumParser;
    try {
        const result = standaloneParser.parse(text);
        return result.lexerErrors.length === 0 && result.parserErrors.length === 0;
    } catch {
        // The nesting guard refuses text nested too deeply for this thread: leave it alone.
        return false;
    }
}

/**
 * Formats with the house layout (see format-text.ts), declaration by declaration: a range
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
