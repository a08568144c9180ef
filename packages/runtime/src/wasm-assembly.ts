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

/** The opcodes the hand-assembled kernels use (WebAssembly core 2.0). */
export const Op = {
    BLOCK: 0x02, LOOP: 0x03, IF: 0x04, ELSE: 0x05, END: 0x0b, BR: 0x0c, BR_IF: 0x0d, CALL: 0x10, VOID: 0x40,
    LOCAL_GET: 0x20, LOCAL_SET: 0x21, F32_LOAD: 0x2a, F32_STORE: 0x38, I32_CONST: 0x41, F32_ADD: 0x92,
    I32_EQZ: 0x45, I32_EQ: 0x46, I32_LT_S: 0x48, I32_GT_S: 0x4a, I32_LE_S: 0x4c, I32_GE_S: 0x4e, I32_GE_U: 0x4f,
    I32_ADD: 0x6a, I32_SUB: 0x6b, I32_MUL: 0x6c, I32_DIV_S: 0x6d, I32_REM_S: 0x6f, I32_SHL: 0x74
} as const;

/** SIMD and relaxed-SIMD opcodes, written after the 0xfd prefix (`simd(…)`). */
export const SimdOp = {
    V128_LOAD: 0x00, V128_LOAD32_SPLAT: 0x09, V128_STORE: 0x0b, V128_CONST: 0x0c, I8X16_SHUFFLE: 0x0d,
    F32X4_SPLAT: 0x13, F32X4_EXTRACT_LANE: 0x1f,
    F32X4_SQRT: 0xe3, F32X4_ADD: 0xe4, F32X4_MUL: 0xe6, F32X4_DIV: 0xe7, F32X4_RELAXED_MADD: 0x105
} as const;

/** local.get / local.set of a local (parameters first, then declared locals). */
export const localGet = (local: number): number[] => [Op.LOCAL_GET, ...uleb(local)];
export const localSet = (local: number): number[] => [Op.LOCAL_SET, ...uleb(local)];
/** i32.const value. */
export const i32Const = (value: number): number[] => [Op.I32_CONST, ...sleb(value)];
/** local += step (an i32 expression). */
export const addToLocal = (local: number, step: readonly number[]): number[] => [...localGet(local), ...step, Op.I32_ADD, ...localSet(local)];
/** A memory access's immediate: the alignment exponent, then the offset in bytes. */
export const memarg = (align: number, offset: number): number[] => [...uleb(align), ...uleb(offset)];

/** for (counter = 0; counter < limit; counter++) body — skipped when limit ≤ 0 (limit: an i32 expression). */
export function countedLoop(counter: number, limit: readonly number[], body: readonly number[]): number[] {
    const { BLOCK, LOOP, END, BR_IF, VOID, I32_LE_S, I32_LT_S } = Op;
    return [
        ...i32Const(0), ...localSet(counter),
        BLOCK, VOID, ...limit, ...i32Const(0), I32_LE_S, BR_IF, 0,
        LOOP, VOID, ...body, ...addToLocal(counter, i32Const(1)), ...localGet(counter), ...limit, I32_LT_S, BR_IF, 0, END,
        END
    ];
}
