import { describe, expect, it } from 'vitest';
import { blankComments, findDeclarations, runnableDefinitionAt, trainingAt } from '../src/source.js';
import { JsonLineSplitter, parseRunResult, validateNeuronResponse } from '../src/protocol.js';
import { displayValue, formatTensor, natToUnary } from '../src/format.js';

const program = `module demo
{- def hidden : Bool = true
   {- nested -} def stillHidden : Bool = true -}
def not : Bool -o Bool = fun x => if x then false else true -- def fake
def f' (x : Bool) : Bool =
  not x
train t1 { data "def d.json" (x : Bool); epochs 1; }
def main : Bool = f' true
`;

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
});
