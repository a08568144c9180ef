/**
 * A WebAssembly module multiplying float32 matrices with 128-bit SIMD, generated as bytes by a
 * pure function (no assembler at build time). It works on a memory it imports, so that it can
 * read and write tfjs-backend-wasm's heap in place (wasm-gemm.ts); all pointers are byte
 * offsets into that memory, all strides counts of floats.
 *
 * The layout is the classic one of BLAS libraries: A is packed into blocks of MR = `tileRows`
 * rows, stored column after column (MR floats per k), B into panels of NR = 8 columns, stored row
 * after row (8 floats per k). The micro-kernel keeps an MR × 8 tile of C in 2·MR SIMD registers
 * and, per k, loads two vectors of B, broadcasts MR floats of A and does 2·MR multiply-adds: with
 * `fusedMultiplyAdd`, `f32x4.relaxed_madd` (one FMA instruction where the CPU has FMA3), else
 * `f32x4.mul` then `f32x4.add`.
 *
 * Exports:
 * - `packA(a, rowStride, kStride, m, k, dst)`: A's element (i, p) is at a + 4·(i·rowStride + p·kStride);
 * - `packB(b, kStride, colStride, k, n, dst)`: B's element (p, j) is at b + 4·(p·kStride + j·colStride);
 * - `gemm(packedA, b, c, m, k, n, ldc, bPanelBytes, bRowBytes, accumulate)`: C (row stride ldc) = A · B
 *   (C += A · B when `accumulate` is not 0: the products of k in slices, wasm-gemm.ts) for
 *   a packed A, with B's panel j (columns 8j..8j+7) at b + j·bPanelBytes and its rows bRowBytes
 *   apart: a packed B (8·4·k and 8·4 bytes) or, when n is a multiple of 8, B itself as stored
 *   [k, n] (8·4 and 4·n bytes), which spares packing it; m and n at least 1. Only the rows < m and columns < n of
 *   each tile are stored, so the packing's padding (the last block's rows from m, the last
 *   panel's columns from n) never reaches C.
 */
import {
    I32, Op, SimdOp, V128, WASM_MODULE_HEADER, addToLocal, countedLoop, i32Const, localGet, localSet, memarg, simd, uleb, wasmName, wasmSection, wasmVector
} from './wasm-assembly.js';

export const GEMM_COLUMNS = 8;
export type GemmOptions = {
    /** f32x4.relaxed_madd (needs relaxed SIMD: Node ≥ 22) instead of f32x4.mul then f32x4.add */
    fusedMultiplyAdd: boolean;
    /** rows of the micro-kernel's tile (MR), 2 registers of C each */
    tileRows: number;
    /** k steps per iteration of the micro-kernel's loop */
    unroll: number;
};

// Opcodes (WebAssembly core 2.0, SIMD and relaxed SIMD).
const { BLOCK, LOOP, IF, ELSE, END, BR, BR_IF, CALL, VOID, F32_LOAD, F32_STORE, F32_ADD, I32_EQZ, I32_EQ, I32_LT_S, I32_GT_S, I32_LE_S, I32_GE_S,
    I32_ADD, I32_SUB, I32_MUL, I32_DIV_S, I32_REM_S, I32_SHL } = Op;
const { V128_LOAD, V128_LOAD32_SPLAT, V128_STORE, V128_CONST, I8X16_SHUFFLE, F32X4_EXTRACT_LANE, F32X4_ADD, F32X4_MUL, F32X4_RELAXED_MADD } = SimdOp;
const get = localGet, set = localSet, i32 = i32Const, addTo = addToLocal;

const elementAddress = (base: number[], index: number[]) => [...base, ...index, ...i32(2), I32_SHL, I32_ADD];

/** One function body: its locals beyond the parameters, grouped by type, then the code. */
const body = (locals: [count: number, type: number][], code: number[]) => {
    const content = [...wasmVector(locals.map(([count, type]) => [...uleb(count), type])), ...code, END];
    return [...uleb(content.length), ...content];
};

