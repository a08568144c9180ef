/**
 * Training runs a train block's model and target as the compiler's programs (the same as
 * `cajal run` and generated modules): here the targets prepareTraining computes agree with
 * the interpreter on every combination of basis values of the data fields, fields used
 * more than once included; and a model of a several-argument extern trains, and its
 * weights drive `cajal run --weights` (real processes).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { basisValues, formatValue, type CajalType, type Value } from '@cajal/language';
import { prepareTraining } from '@cajal/train';
import { loadTraining, runCli, temporaryDirectory } from './helpers.js';

const PROGRAM = `
def not (x : Bool) : Bool = if x then false else true
def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
def eq (x : Bool) (y : Bool) : Bool = if x then y else not y
def even (n : Nat) : Bool = iter n { zero => true ; succ y => not y }
def twice (b : Bool) (n : Nat[3]) : Nat[3] = if b then iter n { zero => 0 ; succ y => succ y } else iter n { zero => 2 ; succ y => y }
def swap (p : Bool * Nat[3]) : Nat[3] * Bool = let (a, b) = p in (b, a)
extern guess : Nat -o Nat -o Bool = mlp(4)

train checks {
  data "basis.jsonl" (m : Nat, n : Nat, b : Bool, p : Bool * Nat[3]);
  model guess m n;
  target and (even m) (even n);
  test 0;
}
train shared {
  data "basis.jsonl" (m : Nat, n : Nat, b : Bool, p : Bool * Nat[3]);
  model (guess m n, guess n m);
  target (and (even m) (even n), eq (even m) (not (even n)));
  test 0;
}
train gates {
  data "basis.jsonl" (m : Nat, n : Nat, b : Bool, p : Bool * Nat[3]);
  model guess m n;
  target if b then even m else not (even n);
  test 0;
}
train pairs {
  data "basis.jsonl" (m : Nat, n : Nat, b : Bool, p : Bool * Nat[3]);
  model (twice b (if guess m n then 1 else 2), guess n m);
  target swap p;
  test 0;
}
train iterated {
  data "basis.jsonl" (m : Nat, n : Nat, b : Bool, p : Bool * Nat[3]);
  model (if guess m n then 0 else 1 : Nat[3]);
  target let (c, k) = p in twice c k;
  test 0;
}
`;

const FIELDS: Record<string, unknown[]> = {
    m: Array.from({ length: 10 }, (_, i) => i),
    n: Array.from({ length: 10 }, (_, i) => i),
    b: [true, false],
    p: [true, false].flatMap(c => [0, 1, 2].map(k => [c, k]))
};

/** Every combination of the fields' basis values, one JSON line each (10·10·2·6 rows). */
function basisRows(): string {
    let rows: Record<string, unknown>[] = [{}];
    for (const [name, values] of Object.entries(FIELDS)) rows = rows.flatMap(row => values.map(value => ({ ...row, [name]: value })));
    return rows.map(row => JSON.stringify(row)).join('\n') + '\n';
}

/** The basis value a one-hot row encodes. */
function decodeRow(type: CajalType, data: Float32Array, row: number): Value {
    const basis = basisValues(type);
    const slice = data.subarray(row * basis.length, (row + 1) * basis.length);
    const hot = slice.findIndex(x => x === 1);
    expect(slice.reduce((a, b) => a + b, 0)).toBe(1);
    return basis[hot];
}

describe('train blocks run as compiled programs', () => {
    it('compute targets that agree with the interpreter on every basis input (fields used once, twice, in gates, pairs, let-pairs, iter)', async () => {
        const directory = temporaryDirectory();
        fs.writeFileSync(path.join(directory, 'basis.jsonl'), basisRows());
        const file = path.join(directory, 'targets.cajal');
        fs.writeFileSync(file, PROGRAM);
        for (const name of ['checks', 'shared', 'gates', 'pairs', 'iterated']) {
            const { services, training } = await loadTraining(file, name);
            const prepared = await prepareTraining(training, services, { backend: 'cpu' });
            try {
                expect(prepared.targetProgram.inputs.map(input => input.name)).toEqual(['m', 'n', 'b', 'p']);
                const { train } = prepared.data;
                expect(train.size).toBe(1200);
                const targetTerm = training.options.find(o => o.$type === 'TargetOption') as { term: Parameters<typeof services.interpreter.Interpreter.evaluateTerm>[0] };
                const targetType = services.typing.TypeChecker.typeOf(targetTerm.term);
                const targets = prepared.trainTargets.arraySync() as number[][];
                const basis = basisValues(targetType);
                const seen = new Set<string>();
                for (let row = 0; row < train.size; row++) {
                    const env = new Map(prepared.fields.map(field => {
                        const column = train.fields.get(field.name)!;
                        return [field, decodeRow(column.type, column.data, row)] as const;
                    }));
                    const expected = services.interpreter.Interpreter.evaluateTerm(targetTerm.term, env);
                    const hot = targets[row].flatMap((x, i) => (x === 1 ? [i] : []));
                    expect(targets[row].every(x => x === 0 || x === 1), `${name}, row ${row}`).toBe(true);
                    expect(hot, `${name}, row ${row}`).toHaveLength(1);
                    expect(formatValue(basis[hot[0]]), `${name}, row ${row}`).toBe(formatValue(expected));
                    seen.add(formatValue(expected));
                }
                // The rows cover more than one value of the target, so agreement is not vacuous.
                expect(seen.size).toBeGreaterThan(1);
            } finally {
                prepared.dispose();
            }
        }
    });

    it('train a model of a two-argument extern (one network of both inputs) and link it in cajal run --weights', async () => {
        const directory = temporaryDirectory();
        // same x y: are the two Bools equal? Not linear in either input alone: the network needs both.
        fs.writeFileSync(path.join(directory, 'm.cajal'), `
extern same : Bool -o Bool -o Bool = mlp(8)
def not (x : Bool) : Bool = if x then false else true
def differs : Bool = not (same true false)
def agrees : Bool = not (same false false)
train t { data "d.jsonl" (x : Bool, y : Bool, z : Bool); model same x y; target z; lr 0.05; epochs 25; batch 8; seed 2; examples 200; }
`);
        const rows = Array.from({ length: 200 }, (_, i) => ({ x: i % 2 === 0, y: i % 4 < 2 })).map(r => ({ ...r, z: r.x === r.y }));
        fs.writeFileSync(path.join(directory, 'd.jsonl'), rows.map(r => JSON.stringify(r)).join('\n') + '\n');
        const trained = await runCli(['train', 'm.cajal', '--json'], directory);
        expect(trained.stderr).not.toMatch(/internal error/);
        expect(trained.code).toBe(0);
        expect(JSON.parse(trained.stdout).final.testAccuracy).toBe(1);
        const manifest = JSON.parse(fs.readFileSync(path.join(directory, 'm.weights', 't', 'weights.json'), 'utf-8'));
        expect(manifest.externs.same.inputs).toEqual([[2], [2]]);

        for (const [definition, decoded] of [['differs', 'true'], ['agrees', 'false']]) {
            const ran = await runCli(['run', 'm.cajal', '--def', definition, '--weights', 'm.weights/t', '--json'], directory);
            expect(ran.stderr).toBe('');
            expect(ran.code).toBe(0);
            const result = JSON.parse(ran.stdout);
            expect(result.decoded).toBe(decoded);
            expect(result.probability).toBeGreaterThan(0.9);
        }
    });
});
