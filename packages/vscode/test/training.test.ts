import { describe, expect, it } from 'vitest';
import { jsonForScript } from '../src/html.js';
import { applyTrainEvent, evaluationLogLine, initialTrainingState, maxBatchPoints, niceCeiling, renderLineChart, renderTrainingContent, renderTrainingPage, trainingProgress, trainingViewMessage, type TrainingState } from '../src/training.js';
import { asTrainEvent, type TrainEvent } from '../src/protocol.js';

function run(events: TrainEvent[]): TrainingState {
    return events.reduce(applyTrainEvent, initialTrainingState('t'));
}

describe('training state', () => {
    it('follows start, batches, epochs and done', () => {
        const state = run([
            { event: 'start', train: 'andEven', epochs: 2, examples: 64 },
            { event: 'batch', epoch: 1, batch: 1, batches: 2, loss: 0.7 },
            { event: 'batch', epoch: 1, batch: 2, batches: 2, loss: 0.6 },
            { event: 'epoch', epoch: 1, loss: 0.65, accuracy: 0.5, testLoss: 0.7, testAccuracy: 0.55 },
            { event: 'batch', epoch: 2, batch: 1, batches: 2, loss: 0.4 }
        ]);
        expect(state.name).toBe('andEven');
        expect(state.status).toBe('running');
        expect(state.batchLosses.map(p => p.x)).toEqual([0.5, 1, 1.5]);
        expect(state.epochPoints).toEqual([{ epoch: 1, loss: 0.65, accuracy: 0.5, psnr: null, testLoss: 0.7, testAccuracy: 0.55, testPsnr: null }]);
        expect(trainingProgress(state)).toBeCloseTo(0.75);
        const done = applyTrainEvent(state, { event: 'done', weights: '/w/andEven.json' });
        expect(done.status).toBe('done');
        expect(done.weights).toBe('/w/andEven.json');
        expect(trainingProgress(done)).toBe(1);
    });

    it('takes scheduled evaluation events (evaluate every …) without changing the chart, and logs them', () => {
        const evaluation = asTrainEvent({ event: 'evaluation', step: 10, examples: 640, test: { loss: 0.5, accuracy: 0.75, psnr: null } });
        expect(evaluation?.event).toBe('evaluation');
        expect(asTrainEvent({ event: 'evaluation', step: 'ten' })).toBeUndefined();
        const before = run([{ event: 'start', train: 't', epochs: 1, examples: 64 }, { event: 'batch', epoch: 1, batch: 1, batches: 2, loss: 0.7 }]);
        expect(applyTrainEvent(before, evaluation!)).toEqual(before);
        expect(evaluationLogLine(evaluation as Extract<TrainEvent, { event: 'evaluation' }>)).toBe('step 10 (640 examples): test loss 0.5000  test accuracy 0.7500');
    });

    it('plots 0-based epoch and batch numbers from the origin too', () => {
        const state = run([
            { event: 'start', train: 't', epochs: 1, examples: 4 },
            { event: 'batch', epoch: 0, batch: 0, batches: 4, loss: 1 },
            { event: 'batch', epoch: 0, batch: 3, batches: 4, loss: 1 },
            { event: 'epoch', epoch: 0, loss: 1, accuracy: 0.25 }
        ]);
        expect(state.batchLosses.map(p => p.x)).toEqual([0.25, 1]);
        expect(state.epochPoints[0].epoch).toBe(1);
        expect(state.epochPoints[0].testLoss).toBeNull();
    });

    it('keeps a bounded number of batch points', () => {
        const events: TrainEvent[] = [{ event: 'start', train: 't', epochs: 1, examples: 1 }];
        for (let b = 1; b <= 5000; b++) events.push({ event: 'batch', epoch: 1, batch: b, batches: 5000, loss: 1 / b });
        const state = run(events);
        expect(state.batchLosses.length).toBeLessThanOrEqual(maxBatchPoints);
        expect(state.batchLosses.at(-1)!.x).toBe(1);
    });

    it('records cancellation with and without saved weights, and failures', () => {
        expect(run([{ event: 'cancelled', weights: '/w/e1.json' }])).toMatchObject({ status: 'cancelled', weights: '/w/e1.json' });
        expect(run([{ event: 'cancelled', weights: null }]).weights).toBeNull();
        expect(renderTrainingContent(run([{ event: 'cancelled', weights: null }]))).toContain('No epoch completed; no weights saved.');
        expect(renderTrainingContent(run([{ event: 'error', message: 'data.csv:3: expected 2 columns' }]))).toContain('Failed: data.csv:3: expected 2 columns');
    });
});

