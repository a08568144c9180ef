/**
 * The fast parser (src/parser/fast-parser.ts) against Langium's parser: on well-formed text the
 * same AST and CST (`parseDifference`: every property in order, every CST node's grammar source,
 * token type and position, every link), on any other text nothing (Langium's parser runs, so the
 * errors are Langium's).
 */
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { CompositeCstNodeImpl, LeafCstNodeImpl, type CstNode } from 'langium';
import { createCajalCoreServices, type ast, type CajalParser } from '@cajal/language';
import { ProgramGenerator, fastCheckChoices, printProgram } from '../../../../test/program-generator.js';
import { exampleFiles } from '../../../../test/example-files.js';
import { generateProgram } from '../../../../bench/server.bench.mjs';
import { parseDifference } from './same-parse.js';
import { MAX_NESTING_COST, MAX_NESTING_DEPTH } from '../../src/parser/cajal-lexer.js';

const services = createCajalCoreServices().Cajal;
const parser = services.parser.LangiumParser as unknown as CajalParser;

type TextRegion = Parameters<CajalParser['parseDeclarations']>[1];

/** The first `count` tokens (non-hidden leaves) of a CST node. */
function firstLeaves(node: CstNode, count: number): LeafCstNodeImpl[] {
    const leaves: LeafCstNodeImpl[] = [];
    const visit = (current: CstNode): void => {
        if (leaves.length >= count) return;
        if (current instanceof CompositeCstNodeImpl) current.content.forEach(visit);
        else if (current instanceof LeafCstNodeImpl && !current.hidden) leaves.push(current);
    };
    visit(node);
    return leaves;
}

/** The fast parse of a text and Langium's, and how they differ. */
function compare(text: string) {
    const fast = parser.parseWellFormed(text);
    const langium = parser.langium.parse(text);
    const errors = langium.lexerErrors.length + langium.parserErrors.length + (langium.lexerReport?.diagnostics.length ?? 0);
    return { fast, langium, errors, difference: fast ? parseDifference(fast.value, langium.value) : undefined };
}

function expectSameParse(text: string): void {
    const { fast, errors, difference } = compare(text);
    expect(errors, text).toBe(0);
    expect(fast, `the fast path gave up on well-formed text:\n${text}`).toBeDefined();
    expect(difference, text).toBeUndefined();
}

/**
 * Well-formed declarations using every rule, alternative and token of cajal.langium the
 * generated programs do not (they are core terms): modules, externs with networks, training
 * declarations, tensor types, the Unicode spellings, decimals and strings (with escapes). Tokens are separated
 * by single spaces, which the property replaces by other white space and comments.
 */
const HEADER = 'module m import a import b';
const DECLARATIONS = [
    'extern net (x : Real[2, 3]) (y : Bool) : Real[4] -o Bool ⊸ Nat[3] = mlp(hidden = 16, 2, 0.5, "s", act = relu, 1.5e3, 2E-4)',
    'extern e : Bool * Nat ⊗ (Bool -o Bool) * Nat[2]',
    'extern e2 : Bool = cnn()',
    'extern e3 : Bool = cnn',
    "def f' (x : Bool) (y : (Bool -o Bool)) : Nat[4] = λ a (b : Bool) => \\ c => fun d => let (p, q) = (a, b) in let z : Bool = (c : Bool) in let w = z in iter 3 { zero => zero ; succ k => succ k ; }",
    'def g : Bool = if true then (f x, (y : Nat[2])) else iter (g 1) { zero => false ; succ n_1 => ((h)) }',
    'train t { data mnist (x1, d1) (x2 : Real[2], d2) ; data "points\\\\t.jsonl" (x : Real[2], y : Bool) ; model f true false 12 (x) ; target g ; evaluate every 10 until 300, every 100 ; lr 0.001 ; epochs 5 ; name "run" ; label "q\\"x\\\\y\\tz" ; eps 1e-5 ; opt adam ; }',
    'train empty { }'
];

/** Separators that keep a text well formed in place of a space between two tokens. */
const SEPARATORS = [' ', '  ', '\n', '\r\n', '\t', '\u00a0', ' -- a line comment\n', '{- block -}', ' {- nested {- block -} with -- inside -} ', '\n--| doc\n', '{--}', '\r', ' {- over\r\n  lines {- and\n -} -}', '{-\n-}\n'];

/** A generated core program and some of the declarations above, in a random order, their spaces replaced by random separators. */
const wellFormedProgram = fc.gen().map(g => {
    const core = printProgram(new ProgramGenerator(fastCheckChoices(g)).coreProgram());
    const picked = DECLARATIONS.filter(() => g(fc.boolean));
    const text = [g(fc.boolean) ? HEADER : '', ...picked, core].join('\n');
    return text.replace(/ /g, () => SEPARATORS[g(fc.integer, { min: 0, max: SEPARATORS.length - 1 })]) + (g(fc.boolean) ? '-- trailing' : '');
});

