/**
 * Issue 17's training and file-system rows, with real processes and real files: a diverging
 * run never saves NaN weights, and says what it kept; `cajal run --weights` refuses NaN
 * weights and manifests naming files outside their folder; `--out` removes only what the
 * tool wrote, refuses a folder holding the user's files, and is locked against a second run;
 * a folder that cannot be written is reported before training; a full disk is one line and
 * loses nothing; stale temporaries are removed. Both engines where they differ (the PyTorch
 * engine writes its snapshots itself).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { FOLDER_RECORD, LOCK, loadNetworks, prepareTraining, readManifest, runTraining, torchTrainerScript } from '@cajal/train';
import { POINTS_PROGRAM, cajalBin, loadTraining, runCli, temporaryDirectory, writePoints, type ProcessResult } from './helpers.js';
import { TORCH_PYTHON } from '../../../test/torch-python.js';

const ROOT = process.getuid?.() === 0;

/** Every file under `directory` (relative path → content), to assert that nothing changed. */
function folderState(directory: string): Record<string, string> {
    const state: Record<string, string> = {};
    for (const entry of fs.readdirSync(directory, { recursive: true, withFileTypes: true })) {
        if (!entry.isFile()) continue;
        const file = path.join(entry.parentPath, entry.name);
        state[path.relative(directory, file)] = fs.readFileSync(file).toString('base64');
    }
    return state;
}

/** points.cajal and its data in a fresh folder; `edit` changes the program's settings. */
function pointsProject(edit: (program: string) => string = p => p): string {
    const directory = temporaryDirectory();
    writePoints(path.join(directory, 'points.jsonl'), 400);
    fs.writeFileSync(path.join(directory, 'points.cajal'), edit(POINTS_PROGRAM));
    return directory;
}

const QUICK = ['--epochs', '1', '--limit', '64', '--backend', 'cpu'];
const DIVERGING = (program: string) => program.replace('optimizer adam; lr 0.05', 'optimizer sgd; lr 1e30');

async function trainOk(directory: string, args: string[]): Promise<ProcessResult> {
    const run = await runCli(['train', 'points.cajal', ...args], directory);
    expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
    expect(run.code, run.stderr).toBe(0);
    return run;
}

/** Trains epoch 1 into DIRECTORY/w and returns the folder's files. */
async function goodWeights(directory: string): Promise<Record<string, string>> {
    await trainOk(directory, ['--out', 'w', ...QUICK]);
    const state = folderState(path.join(directory, 'w'));
    expect(Object.keys(state)).not.toContain(LOCK);
    return state;
}

describe('training never saves what it cannot load back', () => {
    for (const [backend, stop] of [
        // WASM clips the NaN prediction inside the loss: the loss stays finite while the weights are NaN.
        ['wasm', "the weights of extern 'below' became NaN or infinite in epoch 1"],
        ['cpu', 'the loss became NaN in epoch 1, batch 2']
    ] as const) {
        it(`lr 1e30 on ${backend}: "${stop}", exit code 1, the previous weights untouched`, async () => {
            const directory = pointsProject();
            const before = await goodWeights(directory);
            fs.writeFileSync(path.join(directory, 'points.cajal'), DIVERGING(POINTS_PROGRAM));
            const run = await runCli(['train', 'points.cajal', '--out', 'w', '--backend', backend], directory);
            const w = path.join(directory, 'w');
            expect(run.stderr).toContain(`cajal train: points.cajal: train points: ${stop}; training stopped, nothing was saved (${w} is unchanged) (try a smaller lr).\n`);
            expect(run.code).toBe(1);
            expect(folderState(w)).toEqual(before);
        }, 60_000);
    }

    it('weights that become NaN in epoch 2 stop the run; epoch 1 stays saved and loads (tfjs, weights poisoned after epoch 1)', async () => {
        const directory = pointsProject();
        const { training, services } = await loadTraining(path.join(directory, 'points.cajal'));
        const prepared = await prepareTraining(training, services, { backend: 'wasm', epochs: 3, limit: 64 });
        const w = path.join(directory, 'w');
        try {
            const run = runTraining(prepared, {
                weightsDirectory: w, backend: 'wasm',
                onEvent: event => {
                    // A step that overflows, as lr 1e30 would, but only after a good epoch.
                    if (event.event === 'epoch' && event.epoch === 1) {
                        for (const weight of prepared.networks.get('below')!.model.weights) weight.write(tf.fill(weight.shape as number[], NaN));
                    }
                }
            });
            await expect(run).rejects.toThrow(new RegExp(`^the (weights of extern 'below' became NaN or infinite in epoch 2|loss became NaN in epoch 2, batch \\d+); training stopped, ${w.replace(/[/.]/g, '\\$&')} keeps the weights of epoch 1 \\(try a smaller lr\\)\\.$`));
        } finally {
            prepared.dispose();
        }
        expect(readManifest(w).epoch).toBe(1);
        const networks = await loadNetworks(w);
        const values = await networks.get('below')!.model.getWeights()[0].data();
        expect(values.every(Number.isFinite)).toBe(true);
        expect(fs.existsSync(path.join(w, LOCK))).toBe(false);
    }, 60_000);

    it('the torch engine stops the same way, exit code 1, the previous weights untouched', async () => {
        const directory = pointsProject();
        const before = await goodWeights(directory);
        fs.writeFileSync(path.join(directory, 'points.cajal'), DIVERGING(POINTS_PROGRAM));
        const run = await runCli(['train', 'points.cajal', '--out', 'w', '--engine', 'torch', '--python', TORCH_PYTHON], directory);
        const w = path.join(directory, 'w');
        expect(run.stderr).toMatch(new RegExp(`cajal train: points\\.cajal: train points: the (loss became NaN in epoch 1, batch \\d+|weights of extern 'below' became NaN or infinite in epoch 1); training stopped, nothing was saved \\(${w.replace(/[/.]/g, '\\$&')} is unchanged\\) \\(try a smaller lr\\)\\.\n$`));
        expect(run.code).toBe(1);
        expect(folderState(w)).toEqual(before);
    }, 120_000);
});

