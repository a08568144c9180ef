/**
 * The first check of a large file with problems of every kind the checks after parsing
 * report (names, types, linearity, sizes, cycles, extern uses, duplicates) gives exactly the
 * diagnostics of a reference: large-file-diagnostics.golden.json, written by the checker as
 * it was before the allocation cuts of issue 14 (scope, linking, type and linearity checks;
 * docs/editors.md, "Start-up"). Every field is compared — message, range, severity, code,
 * data, related information — in order. The file has no syntax errors: what a parse error
 * says belongs to the parser's own tests. UPDATE_GOLDEN=1 rewrites the reference after an
 * intended change of a diagnostic: review the diff.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { checkText } from '@cajal/language/testing';

const golden = path.join(path.dirname(fileURLToPath(import.meta.url)), 'large-file-diagnostics.golden.json');

/** Declaration `i` of the generated file: every other one clean (calling the one before it), the others each kind of problem in turn. */
function declaration(i: number): string {
    switch (i % 24) {
        case 1: return `def u${i} (x : Bool) (y : Bool) : Bool = x`; // y unused
        case 3: return `def d${i} (x : Bool) : Bool * Bool = (x, x)`; // x used twice
        case 5: return `def b${i} (x : Bool) (y : Bool) : Bool = if x then y else false`; // branches differ
        case 7: return `def t${i} (x : Nat) : Bool = x`; // type mismatch
        case 9: return `def n${i} (x : Bool) : Bool = missing${i} x`; // unknown name
        case 11: return `def r${i} (x : Bool) : Nat[3] = if x then 5 else 0\ndef z${i} (x : Nat[0]) : Bool = true`; // out of range, Nat[0]
        case 13: return `def s${i} (x : Real[100000, 100000]) : Real[100000, 100000] = x`; // too large
        case 15: return `def c${i} (x : Bool) : Bool = c${i} x\ndef m${i} (x : Bool) : Bool = k${i} x\ndef k${i} (x : Bool) : Bool = m${i} x`; // cycles
        case 17: return `def it${i} (n : Nat) (m : Nat) : Nat = iter n { zero => 0; succ y => g${i - 1} m y }`; // iter replicates m; g takes Bools
        case 19: return `def a${i} (x : Bool) : Bool = x x\ndef l${i} : Bool = (fun q => q) true\ndef f${i} (x : Bool) : Bool = fun q => q\ndef h${i} : Bool = let k = fun q => q in k true`; // not a function; inferred binder; lambda against Bool; binder not inferable
        case 21: return `extern net${i} (a : Real[2]) (b : Real[2]) : Real[2]\ndef p${i} (a : Real[2]) : Real[2] -o Real[2] = net${i} a`; // extern applied partly
        case 23: return `def g${i - 1} (x : Bool) : Bool = x\ndef lp${i} (p : Bool * Nat[3]) : Nat[3] * Bool = let (a, b) = p in (a, b)`; // duplicate name; swapped pair
        default: return `--| Gate ${i}.\ndef g${i} (x : Bool) (y : Bool) : Bool =\n  if x then ${i > 0 ? `g${i - 2} y true` : 'y'}\n  else if y then false else let z = false in z`;
    }
}

/** 480 generated declarations: about 1,500 lines, 620 declarations and 520 diagnostics. */
export function generateProgramWithProblems(declarations = 480): string {
    return Array.from({ length: declarations }, (_, i) => declaration(i)).join('\n\n') + '\n';
}

describe('the diagnostics of a large file', () => {
    test('are those of the reference, field for field', async () => {
        const text = generateProgramWithProblems();
        const { diagnostics } = await checkText(text, undefined, '/virtual/large-with-problems.cajal');
        // One diagnostic a line: a change shows as the lines of the diagnostics it changed.
        const actual = `[\n${diagnostics.map(d => JSON.stringify(d)).join(',\n')}\n]\n`;
        if (process.env.UPDATE_GOLDEN === '1') fs.writeFileSync(golden, actual);
        // Every kind is there (a generator change that lost one would make the test weaker unseen).
        const codes = new Set(diagnostics.map(d => String(d.code)));
        expect([...codes].sort()).toEqual([
            'def/cycle', 'extern/partial-application', 'linearity/branch-mismatch', 'linearity/duplicate', 'linearity/iter-replicates',
            'linearity/unused', 'name/duplicate', 'name/unknown', 'nat/out-of-range', 'size/too-large',
            'type/cannot-infer', 'type/mismatch', 'type/not-a-function'
        ]);
        expect(JSON.parse(actual)).toEqual(JSON.parse(fs.readFileSync(golden, 'utf-8')));
    }, 120_000);
});
