/**
 * Backend selection. Under Node, tfjs's WASM backend (XNNPACK, SIMD) is far faster than
 * the pure-JS CPU backend, so 'auto' prefers it and falls back to CPU, saying why.
 */
import * as tf from '@tensorflow/tfjs';
import { createRequire } from 'node:module';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { useSharedIdentityOnWasm } from './wasm-identity.js';
import { useTransposeFreeMatMulOnWasm } from './wasm-kernels.js';
import { useBlockTransposeOnWasm } from './wasm-transpose.js';

export type BackendName = 'wasm' | 'cpu';
export type BackendPreference = 'auto' | BackendName;

export interface BackendChoice {
    backend: BackendName;
    /** Why this backend was chosen, e.g. the reason WASM could not be used. */
    reason: string;
}

export interface BackendOptions {
    /**
     * Directory holding tfjs-backend-wasm's `.wasm` binaries. Defaults to the
     * `CAJAL_WASM_DIR` environment variable, else the installed package's `dist/` directory.
     * Only the first WASM initialisation uses it.
     */
    wasmDirectory?: string;
}

/** The outcome of the one attempt to start the WASM backend: kept so later calls are cheap and consistent. */
let wasmAttempt: Promise<{ ok: true } | { ok: false; reason: string }> | undefined;

/** Selects and initialises a tfjs backend. Safe to call repeatedly; switching preference switches backend. */
export async function initBackend(preference: BackendPreference = 'auto', options: BackendOptions = {}): Promise<BackendChoice> {
    if (preference !== 'auto' && preference !== 'wasm' && preference !== 'cpu') {
        throw new Error(`unknown backend '${String(preference)}': expected auto, wasm or cpu`);
    }
    if (preference === 'cpu') {
        await useCpu();
        return { backend: 'cpu', reason: 'requested' };
    }
    wasmAttempt ??= startWasm(options.wasmDirectory);
    const attempt = await wasmAttempt;
    if (attempt.ok) {
        if (tf.getBackend() !== 'wasm' && !(await tf.setBackend('wasm'))) {
            throw new Error('the WASM backend initialised once but could not be selected again');
        }
        return { backend: 'wasm', reason: preference === 'wasm' ? 'requested' : 'auto: WASM initialised' };
    }
    if (preference === 'wasm') {
        throw new Error(`the WASM backend could not be initialised: ${attempt.reason}`);
    }
    await useCpu();
    return { backend: 'cpu', reason: `auto: WASM unavailable (${attempt.reason}); using CPU` };
}

/** The backend tfjs is using now, or undefined when it is neither of ours. */
export function currentBackend(): BackendName | undefined {
    const name = tf.getBackend();
    return name === 'wasm' || name === 'cpu' ? name : undefined;
}

async function useCpu(): Promise<void> {
    if (tf.getBackend() !== 'cpu' && !(await tf.setBackend('cpu'))) {
        throw new Error('the CPU backend could not be initialised');
    }
    // The CPU backend prints a banner recommending tfjs-node on first use; we chose it
    // knowingly, and the banner would clutter every CLI run's stderr.
    const cpu = tf.findBackend('cpu') as unknown as { firstUse?: boolean } | null;
    if (cpu && 'firstUse' in cpu) cpu.firstUse = false;
}

async function startWasm(wasmDirectory: string | undefined): Promise<{ ok: true } | { ok: false; reason: string }> {
    if (typeof (globalThis as { WebAssembly?: unknown }).WebAssembly !== 'object') return { ok: false, reason: 'WebAssembly is not available in this JavaScript engine' };
    let wasmModule: typeof import('@tensorflow/tfjs-backend-wasm');
    try {
        wasmModule = await import('@tensorflow/tfjs-backend-wasm');
    } catch (error) {
        return { ok: false, reason: `@tensorflow/tfjs-backend-wasm could not be loaded: ${messageOf(error)}` };
    }
    let directory: string;
    try {
        // CAJAL_WASM_DIR: bundles (the VS Code extension's CLI) ship the binaries beside themselves.
        directory = wasmDirectory ?? process.env.CAJAL_WASM_DIR
            ?? path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm'));
    } catch (error) {
        return { ok: false, reason: `could not locate @tensorflow/tfjs-backend-wasm: ${messageOf(error)}` };
    }
    // Under Node the Emscripten loader reads the binary with fs, so a directory prefix
    // (ending in a separator) is what setWasmPaths needs, not a URL. Node has no WASM
    // threads in tfjs, so the binary used is the SIMD one (or the plain one without SIMD).
    const needed = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm'];
    const missing = needed.filter(file => !fs.existsSync(path.join(directory, file)));
    if (missing.length > 0) return { ok: false, reason: `missing ${missing.join(', ')} in ${directory}` };
    try {
        wasmModule.setWasmPaths(directory.endsWith(path.sep) ? directory : directory + path.sep);
    } catch (error) {
        return { ok: false, reason: messageOf(error) };
    }
    // tf.setBackend reports a failed initialisation through console.warn and returns
    // false; capture those lines so the caller gets the reason instead of console noise.
    const warnings: string[] = [];
    const originalWarn = console.warn;
    console.warn = (...args: unknown[]) => { warnings.push(args.map(String).join(' ')); };
    let ok = false;
    try {
        ok = await tf.setBackend('wasm');
    } catch (error) {
        warnings.push(messageOf(error));
    } finally {
        console.warn = originalWarn;
    }
    if (ok) {
        // First: the BatchMatMul wrapper transposes with the Transpose kernel registered when it is installed.
        useBlockTransposeOnWasm();
        useTransposeFreeMatMulOnWasm();
        useSharedIdentityOnWasm();
        return { ok: true };
    }
    // The first line is the actual cause; later ones are tfjs's generic advice for browsers.
    const detail = warnings.map(w => w.split('\n')[0].trim()).find(w => w.length > 0);
    return { ok: false, reason: detail ?? 'tf.setBackend("wasm") returned false' };
}

function messageOf(error: unknown): string {
    if (error instanceof Error) return error.message;
    if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
    return String(error);
}
