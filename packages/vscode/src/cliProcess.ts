// Runs the bundled `cajal` CLI in a child process. Run and Train load TensorFlow.js and may
// take long, so they never execute inside the extension host: the host only reads the
// child's JSON output.
import { spawn, type ChildProcess } from 'node:child_process';

export interface CliLauncher {
    /** The Node executable; in VS Code the extension host's own (with ELECTRON_RUN_AS_NODE). */
    nodePath: string;
    /** The CLI script, `dist/cli.mjs` inside the extension. */
    cliPath: string;
    /** Extra environment, e.g. CAJAL_WASM_DIR pointing at the bundled .wasm files. */
    env: Record<string, string>;
}

export interface CliResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
}

export interface CliStream {
    /** Resolves when the process exits (never rejects; a spawn failure yields code null and stderr). */
    done: Promise<CliResult>;
    /** SIGTERM (the CLI keeps the last completed epoch), then SIGKILL if it does not exit within graceMs. */
    cancel(graceMs?: number): void;
    readonly process: ChildProcess;
}

export interface CliOptions {
    cwd?: string;
    onStdout?: (chunk: string) => void;
    onStderr?: (chunk: string) => void;
}

export function startCli(launcher: CliLauncher, args: string[], options: CliOptions = {}): CliStream {
    const child = spawn(launcher.nodePath, [launcher.cliPath, ...args], {
        cwd: options.cwd,
        env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...launcher.env },
        stdio: ['ignore', 'pipe', 'pipe'],
        windowsHide: true
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.setEncoding('utf8');
    child.stderr?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => { stdout += chunk; options.onStdout?.(chunk); });
    child.stderr?.on('data', (chunk: string) => { stderr += chunk; options.onStderr?.(chunk); });
    let killTimer: NodeJS.Timeout | undefined;
    const done = new Promise<CliResult>(resolve => {
        child.on('error', error => {
            stderr += `${error.message}\n`;
            resolve({ code: null, signal: null, stdout, stderr });
        });
        child.on('close', (code, signal) => {
            if (killTimer) clearTimeout(killTimer);
            resolve({ code, signal, stdout, stderr });
        });
    });
    return {
        done,
        process: child,
        cancel(graceMs = 5000) {
            if (child.exitCode !== null || child.signalCode !== null) return;
            child.kill('SIGTERM');
            killTimer = setTimeout(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); }, graceMs);
            killTimer.unref?.();
        }
    };
}
