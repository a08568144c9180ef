import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadFiles, ast } from '@cajal/language';
import { findTraining, seededRandom } from '@cajal/train';
import { cliBin } from '../../../test/executables.js';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The CLI these tests run (its one home: test/executables.ts). */
export const cajalBin = cliBin;

export function temporaryDirectory(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-train-'));
}

/** Points in the plane labelled by which side of the line x0 = x1 they lie on (seeded). */
export function writePoints(file: string, rows: number, seed = 7): void {
    const random = seededRandom(seed);
    const lines: string[] = [];
    for (let i = 0; i < rows; i++) {
        const x = [random() * 2 - 1, random() * 2 - 1];
        lines.push(JSON.stringify({ x, above: x[1] > x[0] }));
    }
    fs.writeFileSync(file, lines.join('\n') + '\n');
}

/** A linked model: a learned `below` test negated by the compiled `not`. */
export const POINTS_PROGRAM = `
def not (b : Bool) : Bool = if b then false else true
extern below : Real[2] -o Bool = mlp(8)
train points {
  data "points.jsonl" (x : Real[2], above : Bool);
  model not (below x);
  target above;
  loss cross_entropy; optimizer adam; lr 0.05; epochs 6; batch 16; seed 3; examples 256; test 64;
}
`;

export async function loadTraining(file: string, name?: string) {
    const workspace = await loadFiles([file]);
    const document = workspace.requested[0];
    const errors = (document.diagnostics ?? []).filter(d => d.severity === 1);
    if (errors.length > 0) throw new Error(`unexpected errors: ${errors.map(e => e.message).join('; ')}`);
    return { services: workspace.services, training: findTraining(document.parseResult.value as ast.Module, name) };
}

export interface ProcessResult { code: number | null; stdout: string; stderr: string }

/** Runs the real CLI; `onStdoutLine` may send signals to the child. */
export function runCli(args: string[], cwd: string, onStdoutLine?: (line: string, child: ReturnType<typeof spawn>) => void): Promise<ProcessResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [cajalBin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '', stderr = '', pending = '';
        child.stdout.on('data', chunk => {
            stdout += chunk;
            pending += chunk;
            let newline: number;
            while ((newline = pending.indexOf('\n')) >= 0) {
                const line = pending.slice(0, newline);
                pending = pending.slice(newline + 1);
                onStdoutLine?.(line, child);
            }
        });
        child.stderr.on('data', chunk => { stderr += chunk; });
        child.on('error', reject);
        child.on('close', code => resolve({ code, stdout, stderr }));
    });
}

/**
 * Trains points.cajal (batch 1, 200 examples, 50 epochs) with `engine` arguments, sends
 * SIGINT at the third batch of epoch 2, and returns the exit code, the events and the
 * weights folder: a cancellation after one completed epoch, for either engine.
 */
export async function interruptInSecondEpoch(directory: string, rows: number, engine: readonly string[]) {
    writePoints(path.join(directory, 'points.jsonl'), rows);
    fs.writeFileSync(path.join(directory, 'points.cajal'), POINTS_PROGRAM.replace('batch 16', 'batch 1').replace('examples 256', 'examples 200'));
    let interrupted = false;
    const events: Array<Record<string, unknown>> = [];
    const run = await runCli(['train', 'points.cajal', '--epochs', '50', '--out', 'w', '--events', ...engine], directory, (line, child) => {
        const event = JSON.parse(line);
        events.push(event);
        if (event.event === 'batch' && event.epoch === 2 && event.batch === 3 && !interrupted) {
            interrupted = true;
            child.kill('SIGINT');
        }
    });
    return { code: run.code, events, weights: path.join(directory, 'w') };
}
