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

/** A SIMD instruction (prefix 0xfd, then its opcode as LEB128). */
export function simd(op: number): number[] {
    return [0xfd, ...uleb(op)];
}

/**
 * A module whose one function `name` takes `params` (value types), returns nothing and has
 * `code` as its body: the local declarations, the instructions and the final `end`.
 * It imports env.memory (at least one page).
 */
export function singleFunctionModule(name: string, params: readonly number[], code: readonly number[]): Uint8Array {
    const section = (id: number, content: number[]) => [id, ...uleb(content.length), ...content];
    const text = (value: string) => [value.length, ...Array.from(value, c => c.charCodeAt(0))];
    return new Uint8Array([
        0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
        ...section(1, [1, 0x60, ...uleb(params.length), ...params, 0]),
        ...section(2, [1, ...text('env'), ...text('memory'), 2, 0, 1]),
        ...section(3, [1, 0]),
        ...section(7, [1, ...text(name), 0, 0]),
        ...section(10, [1, ...uleb(code.length), ...code])
    ]);
}