const FLIP_PROGRAM = `
extern flip : Bool -o Bool = mlp(4)
def main : Bool = flip true
train t { data "d.jsonl" (x : Bool, y : Bool); model flip x; target y; lr 0.05; epochs 1; batch 8; seed 2; }
`;

/** A trained flip network in DIRECTORY/m.weights/t, and the torch module of m.cajal beside it. */
async function flipProject(): Promise<{ directory: string; weights: string }> {
    const directory = temporaryDirectory();
    fs.writeFileSync(path.join(directory, 'm.cajal'), FLIP_PROGRAM);
    fs.writeFileSync(path.join(directory, 'd.jsonl'), Array.from({ length: 40 }, (_, i) => JSON.stringify({ x: i % 2 === 0, y: i % 2 === 0 })).join('\n') + '\n');
    const trained = await runCli(['train', 'm.cajal', '--backend', 'cpu'], directory);
    expect(trained.code, trained.stderr).toBe(0);
    const compiled = spawnSync(process.execPath, [cajalBin, 'compile', 'm.cajal', '--emit', 'torch'], { cwd: directory, encoding: 'utf-8' });
    expect(compiled.status, compiled.stderr).toBe(0);
    return { directory, weights: path.join(directory, 'm.weights', 't') };
}

/** cajal_torch.load_weights on the folder: the one line of its PlanError, or 'loaded'. */
function torchLoad(directory: string, weights: string): string {
    const script = `import sys; sys.path.insert(0, ${JSON.stringify(path.dirname(torchTrainerScript()))})
import m, cajal_torch
try:
    cajal_torch.load_weights(${JSON.stringify(weights)}, m.build_networks())
    print("loaded")
except cajal_torch.PlanError as error:
    print(error)`;
    const run = spawnSync(TORCH_PYTHON, ['-c', script], { cwd: directory, encoding: 'utf-8', timeout: 120_000 });
    expect(run.stderr).toBe('');
    return run.stdout.trim();
}

