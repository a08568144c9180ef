import type { IToken, TokenType } from 'chevrotain';
import { DefaultLexerErrorMessageProvider, LangiumParserErrorMessageProvider } from 'langium';

/** How a token type reads in a message: keywords and punctuation quoted, terminals named. */
function describe(type: TokenType): string {
    switch (type.name) {
        case 'ID': return 'a name';
        case 'INT': return 'a number';
        case 'DECIMAL': return 'a decimal number';
        case 'STRING': return 'a string';
        case 'EOF': return 'the end of the file';
        default: return `'${type.name.endsWith(':KW') ? type.name.slice(0, -3) : type.name}'`; // a keyword or symbol
    }
}

function found(tokens: IToken[] | IToken): string {
    const token = Array.isArray(tokens) ? tokens[0] : tokens;
    return !token || token.tokenType?.name === 'EOF' || token.image === '' ? 'the end of the file' : `'${token.image}'`;
}

/** Term-starting tokens, summarised as "a term" rather than listed one by one. */
const TERM_STARTS = new Set(['fun', '\\', 'λ', 'if', 'let', 'succ', 'iter', 'ID', 'true', 'false', 'zero', 'INT', '(']);

function alternatives(firstTokens: TokenType[]): string {
    const unique = [...new Map(firstTokens.map(t => [t.name, t])).values()];
    const names = new Set(unique.map(t => t.name));
    const startsTerm = [...TERM_STARTS].every(name => names.has(name));
    const rest = unique.filter(t => !(startsTerm && TERM_STARTS.has(t.name))).map(describe);
    const all = startsTerm ? ['a term', ...rest] : rest;
    return all.length <= 1 ? all.join('') : `${all.slice(0, -1).join(', ')} or ${all[all.length - 1]}`;
}

/** One-line parse errors that say what was expected and what was found. */
export class CajalParserErrorMessageProvider extends LangiumParserErrorMessageProvider {
    override buildMismatchTokenMessage(options: { expected: TokenType; actual: IToken; previous: IToken; ruleName: string }): string {
        if (options.expected.name === 'EOF') {
            return `Expected a declaration (def, extern, train or import), but found ${found(options.actual)}.`;
        }
        return `Expected ${describe(options.expected)}, but found ${found(options.actual)}.`;
    }

    override buildNotAllInputParsedMessage(options: { firstRedundant: IToken; ruleName: string }): string {
        return `Expected a declaration (def, extern, train or import), but found ${found(options.firstRedundant)}.`;
    }

    override buildNoViableAltMessage(options: { expectedPathsPerAlt: TokenType[][][]; actual: IToken[]; previous: IToken; customUserDescription: string; ruleName: string }): string {
        const firsts = options.expectedPathsPerAlt.flatMap(paths => paths.map(path => path[0])).filter(t => t);
        return `Expected ${alternatives(firsts)}, but found ${found(options.actual)}.`;
    }

    override buildEarlyExitMessage(options: { expectedIterationPaths: TokenType[][]; actual: IToken[]; previous: IToken; customUserDescription: string; ruleName: string }): string {
        const firsts = options.expectedIterationPaths.map(path => path[0]).filter(t => t);
        return `Expected at least one ${alternatives(firsts)}, but found ${found(options.actual)}.`;
    }
}

/** Lexing errors in the same style. */
export class CajalLexerErrorMessageProvider extends DefaultLexerErrorMessageProvider {
    override buildUnexpectedCharactersMessage(fullText: string, startOffset: number, length: number): string {
        const characters = fullText.substring(startOffset, startOffset + length);
        return `Unexpected character${length === 1 ? '' : 's'} '${characters}': not part of any Cajal token.`;
    }
}
