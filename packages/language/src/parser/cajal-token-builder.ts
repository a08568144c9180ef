import type { CustomPatternMatcherFunc, TokenType } from 'chevrotain';
import type { TokenVocabulary } from 'chevrotain';
import { DefaultTokenBuilder, GrammarAST, type Grammar, type TokenBuilderOptions } from 'langium';
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