/** while (condition) body — the condition an i32 expression, checked before each pass */
const whileLoop = (condition: number[], loopBody: number[]) => [
    BLOCK, VOID, LOOP, VOID, ...condition, I32_EQZ, BR_IF, 1, ...loopBody, BR, 0, END, END
];
/** An f32x4 shuffle of two v128 locals: lanes 0–3 from the first, 4–7 from the second. */
const shuffleLanes = (first: number, second: number, lanes: number[]) =>
    [...get(first), ...get(second), ...simd(I8X16_SHUFFLE, ...lanes.flatMap(lane => [4 * lane, 4 * lane + 1, 4 * lane + 2, 4 * lane + 3]))];
/**
 * Transposes a 4 × 4 block of floats: `row(i)` leaves source row i (a v128) on the stack,
 * `store(j, value)` stores column j; v128 locals `scratch`..`scratch + 7` hold the rows and the
 * interleaved pairs (the unpack/move-half pattern engines compile to unpcklps, unpckhps, movlhps).
 */
function transpose4x4(row: (i: number) => number[], store: (j: number, value: number[]) => number[], scratch: number): number[] {
    const r = (i: number) => scratch + i, t = (i: number) => scratch + 4 + i;
    const code: number[] = [];
    for (let i = 0; i < 4; i++) code.push(...row(i), ...set(r(i)));
    code.push(...shuffleLanes(r(0), r(1), [0, 4, 1, 5]), ...set(t(0)), ...shuffleLanes(r(0), r(1), [2, 6, 3, 7]), ...set(t(1)));
    code.push(...shuffleLanes(r(2), r(3), [0, 4, 1, 5]), ...set(t(2)), ...shuffleLanes(r(2), r(3), [2, 6, 3, 7]), ...set(t(3)));
    code.push(...store(0, shuffleLanes(t(0), t(2), [0, 1, 4, 5])), ...store(1, shuffleLanes(t(0), t(2), [2, 3, 6, 7])));
    code.push(...store(2, shuffleLanes(t(1), t(3), [0, 1, 4, 5])), ...store(3, shuffleLanes(t(1), t(3), [2, 3, 6, 7])));
    return code;
}
const storeVector = (address: number[], value: number[], offset = 0) => [...address, ...value, ...simd(V128_STORE, ...memarg(2, offset))];
const loadVector = (address: number[], offset = 0) => [...address, ...simd(V128_LOAD, ...memarg(2, offset))];

/**
 * packA(a, rowStride, kStride, m, k, dst): for each block of MR rows, for each p, the block's
 * MR floats of column p. With 4-row tiles a whole block is copied with vectors: rows stored along
 * k (kStride 1) as 4 × 4 transposes, columns stored along m (rowStride 1, a transposed A) as one
 * vector per p; the rest float by float.
 */
