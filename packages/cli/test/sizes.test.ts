// Types whose tensors cannot fit (issue 17): every command refuses them with a located
// size/too-large diagnostic before allocating anything, in bounded time and memory.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { bin, directoryWith } from './helpers.js';

interface MeasuredRun { code: number | null; stdout: string; stderr: string; seconds: number; maxRssMb: number }

/** Runs the real `cajal` under /usr/bin/time, which reports the child's peak memory. */
function measured(args: string[], cwd: string): Promise<MeasuredRun> {
    const report = path.join(cwd, `.time-${Math.random().toString(36).slice(2)}`);
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn('/usr/bin/time', ['-f', '%M', '-o', report, process.execPath, bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '', stderr = '';
        child.stdout.setEncoding('utf8').on('data', chunk => { stdout += chunk; });
        child.stderr.setEncoding('utf8').on('data', chunk => { stderr += chunk; });
        child.on('error', reject);
        child.on('close', code => {
            const kilobytes = Number(fs.readFileSync(report, 'utf8').trim().split('\n').pop());
            resolve({ code, stdout, stderr, seconds: (Date.now() - started) / 1000, maxRssMb: kilobytes / 1024 });
        });
    });
}

const TOO_LARGE = {
    // The rows: Nat[10^9], a function tower of 10^12 entries, a pair of 10^10 made of small parts, Nat[10^400].
    'nat.cajal': 'def id (x : Nat[1000000000]) : Nat[1000000000] = x\ndef main : Nat[1000000000] = id 3\n',
    'tower.cajal': 'def f (g : Nat[1000] -o Nat[1000]) : Nat[1000] -o Nat[1000] = g\ndef main : Bool = true\n',
    'pair.cajal': 'def main (a : Nat[100000]) (b : Nat[100000]) : Nat[100000] * Nat[100000] = let p = (a, b) in p\n',
    'infinite.cajal': `def main : Nat[1${'0'.repeat(400)}] = 3\n`,
    'train.cajal': [
        'extern isEven : Real[28, 28] -o Bool = mlp(4)',
        'def huge (x : Nat[1000000]) : Nat[1000000] = x',
        'def even (n : Nat) : Bool = iter n { zero => true ; succ y => if y then false else true }',
        'train t { data mnist (x, d); model isEven x; target even d; examples 8; epochs 1; batch 8; }',
        ''
    ].join('\n')
};

describe('size/too-large from every command, before anything is allocated', () => {
    const directory = directoryWith(TOO_LARGE);

    test.each([
        ['check', 'nat.cajal', 'nat.cajal:1:13: error[size/too-large]: Nat[1000000000] is a [1000000000] vector: 1,000,000,000 entries, 4 GB as float32'],
        ['eval', 'tower.cajal', "tower.cajal:1:5: error[size/too-large]: 'f' compiles to a [1000000, 1000000] matrix: 1,000,000,000,000 entries, 4 TB as float32"],
        ['compile', 'nat.cajal', 'nat.cajal:1:13: error[size/too-large]'],
        ['run', 'pair.cajal', 'pair.cajal:1:48: error[size/too-large]: Nat[100000] * Nat[100000] is a [100000, 100000] tensor: 10,000,000,000 entries, 40 GB as float32'],
        ['run', 'infinite.cajal', 'infinite.cajal:1:12: error[size/too-large]: Nat[1000'],
        ['train', 'train.cajal', "train.cajal:2:5: error[size/too-large]: 'huge' compiles to a [1000000, 1000000] matrix"]
    ])('cajal %s %s: a located error, exit 1, in seconds and little memory', async (command, file, expected) => {
        const args = command === 'compile' ? [command, file, '--emit', 'tfjs', '-o', 'out'] : [command, file];
        const run = await measured(args, directory);
        const output = run.stdout + run.stderr; // check prints its diagnostics on stdout
        expect(output).toContain(expected);
        expect(output).toMatch(file === 'infinite.cajal' ? /a size must be a whole number below 2\^53/
            : /the limit is 67,108,864 entries \(raise it with --max-tensor or the cajal\.maxTensor setting\)\./);
        expect(output).not.toContain('internal error');
        expect(run.code).toBe(1);
        expect(run.seconds).toBeLessThan(30);
        expect(run.maxRssMb).toBeLessThan(400);
        expect(fs.existsSync(path.join(directory, 'out'))).toBe(false);
    }, 60_000);

    test('--max-tensor raises the limit (and lowers it); a bad value is a usage error', async () => {
        const raised = await measured(['check', 'tower.cajal', '--max-tensor', '1000000000000'], directory);
        expect(raised.code).toBe(0);
        const lowered = await measured(['check', 'tower.cajal', '--max-tensor', '100000'], directory);
        expect(lowered.code).toBe(1);
        expect(lowered.stdout).toContain('tower.cajal:1:12: error[size/too-large]: Nat[1000] -o Nat[1000] is a [1000, 1000] matrix: 1,000,000 entries, 4 MB as float32; the limit is 100,000 entries');
        const bad = await measured(['check', 'tower.cajal', '--max-tensor', 'lots'], directory);
        expect(bad.code).toBe(2);
        expect(bad.stderr).toContain("--max-tensor expects a non-negative integer, but got 'lots'.");
    }, 60_000);

    test('iter over Nat[100000] compiles without allocating its 10^10-entry identity: folding gives way to run-time code', async () => {
        const iterDirectory = directoryWith({
            'parity.cajal': 'def not : Bool -o Bool = fun x => if x then false else true\n' +
                'def parity : Nat[100000] -o Bool = fun n => iter n { zero => true ; succ y => not y }\n'
        });
        const run = await measured(['compile', 'parity.cajal', '--emit', 'tfjs', '-o', 'out'], iterDirectory);
        expect(run.stderr).not.toContain('internal error');
        expect(run.code).toBe(0);
        expect(run.maxRssMb).toBeLessThan(400);
        expect(fs.readFileSync(path.join(iterDirectory, 'out', 'parity.js'), 'utf8')).toContain('parity');
    }, 60_000);
});
