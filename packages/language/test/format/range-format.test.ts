// Range formatting's laws, on the pure formatter (no server): formatting the declarations of a
// file one at a time, in any order, gives the whole-file layout; each step touches only the
// selected declaration; and range formatting is idempotent.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatText, formatTextRange, formatUnits, parsesAlone, tokenize, type TextReplacement } from '@cajal/language/format';
import { exampleFiles } from '../../../../test/example-files.js';

const EXAMPLES = exampleFiles();

function apply(text: string, replacements: TextReplacement[]): string {
    let result = text;
    for (const { start, end, newText } of [...replacements].sort((a, b) => b.start - a.start)) {
        result = result.slice(0, start) + newText + result.slice(end);
    }
    return result;
}

// Tokens that may touch their neighbour without merging into one token.
const TOUCHABLE = new Set(['(', ')', '[', ']', ',', ';']);

/**
 * A messy layout of `text`: the same tokens, with every gap between tokens redrawn: spaces
 * collapsed (where tokens cannot merge) or widened, tabs, indentation changed, blank lines added
 * or removed, and sometimes a line break where there was none.
 */
function respacing(text: string): fc.Arbitrary<string> {
    const tokens = tokenize(text);
    const gap = (index: number): fc.Arbitrary<string> => {
        const previous = tokens[index - 1], next = tokens[index];
        const originalBreaks = next.breaksBefore;
        const indentation = fc.constantFrom('', ' ', '  ', '    ', '\t', '       ');
        if (previous?.kind === 'line-comment' || originalBreaks > 0) {
            // Breaks stay breaks (1 to 4 of them); a line comment runs to the end of its line, so
            // spaces after it would become part of it.
            const trailing = previous?.kind === 'line-comment' ? fc.constant('') : fc.constantFrom('', '  ', '\t');
            return fc.tuple(fc.integer({ min: 1, max: 4 }), trailing, indentation)
                .map(([breaks, trailing, indent]) => trailing + '\n'.repeat(breaks) + indent);
        }
        const canTouch = previous !== undefined && (TOUCHABLE.has(previous.text) || TOUCHABLE.has(next.text)) && next.kind !== 'line-comment';
        const spaces = canTouch ? fc.constantFrom('', ' ', '   ', '\t') : fc.constantFrom(' ', '   ', '\t', ' \t ');
        return fc.oneof({ weight: 6, arbitrary: spaces }, { weight: 1, arbitrary: indentation.map(indent => '\n' + indent) });
    };
    return fc.tuple(fc.tuple(...tokens.map((_, i) => gap(i))), fc.constantFrom('', '\n', '\n\n\n', '  \n')).map(([gaps, end]) => {
        let result = '';
        tokens.forEach((token, i) => {
            result += (i === 0 && token.breaksBefore === 0 ? gaps[i].replace(/\n/g, '') : gaps[i]) + token.text;
        });
        return result + end;
    });
}

/** A file and a messy layout of it, with an order to format its units in and a point in each. */
const scenario = fc.constantFrom(...EXAMPLES).chain(([name, text]) =>
    fc.tuple(fc.constant(name), fc.oneof({ weight: 1, arbitrary: fc.constant(text) }, { weight: 3, arbitrary: respacing(text) }), fc.boolean()).chain(([fileName, respaced, crlf]) => {
        const messy = crlf ? respaced.replace(/\n/g, '\r\n') : respaced;
        const count = formatUnits(messy).length;
        const order = fc.shuffledSubarray([...Array(count).keys()], { minLength: count, maxLength: count });
        const picks = fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })), { minLength: count, maxLength: count });
        return fc.record({ name: fc.constant(fileName), messy: fc.constant(messy), order, picks });
    }));

