/**
 * Formatting whole Cajal files and checking that a piece of text parses: pure text in, text
 * out, for `cajal fmt` and the language server's formatting provider.
 */
import { createCajalCoreServices } from '../cajal-module.js';
import { formatText } from './format-text.js';

let parser: ReturnType<typeof createCajalCoreServices>['Cajal']['parser']['LangiumParser'] | undefined;

function standaloneParser(): NonNullable<typeof parser> {
    return parser ??= createCajalCoreServices().Cajal.parser.LangiumParser;
}

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
    const result = standaloneParser().parse(text);
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

/**
 * Whether a piece of Cajal text (a declaration) parses on its own. A document's own parse
 * errors cannot say which declaration is broken: after an error the parser recovers and
 * often reports it at the next declaration's first token (`def f : Bool = if x then y` ends
 * at the next `def`).
 */
export function parsesAlone(text: string): boolean {
    try {
        const result = standaloneParser().parse(text);
        return result.lexerErrors.length === 0 && result.parserErrors.length === 0;
    } catch {
        // The nesting guard refuses text nested too deeply for this thread: leave it alone.
        return false;
    }
}
