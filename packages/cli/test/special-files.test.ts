// Files that are not regular files (issue 17): an import of a directory, a FIFO or /dev/zero,
// a source or data file that is a FIFO, a source file above the size cap. Only regular files
// are read, with a cap; the others are located errors, found in seconds, in little memory.
import { spawn, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { bin, directoryWith } from './helpers.js';

interface MeasuredRun { code: number | null; output: string; seconds: number; maxRssMb: number }

/** The real `cajal` under /usr/bin/time (peak memory), killed if it outlives `timeoutMs`. */
function measured(args: string[], cwd: string, timeoutMs = 30_000): Promise<MeasuredRun> {
    const report = path.join(cwd, `.time-${Math.random().toString(36).slice(2)}`);
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn('/usr/bin/time', ['-f', '%M', '-o', report, process.execPath, bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.setEncoding('utf8').on('data', chunk => { output += chunk; });
        child.stderr.setEncoding('utf8').on('data', chunk => { output += chunk; });
        const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
        child.on('error', reject);
        child.on('close', code => {
            clearTimeout(timer);
            const kilobytes = fs.existsSync(report) ? Number(fs.readFileSync(report, 'utf8').trim().split('\n').pop()) : NaN;
            resolve({ code, output, seconds: (Date.now() - started) / 1000, maxRssMb: kilobytes / 1024 });
        });
    });
}

function bounded(run: MeasuredRun): void {
    expect(run.output).not.toContain('internal error');
    expect(run.output).not.toMatch(/\n\s+at /); // no stack trace
    expect(run.code).toBe(1);
    expect(run.seconds).toBeLessThan(25);
    expect(run.maxRssMb).toBeLessThan(400);
}

describe('only regular files are read, with a size cap', () => {
    const directory = directoryWith({
        'main.cajal': 'import folder\nimport pipe\nimport devzero\ndef main : Bool = true\n',
        'tr.cajal': 'extern f : Bool -o Bool = mlp(2)\ntrain t { data "data.csv" (x : Bool, y : Bool); model f x; target y; epochs 1; }\n'
    });
    fs.mkdirSync(path.join(directory, 'folder.cajal'));
    execFileSync('mkfifo', [path.join(directory, 'pipe.cajal'), path.join(directory, 'data.csv')]);
    fs.symlinkSync('/dev/zero', path.join(directory, 'devzero.cajal'));

    test('an import of a directory, a FIFO and /dev/zero: each a located error at its import', async () => {
        const run = await measured(['check', 'main.cajal'], directory);
        bounded(run);
        expect(run.output).toContain("main.cajal:1:8: error[name/unknown]: Cannot read module 'folder': folder.cajal is a directory; only regular files of at most 8 MB are read.");
        expect(run.output).toContain("main.cajal:2:8: error[name/unknown]: Cannot read module 'pipe': pipe.cajal is a FIFO (named pipe), not a regular file;");
        expect(run.output).toContain("main.cajal:3:8: error[name/unknown]: Cannot read module 'devzero': devzero.cajal is a device, not a regular file;");
    }, 40_000);

    test.each([
        ['pipe.cajal', "cajal check: cannot read 'pipe.cajal': it is a FIFO (named pipe), not a regular file; give .cajal files."],
        ['devzero.cajal', "cajal check: cannot read 'devzero.cajal': it is a device, not a regular file; give .cajal files."]
    ])('a source file %s named on the command line is refused', async (file, message) => {
        const run = await measured(['check', file], directory);
        bounded(run);
        expect(run.output.trim()).toBe(message);
    }, 40_000);

    test('a source file above 8 MB is refused before it is read', async () => {
        const big = directoryWith({});
        fs.writeFileSync(path.join(big, 'big.cajal'), `def main : Bool = true -- ${'x'.repeat(9_000_000)}\n`);
        const run = await measured(['check', 'big.cajal'], big);
        bounded(run);
        expect(run.output.trim()).toBe("cajal check: cannot read 'big.cajal': it is 9 MB, above the limit of 8 MB.");
        expect(run.seconds).toBeLessThan(15);
    }, 40_000);

    test("a train block's data file that is a FIFO: a located error from check and train alike, no hang", async () => {
        // The checker looks at data files (data/unreadable), so train refuses before loading anything.
        const expected = "tr.cajal:2:16: error[data/unreadable]: The data file 'data.csv' (" + path.join(directory, 'data.csv') + ') is a FIFO (named pipe), not a regular file: training would stop here.';
        for (const command of ['check', 'train']) {
            const run = await measured([command, 'tr.cajal'], directory);
            bounded(run);
            expect(run.code).toBe(1);
            expect(run.output).toContain(expected);
        }
    }, 60_000);
});
