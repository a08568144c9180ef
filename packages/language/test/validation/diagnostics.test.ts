import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import type { Diagnostic } from 'vscode-languageserver';
import { Codes } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { diagnose, span } from '../helpers.js';

const errorsDirectory = path.resolve(__dirname, '../../../../examples/errors');

function source(file: string): string {
    return fs.readFileSync(path.join(errorsDirectory, file), 'utf-8');
}

/**
 * The 1-based span `line:col-line:endCol` of the `occurrence`-th (1-based) appearance of
 * `needle` as a whole word on `line` of `text`: expected ranges come from the source, not the tool.
 */
function at(text: string, line: number, needle: string, occurrence = 1): string {
    const content = text.split('\n')[line - 1];
    const pattern = new RegExp(`(?<![A-Za-z0-9_'])${needle.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9_'])`, 'g');
    let match: RegExpExecArray | null = null;
    for (let i = 0; i < occurrence; i++) match = pattern.exec(content);
    if (!match) throw new Error(`'${needle}' #${occurrence} not on line ${line}: ${content}`);
    return `${line}:${match.index + 1}-${line}:${match.index + 1 + needle.length}`;
}

/** Related locations as `span message`. */
function related(diagnostic: Diagnostic): string[] {
    return (diagnostic.relatedInformation ?? []).map(r => `${span(r.location.range)} ${r.message}`);
}

async function only(file: string): Promise<{ text: string; diagnostic: Diagnostic }> {
    const text = source(file);
    const diagnostics = await diagnose(text);
    expect(diagnostics.map(d => d.code)).toHaveLength(1);
    return { text, diagnostic: diagnostics[0] };
}

