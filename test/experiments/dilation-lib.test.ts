/**
 * The recurrent experiments' measure (experiments/dilation-lib.mjs): per-image PSNR with the
 * data range from the target, as the authors compute it, on known pairs; its summaries (mean,
 * median, per digit); the trivial predictors; the figures.
 */
import { describe, expect, it } from 'vitest';
import * as lib from '../../experiments/dilation-lib.mjs';

describe('PSNR as the authors define it', () => {
    it('is 10·log10(range² / MSE) per image, the range from the target', () => {
        // Target range 1, one pixel of four wrong by 1: MSE 1/4, PSNR 10·log10(4) = 6.0206 dB.
        const first = lib.psnrPerImage([0, 1, 0, 0], [0, 1, 0, 1], 4);
        expect(first[0]).toBeCloseTo(10 * Math.log10(4), 10);
        // Target range 2 (−1…1), all-zero prediction: MSE 1, PSNR 10·log10(4) again.
        const second = lib.psnrPerImage([0, 0, 0, 0], [-1, 1, -1, 1], 4);
        expect(second[0]).toBeCloseTo(10 * Math.log10(4), 10);
        // Target range 0.5, error 0.05 everywhere: 10·log10(0.25 / 0.0025) = 20 dB.
        const third = lib.psnrPerImage([0.05, 0.55], [0, 0.5], 2);
        expect(third[0]).toBeCloseTo(20, 6);
    });

    it('measures each image on its own, in order', () => {
        const values = lib.psnrPerImage([0, 1, 0, 0, /* second image */ 0.05, 0.55, 0.05, 0.55], [0, 1, 0, 1, 0, 0.5, 0, 0.5], 4);
        expect(values).toHaveLength(2);
        expect(values[0]).toBeCloseTo(6.0206, 3);
        expect(values[1]).toBeCloseTo(20, 6);
    });

    it('does not see an affine rescaling of prediction and target together (0…1 vs the authors\' −1…1)', () => {
        const prediction = [0.1, 0.8, 0.3, 0.0, 0.95, 0.2];
        const target = [0, 1, 0.25, 0.1, 0.9, 0.3];
        const scaled = (xs: number[]) => xs.map(x => 2 * x - 1);
        expect(lib.psnrPerImage(scaled(prediction), scaled(target), 6)[0]).toBeCloseTo(lib.psnrPerImage(prediction, target, 6)[0], 9);
    });

    it('caps an exact prediction at 100 dB and reads a constant target with range 1', () => {
        expect(lib.psnrPerImage([0.3, 0.7], [0.3, 0.7], 2)[0]).toBe(lib.PSNR_CAP);
        expect(lib.PSNR_CAP).toBe(100);
        // Constant target 0.5, prediction off by 0.1: MSE 0.01, range 1 → 20 dB.
        expect(lib.psnrPerImage([0.6, 0.4], [0.5, 0.5], 2)[0]).toBeCloseTo(20, 6);
    });

    it('refuses mismatched sizes', () => {
        expect(() => lib.psnrPerImage([0, 1, 2], [0, 1], 2)).toThrow(/3 predicted and 2 target/);
        expect(() => lib.psnrPerImage([0, 1, 2], [0, 1, 2], 2)).toThrow();
    });
});

describe('summaries', () => {
    it('gives mean, median and per-digit mean and median', () => {
        const values = [10, 20, 30, 100, 5];
        const labels = [1, 1, 3, 0, 3];
        const summary = lib.summarize(values, labels);
        expect(summary.mean).toBeCloseTo(33, 10);
        expect(summary.median).toBe(20);
        expect(summary.digits[0]).toEqual({ digit: 0, count: 1, mean: 100, median: 100 });
        expect(summary.digits[1]).toEqual({ digit: 1, count: 2, mean: 15, median: 15 });
        expect(summary.digits[3]).toEqual({ digit: 3, count: 2, mean: 17.5, median: 17.5 });
        expect(summary.digits[2].count).toBe(0);
        expect(Number.isNaN(summary.digits[2].mean)).toBe(true);
    });

    it('shows what the mean hides: capped exact images lift the mean, not the median', () => {
        // The identity predictor on a task whose digit-0 targets are the input itself.
        const target = [0, 1, 0, 1, /**/ 0, 1, 1, 1, /**/ 0, 1, 1, 1];
        const input = [0, 1, 0, 1, /**/ 0, 1, 0, 0, /**/ 0, 0, 0, 1];
        const { identity, background } = lib.trivialPredictions(Float32Array.from(input));
        expect(Array.from(identity)).toEqual(input);
        expect(Array.from(background)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        const summary = lib.summarize(lib.psnrPerImage(identity, target, 4), [0, 3, 3]);
        expect(summary.mean).toBeCloseTo((100 + 2 * 10 * Math.log10(2)) / 3, 6);
        expect(summary.median).toBeCloseTo(10 * Math.log10(2), 6);
    });
});

describe('figures', () => {
    it('draws PSNR against steps, one line per seed, with the trivial predictors', () => {
        const runs = [1, 2].flatMap(seed => ['linked', 'baseline'].map(model => ({ model, seed, evaluations: [{ step: 0, mean: 5, median: 4 }, { step: 20, mean: 9 + seed, median: 7 }] })));
        const svg = lib.psnrFigures({ task: 'dilation', runs, trivial: { identity: { mean: 17.2, median: 3.1 }, background: { mean: 4, median: 3.5 } } });
        expect(svg.startsWith('<svg')).toBe(true);
        expect(svg).toContain('identity (input unchanged): 17.2 dB');
        expect(svg).toContain('identity (input unchanged): 3.1 dB');
        // 2 panels × (4 runs + 2 reference lines).
        expect((svg.match(/<polyline/g) ?? []).length).toBe(12);
    });

    it('draws sample images as grey pixels, one row per example', () => {
        const image = new Float32Array(4).fill(0.5);
        const svg = lib.imagesFigure({ title: 'samples', columns: ['input', 'target'], rows: [{ label: 'digit 1', images: [image, Float32Array.from([0, 1, 2, -1])] }], side: 2 });
        // Each image a black square; per grey one path of each row's runs of it.
        expect((svg.match(/fill="black"/g) ?? []).length).toBe(2);
        expect(svg).toContain('<path fill="rgb(136,136,136)" d="M0 0h2v1h-2zM0 1h2v1h-2z"/>');
        // Clipped to 0…1: 2 is white, −1 black (not drawn on the black square).
        expect(svg).toContain('<path fill="rgb(255,255,255)" d="M1 0h1v1h-1zM0 1h1v1h-1z"/>');
        expect((svg.match(/<path/g) ?? []).length).toBe(2);
    });
});