describe('range formatting laws', () => {
    test('the formatted units concatenate to the whole-file layout and partition the text', () => {
        for (const [, text] of EXAMPLES) {
            const units = formatUnits(text);
            expect(units.map(unit => unit.formatted).join('')).toBe(formatText(text));
            expect(units[0].start).toBe(0);
            expect(units[units.length - 1].end).toBe(text.length);
            for (let i = 1; i < units.length; i++) expect(units[i].start).toBe(units[i - 1].end);
            // A declaration unit starts at its keyword or at the comment above it.
            for (const unit of units.slice(1)) expect(text.slice(unit.start)).toMatch(/^(def|extern|train|module|import|--|\{-)/);
        }
    });

    test('respacings keep every token (the generator is sound)', () => {
        fc.assert(fc.property(scenario, ({ name, messy }) => {
            const original = EXAMPLES.find(([file]) => file === name)![1];
            expect(tokenize(messy).map(t => t.text.replace(/\r\n/g, '\n'))).toEqual(tokenize(original).map(t => t.text));
        }), { numRuns: 100 });
    });

    test('formatting every unit one at a time, in any order, gives the whole-file layout, touching only that unit', () => {
        fc.assert(fc.property(scenario, ({ messy, order, picks }) => {
            const whole = formatText(messy);
            let document = messy;
            for (const index of order) {
                const units = formatUnits(document);
                expect(units).toHaveLength(order.length);
                const unit = units[index];
                // A range inside the unit (possibly empty: a cursor).
                const [a, b] = picks[index];
                const length = unit.end - unit.start;
                const from = unit.start + Math.min(length - 1, Math.floor(a * length));
                const to = from + Math.floor(b * (unit.end - from));
                const replacements = formatTextRange(document, from, to);
                for (const r of replacements) {
                    expect(r.start).toBeGreaterThanOrEqual(unit.start);
                    expect(r.end).toBeLessThanOrEqual(unit.end);
                }
                const next = apply(document, replacements);
                expect(next.slice(0, unit.start)).toBe(document.slice(0, unit.start));
                expect(next.slice(next.length - (document.length - unit.end))).toBe(document.slice(unit.end));
                expect(next.slice(unit.start, next.length - (document.length - unit.end))).toBe(unit.formatted);
                // Idempotent: formatting the unit (now at unit.start, with its new length) again changes nothing.
                expect(formatTextRange(next, unit.start, unit.start + unit.formatted.length)).toEqual([]);
                document = next;
            }
            expect(document).toBe(whole);
            // A formatted file has nothing left to format, whatever the range.
            expect(formatTextRange(whole, 0, whole.length)).toEqual([]);
        }), { numRuns: 300 });
    });

    test('formatting the whole text as one range gives the whole-file layout', () => {
        fc.assert(fc.property(scenario, ({ messy }) => {
            expect(apply(messy, formatTextRange(messy, 0, messy.length))).toBe(formatText(messy));
        }), { numRuns: 100 });
    });
});

describe('range formatting beside a half-typed declaration (real parser)', () => {
    const HALF_TYPED = ['def broken : Bool = (true', 'def broken : Bool = if true then false', 'extern broken :', 'train broken { data mnist (x, y); model', 'def broken (x : Bool : Bool = x'];
    const parsing = EXAMPLES.filter(([, text]) => parsesAlone(text));

    test('every example parses alone, and so does each of its units', () => {
        expect(parsing.length).toBeGreaterThanOrEqual(10);
        for (const [, text] of parsing) {
            for (const unit of formatUnits(text)) expect(parsesAlone(text.slice(unit.start, unit.end))).toBe(true);
        }
    });

    test('formatting everything formats every unit but the half-typed one, which stays as it was', () => {
        const scenarioWithBreak = fc.constantFrom(...parsing).chain(([, text]) => fc.record({
            text: fc.oneof(fc.constant(text), respacing(text)),
            where: fc.double({ min: 0, max: 1, noNaN: true }),
            broken: fc.constantFrom(...HALF_TYPED)
        }));
        fc.assert(fc.property(scenarioWithBreak, ({ text, where, broken }) => {
            // Insert the half-typed declaration at the start of a unit after the first.
            const starts = formatUnits(text).map(unit => unit.start).filter(start => start > 0);
            fc.pre(starts.length > 0);
            const at = starts[Math.min(starts.length - 1, Math.floor(where * starts.length))];
            const document = text.slice(0, at) + broken + '\n\n' + text.slice(at);
            expect(parsesAlone(document)).toBe(false);
            const units = formatUnits(document);
            const brokenUnit = units.find(unit => unit.start <= at && at < unit.end)!;
            const expected = units.map(unit => unit === brokenUnit ? document.slice(unit.start, unit.end) : unit.formatted).join('');
            expect(apply(document, formatTextRange(document, 0, document.length, parsesAlone))).toBe(expected);
            // And then there is nothing left that can be formatted.
            expect(formatTextRange(expected, 0, expected.length, parsesAlone)).toEqual([]);
        }), { numRuns: 150 });
    });
});

describe('formatTextRange', () => {
    const messy = '-- about a\ndef   a:Bool=true\n\n\n\ndef b (x:Bool):Bool=\n        if x then false\n  else true\n-- about c\ndef c:Bool =   b   true\n';

    test('formats only the declaration under the range, with the blank lines after it', () => {
        const inB = messy.indexOf('if x');
        const result = apply(messy, formatTextRange(messy, inB, inB + 3));
        expect(result).toBe('-- about a\ndef   a:Bool=true\n\n\n\ndef b (x : Bool) : Bool =\n  if x then false\n  else true\n\n-- about c\ndef c:Bool =   b   true\n');
    });

    test('a range spanning two declarations formats both; one ending where the next starts formats one', () => {
        const startB = messy.indexOf('def b');
        const startC = messy.indexOf('-- about c');
        const both = apply(messy, formatTextRange(messy, messy.indexOf('true'), startB + 1));
        expect(both).toBe('-- about a\ndef a : Bool = true\n\ndef b (x : Bool) : Bool =\n  if x then false\n  else true\n\n-- about c\ndef c:Bool =   b   true\n');
        const onlyB = apply(messy, formatTextRange(messy, startB, startC));
        expect(onlyB.startsWith('-- about a\ndef   a:Bool=true\n\n\n\ndef b (x : Bool) : Bool =\n')).toBe(true);
        expect(onlyB.endsWith('\n-- about c\ndef c:Bool =   b   true\n')).toBe(true);
    });

    test('the replacement is the changed part only', () => {
        const text = 'def a : Bool = true\n\ndef b : Bool = not  true\n';
        expect(formatTextRange(text, text.length - 3, text.length - 3)).toEqual([{ start: text.indexOf('  true') + 1, end: text.indexOf('  true') + 2, newText: '' }]);
    });

    test('a selected unit that does not parse is left alone, the others are formatted', () => {
        const text = 'def f : Bool = if  true then false\n\ndef g:Bool=true\n';
        const unparsable = (unit: string): boolean => !unit.includes('if');
        expect(formatTextRange(text, 0, 5, unparsable)).toEqual([]);
        expect(apply(text, formatTextRange(text, 0, text.length, unparsable))).toBe('def f : Bool = if  true then false\n\ndef g : Bool = true\n');
    });

    test('a CRLF file stays CRLF, and its line comments do not take the CR', () => {
        const text = 'def a:Bool=true -- c\r\n\r\n\r\ndef b : Bool =\r\n true\r\n';
        expect(formatText(text)).toBe('def a : Bool = true -- c\r\n\r\ndef b : Bool =\r\n  true\r\n');
        expect(apply(text, formatTextRange(text, text.indexOf('true'), text.indexOf('true')))).toBe('def a : Bool = true -- c\r\n\r\ndef b : Bool =\r\n true\r\n');
    });

    test('an empty or blank text has nothing to format, and a cursor at the end selects the last unit', () => {
        expect(formatTextRange('', 0, 0)).toEqual([]);
        expect(apply('  \n\n', formatTextRange('  \n\n', 0, 0))).toBe('');
        const text = 'def a : Bool = true\ndef b:Bool=true';
        expect(apply(text, formatTextRange(text, text.length, text.length))).toBe('def a : Bool = true\ndef b : Bool = true\n');
    });
});
