import { describe, expect, it } from 'vitest';
import { blankComments, findDeclarations, isExternIn, neuronDeclarationAt, runnableDefinitionAt, trainingAt } from '../src/source.js';
import { JsonLineSplitter, parseRunResult, validateNeuronResponse } from '../src/protocol.js';
import { displayValue, formatRunResult, formatTensor, natToUnary } from '../src/format.js';

const program = `module demo
{- def hidden : Bool = true
   {- nested -} def stillHidden : Bool = true -}
def not : Bool -o Bool = fun x => if x then false else true -- def fake
def f' (x : Bool) : Bool =
  not x
train t1 { data "def d.json" (x : Bool); epochs 1; }
def main : Bool = f' true
`;

describe('the declaration a neuron view shows', () => {
    const text = `def not (x : Bool) : Bool = if x then false else true
extern learned : Bool * Bool -o Bool = linear -- extern fake : Bool
-- no declaration on this line
train t { data "d.jsonl" (a : Bool); model learned (a, a); target a; }
`;
    it('is the definition or extern under the cursor; none in a train block', () => {
        expect(neuronDeclarationAt(text, 5)).toEqual({ name: 'not', kind: 'def' });
        expect(neuronDeclarationAt(text, text.indexOf('learned'))).toEqual({ name: 'learned', kind: 'extern' });
        expect(neuronDeclarationAt(text, text.indexOf('no declaration'))).toEqual({ name: 'learned', kind: 'extern' });
        expect(neuronDeclarationAt(text, text.indexOf('model'))).toBeUndefined();
        expect(isExternIn(text, 'learned')).toBe(true);
        expect(isExternIn(text, 'not')).toBe(false);
        expect(isExternIn(text, 'fake')).toBe(false); // in a comment
    });
});

describe('finding declarations without the server', () => {
    it('blanks nested comments and strings but keeps offsets', () => {
        const clean = blankComments(program);
        expect(clean.length).toBe(program.length);
        expect(clean).not.toContain('hidden');
        expect(clean).not.toContain('fake');
        expect(clean).not.toContain('d.json');
        expect(clean.split('\n').length).toBe(program.split('\n').length);
    });

    it('lists declarations in order, primes included', () => {
        expect(findDeclarations(program).map(d => `${d.kind} ${d.name}`)).toEqual(['def not', "def f'", 'train t1', 'def main']);
    });

    it('picks the definition under the cursor, else main', () => {
        expect(runnableDefinitionAt(program, program.indexOf('not x'))).toBe("f'");
        expect(runnableDefinitionAt(program, program.indexOf('fun x'))).toBe('not');
        expect(runnableDefinitionAt(program, 0)).toBe('main');
        expect(runnableDefinitionAt(program, program.indexOf('epochs'))).toBe('main');
        expect(runnableDefinitionAt('-- no main here\ndef f : Bool = true', 0)).toBeUndefined();
        expect(runnableDefinitionAt('-- no main here\ndef f : Bool = true', 20)).toBe('f');
    });

    it('takes the definition that starts at the cursor, not the one before it', () => {
        const text = 'def and (x : Bool) (y : Bool) : Bool = if x then y else false\ndef main : Bool = and true false\ndef last : Bool = true';
        expect(runnableDefinitionAt(text, text.indexOf('def main'))).toBe('main');
        expect(runnableDefinitionAt(text, text.indexOf('def main') - 1)).toBe('and');
        expect(runnableDefinitionAt(text, text.indexOf('def last'))).toBe('last');
        expect(runnableDefinitionAt(text, text.length)).toBe('last');
        const trainings = 'train a { epochs 1; }\ntrain b { epochs 2; }\n';
        expect(trainingAt(trainings, trainings.indexOf('train b'))).toBe('b');
        expect(trainingAt(trainings, 0)).toBe('a');
        expect(trainingAt(program, 0)).toBe('t1');
        expect(trainingAt('def main : Bool = true', 0)).toBeUndefined();
    });
});

