/**
 * Saving and loading the networks of externs, in TensorFlow.js's layers-model format
 * (`model.json` + `weights.bin` per extern, readable by `tf.loadLayersModel`).
 *
 * Saving is atomic: each save records the new snapshot in the folder's record (see
 * weights-folder.ts), writes it completely (every file flushed to disk), then replaces
 * `weights.json` (the manifest naming the current snapshot) with one rename, then removes
 * the older snapshots the record names — never anything else. A run interrupted at any
 * moment leaves the previous manifest and the snapshot it names intact.
 *
 * Loading checks what it reads: the paths a manifest names stay inside the weights folder,
 * and every weight is a finite number.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { LinkedNetworks, Network } from '@cajal/runtime';
import type { ResolvedArchitecture } from '@cajal/language';
import { writeFileAtomic } from '@cajal/compiler';
import type { ExternNetwork } from './networks.js';
import { MANIFEST, readFolderRecord, removeOldSnapshots, weightsWhat, writeFolderRecord } from './weights-folder.js';
import { ensureConv2dGradientsOnWasm } from './wasm-conv.js';

export { MANIFEST };
const FORMAT = 'cajal-weights/1';

export interface ManifestExtern {
    readonly type: string;
    readonly architecture: string;
    readonly parameters: number;
    readonly learnable: boolean;
    readonly inputs: number[][];
    readonly output: number[];
    /** model.json of this extern, relative to the weights directory. */
    readonly model: string;
}

export interface WeightsManifest {
    readonly format: string;
    readonly train: string;
    readonly source?: string;
    readonly epoch: number;
    readonly saved: string;
    readonly snapshot: string;
    readonly externs: Record<string, ManifestExtern>;
}

function concatBuffers(data: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
    if (!data) return new Uint8Array(0);
    const parts = Array.isArray(data) ? data : [data];
    const total = parts.reduce((n, p) => n + p.byteLength, 0);
    const out = new Uint8Array(total);
    let offset = 0;
    for (const part of parts) {
        out.set(new Uint8Array(part), offset);
        offset += part.byteLength;
    }
    return out;
}

/** Writes one model as model.json + weights.bin into `directory` (each file atomically; `what` names the write in errors). */
export async function saveLayersModel(model: tf.LayersModel, directory: string, what = `weights to ${directory}`): Promise<void> {
    await model.save(tf.io.withSaveHandler(async artifacts => {
        const weights = concatBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[] | undefined);
        writeFileAtomic(path.join(directory, 'weights.bin'), weights, { what });
        const modelJson = {
            modelTopology: artifacts.modelTopology,
            format: 'layers-model',
            generatedBy: artifacts.generatedBy,
            convertedBy: 'cajal train',
            weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }]
        };
        writeFileAtomic(path.join(directory, 'model.json'), JSON.stringify(modelJson), { what });
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }));
}

/** A weights file that cannot be used: wrong paths, malformed JSON, non-finite weights. */
export class WeightsFileError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'WeightsFileError';
    }
}

/**
 * `relative` (a path a weights file names) resolved inside `folder`; a path leaving it
 * (`../x`, absolute, or through a symbolic link) is refused: a weights folder copied from
 * elsewhere must not make the tools read other files.
 */
export function confinedPath(folder: string, relative: unknown, namedIn: string): string {
    if (typeof relative !== 'string' || relative === '') throw new WeightsFileError(`${namedIn}: expected a file name, got ${JSON.stringify(relative) ?? 'nothing'}.`);
    const outside = () => new WeightsFileError(`${namedIn} names '${relative}', which is outside ${folder}; a weights folder may only name files inside it.`);
    if (path.isAbsolute(relative) || relative.split(/[\\/]/).includes('..')) throw outside();
    const resolved = path.resolve(folder, relative);
    let real: string;
    try {
        real = fs.realpathSync(resolved);
    } catch {
        return resolved; // missing: reported by whoever reads it
    }
    const inside = path.relative(fs.realpathSync(folder), real);
    if (inside.startsWith('..') || path.isAbsolute(inside)) throw outside();
    return resolved;
}