describe('each diagnostic code fires at the right range (examples/errors)', () => {
    test('parse: at the token where the parser gave up', async () => {
        const { text, diagnostic } = await only('parse.cajal');
        expect(diagnostic.code).toBe('parse');
        expect(diagnostic.severity).toBe(1);
        expect(span(diagnostic.range)).toBe(at(text, 3, 'def'));
        expect(diagnostic.message).toBe("Expected ',', ':' or ')', but found 'def'.");
    });

    test('name/unknown: the unknown name', async () => {
        const { text, diagnostic } = await only('name-unknown.cajal');
        expect(diagnostic.code).toBe('name/unknown');
        expect(span(diagnostic.range)).toBe(at(text, 3, 'nto'));
        expect(diagnostic.message).toContain("'nto'");
    });

    test('name/duplicate: the second name, the first one related', async () => {
        const { text, diagnostic } = await only('name-duplicate.cajal');
        expect(diagnostic.code).toBe('name/duplicate');
        expect(span(diagnostic.range)).toBe(at(text, 3, 'flip'));
        expect(related(diagnostic)).toEqual([`${at(text, 2, 'flip')} first definition of 'flip'`]);
    });

    test('def/cycle: each definition of the cycle, with the references that close it', async () => {
        const text = source('def-cycle.cajal');
        const diagnostics = await diagnose(text);
        expect(diagnostics.map(d => [d.code, span(d.range)])).toEqual([
            ['def/cycle', at(text, 2, 'ping')],
            ['def/cycle', at(text, 3, 'pong')]
        ]);
        expect(diagnostics[0].message).toContain('ping → pong → ping');
        expect(related(diagnostics[0])).toEqual([`${at(text, 2, 'pong')} refers to 'pong'`, `${at(text, 3, 'ping')} refers to 'ping'`]);
        expect(related(diagnostics[1])).toEqual([`${at(text, 3, 'ping')} refers to 'ping'`, `${at(text, 2, 'pong')} refers to 'pong'`]);
    });

    test('nat/out-of-range: the numeral, naming the type and its numbers', async () => {
        const { text, diagnostic } = await only('nat-out-of-range.cajal');
        expect(diagnostic.code).toBe('nat/out-of-range');
        expect(span(diagnostic.range)).toBe(at(text, 2, '4', 2));
        expect(diagnostic.message).toBe('The numeral 4 is out of range for Nat[4], whose numbers are 0 … 3.');
    });

    test('type/mismatch: the term, naming the expected and the actual type', async () => {
        const { text, diagnostic } = await only('type-mismatch.cajal');
        expect(diagnostic.code).toBe('type/mismatch');
        expect(span(diagnostic.range)).toBe(at(text, 2, '3'));
        expect(diagnostic.message).toBe('Expected Bool, but this has type Nat.');
    });

    test('type/not-a-function: what was applied, with the argument related', async () => {
        const { text, diagnostic } = await only('type-not-a-function.cajal');
        expect(diagnostic.code).toBe('type/not-a-function');
        expect(span(diagnostic.range)).toBe(at(text, 3, 'yes'));
        expect(diagnostic.message).toContain("'yes' has type Bool");
        expect(related(diagnostic)).toEqual([`${at(text, 3, 'false')} the argument it is applied to`]);
    });

    test('type/cannot-infer: the binder, asking for an annotation', async () => {
        const { text, diagnostic } = await only('type-cannot-infer.cajal');
        expect(diagnostic.code).toBe('type/cannot-infer');
        expect(span(diagnostic.range)).toBe(at(text, 2, 'x'));
        expect(diagnostic.message).toContain('add an annotation');
    });

    test('linearity/unused: the binder', async () => {
        const { text, diagnostic } = await only('linearity-unused.cajal');
        expect(diagnostic.code).toBe('linearity/unused');
        expect(span(diagnostic.range)).toBe(at(text, 2, 'y'));
        expect(diagnostic.message).toContain("'y' is never used");
    });

    test('linearity/duplicate: the second use; binder, first use and second use related', async () => {
        const { text, diagnostic } = await only('linearity-duplicate.cajal');
        expect(diagnostic.code).toBe('linearity/duplicate');
        expect(span(diagnostic.range)).toBe(at(text, 3, 'x', 3));
        expect(related(diagnostic)).toEqual([
            `${at(text, 3, 'x', 1)} 'x' is bound here`,
            `${at(text, 3, 'x', 2)} first use of 'x'`,
            `${at(text, 3, 'x', 3)} second use of 'x'`
        ]);
    });

    test('linearity/branch-mismatch: the if, naming each variable and the branch that uses it', async () => {
        const { text, diagnostic } = await only('linearity-branch-mismatch.cajal');
        expect(diagnostic.code).toBe('linearity/branch-mismatch');
        expect(span(diagnostic.range)).toBe(at(text, 2, 'if'));
        expect(diagnostic.message).toContain("'y' is used only in the then-branch");
        expect(related(diagnostic)).toEqual([
            `${at(text, 2, 'y', 2)} 'y' is used in the then-branch`,
            `${at(text, 2, 'false')} the else-branch does not use 'y'`
        ]);
    });

    test('linearity/branch-mismatch with variables on both sides names both', async () => {
        const text = 'def pick (c : Bool) (a : Bool) (b : Bool) : Bool = if c then a else b\n';
        const diagnostics = await diagnose(text);
        expect(diagnostics.map(d => d.code)).toEqual(['linearity/branch-mismatch']);
        expect(diagnostics[0].message).toContain("'a' is used only in the then-branch; 'b' is used only in the else-branch");
        expect(related(diagnostics[0])).toEqual([
            `${at(text, 1, 'a', 2)} 'a' is used in the then-branch`,
            `${at(text, 1, 'b', 2)} the else-branch does not use 'a'`,
            `${at(text, 1, 'b', 2)} 'b' is used in the else-branch`,
            `${at(text, 1, 'a', 2)} the then-branch does not use 'b'`
        ]);
    });

    test('linearity/iter-replicates is a warning at the use in the step, the outer binder related', async () => {
        const { text, diagnostic } = await only('linearity-iter-replicates.cajal');
        expect(diagnostic.code).toBe('linearity/iter-replicates');
        expect(diagnostic.severity).toBe(2);
        expect(span(diagnostic.range)).toBe(at(text, 3, 'm', 2));
        expect(diagnostic.message).toContain('up to 9 times');
        expect(related(diagnostic)).toEqual([`${at(text, 3, 'm', 1)} 'm' is bound here, outside the iter`]);
    });

    test('extern/unknown-architecture: the architecture name', async () => {
        const { text, diagnostic } = await only('extern-unknown-architecture.cajal');
        expect(diagnostic.code).toBe('extern/unknown-architecture');
        expect(span(diagnostic.range)).toBe(at(text, 2, 'transformer'));
    });

    test('extern/partial-application: the application that gives an extern too few arguments', async () => {
        const { text, diagnostic } = await only('extern-partial-application.cajal');
        expect(diagnostic.code).toBe('extern/partial-application');
        const line = text.split('\n')[3];
        const start = line.indexOf('both a');
        expect(span(diagnostic.range)).toBe(`4:${start + 1}-4:${start + 1 + 'both a'.length}`);
        expect(diagnostic.message).toContain('all its 2 arguments');
    });

    test('extern/reading: the output type of an extern whose binders and type mix the two readings', async () => {
        const { text, diagnostic } = await only('extern-reading.cajal');
        expect(diagnostic.code).toBe('extern/reading');
        const written = 'Real[28, 28] -o Bool -o Bool -o Bool';
        const start = text.split('\n')[2].indexOf(written);
        expect(span(diagnostic.range)).toBe(`3:${start + 1}-3:${start + 1 + written.length}`);
        expect(diagnostic.message).toContain('write `extern church (x : Real[28, 28]) : Bool -o Bool -o Bool`');
    });

    test('train/invalid: the train block name when the target is missing', async () => {
        const { text, diagnostic } = await only('train-invalid.cajal');
        expect(diagnostic.code).toBe('train/invalid');
        expect(span(diagnostic.range)).toBe(at(text, 4, 'even'));
        expect(diagnostic.message).toContain("no 'target'");
    });

    test('data/unreadable: the path of a data file that does not exist', async () => {
        // Checked as the file on disk: data paths are resolved against its folder (a document not on disk has none).
        const file = path.join(errorsDirectory, 'data-unreadable.cajal');
        const text = source('data-unreadable.cajal');
        const { diagnostics } = await checkText(text, undefined, file);
        expect(diagnostics).toHaveLength(1);
        const diagnostic = diagnostics[0];
        expect((await diagnose(text)).map(d => d.code)).toEqual([]);
        expect(diagnostic.code).toBe('data/unreadable');
        expect(span(diagnostic.range)).toBe(at(text, 4, '"missing-points.jsonl"'));
        expect(diagnostic.message).toBe(`The data file 'missing-points.jsonl' (${path.join(errorsDirectory, 'missing-points.jsonl')}) does not exist: training would stop here.`);
    });

    test('size/too-large: the definition whose own matrix is above the limit', async () => {
        const { text, diagnostic } = await only('size-too-large.cajal');
        expect(diagnostic.code).toBe('size/too-large');
        expect(span(diagnostic.range)).toBe(at(text, 2, 'id'));
        expect(diagnostic.message).toBe("'id' compiles to a [1000000, 1000000] matrix: 1,000,000,000,000 entries, 4 TB as float32; " +
            'the limit is 67,108,864 entries (raise it with --max-tensor or the cajal.maxTensor setting).');
    });

    test('every diagnostic code of the language has an example file', () => {
        const files = fs.readdirSync(errorsDirectory).filter(f => f.endsWith('.cajal') && !f.startsWith('runtime-'));
        const codes = files.map(f => f.replace(/\.cajal$/, '').replace('-', '/'));
        expect(codes.sort()).toEqual(Object.values(Codes).sort());
    });
});
