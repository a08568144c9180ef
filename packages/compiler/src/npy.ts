/**
 * NumPy `.npy` files (format version 1.0) in plain TypeScript, so PyTorch/NumPy users can
 * load compiled neurons with `numpy.load`: float32, little-endian, C (row-major) order.
 */

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Encodes a row-major float32 array of the given shape as the bytes of a `.npy` file. */
export function encodeNpy(data: ArrayLike<number>, shape: readonly number[]): Uint8Array {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length) throw new Error(`encodeNpy: shape [${shape.join(', ')}] needs ${size} values, got ${data.length}`);
    const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
    let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeText}, }`;
    // Magic (6) + version (2) + header length (2) + header, padded with spaces and ended
    // by a newline so the data starts on a 64-byte boundary.
    const unpadded = 10 + header.length + 1;
    header += ' '.repeat((64 - (unpadded % 64)) % 64) + '\n';
    const headerBytes = new TextEncoder().encode(header);
    const bytes = new Uint8Array(10 + headerBytes.length + size * 4);
    bytes.set(MAGIC, 0);
    bytes[6] = 1; // major version
    bytes[7] = 0; // minor version
    new DataView(bytes.buffer).setUint16(8, headerBytes.length, true);
    bytes.set(headerBytes, 10);
    const view = new DataView(bytes.buffer, 10 + headerBytes.length);
    for (let i = 0; i < size; i++) view.setFloat32(i * 4, data[i], true);
    return bytes;
}

/** A file that is not a `.npy` array this reader supports; the message says why (without the file's name). */
export class NpyFormatError extends Error {
    override readonly name = 'NpyFormatError';
}

/** A parsed `.npy` array (version 1–3, little-endian or single-byte types, C order). */
export interface NpyArray {
    readonly shape: number[];
    readonly dtype: string;
    readonly data: Float64Array;
}

/** Reads the values of each supported dtype, with its width in bytes. */
function npyReaders(view: DataView): Record<string, [number, (offset: number) => number]> {
    return {
        '<f4': [4, o => view.getFloat32(o, true)], '<f8': [8, o => view.getFloat64(o, true)],
        '<i1': [1, o => view.getInt8(o)], '|i1': [1, o => view.getInt8(o)], '|u1': [1, o => view.getUint8(o)], '<u1': [1, o => view.getUint8(o)],
        '<i2': [2, o => view.getInt16(o, true)], '<u2': [2, o => view.getUint16(o, true)],
        '<i4': [4, o => view.getInt32(o, true)], '<u4': [4, o => view.getUint32(o, true)],
        '<i8': [8, o => Number(view.getBigInt64(o, true))], '<u8': [8, o => Number(view.getBigUint64(o, true))],
        '|b1': [1, o => view.getUint8(o)]
    };
}

/** Reads a `.npy` file of any little-endian numeric or boolean dtype, in C order, as float64 values. */
export function parseNpy(bytes: Uint8Array): NpyArray {
    if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new NpyFormatError('not a NumPy .npy file (bad magic number).');
    const major = bytes[6];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
    const headerStart = major === 1 ? 10 : 12;
    const header = new TextDecoder('latin1').decode(bytes.subarray(headerStart, headerStart + headerLength));
    const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
    const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
    const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
    if (!descr || !fortran || shapeText === undefined) throw new NpyFormatError(`cannot read the .npy header ${JSON.stringify(header.trim())}.`);
    if (fortran === 'True') throw new NpyFormatError('Fortran-ordered arrays are not supported; save with numpy.ascontiguousarray.');
    const dims = shapeText.split(',').map(s => s.trim()).filter(s => s !== '').map(Number);
    const count = dims.reduce((a, b) => a * b, 1);
    const offset = headerStart + headerLength;
    const reader = npyReaders(view)[descr];
    if (!reader) throw new NpyFormatError(`unsupported dtype '${descr}' (use float32/float64, integers or bool, little-endian).`);
    const [width, read] = reader;
    if (bytes.length < offset + count * width) {
        throw new NpyFormatError(`the file is truncated (shape [${dims.join(', ')}] needs ${count * width} bytes of data, found ${bytes.length - offset}).`);
    }
    const data = new Float64Array(count);
    for (let i = 0; i < count; i++) data[i] = read(offset + i * width);
    return { shape: dims, dtype: descr, data };
}

/** Reads a float32 little-endian C-order `.npy` file (the kind encodeNpy writes). */
export function decodeNpy(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
    const array = parseNpy(bytes);
    if (array.dtype !== '<f4') throw new NpyFormatError(`only little-endian float32 .npy files are supported, got dtype '${array.dtype}'.`);
    return { shape: array.shape, data: Float32Array.from(array.data) };
}
