import type { CustomPatternMatcherFunc, TokenType } from 'chevrotain';
import type { TokenVocabulary } from 'chevrotain';
import { DefaultTokenBuilder, GrammarAST, RegExpUtils, isAstNode, type AstNode, type Grammar, type TokenBuilderOptions } from 'langium';
import { scanBlockComment } from './cajal-lexical.js';

/**
 * Block comments `{- … -}` nest (spec §1), which no regular expression can match, so the
 * ML_COMMENT terminal gets a matcher that counts openers and closers. An unclosed comment
 * runs to the end of the file, as in Haskell.
 */
export class CajalTokenBuilder extends DefaultTokenBuilder {
    /**
     * Langium's token types (`DefaultTokenBuilder.buildTokens`: the keywords of the reachable
     * parser rules, longest first, then the reachable terminals), found by plain walks over the
     * grammar instead of Langium's streams, which took most of the token types' cost in a fresh
     * thread (on the server's way to its first check: docs/editors.md, "Start-up"); the same
     * token types in the same order (test/parser/lazy-lexer.test.ts). Comments are then tried
     * first: otherwise the `{` keyword would win over `{-`.
     */
    override buildTokens(grammar: Grammar, options?: TokenBuilderOptions): TokenVocabulary {
        const rules = reachableRules(grammar);
        const terminalTokens = rules.filter(GrammarAST.isTerminalRule).filter(terminal => !terminal.fragment).map(terminal => this.buildTerminalToken(terminal));
        const keywords = new Map<string, GrammarAST.Keyword>();
        for (const rule of rules.filter(GrammarAST.isAbstractParserRule)) {
            forEachContent(rule, node => {
                if (GrammarAST.isKeyword(node) && !keywords.has(node.value)) keywords.set(node.value, node);
            });
        }
        const caseInsensitive = Boolean(options?.caseInsensitive);
        const tokens = [...keywords.values()].sort((a, b) => b.value.length - a.value.length)
            .map(keyword => this.buildKeywordToken(keyword, terminalTokens, caseInsensitive));
        tokens.push(...terminalTokens);
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

/** Every node below `node`, depth first in the order of Langium's `streamAllContents` (properties in key order, `$` ones skipped). */
function forEachContent(node: AstNode, visit: (node: AstNode) => void): void {
    for (const key of Object.keys(node)) {
        if (key.startsWith('$')) continue;
        const value = (node as unknown as Record<string, unknown>)[key];
        if (Array.isArray(value)) {
            for (const element of value) {
                if (isAstNode(element)) {
                    visit(element);
                    forEachContent(element, visit);
                }
            }
        } else if (isAstNode(value)) {
            visit(value);
            forEachContent(value, visit);
        }
    }
}

/** Langium's `GrammarUtils.getAllReachableRules(grammar, false)`, in the grammar's order: the rules the entry rule and the hidden terminals reach by rule calls. */
function reachableRules(grammar: Grammar): GrammarAST.AbstractRule[] {
    const entry = grammar.rules.find(rule => GrammarAST.isParserRule(rule) && rule.entry);
    if (!entry) return [...grammar.rules];
    const hidden = (rule: GrammarAST.AbstractRule) => GrammarAST.isTerminalRule(rule) && rule.hidden;
    const reached = new Set<string>();
    const reach = (rule: GrammarAST.AbstractRule): void => {
        reached.add(rule.name);
        forEachContent(rule, node => {
            if (!GrammarAST.isRuleCall(node)) return;
            const called = node.rule.ref;
            if (called && !reached.has(called.name)) reach(called);
        });
    };
    for (const rule of [entry, ...grammar.rules.filter(hidden)]) reach(rule);
    return grammar.rules.filter(rule => reached.has(rule.name) || hidden(rule));
}
