import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { RealT, Bool, natOf } from '@cajal/language';
import { DataError, loadData, type DataRequest, type FieldRequest } from '@cajal/train';
import { runCli, temporaryDirectory } from './helpers.js';

const X2 = { name: 'x', type: new RealT([2]) };
const LABEL = { name: 'y', type: Bool };

function load(directory: string, file: string, fields: FieldRequest[] = [X2, LABEL]) {
    const request: DataRequest = { file, baseDirectory: directory, groups: [fields] };
    return loadData(request, { seed: 0 });
}

function npy(shape: number[], values: number[], descr = '<f4'): Buffer {
    let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}${shape.length === 1 ? ',' : ''}), }`;
    const total = 10 + header.length + 1;
    header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
    const head = Buffer.alloc(10);
    Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(head);
    head.writeUInt16LE(header.length, 8);
    const data = descr === '<f4' ? Buffer.from(new Float32Array(values).buffer) : Buffer.from(new Uint8Array(values).buffer);
    return Buffer.concat([head, Buffer.from(header, 'latin1'), data]);
}

describe('data files are validated against the declared fields', () => {
    it('reads good JSON lines, CSV and .npy files alike', () => {
        const directory = temporaryDirectory();
        fs.writeFileSync(path.join(directory, 'a.jsonl'), '{"x": [1, 2], "y": true}\n{"x": [3, 4], "y": false}\n{"x": [5, 6], "y": true}\n');
        fs.writeFileSync(path.join(directory, 'a.csv'), 'x_0,x_1,y\n1,2,true\n3,4,false\n5,6,1\n');
        fs.writeFileSync(path.join(directory, 'a_x.npy'), npy([3, 2], [1, 2, 3, 4, 5, 6]));
        fs.writeFileSync(path.join(directory, 'a_y.npy'), npy([3], [1, 0, 1], '|b1'));
        for (const file of ['a.jsonl', 'a.csv', 'a_{field}.npy']) {
            const data = load(directory, file);
            expect(data.train.size + data.test.size).toBe(3);
            const all = [...data.train.fields.get('x')!.data, ...data.test.fields.get('x')!.data].sort((p, q) => p - q);
            expect(all).toEqual([1, 2, 3, 4, 5, 6]);
            // Bool one-hot: true = [1, 0]; two of three rows are true.
            const labels = [...data.train.fields.get('y')!.data, ...data.test.fields.get('y')!.data];
            expect(labels.filter((v, i) => i % 2 === 0 && v === 1)).toHaveLength(2);
        }
    });

    it('names the field, the row and the shapes when a JSON line has the wrong shape', () => {
        const directory = temporaryDirectory();
        fs.writeFileSync(path.join(directory, 'bad.jsonl'), '{"x": [1, 2], "y": true}\n{"x": [1, 2, 3], "y": false}\n');
        expect(() => load(directory, 'bad.jsonl')).toThrow(DataError);
        expect(() => load(directory, 'bad.jsonl')).toThrow("bad.jsonl, line 2: field 'x': expected Real[2] (shape [2]), got shape [3].");
    });

    it('reports missing fields, wrong Bool/Nat values and invalid JSON with their line', () => {
        const directory = temporaryDirectory();
        fs.writeFileSync(path.join(directory, 'missing.jsonl'), '{"x": [1, 2]}\n');
        expect(() => load(directory, 'missing.jsonl')).toThrow("missing.jsonl, line 1: field 'y' is missing (the row has 1 other field).");
        fs.writeFileSync(path.join(directory, 'nat.jsonl'), '{"x": [1, 2], "y": 3}\n{"x": [1, 2], "y": 12}\n');
        expect(() => load(directory, 'nat.jsonl', [X2, { name: 'y', type: natOf(10) }])).toThrow("nat.jsonl, line 2: field 'y': expected a Nat (a whole number 0 … 9), got 12.");
        fs.writeFileSync(path.join(directory, 'broken.jsonl'), '{"x": [1, 2], "y": true}\n{"x": [1, 2\n');
        expect(() => load(directory, 'broken.jsonl')).toThrow(/^broken\.jsonl, line 2: not valid JSON/);
        expect(() => load(directory, 'absent.jsonl')).toThrow(/data file 'absent\.jsonl' not found/);
    });

    it('reports CSV problems with the line and the column', () => {
        const directory = temporaryDirectory();
        fs.writeFileSync(path.join(directory, 'short.csv'), 'x,y\n1 2,true\n1 2 3,false\n');
        expect(() => load(directory, 'short.csv')).toThrow("short.csv, line 3: field 'x': expected Real[2] (shape [2], 2 numbers), got 3 numbers (shape [3]).");
        fs.writeFileSync(path.join(directory, 'nocol.csv'), 'a,y\n1,true\n');
        expect(() => load(directory, 'nocol.csv')).toThrow("nocol.csv: no column 'x' in the header (line 1, 2 columns).");
        fs.writeFileSync(path.join(directory, 'nan.csv'), 'x_0,x_1,y\n1,oops,true\n');
        expect(() => load(directory, 'nan.csv')).toThrow("nan.csv, line 2: field 'x': 'oops' is not a number.");
        fs.writeFileSync(path.join(directory, 'bool.csv'), 'x_0,x_1,y\n1,2,maybe\n');
        expect(() => load(directory, 'bool.csv')).toThrow("bool.csv, line 2: field 'y': expected a Bool (true or false), got \"maybe\".");
    });

    it('refuses values beyond float32 (finite in float64, ±Infinity in training) with their line', () => {
        const directory = temporaryDirectory();
        fs.writeFileSync(path.join(directory, 'huge.csv'), 'x_0,x_1,y\n1,2,true\n3,1e300,false\n');
        expect(() => load(directory, 'huge.csv')).toThrow("huge.csv, line 3: field 'x': 1e+300 at position 1 is outside the float32 range (about ±3.4e38), which training computes in.");
        fs.writeFileSync(path.join(directory, 'huge.jsonl'), '{"x": [1, 2], "y": true}\n{"x": [-4e38, 0], "y": true}\n');
        expect(() => load(directory, 'huge.jsonl')).toThrow("huge.jsonl, line 2: field 'x': -4e+38 at position 0 is outside the float32 range");
        // The largest float32 itself is fine.
        fs.writeFileSync(path.join(directory, 'max.jsonl'), '{"x": [3.4028234663852886e38, 0], "y": true}\n{"x": [1, 2], "y": false}\n');
        expect(load(directory, 'max.jsonl').train.size + load(directory, 'max.jsonl').test.size).toBe(2);
    });

    it('locates problems without echoing the file\'s content (a data path may name any file)', () => {
        const directory = temporaryDirectory();
        fs.writeFileSync(path.join(directory, 'secret.jsonl'), '{"x": [1, 2], "y": true}\n{"x": [1, 2], "token": "hunter2", "y": hunter2}\n');
        expect(() => load(directory, 'secret.jsonl')).toThrow(/^secret\.jsonl, line 2: not valid JSON \(Unexpected token 'h'\)\.$/);
        fs.writeFileSync(path.join(directory, 'secret.json'), '[\n{"x": [1, 2], "y": true},\n{"password": "hunter2"\n');
        expect(() => load(directory, 'secret.json')).toThrow(/^secret\.json: not valid JSON: .* at line 4, column 1\.$/);
        fs.writeFileSync(path.join(directory, 'keys.jsonl'), '{"password": "hunter2", "y": true}\n');
        fs.writeFileSync(path.join(directory, 'keys.csv'), 'password,hunter2\n1,2\n');
        for (const file of ['secret.jsonl', 'secret.json', 'keys.jsonl', 'keys.csv']) {
            let message = '';
            try { load(directory, file); } catch (error) { message = (error as Error).message; }
            expect(message).toMatch(/^(secret|keys)\./);
            expect(message).not.toMatch(/hunter2|password/);
        }
    });

    it('reports .npy arrays of the wrong shape', () => {
        const directory = temporaryDirectory();
        fs.writeFileSync(path.join(directory, 'p_x.npy'), npy([2, 3], [1, 2, 3, 4, 5, 6]));
        fs.writeFileSync(path.join(directory, 'p_y.npy'), npy([2], [1, 0], '|b1'));
        expect(() => load(directory, 'p_{field}.npy')).toThrow("p_x.npy: field 'x' should be Real[2] (each row of shape [2]), but the array has shape [2, 3] (rows of shape [3]).");
        fs.writeFileSync(path.join(directory, 'q_x.npy'), npy([2, 2], [1, 2, 3, 4]));
        fs.writeFileSync(path.join(directory, 'q_y.npy'), npy([3], [1, 0, 1], '|b1'));
        expect(() => load(directory, 'q_{field}.npy')).toThrow("q_y.npy: field 'y' has 3 rows, but q_x.npy has 2.");
    });

    it('cajal train prints the data error with the file and train block, exit code 1', async () => {
        const directory = temporaryDirectory();
        fs.writeFileSync(path.join(directory, 'bad.jsonl'), '{"x": [1, 2], "y": true}\n{"x": [[1], [2]], "y": false}\n');
        fs.writeFileSync(path.join(directory, 'm.cajal'), `extern f : Real[2] -o Bool = mlp(4)
train t { data "bad.jsonl" (x : Real[2], y : Bool); model f x; target y; }
`);
        const result = await runCli(['train', 'm.cajal'], directory);
        expect(result.code).toBe(1);
        expect(result.stderr).toContain("cajal train: m.cajal: train t: bad.jsonl, line 2: field 'x': expected Real[2] (shape [2]), got shape [2, 1].");
    });
});