function packABody(tileRows: number): number[] {
    const [a, rowStride, kStride, m, k, dst] = [0, 1, 2, 3, 4, 5];
    const [block, p, r, rows, source] = [6, 7, 8, 9, 10];
    const scratch = 11;
    const rowsInBlock = [...get(m), ...get(block), I32_SUB, ...set(rows), ...get(rows), ...i32(tileRows), I32_GT_S, IF, VOID, ...i32(tileRows), ...set(rows), END];
    const floatByFloat = whileLoop([...get(p), ...get(k), I32_LT_S], [
        ...countedLoop(r, get(rows), [
            ...elementAddress(get(dst), [...get(r)]),
            ...elementAddress(get(a), [...get(block), ...get(r), I32_ADD, ...get(rowStride), I32_MUL, ...get(p), ...get(kStride), I32_MUL, I32_ADD]),
            F32_LOAD, ...memarg(2, 0), F32_STORE, ...memarg(2, 0)
        ]),
        ...addTo(dst, i32(4 * tileRows)), ...addTo(p, i32(1))
    ]);
    const vectors = tileRows !== 4 ? [] : [
        ...get(rows), ...i32(4), I32_EQ, IF, VOID,
        ...get(kStride), ...i32(1), I32_EQ, IF, VOID,
        // source = the block's first row; its rows rowStride floats apart
        ...elementAddress(get(a), [...get(block), ...get(rowStride), I32_MUL]), ...set(source),
        ...whileLoop([...get(p), ...i32(4), I32_ADD, ...get(k), I32_LE_S], [
            ...transpose4x4(
                i => loadVector(elementAddress(get(source), [...get(p), ...(i === 0 ? [] : [...get(rowStride), ...i32(i), I32_MUL, I32_ADD])])),
                (j, value) => storeVector(get(dst), value, 16 * j), scratch),
            ...addTo(dst, i32(64)), ...addTo(p, i32(4))
        ]),
        ELSE,
        ...get(rowStride), ...i32(1), I32_EQ, IF, VOID,
        ...whileLoop([...get(p), ...get(k), I32_LT_S], [
            ...storeVector(get(dst), loadVector(elementAddress(get(a), [...get(block), ...get(p), ...get(kStride), I32_MUL, I32_ADD]))),
            ...addTo(dst, i32(16)), ...addTo(p, i32(1))
        ]),
        END, END, END
    ];
    const code = [
        ...i32(0), ...set(block),
        BLOCK, VOID, ...get(m), ...i32(0), I32_LE_S, BR_IF, 0,
        LOOP, VOID,
        ...rowsInBlock,
        ...i32(0), ...set(p),
        ...vectors,
        ...floatByFloat,
        ...addTo(block, i32(tileRows)), ...get(block), ...get(m), I32_LT_S, BR_IF, 0,
        END, END
    ];
    return body([[5, I32], [8, V128]], code);
}

/**
 * packB(b, kStride, colStride, k, n, dst): for each panel of 8 columns, for each p, the panel's
 * 8 floats of row p. A whole panel is copied with vectors: rows stored along n (colStride 1) as
 * two vectors per p, columns stored along k (kStride 1, a transposed B) as two 4 × 4 transposes
 * per 4 rows; the rest float by float.
 */
function packBBody(): number[] {
    const [b, kStride, colStride, k, n, dst] = [0, 1, 2, 3, 4, 5];
    const [panel, p, c, columns, row] = [6, 7, 8, 9, 10];
    const scratch = 11;
    const columnsInPanel = [...get(n), ...get(panel), I32_SUB, ...set(columns), ...get(columns), ...i32(GEMM_COLUMNS), I32_GT_S, IF, VOID, ...i32(GEMM_COLUMNS), ...set(columns), END];
    const rowsAlongN = [
        ...get(panel), ...set(row), // row = element index of B[p, panel]
        ...whileLoop([...get(p), ...get(k), I32_LT_S], [
            ...storeVector(get(dst), loadVector(elementAddress(get(b), get(row)), 0), 0),
            ...storeVector(get(dst), loadVector(elementAddress(get(b), get(row)), 16), 16),
            ...addTo(row, get(kStride)), ...addTo(dst, i32(4 * GEMM_COLUMNS)), ...addTo(p, i32(1))
        ])
    ];
    // Column panel + c of a transposed B starts at b + 4·(panel + c)·colStride and runs along k.
    const columnsAlongK = whileLoop([...get(p), ...i32(4), I32_ADD, ...get(k), I32_LE_S], [
        ...[0, 1].flatMap(half => transpose4x4(
            i => loadVector(elementAddress(get(b), [...get(panel), ...i32(4 * half + i), I32_ADD, ...get(colStride), I32_MUL, ...get(p), I32_ADD])),
            (j, value) => storeVector(get(dst), value, 32 * j + 16 * half), scratch)),
        ...addTo(dst, i32(4 * 4 * GEMM_COLUMNS)), ...addTo(p, i32(4))
    ]);
    const floatByFloat = whileLoop([...get(p), ...get(k), I32_LT_S], [
        ...countedLoop(c, get(columns), [
            ...elementAddress(get(dst), get(c)),
            ...elementAddress(get(b), [...get(p), ...get(kStride), I32_MUL, ...get(panel), ...get(c), I32_ADD, ...get(colStride), I32_MUL, I32_ADD]),
            F32_LOAD, ...memarg(2, 0), F32_STORE, ...memarg(2, 0)
        ]),
        ...addTo(dst, i32(4 * GEMM_COLUMNS)), ...addTo(p, i32(1))
    ]);
    const code = [
        ...i32(0), ...set(panel),
        BLOCK, VOID, ...get(n), ...i32(0), I32_LE_S, BR_IF, 0,
        LOOP, VOID,
        ...columnsInPanel,
        ...i32(0), ...set(p),
        ...get(columns), ...i32(GEMM_COLUMNS), I32_EQ, IF, VOID,
        ...get(colStride), ...i32(1), I32_EQ, IF, VOID, ...rowsAlongN, END,
        ...get(kStride), ...i32(1), I32_EQ, IF, VOID, ...columnsAlongK, END,
        END,
        ...floatByFloat,
        ...addTo(panel, i32(GEMM_COLUMNS)), ...get(panel), ...get(n), I32_LT_S, BR_IF, 0,
        END, END
    ];
    return body([[5, I32], [8, V128]], code);
}

