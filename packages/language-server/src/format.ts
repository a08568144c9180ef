import { createCajalCoreServices } from '@cajal/language';
import { formatText } from './lsp/format-text.js';

let parser: ReturnType<typeof createCajalCoreServices>['Cajal']['parser']['LangiumParser'] | undefined;

/** A syntax error that stops formatting, with its 1-based location. */
export class CajalFormatError extends Error {
    constructor(message: string, readonly line: number, readonly column: number) {
        super(`${line}:${column}: ${message}`);
        this.name = 'CajalFormatError';
    }
}

/**
 * Formats Cajal source with the house layout (what `cajal fmt` and the server's formatting
 * do). Text that does not parse is refused with a {@link CajalFormatError} at the first
 * syntax error, since its layout would be a guess.
 */
export function formatCajalText(text: string): string {
    parser ??= createCajalCoreServices().Cajal.parser.LangiumParser;
    const result = parser.parse(text);
    const lexing = result.lexerErrors[0];
    if (lexing) {
        throw new CajalFormatError(`cannot format: ${lexing.message}`, lexing.line ?? 1, lexing.column ?? 1);
    }
    const parsing = result.parserErrors[0];
    if (parsing) {
        const token = parsing.token;
        // At the end of the file Chevrotain's token has no position: point after the last character.
        const lines = text.split('\n');
        const atEnd = !Number.isFinite(token.startLine) || token.startLine! < 1;
        const line = atEnd ? lines.length : token.startLine!;
        const column = atEnd ? lines[lines.length - 1].length + 1 : token.startColumn!;
        throw new CajalFormatError(`cannot format: ${parsing.message}`, line, column);
    }
    return formatText(text);
}
