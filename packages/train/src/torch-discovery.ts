/**
 * Finding the Python the PyTorch engine runs: one that imports torch (at least MIN_TORCH),
 * given, from CAJAL_PYTHON, or the first candidate that works.
 */
import { spawnSync } from 'node:child_process';

/** The oldest PyTorch the generated code and the trainer are tested with (Debian 12's). */
export const MIN_TORCH = [1, 13] as const;

const INSTALL = 'install it with `apt-get install python3-torch libopenblas0-pthread` (Debian/Ubuntu) or `pip install torch`';

/** No usable Python with PyTorch: the message says what to install (one line, no traceback). */
export class TorchUnavailableError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'TorchUnavailableError';
    }
}

export interface TorchPython {
    readonly python: string;
    readonly torchVersion: string;
}

type Probe = { ok: true; version: string } | { ok: false; reason: string };

function probe(python: string, env: NodeJS.ProcessEnv): Probe {
    const result = spawnSync(python, ['-c', 'import torch, sys; sys.stdout.write(torch.__version__)'], { encoding: 'utf-8', env, timeout: 120_000 });
    if (result.error) {
        const code = (result.error as NodeJS.ErrnoException).code;
        return { ok: false, reason: code === 'ENOENT' ? 'no such program' : code === 'EACCES' ? 'not executable' : result.error.message };
    }
    if (result.status !== 0) {
        return { ok: false, reason: /No module named '?torch'?/.test(result.stderr) ? 'it has no PyTorch (import torch fails)' : `import torch fails: ${lastLine(result.stderr)}` };
    }
    return { ok: true, version: result.stdout.trim() };
}

export function lastLine(text: string): string {
    return text.trim().split('\n').filter(line => line.trim() !== '').pop() ?? '';
}

function tooOld(version: string): boolean {
    const [major, minor] = version.split(/[.+]/).map(Number);
    return major < MIN_TORCH[0] || (major === MIN_TORCH[0] && minor < MIN_TORCH[1]);
}

/** Where a Python with torch is looked for when none is named: PATH's python3 may be a pyenv shim without Debian's packages. */
export const PYTHON_CANDIDATES: readonly string[] = ['python3', '/usr/bin/python3'];

/**
 * Finds the Python that runs the engine: `python` (--python), else CAJAL_PYTHON, else the
 * first of `python3` (PATH) and /usr/bin/python3 that imports torch. A named Python is used
 * or refused, never replaced by another. Throws TorchUnavailableError saying what to install.
 */
export function findTorchPython(options: { python?: string; env?: NodeJS.ProcessEnv; candidates?: readonly string[] } = {}): TorchPython {
    const env = options.env ?? process.env;
    const named = options.python ?? (env.CAJAL_PYTHON ? env.CAJAL_PYTHON : undefined);
    const how = options.python !== undefined ? '--python' : 'CAJAL_PYTHON';
    const candidates = named !== undefined ? [named] : options.candidates ?? PYTHON_CANDIDATES;
    const tried: string[] = [];
    for (const candidate of candidates) {
        const result = probe(candidate, env);
        if (result.ok) {
            if (tooOld(result.version)) {
                throw new TorchUnavailableError(`PyTorch ${result.version} at ${candidate} is too old (the torch engine needs ${MIN_TORCH.join('.')} or newer): ${INSTALL}.`);
            }
            return { python: candidate, torchVersion: result.version };
        }
        if (named !== undefined) throw new TorchUnavailableError(`${how} ${candidate}: ${result.reason}; ${INSTALL}, or name a Python that has it.`);
        tried.push(`${candidate}: ${result.reason}`);
    }
    throw new TorchUnavailableError(`no Python with PyTorch found (${tried.join('; ')}): ${INSTALL}, or name a Python with --python PATH or CAJAL_PYTHON.`);
}
