import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliBin } from '../../../test/executables.js';

export const repository = path.resolve(__dirname, '../../..');
/** The CLI these tests run (its one home: test/executables.ts). */
export const bin = cliBin;

export interface Run {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

/** Runs the real `cajal` bin in a child process. `onStart` may signal it. */
export function cajal(args: string[], cwd: string, onStart?: (child: ReturnType<typeof spawn>) => void): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '', stderr = '';
        child.stdout.setEncoding('utf8').on('data', chunk => { stdout += chunk; });
        child.stderr.setEncoding('utf8').on('data', chunk => { stderr += chunk; });
        child.on('error', reject);
        child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
        onStart?.(child);
    });
}

/** A fresh temporary directory with the given files. */
export function directoryWith(files: Record<string, string>): string {
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-cli-'));
    for (const [name, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(directory, name)), { recursive: true });
        fs.writeFileSync(path.join(directory, name), text);
    }
    return directory;
}
