// The learned neuron in the editor against the real CLI: a real training of the type-variant
// AND, then `cajal inspect --json` through LearnedNeurons (as the extension runs it), its
// hover text and its view.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LearnedNeurons, learnedHoverMarkdown, parseInspectResult, renderLearnedNeuronContent, savedWeightsOf, type LearnedNeuron } from '../src/learned.js';

const cajalBin = path.resolve(__dirname, '../../cli/bin/cajal.js');

const source = `def and (x : Bool) (y : Bool) : Bool = if x then y else if y then false else false
extern learnedAnd : Bool * Bool -o Bool = linear
train typeAnd {
  data "pairs.jsonl" (a : Bool, b : Bool);
  model learnedAnd (a, b);
  target and a b;
  loss cross_entropy; optimizer adam; lr 0.1; epochs 10; batch 8; seed 1; examples 200; test 40;
}
`;

describe('LearnedNeurons (real cajal train and cajal inspect)', () => {
    it('reads a trained extern back as the nearest program, once per version of the weights', async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-vscode-learned-'));
        const file = path.join(dir, 'and.cajal');
        fs.writeFileSync(file, source);
        fs.writeFileSync(path.join(dir, 'pairs.jsonl'), Array.from({ length: 200 }, (_, i) => JSON.stringify({ a: i % 2 === 0, b: (i >> 1) % 2 === 0 })).join('\n') + '\n');
        const neurons = new LearnedNeurons({ nodePath: process.execPath, cliPath: cajalBin, env: {} });
        expect(savedWeightsOf(file, 'learnedAnd')).toBeUndefined();
        expect(neurons.get(file, 'learnedAnd')).toBeUndefined();

        execFileSync(process.execPath, [cajalBin, 'train', 'and.cajal'], { cwd: dir, stdio: 'pipe' });
        const answer = neurons.get(file, 'learnedAnd');
        expect(answer).toBeDefined();
        expect(neurons.get(file, 'learnedAnd')).toBe(answer); // cached
        const learned = await answer! as LearnedNeuron;
        expect(learned).toMatchObject({ extern: 'learnedAnd', type: 'Bool * Bool -o Bool', shape: [2, 4], epoch: 10 });
        expect(learned.nearest!.source).toContain('let (x, y) = p in if x then y else if y then false else false');
        expect(learned.nearest!.distance.agreeing).toBe(4);

        const hover = learnedHoverMarkdown(learned);
        expect(hover).toMatch(/^\*\*Learned neuron\*\* \[2, 4\], trained 10 epochs: max \|Δ\| 0\.0\d+, ‖Δ‖ 0\.0\d+; same most likely output on 4\/4 inputs from the nearest program:/);
        const view = renderLearnedNeuronContent(learned);
        expect(view.match(/<table class="heatmap"/g)).toHaveLength(2);
        expect(view).toContain('<td class="cell" style="background-color:rgba(220, 50, 47, 1)" title="true ← (true, true): 1">1</td>');

        // New weights (a later training): asked again.
        const manifest = path.join(dir, 'and.weights', 'typeAnd', 'weights.json');
        const later = new Date(Date.now() + 5000);
        fs.utimesSync(manifest, later, later);
        expect(neurons.get(file, 'learnedAnd')).not.toBe(answer);
    }, 90_000);

    it('refuses output that is not an inspect result', () => {
        expect(() => parseInspectResult('hello')).toThrow(/not JSON/);
        expect(() => parseInspectResult('{"extern":"f","type":"Bool -o Bool","shape":[2,2],"matrix":[1],"rows":[],"columns":[]}')).toThrow(/without extern\/type\/shape\/matrix/);
        expect(learnedHoverMarkdown({ error: "the weights were trained for 'f : Bool -o Bool'" })).toBe("**Learned neuron**: the weights were trained for 'f : Bool -o Bool'");
    });
});
