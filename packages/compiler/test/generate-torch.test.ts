/**
 * Golden tests of generated PyTorch modules (pure text; the goldens live in golden/ beside
 * this file — UPDATE_GOLDEN=1 rewrites them after an intended change: review the diff),
 * and the real CLI writing one that a real Python (with torch) imports and runs.
 * How the generated modules compute is checked against the tfjs runtime by
 * torch-equivalence.test.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFiles } from '@cajal/language';
import { checkText } from '@cajal/language/testing';
import { compileDocumentToTorch, documentArchitectures, generateTorchModule, pythonIdentifier, pythonLiteral } from '@cajal/compiler';
import { cliBin as cli } from '../../../test/executables.js';
import { TORCH_PYTHON } from '../../../test/torch-python.js';
import { expectGolden } from '../../../test/golden-files.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-torch-gen-'));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

async function generate(file: string) {
    const text = fs.readFileSync(file, 'utf-8');
    const { services, document, diagnostics } = await checkText(text);
    expect(diagnostics.filter(d => d.severity === 1)).toEqual([]);
    return compileDocumentToTorch(document, services, { source: path.basename(file) });
}

const golden = (name: string, actual: string) => expectGolden(here, name, actual);

const CASES = [
    ['neurons', path.join(root, 'examples/neurons.cajal')],
    ['linked', path.join(here, 'fixtures/linked.cajal')],
    ['and_even', path.join(root, 'examples/train/and-even.cajal')]
] as const;

describe('generateTorchModule', () => {
    for (const [name, file] of CASES) {
        it(`matches the golden module for ${path.relative(root, file)}`, async () => {
            golden(`${name}.py`, (await generate(file)).python);
        });
    }

    it('is pure: the same programs give the same text', async () => {
        const module = await generate(path.join(here, 'fixtures/linked.cajal'));
        expect(generateTorchModule(module.programs, { source: 'linked.cajal' })).toBe(module.python);
    });

    it('makes Python names and literals', () => {
        expect(pythonIdentifier("f'")).toBe('f_');
        expect(pythonIdentifier('and')).toBe('and_');
        expect(pythonIdentifier('lambda')).toBe('lambda_');
        expect(pythonIdentifier('_v3')).toBe('_v3_');
        expect(pythonIdentifier('isEven')).toBe('isEven');
        expect(pythonLiteral({ a: [true, null, 1.5], 'b"': 'x' })).toBe('{"a": [True, None, 1.5], "b\\"": "x"}');
    });

    it('records the declared architecture of an extern imported from another module', async () => {
        const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-torch-import-'));
        fs.writeFileSync(path.join(directory, 'nets.cajal'), 'module nets\nextern score : Real[3] -o Bool = linear\n');
        fs.writeFileSync(path.join(directory, 'use.cajal'), 'module use\nimport nets\ndef judge (x : Real[3]) : Bool = score x\n');
        const workspace = await loadFiles([path.join(directory, 'use.cajal')]);
        const document = workspace.requested[0];
        expect((document.diagnostics ?? []).filter(d => d.severity === 1)).toEqual([]);
        const { python } = compileDocumentToTorch(document, workspace.services);
        expect(python).toContain('"score": {"type": {"kind": "function", "domain": {"kind": "real", "dims": [3]}, "codomain": {"kind": "bool"}}, "inputShapes": [[3]], "outputShape": [2], "architecture": {"architecture": "linear"');
        fs.rmSync(directory, { recursive: true, force: true });
    });

    it('embeds large constants as float32 hex and records declared architectures', async () => {
        const { services, document } = await checkText('def add (m : Nat) (n : Nat) : Nat = iter n { zero => m ; succ y => succ y }\nextern f : Real[3] -o Bool = mlp(4)\ndef g (x : Real[3]) : Bool = f x');
        const { python } = compileDocumentToTorch(document, services);
        expect(python).toMatch(/_C\d+ = \(\[10, 10, 10\], "[0-9a-f]+"\)/);
        expect(python).toContain('"architecture": "mlp", "layers": [4]');
        expect(python).toContain('externs = ("f", )');
        expect(python.split('\n').filter(line => /^\s*(import|from) /.test(line))).toEqual(['import torch']);
    });
});

describe('cajal compile --emit torch, then a real Python', () => {
    it('writes a module that imports only torch, builds declared networks and runs every definition', async () => {
        const { document } = await checkText(fs.readFileSync(path.join(root, 'examples/train/and-even.cajal'), 'utf-8'));
        const architectures = documentArchitectures(document);
        const compiled = spawnSync(process.execPath, [cli, 'compile', path.join(root, 'examples/train/and-even.cajal'), '--emit', 'torch', '-o', work, '--json'], { encoding: 'utf-8', timeout: 120_000 });
        expect(compiled.stderr).toBe('');
        expect(compiled.status).toBe(0);
        expect(JSON.parse(compiled.stdout).files[0]).toMatch(/and_even\.py$/);
        const script = `
import json, torch, and_even as m
torch.manual_seed(0)
nets = m.build_networks(seed=3)
counts = {name: sum(p.numel() for p in net.parameters()) for name, net in nets.items()}
x1, x2 = torch.rand(5, 28, 28), torch.rand(5, 28, 28)
out = m.bothEven(nets)(x1, x2)
u, v = nets["isEven1"](x1.reshape(5, -1)), nets["isEven2"](x2.reshape(5, -1))
church = m.bothEvenChurch(nets)(x1, x2)
c1, c2 = nets["isEvenChurch1"](x1.reshape(5, -1)), nets["isEvenChurch2"](x2.reshape(5, -1))
both = m.and_()(m.encode({"kind": "bool"}, [True, True, False]), m.encode({"kind": "bool"}, [True, False, True]))
pair = {"kind": "product", "left": {"kind": "bool"}, "right": {"kind": "nat", "bound": 3}}
pairs = m.encode(pair, [(True, 2), (False, 0)])
decoded_pairs = m.decode(pair, torch.cat([pairs, torch.zeros(1, 6)]))
out.sum().backward()
print(json.dumps({"counts": counts, "shape": list(out.shape), "out": out.tolist(), "u": u.tolist(), "v": v.tolist(),
  "church": church.tolist(), "c1": c1.reshape(5, 8).tolist(), "c2": c2.reshape(5, 8).tolist(),
  "and": m.decode({"kind": "bool"}, both), "grad": all(p.grad is not None and p.grad.abs().sum() > 0 for name in ("isEven1", "isEven2") for p in nets[name].parameters()),
  "buffers": list(m.and_().state_dict().keys()), "pairs": pairs.tolist(), "decodedPairs": decoded_pairs}))
`;
        const run = spawnSync(TORCH_PYTHON, ['-c', script], { cwd: work, encoding: 'utf-8', timeout: 120_000 });
        expect(run.stderr).toBe('');
        const result = JSON.parse(run.stdout);
        // The parameter counts of the language's formula (which the tfjs networks' tests check too):
        // the networks the definitions call (bothEvenNet is declared but no definition calls it).
        const mlp400 = 784 * 400 + 400 + 400 * 2 + 2;
        const church400 = 784 * 400 + 400 + 400 * 8 + 8;
        expect(result.counts).toEqual({ isEven1: mlp400, isEven2: mlp400, learnedAnd: 4 * 2 + 2, isEvenChurch1: church400, isEvenChurch2: church400 });
        for (const name of ['isEven1', 'isEven2', 'learnedAnd', 'isEvenChurch1', 'isEvenChurch2']) expect(result.counts[name]).toBe(architectures[name].parameters);
        expect(result.shape).toEqual([5, 2]);
        // and on raw outputs (logits) is bilinear: and(u, v) = u_true · v + u_false · (v_true + v_false) · false.
        result.out.forEach((row: number[], i: number) => {
            const [u, v] = [result.u[i], result.v[i]];
            expect(row[0]).toBeCloseTo(u[0] * v[0], 4);
            expect(row[1]).toBeCloseTo(u[0] * v[1] + u[1] * (v[0] + v[1]), 4);
        });
        // The Church variant: each network's 8 outputs are a [4, 2] matrix M (rows: the entries
        // [out, in] of a Bool -o Bool matrix, columns: its Bool argument; true is basis 0).
        // c2 true false = (M2[2i + 1][0])_i, and c1 y false = (Σ_k M1[2i + 1][k] y_k)_i.
        result.church.forEach((row: number[], n: number) => {
            const [m1, m2] = [result.c1[n], result.c2[n]];
            const y = [m2[2 * 1 + 0] /* M2[1][0] */, m2[2 * 3 + 0] /* M2[3][0] */];
            [0, 1].forEach(i => expect(row[i]).toBeCloseTo(m1[2 * (2 * i + 1)] * y[0] + m1[2 * (2 * i + 1) + 1] * y[1], 4));
        });
        expect(result.and).toEqual([true, false, false]);
        expect(result.grad).toBe(true);
        expect(result.buffers).toHaveLength(1);
        // (true, 2) is e_true ⊗ e_2: flat index 0·3 + 2; the zero vector decodes to None.
        expect(result.pairs).toEqual([[0, 0, 1, 0, 0, 0], [0, 0, 0, 1, 0, 0]]);
        expect(result.decodedPairs).toEqual([[true, 2], [false, 0], null]);
    }, 60_000);
});
