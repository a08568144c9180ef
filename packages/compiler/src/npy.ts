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

/** Reads a float32 little-endian C-order `.npy` file (the kind encodeNpy writes). */
export function decodeNpy(bytes: Uint8Array): { shape: number[]; data: Float32Array } {
    if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) throw new Error('not a .npy file (bad magic)');
    const major = bytes[6];
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerLength = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
    const headerStart = major === 1 ? 10 : 12;
    const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
    if (!/'descr':\s*'<f4'/.test(header)) throw new Error(`only little-endian float32 .npy files are supported, header: ${header.trim()}`);
    if (/'fortran_order':\s*True/.test(header)) throw new Error('Fortran-order .npy files are not supported');
    const shapeMatch = /'shape':\s*\(([^)]*)\)/.exec(header);
    if (!shapeMatch) throw new Error(`.npy header has no shape: ${header.trim()}`);
    const shape = shapeMatch[1].split(',').map(s => s.trim()).filter(s => s.length > 0).map(Number);
    const size = shape.reduce((a, b) => a * b, 1);
    const dataStart = headerStart + headerLength;
    if (bytes.length - dataStart < size * 4) throw new Error(`.npy file is truncated: shape [${shape.join(', ')}] needs ${size * 4} bytes of data`);
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = view.getFloat32(dataStart + i * 4, true);
    return { shape, data };
}