describe('protocol parsing', () => {
    it('splits JSON lines across arbitrary chunk boundaries', () => {
        const values: unknown[] = [];
        const others: string[] = [];
        const splitter = new JsonLineSplitter(v => values.push(v), l => others.push(l));
        const text = '{"event":"start"}\r\nnoise\n\n{"event":"batch","loss":0.5}\n{"event":"done"}';
        for (const ch of text) splitter.push(ch);
        expect(values).toHaveLength(2);
        splitter.end();
        expect(values).toEqual([{ event: 'start' }, { event: 'batch', loss: 0.5 }, { event: 'done' }]);
        expect(others).toEqual(['noise']);
    });

    it('validates neuron responses', () => {
        expect(validateNeuronResponse({ error: 'x' })).toEqual({ error: 'x' });
        expect(validateNeuronResponse(null)).toHaveProperty('error');
        expect((validateNeuronResponse({ name: 'n', type: 'Bool', shape: [2], weights: 2, data: ['a'], rows: [], cols: [] }) as { error: string }).error).toContain('bad data');
        const ok = { name: 'n', type: 'Bool', shape: [2], weights: 2, data: null, rows: ['true', 'false'], cols: [] };
        expect(validateNeuronResponse(ok)).toBe(ok);
    });

    it('parses run results and rejects junk', () => {
        expect(parseRunResult('{"def":"main","type":"Nat[4]","backend":"wasm","shape":[4],"data":[0,0,1,0],"decoded":"2","probability":1}'))
            .toEqual({ def: 'main', type: 'Nat[4]', backend: 'wasm', shape: [4], data: [0, 0, 1, 0], decoded: '2', probability: 1 });
        expect(() => parseRunResult('Error: boom')).toThrow(/not JSON/);
        expect(() => parseRunResult('{"def":"main"}')).toThrow(/without def\/shape\/data/);
    });
});

describe('run output formatting', () => {
    it('spells Nat values as numerals or in unary', () => {
        expect(natToUnary(0)).toBe('zero');
        expect(natToUnary(3)).toBe('succ (succ (succ zero))');
        const r = { def: 'two', type: 'Nat[4]', backend: 'cpu', shape: [4], data: [0, 0, 1, 0], decoded: '2', probability: 1 };
        expect(displayValue(r, 'numeral')).toBe('2');
        expect(displayValue(r, 'unary')).toBe('succ (succ zero)');
        expect(displayValue({ ...r, type: 'Bool', decoded: 'true' }, 'unary')).toBe('true');
    });

    it('prints tensors nested by shape and elides long ones', () => {
        expect(formatTensor([2, 2], [0, 1, 1, 0])).toBe('[[0, 1], [1, 0]]');
        expect(formatTensor([1, 2], [0.123456, 1])).toBe('[[0.1235, 1]]');
        expect(formatTensor([100], Array(100).fill(0), 3)).toBe('[0, 0, 0, … 97 more]');
    });

    it('prints a function\'s 1,000-entry matrix as aligned rows, not one line', () => {
        // add : Nat -o Nat -o Nat as a [100, 10] matrix: row k*10+n has a 1 at column m when m + n = k.
        const data = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 1 : 0));
        const lines = formatRunResult({ def: 'add', type: 'Nat -o Nat -o Nat', backend: 'cpu', shape: [100, 10], data, decoded: null, probability: null }, 'numeral');
        expect(lines[0]).toBe('add : Nat -o Nat -o Nat = (no discrete value)');
        expect(lines[1]).toBe('  tensor [100, 10] on cpu, 1,000 entries (100 nonzero), 100 rows of 10:');
        expect(lines.slice(2, 4)).toEqual(['    [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]', '    [1, 0, 0, 0, 0, 0, 0, 0, 0, 0]']);
        expect(lines).toHaveLength(2 + 12 + 1);
        expect(lines.at(-1)).toBe('    … 88 more rows');
        expect(Math.max(...lines.map(l => l.length))).toBeLessThan(80);
        const wide = formatRunResult({ def: 'w', type: 'Real[2, 30]', backend: 'cpu', shape: [2, 30], data: Array.from({ length: 60 }, (_, i) => i / 4), decoded: null, probability: null }, 'numeral');
        expect(wide.slice(2)).toEqual([
            // Columns as wide as the widest shown number (10.25).
            '    [    0,  0.25,   0.5,  0.75,     1,  1.25,   1.5,  1.75,     2,  2.25,   2.5,  2.75, … 18 more]',
            '    [  7.5,  7.75,     8,  8.25,   8.5,  8.75,     9,  9.25,   9.5,  9.75,    10, 10.25, … 18 more]'
        ]);
    });
});