function readJsonFile(file: string): unknown {
    let text: string;
    try {
        text = fs.readFileSync(file, 'utf-8');
    } catch (error) {
        throw new WeightsFileError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'it does not exist' : (error as Error).message}.`);
    }
    try {
        return JSON.parse(text);
    } catch {
        throw new WeightsFileError(`${file} is not valid JSON (the weights folder is damaged; train again).`);
    }
}

/**
 * Reads a model.json (+ its weight files) written by saveLayersModel or by tfjs itself. Its
 * weight files must lie in `folder` (default: the model.json's own folder) and every weight
 * must be finite: a network with NaN weights computes nothing useful.
 */
export async function loadLayersModel(modelJsonPath: string, folder = path.dirname(modelJsonPath)): Promise<tf.LayersModel> {
    const json = readJsonFile(modelJsonPath) as {
        modelTopology?: object; weightsManifest?: Array<{ paths?: unknown; weights?: tf.io.WeightsManifestEntry[] }>;
    };
    if (typeof json !== 'object' || json === null || !json.modelTopology || !Array.isArray(json.weightsManifest)
        || !json.weightsManifest.every(group => Array.isArray(group?.paths) && Array.isArray(group.weights))) {
        throw new WeightsFileError(`${modelJsonPath} is not a tfjs layers model (it needs modelTopology and weightsManifest with paths and weights).`);
    }
    const directory = path.dirname(modelJsonPath);
    const weightSpecs = json.weightsManifest.flatMap(group => group.weights!);
    const weightData = concatBuffers((json.weightsManifest.flatMap(group => group.paths) as unknown[]).map(file => {
        const bytes = fs.readFileSync(confinedPath(folder, path.relative(folder, path.resolve(directory, String(file))), modelJsonPath));
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    }));
    checkFiniteWeights(modelJsonPath, weightSpecs, weightData);
    return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer as ArrayBuffer }));
}

/** Refuses float32 weights that hold NaN or ±Infinity, naming the first such weight. */
function checkFiniteWeights(modelJsonPath: string, specs: readonly tf.io.WeightsManifestEntry[], data: Uint8Array): void {
    let offset = 0;
    for (const spec of specs) {
        const count = spec.shape.reduce((a, b) => a * b, 1);
        if ((spec.dtype ?? 'float32') !== 'float32') {
            offset += count * 4;
            continue;
        }
        if (offset + count * 4 > data.byteLength) {
            throw new WeightsFileError(`${modelJsonPath}: the weight files hold ${data.byteLength} bytes, fewer than its weights need (the weights folder is damaged; train again).`);
        }
        const values = new Float32Array(data.buffer, data.byteOffset + offset, count);
        const bad = values.findIndex(v => !Number.isFinite(v));
        if (bad >= 0) {
            throw new WeightsFileError(`${modelJsonPath}: weight '${spec.name}' holds ${values[bad]} (entry ${bad}); these weights are unusable (the training that wrote them diverged; train again, e.g. with a smaller lr).`);
        }
        offset += count * 4;
    }
}

/** Saves every network atomically (see the module comment); returns the manifest written. */
export async function saveNetworks(directory: string, networks: Iterable<ExternNetwork>, info: { train: string; source?: string; epoch: number }): Promise<WeightsManifest> {
    const what = weightsWhat(directory);
    const snapshot = `snapshot-${info.epoch}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    // Recorded before it exists: a run killed while writing it leaves a snapshot the next run removes.
    writeFolderRecord(directory, [...readFolderRecord(directory)?.snapshots ?? [], snapshot], what);
    const externs: Record<string, ManifestExtern> = {};
    let manifest: WeightsManifest;
    try {
        for (const network of networks) {
            const relative = path.join(snapshot, network.name);
            await saveLayersModel(network.model, path.join(directory, relative), what);
            externs[network.name] = describe(network, path.join(relative, 'model.json').split(path.sep).join('/'));
        }
        manifest = { format: FORMAT, train: info.train, source: info.source, epoch: info.epoch, saved: new Date().toISOString(), snapshot, externs };
        writeFileAtomic(path.join(directory, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { what });
    } catch (error) {
        // Nothing partial stays: the manifest (replaced only by writeFileAtomic's last step,
        // its rename) still names the previous snapshot.
        try {
            fs.rmSync(path.join(directory, snapshot), { recursive: true, force: true });
            writeFolderRecord(directory, (readFolderRecord(directory)?.snapshots ?? []).filter(s => s !== snapshot), what);
        } catch { /* the record keeps it: the next run removes it */ }
        throw error;
    }
    // Only now are older snapshots unreferenced.
    removeOldSnapshots(directory, snapshot);
    return manifest;
}

function describe(network: ExternNetwork, model: string): ManifestExtern {
    const r: ResolvedArchitecture = network.resolved;
    return {
        type: network.type.toString(), architecture: r.architecture, parameters: r.parameters, learnable: r.learnable,
        inputs: r.signature.inputs.map(s => [...s]), output: [...r.signature.output], model
    };
}

export function readManifest(directory: string): WeightsManifest {
    const file = path.join(directory, MANIFEST);
    if (!fs.existsSync(file)) throw new WeightsFileError(`no trained weights in ${directory}: ${MANIFEST} is missing (train first with cajal train).`);
    const manifest = readJsonFile(file) as WeightsManifest;
    if (typeof manifest !== 'object' || manifest === null) throw new WeightsFileError(`${file}: expected a JSON object.`);
    if (manifest.format !== FORMAT) throw new WeightsFileError(`${file}: unknown format '${String(manifest.format)}' (expected ${FORMAT}).`);
    if (typeof manifest.externs !== 'object' || manifest.externs === null) throw new WeightsFileError(`${file}: 'externs' is missing.`);
    for (const [name, entry] of Object.entries(manifest.externs)) {
        if (typeof entry !== 'object' || entry === null || !Array.isArray(entry.inputs) || !Array.isArray(entry.output)) {
            throw new WeightsFileError(`${file}: extern '${name}' needs 'model', 'inputs' and 'output'.`);
        }
        confinedPath(directory, entry.model, file);
    }
    return manifest;
}

/** A loaded extern network: the tfjs model and how to call it. */
export interface LoadedNetwork {
    readonly name: string;
    readonly manifest: ManifestExtern;
    readonly model: tf.LayersModel;
    /** One batched tensor per curried argument → [batch, ...output]. */
    call(inputs: readonly tf.Tensor[]): tf.Tensor;
}

/** Loads every extern network of a weights directory. */
export async function loadNetworks(directory: string): Promise<Map<string, LoadedNetwork>> {
    const manifest = readManifest(directory);
    const result = new Map<string, LoadedNetwork>();
    for (const [name, entry] of Object.entries(manifest.externs)) {
        const model = await loadLayersModel(confinedPath(directory, entry.model, path.join(directory, MANIFEST)), directory);
        const size = (dims: readonly number[]) => dims.reduce((a, b) => a * b, 1);
        result.set(name, {
            name, manifest: entry, model,
            call(inputs) {
                if (inputs.length !== entry.inputs.length) throw new Error(`extern '${name}' takes ${entry.inputs.length} input(s), got ${inputs.length}`);
                return tf.tidy(() => {
                    const batch = Math.max(...inputs.map(x => x.shape[0]));
                    const flat = inputs.map((x, i) => {
                        const rows = x.reshape([x.shape[0], size(entry.inputs[i])]);
                        return rows.shape[0] === batch ? rows : tf.broadcastTo(rows, [batch, rows.shape[1] as number]);
                    });
                    const y = model.predict(flat.length === 1 ? flat[0] : tf.concat(flat, 1)) as tf.Tensor;
                    return y.reshape([batch, ...entry.output]);
                });
            }
        });
    }
    return result;
}

/**
 * The networks of a weights directory as @cajal/runtime `LinkedNetworks`, for `cajal run
 * --weights DIR` and generated code: each is called with one batch per argument of its
 * extern (an extern of several arguments is one network of all of them).
 */
export async function loadLinkedNetworks(directory: string): Promise<LinkedNetworks> {
    // Inference (`cajal run --weights`) convolves on our kernels too, as training does.
    if (tf.getBackend() === 'wasm') ensureConv2dGradientsOnWasm();
    return linkNetworks((await loadNetworks(directory)).values());
}

/** Networks (trained in memory or loaded) as @cajal/runtime `LinkedNetworks`, by extern name. */
export function linkNetworks(networks: Iterable<{ readonly name: string; call(inputs: readonly tf.Tensor[]): tf.Tensor }>): LinkedNetworks {
    const linked: Record<string, Network> = {};
    for (const network of networks) linked[network.name] = (...inputs) => network.call(inputs);
    return linked;
}