/**
 * kernel(packedA, b, c, k, ldc, rows, columns, bRowBytes, accumulate): one MR × 8 tile of C;
 * only `rows` × `columns` of it stored, C's values added first when `accumulate` is not 0.
 */
function kernelBody({ fusedMultiplyAdd, tileRows, unroll }: GemmOptions): number[] {
    const [pa, pb, c, k, ldc, rows, columns, bRowBytes, accumulate] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
    const [p, rowAddress] = [9, 10];
    const b0 = 11, b1 = 12, a = 13, acc = (r: number, half: number) => 14 + 2 * r + half;
    const zero = simd(V128_CONST, ...new Array(16).fill(0));
    const madd = (target: number, vectorB: number) => fusedMultiplyAdd
        ? [...get(a), ...get(vectorB), ...get(target), ...simd(F32X4_RELAXED_MADD), ...set(target)]
        : [...get(a), ...get(vectorB), ...simd(F32X4_MUL), ...get(target), ...simd(F32X4_ADD), ...set(target)];
    const step: number[] = [
        ...get(pb), ...simd(V128_LOAD, ...memarg(4, 0)), ...set(b0),
        ...get(pb), ...simd(V128_LOAD, ...memarg(4, 16)), ...set(b1)
    ];
    for (let r = 0; r < tileRows; r++) {
        step.push(...get(pa), ...simd(V128_LOAD32_SPLAT, ...memarg(2, 4 * r)), ...set(a), ...madd(acc(r, 0), b0), ...madd(acc(r, 1), b1));
    }
    step.push(...addTo(pa, i32(4 * tileRows)), ...addTo(pb, get(bRowBytes)));
    const code: number[] = [];
    for (let r = 0; r < tileRows; r++) code.push(...zero, ...set(acc(r, 0)), ...zero, ...set(acc(r, 1)));
    // floor(k / unroll) iterations of `unroll` steps, then the remaining steps one by one
    const unrolled = new Array(unroll).fill(step).flat();
    code.push(...countedLoop(p, unroll > 1 ? [...get(k), ...i32(unroll), I32_DIV_S] : get(k), unrolled));
    if (unroll > 1) code.push(...countedLoop(p, [...get(k), ...i32(unroll), I32_REM_S], step));
    // Store: a full tile with two vector stores per row, a partial one (the right edge) float by float;
    // when accumulating, C's values are added to the tile's first (the same code with a load and an add).
    const fullRow = (r: number, add: boolean) => [0, 1].flatMap(half => [
        ...get(rowAddress), ...get(acc(r, half)),
        ...(add ? [...get(rowAddress), ...simd(V128_LOAD, ...memarg(2, 16 * half)), ...simd(F32X4_ADD)] : []),
        ...simd(V128_STORE, ...memarg(2, 16 * half))
    ]);
    const partialRow = (r: number, add: boolean) => {
        // Only the first `columns` floats of the row belong to C: extract and store them lane by lane.
        const lanes: number[] = [];
        for (let j = 0; j < GEMM_COLUMNS; j++) {
            lanes.push(...get(columns), ...i32(j), I32_GT_S, IF, VOID,
                ...get(rowAddress), ...get(acc(r, j >> 2)), ...simd(F32X4_EXTRACT_LANE, j & 3),
                ...(add ? [...get(rowAddress), F32_LOAD, ...memarg(2, 4 * j), F32_ADD] : []),
                F32_STORE, ...memarg(2, 4 * j), END);
        }
        return lanes;
    };
    const storeTile = (add: boolean) => {
        const stores: number[] = [...get(c), ...set(rowAddress)];
        for (let r = 0; r < tileRows; r++) {
            const store = [
                ...get(columns), ...i32(GEMM_COLUMNS), I32_GE_S, IF, VOID, ...fullRow(r, add), ELSE, ...partialRow(r, add), END,
                ...addTo(rowAddress, [...get(ldc), ...i32(2), I32_SHL])
            ];
            if (r === 0) stores.push(...store);
            else stores.push(...get(rows), ...i32(r), I32_GT_S, IF, VOID, ...store, END);
        }
        return stores;
    };
    code.push(...get(accumulate), IF, VOID, ...storeTile(true), ELSE, ...storeTile(false), END);
    return body([[2, I32], [3 + 2 * tileRows, V128]], code);
}

