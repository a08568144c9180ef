/**
 * Just enough to assemble a WebAssembly module of one function by hand: the small SIMD
 * kernels tfjs-WASM lacks (the train package's FusedAdam, wasm-transpose.ts) are a few dozen
 * instructions each, written as bytes, with no toolchain. The module imports the memory it
 * works in as env.memory (tfjs-WASM's own, so tensors are read and written where they are).
 */

// The few WebAssembly APIs used (the project's TypeScript lib has no WebAssembly types).
export interface WasmModule { readonly kind?: 'module' }
export interface WasmMemory { readonly buffer: ArrayBuffer; grow(pages: number): number }
export interface WasmApi {
    validate(bytes: Uint8Array): boolean;
    Module: new (bytes: Uint8Array) => WasmModule;
    Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => { exports: Record<string, unknown> };
    Memory: new (descriptor: { initial: number }) => WasmMemory;
}

/** This JavaScript engine's WebAssembly, or undefined where it has none. */
export function webAssembly(): WasmApi | undefined {
    const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
    return typeof api === 'object' ? api : undefined;
}

/** Value types. */
export const I32 = 0x7f, F32 = 0x7d, V128 = 0x7b;

/** Unsigned LEB128, as the binary format writes sizes and counts. */
export function uleb(value: number): number[] {
    const bytes: number[] = [];
    do {
        let byte = value & 0x7f;
        value >>>= 7;
        if (value !== 0) byte |= 0x80;
        bytes.push(byte);
    } while (value !== 0);
    return bytes;
}

/** Signed LEB128, as the binary format writes i32.const's operand. */
export function sleb(value: number): number[] {
    const bytes: number[] = [];
    for (;;) {
        const byte = value & 0x7f;
        value >>= 7;
        const done = (value === 0 && (byte & 0x40) === 0) || (value === -1 && (byte & 0x40) !== 0);
        bytes.push(done ? byte : byte | 0x80);
        if (done) return bytes;
    }
}

/** A SIMD instruction (prefix 0xfd, then its opcode as LEB128), then its immediates. */
export function simd(op: number, ...immediates: number[]): number[] {
    return [0xfd, ...uleb(op), ...immediates];
}

/** A name (an export's, an import's): its length, then its characters (ASCII here). */
export function wasmName(text: string): number[] {
    return [...uleb(text.length), ...Array.from(text, c => c.charCodeAt(0))];
}

/** A vector of already encoded items: their count, then the items. */
export function wasmVector(items: readonly (readonly number[])[]): number[] {
    return [...uleb(items.length), ...items.flat()];
}

/** A section: its id, its size, its content. */
export function wasmSection(id: number, content: readonly number[]): number[] {
    return [id, ...uleb(content.length), ...content];
}

/** The first eight bytes of every module: the magic number and version 1. */
export const WASM_MODULE_HEADER: readonly number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

/**
 * A module whose one function `name` takes `params` (value types), returns nothing and has
 * `code` as its body: the local declarations, the instructions and the final `end`.
 * It imports env.memory (at least one page).
 */
export function singleFunctionModule(name: string, params: readonly number[], code: readonly number[]): Uint8Array {
    return new Uint8Array([
        ...WASM_MODULE_HEADER,
        ...wasmSection(1, [1, 0x60, ...uleb(params.length), ...params, 0]),
        ...wasmSection(2, [1, ...wasmName('env'), ...wasmName('memory'), 2, 0, 1]),
        ...wasmSection(3, [1, 0]),
        ...wasmSection(7, [1, ...wasmName(name), 0, 0]),
        ...wasmSection(10, [1, ...uleb(code.length), ...code])
    ]);
}