describe('loading weights checks what it reads', () => {
    it('cajal run --weights and the torch module refuse NaN weights, naming the file and the weight', async () => {
        const { directory, weights } = await flipProject();
        expect(torchLoad(directory, weights)).toBe('loaded');
        const model = readManifest(weights).externs.flip.model;
        const bin = path.join(weights, path.dirname(model), 'weights.bin');
        const values = new Float32Array(fs.readFileSync(bin).buffer.slice(0));
        values[1] = NaN;
        fs.writeFileSync(bin, Buffer.from(values.buffer));
        const weight = JSON.parse(fs.readFileSync(path.join(weights, model), 'utf-8')).weightsManifest[0].weights[0].name;
        const ran = await runCli(['run', 'm.cajal', '--weights', 'm.weights/t'], directory);
        expect(ran.stderr).toBe(`cajal run: cannot load weights from 'm.weights/t': ${path.join(weights, model)}: weight '${weight}' holds NaN (entry 1); these weights are unusable (the training that wrote them diverged; train again, e.g. with a smaller lr).\n`);
        expect(ran.code).toBe(1);
        expect(ran.stdout).toBe('');
        expect(torchLoad(directory, weights)).toBe(`${path.join(weights, model)}: weight '${weight}' holds NaN (entry 1); these weights are unusable (the training that wrote them diverged; train again, e.g. with a smaller lr).`);
    }, 120_000);

    it('a manifest naming a file outside its folder ("../../outside/secrets.json", absolute, a link) is refused by both', async () => {
        const { directory, weights } = await flipProject();
        const outside = path.join(directory, 'outside');
        fs.mkdirSync(outside);
        fs.writeFileSync(path.join(outside, 'secrets.json'), JSON.stringify({ modelTopology: {}, weightsManifest: [{ paths: ['k'], weights: [] }] }));
        const manifestFile = path.join(weights, 'weights.json');
        const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf-8'));
        fs.symlinkSync(outside, path.join(weights, 'linked'));
        for (const model of ['../../outside/secrets.json', path.join(outside, 'secrets.json'), 'linked/secrets.json']) {
            fs.writeFileSync(manifestFile, JSON.stringify({ ...manifest, externs: { flip: { ...manifest.externs.flip, model } } }));
            const message = (folder: string) => `${path.join(folder, 'weights.json')} names '${model}', which is outside ${folder}; a weights folder may only name files inside it.`;
            const ran = await runCli(['run', 'm.cajal', '--weights', 'm.weights/t'], directory);
            expect(ran.stderr).toBe(`cajal run: cannot load weights from 'm.weights/t': ${message('m.weights/t')}\n`);
            expect(ran.code).toBe(1);
            expect(torchLoad(directory, weights)).toBe(message(weights));
        }
    }, 120_000);
});

