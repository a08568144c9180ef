// The house layout (formatCajalText, used by `cajal fmt` and the server's formatting):
// idempotent, token-preserving (so every comment survives), and meaning-preserving.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { checkText } from '@cajal/language/testing';
import { CajalFormatError, formatCajalText, formatText } from '@cajal/language/format';
import { exampleFiles as examples } from '../../../../test/example-files.js';

/** The non-whitespace content, token by token (comments included). */
function tokens(text: string): string[] {
    return (text.match(/--[^\n]*|\{-[\s\S]*?-\}|"(?:\\.|[^"\\\n])*"|[A-Za-z_][A-Za-z0-9_']*|[0-9]+(?:\.[0-9]+)?|-o|=>|\S/g) ?? []).map(token => token.startsWith('--') ? token.trimEnd() : token);
}

describe('formatCajalText', () => {
    test.each(examples())('%s: idempotent, same tokens, same diagnostics', async (_name, text) => {
        if ((await checkText(text)).diagnostics.some(d => d.code === 'parse')) {
            expect(() => formatCajalText(text)).toThrow(CajalFormatError);
            return;
        }
        const formatted = formatCajalText(text);
        expect(formatCajalText(formatted)).toBe(formatted);
        expect(tokens(formatted)).toEqual(tokens(text));
        const before = (await checkText(text)).diagnostics.map(d => `${d.code} ${d.message}`);
        const after = (await checkText(formatted)).diagnostics.map(d => `${d.code} ${d.message}`);
        expect(after).toEqual(before);
    });

    test('the house layout', () => {
        expect(formatCajalText('def  f(x:Bool) :Bool=\n      if x then false\n else true\nextern e:Real[28,28]-o Bool\ntrain t{\ndata mnist (a,b);\n    model e a;\n target true;}\n')).toBe(
            'def f (x : Bool) : Bool =\n  if x then false\n  else true\n\nextern e : Real[28, 28] -o Bool\n\ntrain t {\n  data mnist (a, b);\n  model e a;\n  target true; }\n');
    });

    test('keeps a run of one-line declarations together and separates multi-line ones', () => {
        expect(formatCajalText('def a : Bool = true\ndef b : Bool = false\ndef c : Bool =\n  true\n')).toBe('def a : Bool = true\ndef b : Bool = false\n\ndef c : Bool =\n  true\n');
    });

    test('refuses text that does not parse, at the error', () => {
        expect(() => formatCajalText('def f : Bool = (true\n\ndef g : Bool = true\n')).toThrow(CajalFormatError);
        expect(() => formatCajalText('def f : Bool = if true then false\n')).toThrow(/^2:1: cannot format: Expecting|^2:1: cannot format/);
        expect(() => formatCajalText('def f : Bool = (true\n\ndef g : Bool = true\n')).toThrow(/^3:1: cannot format/);
    });

    test('property: any token soup formats idempotently and keeps its tokens', () => {
        const fragment = fc.constantFrom('def', 'f', 'x', ':', 'Bool', '-o', '=', 'fun', '=>', 'if', 'then', 'else', '(', ')', '{', '}', ';', ',',
            'iter', 'zero', 'succ', '-- c', '{- b -}', '\n', '\n\n\n', '   ', 'train', 'extern', 'Real[2, 3]', '"s"', 'λ', '\\', '⊸', '42');
        fc.assert(fc.property(fc.array(fragment, { maxLength: 60 }), parts => {
            const text = parts.join(' ').replace(/-- c ([^\n]*)/g, '-- c\n$1');
            const once = formatText(text);
            expect(formatText(once)).toBe(once);
            expect(tokens(once)).toEqual(tokens(text));
        }), { numRuns: 300 });
    });
});
