/**
 * Saving and loading the networks of externs, in TensorFlow.js's layers-model format
 * (`model.json` + `weights.bin` per extern, readable by `tf.loadLayersModel`).
 *
 * Saving is atomic: each save writes a complete new snapshot directory, then replaces
 * `weights.json` (the manifest naming the current snapshot) with one rename, then removes
 * older snapshots. A run interrupted at any moment leaves the previous manifest and the
 * snapshot it names intact.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { LinkedNetworks, Network } from '@cajal/runtime';
import type { ResolvedArchitecture } from '@cajal/language';
import { writeFileAtomic } from '@cajal/compiler';
import type { ExternNetwork } from './networks.js';

export const MANIFEST = 'weights.json';
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

/** Writes one model as model.json + weights.bin into `directory`. */
export async function saveLayersModel(model: tf.LayersModel, directory: string): Promise<void> {
    fs.mkdirSync(directory, { recursive: true });
    await model.save(tf.io.withSaveHandler(async artifacts => {
        const weights = concatBuffers(artifacts.weightData as ArrayBuffer | ArrayBuffer[] | undefined);
        fs.writeFileSync(path.join(directory, 'weights.bin'), weights);
        const modelJson = {
            modelTopology: artifacts.modelTopology,
            format: 'layers-model',
            generatedBy: artifacts.generatedBy,
            convertedBy: 'cajal train',
            weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }]
        };
        fs.writeFileSync(path.join(directory, 'model.json'), JSON.stringify(modelJson));
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.byteLength } };
    }));
}

/** Reads a model.json (+ its weight files) written by saveLayersModel or by tfjs itself. */
export async function loadLayersModel(modelJsonPath: string): Promise<tf.LayersModel> {
    const json = JSON.parse(fs.readFileSync(modelJsonPath, 'utf-8')) as {
        modelTopology: object; weightsManifest: Array<{ paths: string[]; weights: tf.io.WeightsManifestEntry[] }>;
    };
    const directory = path.dirname(modelJsonPath);
    const weightSpecs = json.weightsManifest.flatMap(group => group.weights);
    const weightData = concatBuffers(json.weightsManifest.flatMap(group => group.paths).map(file => {
        const bytes = fs.readFileSync(path.join(directory, file));
        return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    }));
    return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs, weightData: weightData.buffer as ArrayBuffer }));
}

/** Saves every network atomically (see the module comment); returns the manifest written. */
export async function saveNetworks(directory: string, networks: Iterable<ExternNetwork>, info: { train: string; source?: string; epoch: number }): Promise<WeightsManifest> {
    fs.mkdirSync(directory, { recursive: true });
    const snapshot = `snapshot-${info.epoch}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
    const externs: Record<string, ManifestExtern> = {};
    for (const network of networks) {
        const relative = path.join(snapshot, network.name);
        await saveLayersModel(network.model, path.join(directory, relative));
        externs[network.name] = describe(network, path.join(relative, 'model.json').split(path.sep).join('/'));
    }
    const manifest: WeightsManifest = { format: FORMAT, train: info.train, source: info.source, epoch: info.epoch, saved: new Date().toISOString(), snapshot, externs };
    writeFileAtomic(path.join(directory, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    // Only now are older snapshots unreferenced.
    for (const entry of fs.readdirSync(directory)) {
        if (entry.startsWith('snapshot-') && entry !== snapshot) fs.rmSync(path.join(directory, entry), { recursive: true, force: true });
    }
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
    let text: string;
    try {
        text = fs.readFileSync(file, 'utf-8');
    } catch {
        throw new Error(`no trained weights in ${directory}: ${MANIFEST} is missing (train first with cajal train).`);
    }
    const manifest = JSON.parse(text) as WeightsManifest;
    if (manifest.format !== FORMAT) throw new Error(`${file}: unknown format '${manifest.format}' (expected ${FORMAT}).`);
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
        const model = await loadLayersModel(path.join(directory, entry.model));
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
    return linkNetworks((await loadNetworks(directory)).values());
}

/** Networks (trained in memory or loaded) as @cajal/runtime `LinkedNetworks`, by extern name. */
export function linkNetworks(networks: Iterable<{ readonly name: string; call(inputs: readonly tf.Tensor[]): tf.Tensor }>): LinkedNetworks {
    const linked: Record<string, Network> = {};
    for (const network of networks) linked[network.name] = (...inputs) => network.call(inputs);
    return linked;
}