describe('--out DIR: only what the tool wrote is ever removed', () => {
    it('a folder holding the user\'s files is refused before training, and nothing in it changes (both engines)', async () => {
        const directory = pointsProject();
        const w = path.join(directory, 'w');
        fs.mkdirSync(path.join(w, 'snapshot-x'), { recursive: true });
        fs.writeFileSync(path.join(w, 'snapshot-x', 'model.json'), 'the user\'s model\n');
        fs.writeFileSync(path.join(w, 'history.json'), 'the user\'s history\n');
        fs.writeFileSync(path.join(w, 'weights.json'), 'the user\'s weights\n');
        const before = folderState(w);
        for (const engine of [['--backend', 'cpu'], ['--engine', 'torch', '--python', TORCH_PYTHON]]) {
            const run = await runCli(['train', 'points.cajal', '--out', 'w', ...engine], directory);
            expect(run.stderr).toMatch(new RegExp(`cajal train: points\\.cajal: train points: ${w.replace(/[/.]/g, '\\$&')} already holds files cajal train did not write \\('snapshot-x'\\); nothing was changed\\. Choose a new or empty folder with --out\\.\n$`));
            expect(run.stderr).not.toMatch(/epoch 1/);
            expect(run.code).toBe(1);
            expect(folderState(w)).toEqual(before);
        }
    }, 120_000);

    for (const engine of ['tfjs', 'torch']) {
        it(`files the user adds to a weights folder survive later runs (${engine}), even one named like a snapshot`, async () => {
            const directory = pointsProject();
            await goodWeights(directory);
            const w = path.join(directory, 'w');
            const first = readManifest(w).snapshot;
            fs.mkdirSync(path.join(w, 'snapshot-1-mine'));
            fs.writeFileSync(path.join(w, 'snapshot-1-mine', 'notes.txt'), 'mine\n');
            fs.mkdirSync(path.join(w, 'snapshot-x'));
            fs.writeFileSync(path.join(w, 'README'), 'mine\n');
            await trainOk(directory, ['--out', 'w', '--epochs', '2', '--limit', '64', ...(engine === 'torch' ? ['--engine', 'torch', '--python', TORCH_PYTHON] : ['--backend', 'cpu'])]);
            const manifest = readManifest(w);
            expect(manifest.epoch).toBe(2);
            expect(fs.readdirSync(w).sort()).toEqual([FOLDER_RECORD, 'README', manifest.snapshot, 'history.csv', 'history.json', 'history.svg', 'snapshot-1-mine', 'snapshot-x', 'weights.json'].sort());
            expect(fs.readdirSync(w)).not.toContain(first);
            expect(fs.readFileSync(path.join(w, 'snapshot-1-mine', 'notes.txt'), 'utf-8')).toBe('mine\n');
            expect(JSON.parse(fs.readFileSync(path.join(w, FOLDER_RECORD), 'utf-8'))).toEqual({ format: 'cajal-weights-folder/1', snapshots: [manifest.snapshot] });
        }, 120_000);
    }

    it('a weights folder of an older version (only the tool\'s names, no record) is adopted', async () => {
        const directory = pointsProject();
        await goodWeights(directory);
        const w = path.join(directory, 'w');
        fs.rmSync(path.join(w, FOLDER_RECORD));
        fs.mkdirSync(path.join(w, 'snapshot-1-old0'));
        await trainOk(directory, ['--out', 'w', ...QUICK]);
        expect(fs.readdirSync(w).filter(entry => entry.startsWith('snapshot-'))).toEqual([readManifest(w).snapshot]);
    }, 60_000);

    it('stale temporaries and snapshots of a killed run are removed at the next run; the user\'s *.tmp stays', async () => {
        const directory = pointsProject();
        await goodWeights(directory);
        const w = path.join(directory, 'w');
        const dead = spawnSync(process.execPath, ['-e', '']).pid!; // exited: its pid names no process
        const stale = [`weights.json.${dead}.k2j4.tmp`, `history.svg.${dead}.a1.tmp`, `${FOLDER_RECORD}.${dead}.zz.tmp`];
        for (const name of stale) fs.writeFileSync(path.join(w, name), '{"half');
        fs.writeFileSync(path.join(w, 'mine.tmp'), 'mine\n');
        // A snapshot recorded but never published (killed while writing it).
        const unpublished = 'snapshot-2-killed';
        fs.mkdirSync(path.join(w, unpublished, 'below'), { recursive: true });
        fs.writeFileSync(path.join(w, unpublished, 'below', `weights.bin.${dead}.q.tmp`), 'half');
        const record = JSON.parse(fs.readFileSync(path.join(w, FOLDER_RECORD), 'utf-8'));
        fs.writeFileSync(path.join(w, FOLDER_RECORD), JSON.stringify({ ...record, snapshots: [...record.snapshots, unpublished] }));
        await trainOk(directory, ['--out', 'w', ...QUICK]);
        const entries = fs.readdirSync(w);
        for (const name of [...stale, unpublished]) expect(entries).not.toContain(name);
        expect(entries).toContain('mine.tmp');
        expect(entries.filter(entry => entry.endsWith('.tmp'))).toEqual(['mine.tmp']);
    }, 60_000);
});

describe('one run per weights folder', () => {
    it('a second cajal train on the same --out refuses at once, naming the first one\'s pid (both engines); the first finishes', async () => {
        const directory = pointsProject(p => p.replace('batch 16', 'batch 1'));
        const w = path.join(directory, 'w');
        const seconds: Array<Promise<ProcessResult & { holder: number }>> = [];
        const first = await runCli(['train', 'points.cajal', '--out', 'w', '--epochs', '50', '--events', '--backend', 'cpu'], directory, (line, child) => {
            const event = JSON.parse(line);
            if (event.event === 'batch' && event.epoch === 1 && event.batch === 2 && seconds.length === 0) {
                const holder = Number.parseInt(fs.readFileSync(path.join(w, LOCK), 'utf-8'), 10);
                for (const engine of [['--backend', 'cpu'], ['--engine', 'torch', '--python', TORCH_PYTHON]]) {
                    seconds.push(runCli(['train', 'points.cajal', '--out', 'w', ...QUICK.slice(0, 4), ...engine], directory).then(result => ({ ...result, holder })));
                }
                void Promise.all(seconds).then(() => child.kill('SIGINT'));
            }
        });
        expect(seconds).toHaveLength(2);
        for (const second of await Promise.all(seconds)) {
            expect(second.stderr).toMatch(new RegExp(`cajal train: points\\.cajal: train points: ${w.replace(/[/.]/g, '\\$&')} is being written by another cajal train \\(pid ${second.holder}\\); wait for it to finish, or choose another folder with --out\\.\n$`));
            expect(second.code).toBe(1);
        }
        expect(first.code).toBe(130);
        expect(readManifest(w).epoch).toBeGreaterThanOrEqual(1);
        expect(fs.existsSync(path.join(w, LOCK))).toBe(false);
    }, 180_000);

    it('a lock left by a process that is gone (kill -9) is taken over', async () => {
        const directory = pointsProject();
        const w = path.join(directory, 'w');
        fs.mkdirSync(w);
        const dead = spawnSync(process.execPath, ['-e', '']).pid!;
        fs.writeFileSync(path.join(w, LOCK), `${dead}\n`);
        await trainOk(directory, ['--out', 'w', ...QUICK]);
        expect(readManifest(w).epoch).toBe(1);
        expect(fs.existsSync(path.join(w, LOCK))).toBe(false);
    }, 60_000);
});

