import type { CustomPatternMatcherFunc, TokenType } from 'chevrotain';
import type { TokenVocabulary } from 'chevrotain';
import { DefaultTokenBuilder, GrammarAST, RegExpUtils, type Grammar, type TokenBuilderOptions } from 'langium';
import { scanBlockComment } from './cajal-lexical.js';

/**
 * Block comments `{- … -}` nest (spec §1), which no regular expression can match, so the
 * ML_COMMENT terminal gets a matcher that counts openers and closers. An unclosed comment
 * runs to the end of the file, as in Haskell.
 */
export class CajalTokenBuilder extends DefaultTokenBuilder {
    /** Comments are tried first: otherwise the `{` keyword would win over `{-`. */
    override buildTokens(grammar: Grammar, options?: TokenBuilderOptions): TokenVocabulary {
        const tokens = super.buildTokens(grammar, options) as TokenType[];
        const comments = tokens.filter(token => token.name === 'ML_COMMENT' || token.name === 'SL_COMMENT');
        return [...comments, ...tokens.filter(token => !comments.includes(token))];
    }

    /**
     * The terminals a keyword is also a prefix of (`def` of ID), as Langium finds them, with each
     * terminal's partial expression made once instead of once per keyword: Langium's
     * `partialMatches` builds it afresh for each of the ~60 keywords and ~8 terminals, most of
     * the token types' cost (on the server's way to its first check: docs/editors.md, "Start-up").
     */
    protected override findLongerAlt(keyword: GrammarAST.Keyword, terminalTokens: TokenType[]): TokenType[] {
        return terminalTokens.filter(token => {
            const partial = this.partialTerminal(token);
            const match = partial && partial.exec(keyword.value);
            return match !== null && match !== undefined && match[0].length > 0;
        });
    }

    private readonly partialTerminals = new Map<TokenType, RegExp | undefined>();

    /** `RegExpUtils.partialRegExp` of `^pattern$`, as Langium's `findLongerAlt` tests it; undefined for a terminal without a regular expression. */
    private partialTerminal(token: TokenType): RegExp | undefined {
        if (!this.partialTerminals.has(token)) {
            const pattern = token.PATTERN as { source?: string } | undefined;
            this.partialTerminals.set(token, pattern?.source ? RegExpUtils.partialRegExp('^' + pattern.source + '$') : undefined);
        }
        return this.partialTerminals.get(token);
    }

    protected override buildTerminalToken(terminal: GrammarAST.TerminalRule): TokenType {
        const token = super.buildTerminalToken(terminal);
        if (terminal.name === 'ML_COMMENT') {
            token.PATTERN = matchNestedComment;
            token.LINE_BREAKS = true;
            token.START_CHARS_HINT = ['{'];
        }
        return token;
    }
}

export const matchNestedComment: CustomPatternMatcherFunc = (text, offset) => {
    if (!text.startsWith('{-', offset)) {
        return null;
    }
    const { end } = scanBlockComment(text, offset);
    const match: RegExpExecArray = [text.substring(offset, end)] as unknown as RegExpExecArray;
    match.index = offset;
    match.input = text;
    return match;
};
