/**
 * Finding Python and PyTorch for `--engine torch`: a missing Python, one without torch or
 * with too old a torch is one clear line saying what to install (never a traceback), and
 * an error inside training is reported with the train block's location. Real processes:
 * the Pythons without torch are Debian's Python started without site-packages (-S), one of
 * them given a stand-in `torch` module that reports an old version.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TorchUnavailableError, findTorchPython } from '@cajal/train';
import { POINTS_PROGRAM, runCli, temporaryDirectory, writePoints } from './helpers.js';
import { TORCH_PYTHON } from '../../../test/torch-python.js';

/** An executable script standing in for a Python: TORCH_PYTHON without site-packages, optionally with a fake old torch. */
function fakePython(directory: string, name: string, oldTorch: boolean): string {
    const file = path.join(directory, name);
    let prefix = '';
    if (oldTorch) {
        fs.mkdirSync(path.join(directory, 'old'), { recursive: true });
        fs.writeFileSync(path.join(directory, 'old', 'torch.py'), '__version__ = "1.8.1+cpu"\n');
        prefix = `PYTHONPATH=${JSON.stringify(path.join(directory, 'old'))} `;
    }
    fs.writeFileSync(file, `#!/bin/sh\n${prefix}exec ${TORCH_PYTHON} -S "$@"\n`, { mode: 0o755 });
    return file;
}

function expectOneClearLine(stderr: string): void {
    expect(stderr).not.toMatch(/Traceback|\n\s+at |internal error/);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/apt-get install python3-torch libopenblas0-pthread/);
    expect(stderr).toMatch(/pip install torch/);
}

describe('finding Python and torch', () => {
    it('finds a Python with torch among the candidates and says which torch it has', () => {
        const found = findTorchPython({ candidates: ['/nonexistent/python3', TORCH_PYTHON], env: { ...process.env, CAJAL_PYTHON: '' } });
        expect(found.python).toBe(TORCH_PYTHON);
        expect(found.torchVersion).toMatch(/^\d+\.\d+/);
    });

    it('names every candidate tried when none has torch', () => {
        const directory = temporaryDirectory();
        const bare = fakePython(directory, 'bare-python', false);
        const error = (() => { try { findTorchPython({ candidates: ['/nonexistent/python3', bare], env: { ...process.env, CAJAL_PYTHON: '' } }); } catch (e) { return e; } })();
        expect(error).toBeInstanceOf(TorchUnavailableError);
        expect((error as Error).message).toMatch(/^no Python with PyTorch found \(\/nonexistent\/python3: no such program; .*bare-python: it has no PyTorch \(import torch fails\)\): install it with/);
    });

    it('cajal train --python /nonexistent: one line, exit code 1', async () => {
        const directory = temporaryDirectory();
        writePoints(path.join(directory, 'points.jsonl'), 50);
        fs.writeFileSync(path.join(directory, 'points.cajal'), POINTS_PROGRAM);
        const run = await runCli(['train', 'points.cajal', '--engine', 'torch', '--python', '/nonexistent/python'], directory);
        expect(run.code).toBe(1);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(/^cajal train: the torch engine cannot start: --python \/nonexistent\/python: no such program; install it with/);
        expectOneClearLine(run.stderr);
    });

    it('a Python without torch, and one with too old a torch, are refused with what to install', async () => {
        const directory = temporaryDirectory();
        writePoints(path.join(directory, 'points.jsonl'), 50);
        fs.writeFileSync(path.join(directory, 'points.cajal'), POINTS_PROGRAM);
        const bare = await runCli(['train', 'points.cajal', '--engine', 'torch', '--python', fakePython(directory, 'bare-python', false)], directory);
        expect(bare.code).toBe(1);
        expect(bare.stderr).toMatch(/bare-python: it has no PyTorch \(import torch fails\)/);
        expectOneClearLine(bare.stderr);
        const old = await runCli(['train', 'points.cajal', '--engine', 'torch', '--python', fakePython(directory, 'old-python', true)], directory);
        expect(old.code).toBe(1);
        expect(old.stderr).toMatch(/PyTorch 1\.8\.1\+cpu at .*old-python is too old \(the torch engine needs 1\.13 or newer\)/);
        expectOneClearLine(old.stderr);
    });

    it('CAJAL_PYTHON names the Python when --python does not', () => {
        const error = (() => { try { findTorchPython({ env: { ...process.env, CAJAL_PYTHON: '/nonexistent/py' } }); } catch (e) { return e as Error; } })();
        expect(error?.message).toMatch(/^CAJAL_PYTHON \/nonexistent\/py: no such program/);
        expect(findTorchPython({ env: { ...process.env, CAJAL_PYTHON: TORCH_PYTHON } }).python).toBe(TORCH_PYTHON);
    });

    it('refuses torch options without --engine torch, and unknown engines and devices', async () => {
        const directory = temporaryDirectory();
        fs.writeFileSync(path.join(directory, 'points.cajal'), POINTS_PROGRAM);
        const nproc = await runCli(['train', 'points.cajal', '--nproc', '2'], directory);
        expect(nproc.code).toBe(2);
        expect(nproc.stderr).toMatch(/--nproc needs --engine torch/);
        const engine = await runCli(['train', 'points.cajal', '--engine', 'jax'], directory);
        expect(engine.stderr).toMatch(/--engine must be tfjs or torch, got 'jax'/);
        const device = await runCli(['train', 'points.cajal', '--engine', 'torch', '--device', 'tpu'], directory);
        expect(device.stderr).toMatch(/--device must be cpu or cuda, got 'tpu'/);
    });

    it('an error inside training is reported with the train block\'s location, without a traceback', async () => {
        const directory = temporaryDirectory();
        writePoints(path.join(directory, 'points.jsonl'), 100);
        fs.writeFileSync(path.join(directory, 'points.cajal'), POINTS_PROGRAM.replace('lr 0.05', 'lr 1e30').replace('optimizer adam', 'optimizer sgd'));
        const run = await runCli(['train', 'points.cajal', '--engine', 'torch', '--epochs', '2'], directory);
        expect(run.code).toBe(1);
        // (The line before it is the start line of the progress output.)
        // Divergence reads as on tfjs, saying what was kept (packages/train/test/weights-safety.test.ts).
        expect(run.stderr).toMatch(/\ncajal train: points\.cajal: train points: the loss became NaN in epoch 1, batch \d+; training stopped, nothing was saved \(\S+points\.weights\/points is unchanged\) \(try a smaller lr\)\.\n$/);
        expect(run.stderr).not.toMatch(/Traceback/);

        // A model with only fixed externs: nothing to train, said at the train block.
        fs.writeFileSync(path.join(directory, 'fixed.cajal'), 'extern dil : Real[28, 28] -o Real[28, 28] = dilation(3)\ntrain t { data mnist (x, d); model dil x; target dil x; loss l2; epochs 1; examples 64; test 16; }\n');
        const fixed = await runCli(['train', 'fixed.cajal', '--engine', 'torch'], directory);
        expect(fixed.code).toBe(1);
        expect(fixed.stderr).toMatch(/\ncajal train: fixed\.cajal: train t: the PyTorch engine failed at fixed\.cajal:2:1: the model uses no learnable extern, so there is nothing to train\n$/);
    }, 90_000);
});