/** Runs the CLI as the user nobody (when this process is root: chmod does not stop root). */
function runCliAsNobody(args: string[], cwd: string): Promise<ProcessResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [cajalBin, ...args], { cwd, uid: 65534, gid: 65534, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: cwd } });
        let stdout = '', stderr = '';
        child.stdout.on('data', chunk => { stdout += chunk; });
        child.stderr.on('data', chunk => { stderr += chunk; });
        child.on('error', reject);
        child.on('close', code => resolve({ code, stdout, stderr }));
    });
}

describe('a weights folder that cannot be written is reported before training', () => {
    it('permission denied: "cannot write weights to DIR: permission denied", exit code 1, no epoch trained', async () => {
        const directory = pointsProject();
        const w = path.join(directory, 'w');
        fs.mkdirSync(w);
        let run: ProcessResult;
        if (ROOT) {
            // Root ignores permissions: run the CLI as nobody, who may read the project but not write w/.
            fs.chmodSync(directory, 0o755);
            for (const file of fs.readdirSync(directory)) fs.chmodSync(path.join(directory, file), 0o755);
            run = await runCliAsNobody(['train', 'points.cajal', '--out', 'w', ...QUICK], directory);
        } else {
            fs.chmodSync(w, 0o555);
            run = await runCli(['train', 'points.cajal', '--out', 'w', ...QUICK], directory);
        }
        expect(run.stderr).toMatch(new RegExp(`cajal train: points\\.cajal: train points: cannot write weights to ${w.replace(/[/.]/g, '\\$&')}: permission denied\\.\n$`));
        expect(run.stderr).not.toMatch(/epoch 1/);
        expect(run.code).toBe(1);
        expect(fs.readdirSync(w)).toEqual([]);
    }, 60_000);

    // A read-only mount needs root; writeFileAtomic's own test injects EROFS otherwise.
    it.runIf(ROOT)('a read-only file system: "cannot write weights to DIR: read-only file system", exit code 1, nothing changed', async () => {
        const directory = pointsProject();
        const readOnly = path.join(directory, 'ro');
        fs.mkdirSync(readOnly);
        await trainOk(directory, ['--out', 'ro/w', ...QUICK]);
        const w = path.join(readOnly, 'w');
        const before = folderState(w);
        const bound = spawnSync('mount', ['--bind', readOnly, readOnly], { encoding: 'utf-8' });
        expect(bound.status, bound.stderr).toBe(0);
        try {
            const remounted = spawnSync('mount', ['-o', 'remount,ro,bind', readOnly], { encoding: 'utf-8' });
            expect(remounted.status, remounted.stderr).toBe(0);
            const run = await runCli(['train', 'points.cajal', '--out', 'ro/w', ...QUICK], directory);
            expect(run.stderr).toMatch(new RegExp(`cajal train: points\\.cajal: train points: cannot write weights to ${w.replace(/[/.]/g, '\\$&')}: read-only file system\\.\n$`));
            expect(run.stderr).not.toMatch(/epoch 1/);
            expect(run.code).toBe(1);
            expect(folderState(w)).toEqual(before);
        } finally {
            spawnSync('umount', [readOnly]);
        }
    }, 60_000);

    it('a file where the folder should be: one line, exit code 1', async () => {
        const directory = pointsProject();
        fs.writeFileSync(path.join(directory, 'blocker'), 'a file\n');
        const inside = await runCli(['train', 'points.cajal', '--out', 'blocker/w', ...QUICK], directory);
        expect(inside.stderr).toMatch(/cajal train: points\.cajal: train points: cannot write weights to .*\/blocker\/w: a part of the path is a file, not a folder\.\n$/);
        expect(inside.code).toBe(1);
        const itself = await runCli(['train', 'points.cajal', '--out', 'blocker', ...QUICK], directory);
        expect(itself.stderr).toMatch(/cajal train: points\.cajal: train points: cannot write weights to .*\/blocker: it is a file, not a folder\.\n$/);
        expect(itself.code).toBe(1);
        expect(fs.readFileSync(path.join(directory, 'blocker'), 'utf-8')).toBe('a file\n');
    }, 60_000);
});