describe('the fast parser', () => {
    test("gives Langium's parse of every example and of the benchmark file", () => {
        const accepted: string[] = [];
        for (const [name, text] of [...exampleFiles(), ['bench/server.bench.mjs generateProgram(1000)', generateProgram(1000)]]) {
            const { fast, errors, difference } = compare(text);
            if (errors > 0) {
                expect(fast, name).toBeUndefined();
                continue;
            }
            expect(fast, name).toBeDefined();
            expect(difference, name).toBeUndefined();
            accepted.push(name);
        }
        // Every example but the one with a syntax error.
        expect(accepted.length).toBe(exampleFiles().length);
    });

    test("gives Langium's parse of the grammar's every construct", () => {
        expectSameParse([HEADER, ...DECLARATIONS].join('\n'));
        expectSameParse('');
        expectSameParse('-- only a comment');
        expectSameParse('{- only -} {- comments -}\n');
        expectSameParse('module m');
        expectSameParse('def f : Bool = true -- no newline at the end');
    });

    test("gives Langium's parse of random well-formed programs, with comments and white space anywhere", () => {
        fc.assert(fc.property(wellFormedProgram, text => expectSameParse(text)), { numRuns: 150 });
    });

    test('gives nothing for any text with an error, and the parser service then gives Langium\'s errors', () => {
        const examples = exampleFiles().map(([, text]) => text);
        const junk = ['(', ')', 'if', ' then ', '=>', '{-', '"', '-', '.', '1.', '#', 'def', 'λ', ',', ';', '}', 'x'];
        fc.assert(fc.property(
            fc.integer({ min: 0, max: examples.length - 1 }), fc.double({ min: 0, max: 1, noNaN: true }), fc.constantFrom(...junk), fc.boolean(),
            (i, where, inserted, cut) => {
                const text = examples[i];
                const at = Math.floor(where * text.length);
                const changed = cut ? text.slice(0, at) : text.slice(0, at) + inserted + text.slice(at);
                const { fast, langium, errors, difference } = compare(changed);
                if (errors === 0) {
                    expect(difference, changed).toBeUndefined();
                    return;
                }
                expect(fast, changed).toBeUndefined();
                const served = parser.parse(changed);
                expect(served.lexerErrors.map(e => [e.offset, e.message])).toEqual(langium.lexerErrors.map(e => [e.offset, e.message]));
                expect(served.parserErrors.map(e => [e.token.startOffset, e.message])).toEqual(langium.parserErrors.map(e => [e.token.startOffset, e.message]));
            }), { numRuns: 200 });
    });

    test('parses the region the incremental parser asks for, at its place in the whole text, and leaves Langium the region when it gives up', () => {
        const lexer = services.parser.Lexer as unknown as { restrictNextTokenizeTo(region: { start: number; end: number; line: number; column: number }): void };
        const regionParses = (text: string) => {
            const start = text.indexOf('def b');
            const region = { start, end: text.indexOf('def c'), line: 2, column: 2 };
            lexer.restrictNextTokenizeTo(region);
            const fast = parser.parseWellFormed(text);
            lexer.restrictNextTokenizeTo(region);
            const served = parser.parse(text);
            lexer.restrictNextTokenizeTo(region);
            return { fast, served, langium: parser.langium.parse(text) };
        };
        const text = 'def a : Bool = true\n\n  def b (x : Bool) : Bool = {- c\n -} x -- b\ndef c : Bool = b a\n';
        const { fast, langium } = regionParses(text);
        expect(fast?.value.$type).toBe('Module');
        expect((fast!.value as unknown as { declarations: Array<{ name: string }> }).declarations.map(d => d.name)).toEqual(['b']);
        expect(parseDifference(fast!.value, langium.value)).toBeUndefined();
        const broken = regionParses(text.replace('= {- c', '= ( {- c'));
        expect(broken.fast).toBeUndefined();
        expect(broken.langium.parserErrors.length).toBeGreaterThan(0);
        expect(broken.served.parserErrors.map(e => [e.token.startOffset, e.message])).toEqual(broken.langium.parserErrors.map(e => [e.token.startOffset, e.message]));
    });

    test("parses the declarations of a stretch of random programs up to the next declaration's keyword, as Langium's parser parses the stretch with that declaration's first tokens", () => {
        const lexer = services.parser.Lexer as unknown as { restrictNextTokenizeTo(region: TextRegion): void };
        let compared = 0;
        fc.assert(fc.property(wellFormedProgram, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (text, from, to) => {
            const whole = parser.langium.parse(text).value as ast.Module;
            const declarations = whole.declarations;
            if (declarations.length < 2) return;
            // Declarations first … last, and the first tokens of the one after (as the incremental parser asks).
            const first = Math.min(declarations.length - 2, Math.floor(from * (declarations.length - 1)));
            const last = Math.min(declarations.length - 2, first + Math.floor(to * (declarations.length - 1 - first)));
            const keyword = firstLeaves(declarations[first].$cstNode!, 1)[0];
            const next = declarations[last + 1].$cstNode!;
            const lookahead = firstLeaves(next, 3);
            const region = { start: keyword.offset, end: lookahead[lookahead.length - 1].end, line: keyword.range.start.line, column: keyword.range.start.character };
            const fast = parser.parseDeclarations(text, region, next.offset);
            expect(fast, `the fast path gave up on declarations ${first}…${last} of\n${text}`).toBeDefined();
            expect(fast!.next).toEqual(lookahead[0].range.start);
            lexer.restrictNextTokenizeTo(region);
            const langium = parser.langium.parse(text);
            expect(langium.lexerErrors).toEqual([]);
            // Langium's parse has the next declaration's stub (and its errors): without it, the same module.
            const stubbed = langium.value as ast.Module;
            expect(stubbed.declarations.at(-1)!.$cstNode!.offset).toBe(next.offset);
            stubbed.declarations.pop();
            const root = stubbed.$cstNode as CompositeCstNodeImpl;
            root.content.splice(root.content.findIndex(node => node.offset >= next.offset));
            expect((fast!.result.value as ast.Module).declarations).toHaveLength(last - first + 1);
            expect(parseDifference(fast!.result.value, stubbed), text).toBeUndefined();
            compared++;
        }), { numRuns: 100 });
        expect(compared).toBeGreaterThan(50);
    });

    test("lexes alone (bench/profile-check.mjs's lexing phase) the tokens and comments Langium's lexer finds, and nothing where it finds an error", () => {
        const text = [HEADER, ...DECLARATIONS].join('\n {- c -} -- d\n');
        const chevrotain = services.parser.Lexer.tokenize(text);
        expect(chevrotain.errors).toEqual([]);
        expect(parser.lexWellFormed(text)).toBe(chevrotain.tokens.length + chevrotain.hidden.length);
        expect(parser.lexWellFormed(text + ' "open')).toBeUndefined();
        expect(parser.lexWellFormed(text + ' {- open')).toBeUndefined();
    });

    test("gives up on a stretch whose end is not where a declaration keyword starts", () => {
        const region = (text: string) => ({ start: text.indexOf('def b'), end: text.length, line: 1, column: 0 });
        const well = 'def a : Bool = true\ndef b : Bool = a\ndef c : Bool = b\n';
        expect(parser.parseDeclarations(well, region(well), well.indexOf('def c'))).toBeDefined();
        expect(parser.parseDeclarations(well, region(well), well.indexOf('def c') + 1)).toBeUndefined();
        expect(parser.parseDeclarations(well, region(well), well.indexOf('Bool = b'))).toBeUndefined();
        // A comment or a name running over the keyword: in the whole text there is no declaration there.
        for (const glued of ['def a : Bool = true\ndef b : Bool = a -- def c : Bool = b\n', 'def a : Bool = true\ndef b : Bool = adef c : Bool = b\n',
            'def a : Bool = true\ndef b : Bool = a {- def c -} : Bool = b\n']) {
            expect(parser.parseDeclarations(glued, region(glued), glued.indexOf('def c')), glued).toBeUndefined();
        }
    });

    test('leaves a declaration nested past the nesting guard to Langium (its lexer reports it)', () => {
        const deep = `def f : Bool = ${'('.repeat(2000)}true${')'.repeat(2000)}\ndef g : Bool = true\n`;
        const { fast, langium } = compare(deep);
        expect(fast).toBeUndefined();
        expect(langium.lexerErrors.map(e => e.message)[0]).toMatch(/nests too deeply/);
        expect(parser.parse(deep).lexerErrors).toHaveLength(1);
    });

    test("parses a declaration with more brackets than the nesting guard's budget, one after another (nested within it)", () => {
        const wide = `def f : Bool = g ${'(true) '.repeat(MAX_NESTING_DEPTH + 5)}\ndef g : Bool = true\n`;
        // Its brackets' cost (10 each) is over the budget; its depth, 1, is not.
        expect(10 * (MAX_NESTING_DEPTH + 5)).toBeGreaterThan(MAX_NESTING_COST);
        expect(services.parser.Lexer.tokenize(wide).errors).toEqual([]);
        expectSameParse(wide);
    });

    test('the comparison sees a difference: a parse against that of a slightly different text', () => {
        const text = 'def f (x : Bool) : Bool = x\n';
        const fast = parser.parseWellFormed(text)!;
        expect(parseDifference(fast.value, parser.langium.parse(text).value)).toBeUndefined();
        expect(parseDifference(fast.value, parser.langium.parse('def f (y : Bool) : Bool = y\n').value)).toMatch(/name/);
        expect(parseDifference(fast.value, parser.langium.parse('def f  (x : Bool) : Bool = x\n').value)).toMatch(/at \d+/);
        expect(parseDifference(fast.value, parser.langium.parse('def f (x : Bool) : Bool = (x)\n').value)).toBeDefined();
    });
});