describe('training chart HTML for Real-valued models', () => {
    it('charts PSNR instead of accuracy when the model has no accuracy', () => {
        const state = run([
            { event: 'start', train: 'dilate', epochs: 2, examples: 10, backend: 'wasm' },
            { event: 'epoch', epoch: 1, loss: 0.2, accuracy: null, psnr: 12.5, testLoss: 0.3, testAccuracy: null, testPsnr: 11 },
            { event: 'done', weights: null }
        ]);
        const html = renderTrainingContent(state);
        expect(html).toContain('<figcaption>PSNR (dB)</figcaption>');
        expect(html).not.toContain('<figcaption>Accuracy</figcaption>');
        expect(html).toContain('loss 0.2000, PSNR 12.50 dB');
        expect(html).toContain('No weights were saved.');
        expect(html).toContain('10 examples on wasm');
    });
});

describe('training chart HTML', () => {
    const state = run([
        { event: 'start', train: 'andEven', epochs: 4, examples: 64 },
        { event: 'epoch', epoch: 1, loss: 1, accuracy: 0.5, testLoss: 1.2, testAccuracy: 0.4 },
        { event: 'epoch', epoch: 2, loss: 0.5, accuracy: 1, testLoss: 0.6, testAccuracy: 0.8 }
    ]);

    it('draws loss and accuracy series scaled into the chart', () => {
        const html = renderTrainingContent(state);
        // Loss axis runs to the round value above the largest loss (1.2 → 2); the x axis to the declared 4 epochs.
        // Plot area: x from 48 to 548 (500 px), y from 12 to 192 (180 px).
        const trainLoss = html.match(/<figcaption>Loss<\/figcaption>.*?<path class="series train" d="([^"]+)"/s)![1];
        expect(trainLoss).toBe(`M173.0,${(12 + 180 - (1 / 2) * 180).toFixed(1)} L298.0,${(12 + 180 - (0.5 / 2) * 180).toFixed(1)}`);
        const accuracy = html.match(/<figcaption>Accuracy<\/figcaption>.*?<path class="series train" d="([^"]+)"/s)![1];
        expect(accuracy).toBe('M173.0,102.0 L298.0,12.0');
        expect(html).toContain('Training: 2 of 4 epochs done — epoch 2: loss 0.5000, accuracy 100.0%');
    });

    it('embeds the state so a reloaded view shows the chart, and cannot be broken out of', () => {
        const hostile = { ...state, name: '</script><script>alert(1)</script>' };
        const page = renderTrainingPage(trainingViewMessage(hostile, true, 7), { nonce: 'n0nce', cspSource: 'x:' });
        expect(page.match(/<script nonce=/g)).toHaveLength(1);
        expect(page).not.toContain('</script><script>alert(1)');
        const json = page.match(/<script type="application\/json" id="initial-state">(.*?)<\/script>/s)![1];
        const parsed = JSON.parse(json);
        expect(parsed.sequence).toBe(7);
        expect(parsed.state.name).toBe(hostile.name);
        expect(jsonForScript('</script>')).toBe('"\\u003c/script>"');
    });
});

describe('chart axes', () => {
    const ticks = (svg: string) => [...svg.matchAll(/<text class="tick[^"]*"[^>]*>([^<]*)<\/text>/g)].map(m => m[1]);

    it('round the top of the y axis up to 1, 2 or 5 × 10^k', () => {
        expect([0.73, 3.2, 0.0123, 10, 0].map(niceCeiling)).toEqual([1, 5, 0.02, 10, 1]);
    });

    it('show 0 … 1 before any point (no 1e-9 while starting), and whole epochs, named', () => {
        expect(ticks(renderLineChart('Loss', [], { xMax: 1 }))).toEqual(['0', '0.5', '1', '0', '1', 'epochs']);
        const chart = renderLineChart('Loss', [{ label: 'loss', cssClass: 'train', points: [{ x: 1, y: 0.73 }, { x: 40, y: 0.2 }], markers: true }], { xMax: 40 });
        expect(ticks(chart)).toEqual(['0', '0.5', '1', '0', '20', '40', 'epochs']);
    });
});