/** gemm(packedA, b, c, m, k, n, ldc, bPanelBytes, bRowBytes, accumulate): panels of B outside, blocks of A inside. */
function gemmBody(kernelIndex: number, tileRows: number): number[] {
    const [pa, pb, c, m, k, n, ldc, bPanelBytes, bRowBytes, accumulate] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const [panel, block, rows, columns, panelB] = [10, 11, 12, 13, 14];
    const code = [
        ...i32(0), ...set(panel), ...get(pb), ...set(panelB),
        BLOCK, VOID, ...get(n), ...i32(0), I32_LE_S, BR_IF, 0,
        LOOP, VOID,
        ...get(n), ...get(panel), I32_SUB, ...set(columns),
        ...i32(0), ...set(block),
        LOOP, VOID,
        ...get(m), ...get(block), I32_SUB, ...set(rows),
        // packedA + 4·block·k (the block's rows, MR per k), the panel of B, c + 4·(block·ldc + panel)
        ...elementAddress(get(pa), [...get(block), ...get(k), I32_MUL]),
        ...get(panelB),
        ...elementAddress(get(c), [...get(block), ...get(ldc), I32_MUL, ...get(panel), I32_ADD]),
        ...get(k), ...get(ldc), ...get(rows), ...get(columns), ...get(bRowBytes), ...get(accumulate),
        CALL, ...uleb(kernelIndex),
        ...addTo(block, i32(tileRows)), ...get(block), ...get(m), I32_LT_S, BR_IF, 0,
        END,
        ...addTo(panelB, get(bPanelBytes)),
        ...addTo(panel, i32(GEMM_COLUMNS)), ...get(panel), ...get(n), I32_LT_S, BR_IF, 0,
        END, END
    ];
    return body([[5, I32]], code);
}

/** The module's bytes; `fusedMultiplyAdd` needs an engine with relaxed SIMD (Node ≥ 22). */
export function generateGemmModule(options: GemmOptions): Uint8Array {
    const params = (count: number) => [0x60, ...wasmVector(new Array(count).fill([I32])), 0];
    const types = wasmSection(1, wasmVector([params(6), params(9), params(10)]));
    const imports = wasmSection(2, wasmVector([[...wasmName('env'), ...wasmName('memory'), 0x02, 0x00, 0x00]]));
    // functions: 0 packA, 1 packB (type 0), 2 kernel (type 1), 3 gemm (type 2)
    const functions = wasmSection(3, wasmVector([[0], [0], [1], [2]]));
    const exports = wasmSection(7, wasmVector([[...wasmName('packA'), 0x00, 0], [...wasmName('packB'), 0x00, 1], [...wasmName('gemm'), 0x00, 3]]));
    const code = wasmSection(10, wasmVector([packABody(options.tileRows), packBBody(), kernelBody(options), gemmBody(2, options.tileRows)]));
    return new Uint8Array([...WASM_MODULE_HEADER, ...types, ...imports, ...functions, ...exports, ...code]);
}
