/**
 * Cajal's lexer builds Chevrotain's lexer on its first `tokenize` (cajal-lexer.ts), so the
 * fast parser's check of a well-formed file runs without it. That is sound only if building it
 * changes nothing the fast parser reads of the token types (it adds the fields Chevrotain's
 * own matchers read) and if the definitions Chevrotain checks when it builds its lexer are
 * checked here too (in production mode it skips that check).
 */
import { describe, expect, test, vi } from 'vitest';
import { Lexer as ChevrotainLexer, type TokenType, type TokenVocabulary } from 'chevrotain';
import { DefaultLexer, DefaultTokenBuilder, GrammarAST, URI, type Grammar, type TokenBuilderOptions } from 'langium';
import { createCajalCoreServices } from '@cajal/language';
import { CajalLexer } from '../../src/parser/cajal-lexer.js';
import { CajalTokenBuilder } from '../../src/parser/cajal-token-builder.js';

/** What a token type holds, copied one level deeper (Chevrotain's lexer would change the arrays and maps in place). */
function fieldsOf(types: TokenType[]): Array<Record<string, unknown>> {
    return types.map(type => Object.fromEntries(Object.entries(type).map(([key, value]) => [key,
        Array.isArray(value) ? [...value] : value !== null && typeof value === 'object' && !(value instanceof RegExp) ? { ...value } : value])));
}

const TEXT = 'def f (x : Bool) : Bool = if x then false else true {- a {- nested -} comment -}\n-- line\ndef g : Float = 1.5e3\n';

describe("Cajal's lexer, built on first use", () => {
    test('a well-formed file is parsed and checked without building Chevrotain\'s lexer', async () => {
        const { shared, Cajal } = createCajalCoreServices();
        const document = shared.workspace.LangiumDocumentFactory.fromString('def f (x : Bool) : Bool = x\ndef g : Bool = f true\n', URI.parse('file:///lazy.cajal'));
        await shared.workspace.DocumentBuilder.build([document], { validation: true });
        expect(document.parseResult.parserErrors).toEqual([]);
        expect(document.diagnostics).toEqual([]);
        expect((Cajal.parser.Lexer as unknown as { chevrotainLexer?: unknown }).chevrotainLexer).toBeUndefined();
        // A text with an error goes to Langium's parser, which lexes: then it is built.
        const broken = shared.workspace.LangiumDocumentFactory.fromString('def f : Bool = (\n', URI.parse('file:///broken.cajal'));
        await shared.workspace.DocumentBuilder.build([broken], { validation: true });
        expect(broken.parseResult.parserErrors.length).toBeGreaterThan(0);
        expect((Cajal.parser.Lexer as unknown as { chevrotainLexer?: unknown }).chevrotainLexer).toBeInstanceOf(ChevrotainLexer);
    });

    test("building Chevrotain's lexer only adds Chevrotain's own fields to the token types", () => {
        const lexer = new CajalLexer(createCajalCoreServices().Cajal);
        const types = Object.values(lexer.definition);
        const before = fieldsOf(types);
        expect(before.some(fields => 'tokenTypeIdx' in fields)).toBe(false);
        expect(lexer.tokenize(TEXT).errors).toEqual([]);
        const after = fieldsOf(types);
        // What the token builder set is as it was; what was added is what Chevrotain's lexer and parser add (augmentTokenTypes).
        expect(after.map((fields, index) => Object.fromEntries(Object.keys(before[index]).map(key => [key, fields[key]])))).toEqual(before);
        const added = new Set(after.flatMap((fields, index) => Object.keys(fields).filter(key => !(key in before[index]))));
        expect([...added].sort()).toEqual(['CATEGORIES', 'categoryMatches', 'categoryMatchesMap', 'isParent', 'tokenTypeIdx']);
    });

    test("lexes as Langium's default lexer does", () => {
        const { Cajal } = createCajalCoreServices();
        const cajal = new CajalLexer(Cajal).tokenize(TEXT);
        const langium = new DefaultLexer(Cajal).tokenize(TEXT);
        const summary = (tokens: typeof cajal.tokens) => tokens.map(token => [token.tokenType.name, token.image, token.startOffset, token.startLine, token.endColumn]);
        expect(summary(cajal.tokens)).toEqual(summary(langium.tokens));
        expect(summary(cajal.hidden)).toEqual(summary(langium.hidden));
        expect(cajal.tokens.length).toBeGreaterThan(20);
        expect(cajal.hidden).toHaveLength(2);
    });

    test("Cajal's token definitions pass Chevrotain's checks, errors and warnings", () => {
        const types = Object.values(new CajalLexer(createCajalCoreServices().Cajal).definition);
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
        try {
            const checked = new ChevrotainLexer(types, { positionTracking: 'full', skipValidations: false, deferDefinitionErrorsHandling: true });
            expect(checked.lexerDefinitionErrors).toEqual([]);
            // Chevrotain keeps its warnings in a field its typings do not declare (and prints them).
            expect((checked as unknown as { lexerDefinitionWarning: unknown[] }).lexerDefinitionWarning).toEqual([]);
            expect(warn).not.toHaveBeenCalled();
        } finally {
            warn.mockRestore();
        }
    });
});

/** Cajal's token builder with Langium's own walks and `findLongerAlt` (streams; each partial expression made afresh). */
class LangiumTokenTypes extends CajalTokenBuilder {
    override buildTokens(grammar: Grammar, options?: TokenBuilderOptions): TokenVocabulary {
        const tokens = DefaultTokenBuilder.prototype.buildTokens.call(this, grammar, options) as TokenType[];
        const comments = tokens.filter(token => token.name === 'ML_COMMENT' || token.name === 'SL_COMMENT');
        return [...comments, ...tokens.filter(token => !comments.includes(token))];
    }

    protected override findLongerAlt(keyword: GrammarAST.Keyword, terminalTokens: TokenType[]): TokenType[] {
        return (DefaultTokenBuilder.prototype as unknown as { findLongerAlt(k: GrammarAST.Keyword, t: TokenType[]): TokenType[] }).findLongerAlt.call(this, keyword, terminalTokens);
    }
}

/** What a token type is made of, comparable across two builds. */
function describeTokenTypes(types: TokenType[]): unknown[] {
    return types.map(type => ({
        name: type.name,
        pattern: type.PATTERN instanceof RegExp ? `/${type.PATTERN.source}/${type.PATTERN.flags}` : typeof type.PATTERN === 'function' ? 'a function' : type.PATTERN,
        longerAlt: ([] as TokenType[]).concat(type.LONGER_ALT ?? []).map(alt => alt.name),
        group: type.GROUP,
        lineBreaks: type.LINE_BREAKS,
        startCharsHint: type.START_CHARS_HINT
    }));
}

describe("Cajal's token types", () => {
    test("are Langium's, in Langium's order, with the longer alternatives Langium's token builder finds", () => {
        const grammar = createCajalCoreServices().Cajal.Grammar;
        const cajal = describeTokenTypes(new CajalTokenBuilder().buildTokens(grammar) as TokenType[]);
        expect(cajal).toEqual(describeTokenTypes(new LangiumTokenTypes().buildTokens(grammar) as TokenType[]));
        const longerAlts = (cajal as Array<{ name: string; longerAlt: string[] }>).map(type => [type.name, type.longerAlt]);
        // A word keyword may go on as an identifier; a symbol keyword (`(`, `->`) cannot.
        expect(longerAlts).toContainEqual(['def', ['ID']]);
        expect(longerAlts.filter(([, alts]) => alts.length === 0).length).toBeGreaterThan(5);
        expect(cajal.length).toBeGreaterThan(40);
    });
});