/** Mounts a tmpfs of `size` at `directory` (root only); returns the unmount. */
function mountTmpfs(directory: string, size: string): () => void {
    fs.mkdirSync(directory);
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', directory], { encoding: 'utf-8' });
    expect(mounted.status, mounted.stderr).toBe(0);
    return () => { spawnSync('umount', [directory]); };
}

/** Fills the file system of `directory` until only `free` bytes are left. */
function fillUntil(directory: string, free: number): void {
    const filler = path.join(directory, 'filler');
    fs.rmSync(filler, { force: true });
    const stat = fs.statfsSync(directory);
    fs.writeFileSync(filler, Buffer.alloc(Math.max(0, stat.bavail * stat.bsize - free)));
}

describe('a full disk (a real tmpfs; writeFileAtomic\'s own test injects ENOSPC, EROFS, EDQUOT)', () => {
    // Mounting needs root; where it is not, packages/compiler/test/output-files.test.ts covers the same
    // failures at writeFileAtomic's file-system boundary.
    it.runIf(ROOT)('"cannot write weights to DIR: no space left on device", exit code 1, at start or mid-run; the previous weights stay whole (both engines)', async () => {
        const directory = pointsProject();
        const disk = path.join(directory, 'disk');
        const unmount = mountTmpfs(disk, '1m');
        try {
            const w = path.join(disk, 'w');
            await trainOk(directory, ['--out', 'disk/w', ...QUICK]);
            for (const engine of [['--backend', 'cpu'], ['--engine', 'torch', '--python', TORCH_PYTHON]]) {
                // From no room at all to room for a whole save (4 KB pages; measured on this
                // program): each run fails before training, fails while saving, or succeeds;
                // a failure changes nothing.
                const failures = { atStart: 0, midRun: 0, none: 0 };
                for (const free of [0, 8192, 12288, 16384]) {
                    const before = folderState(w);
                    fillUntil(disk, free);
                    const run = await runCli(['train', 'points.cajal', '--out', 'disk/w', '--epochs', '2', '--limit', '64', ...engine], directory);
                    expect(run.stderr).not.toMatch(/internal error|\n\s+at /);
                    if (run.code === 0) {
                        failures.none++;
                        continue;
                    }
                    const escaped = w.replace(/[/.]/g, '\\$&');
                    expect(run.code).toBe(1);
                    if (run.stderr.includes('training points:')) {
                        // At the first save: this run saved nothing, and says so.
                        expect(run.stderr, `${engine[1]} with ${free} bytes free`).toMatch(new RegExp(`cajal train: points\\.cajal: train points: cannot write (weights|the training history) to ${escaped}: no space left on device; nothing was saved \\(${escaped} is unchanged\\)\\.\n$`));
                        failures.midRun++;
                    } else {
                        expect(run.stderr, `${engine[1]} with ${free} bytes free`).toMatch(new RegExp(`cajal train: (points\\.cajal: train points: )?cannot write weights to ${escaped}: no space left on device\\.\n$`));
                        failures.atStart++;
                    }
                    expect(folderState(w)).toEqual(before);
                    expect(readManifest(w).epoch).toBeGreaterThanOrEqual(1);
                }
                expect(failures.atStart, engine[1]).toBeGreaterThan(0);
                expect(failures.midRun, engine[1]).toBeGreaterThan(0);
            }
            // Compiled output goes through the same helper.
            fillUntil(disk, 0);
            const compiled = await runCli(['compile', 'points.cajal', '--emit', 'tfjs', '-o', 'disk/gen'], directory);
            expect(compiled.stderr).toMatch(new RegExp(`^cajal compile: cannot write ${disk.replace(/[/.]/g, '\\$&')}/gen/points\\.\\w+: no space left on device\\.\n$`));
            expect(compiled.code).toBe(1);
            const gen = path.join(disk, 'gen');
            expect(fs.existsSync(gen) ? fs.readdirSync(gen) : []).toEqual([]);
            fs.rmSync(path.join(disk, 'filler'));
            await loadNetworks(w); // the weights left are whole and finite
        } finally {
            unmount();
        }
    }, 300_000);
});
