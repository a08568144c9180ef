import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { torchTrainerScript } from '@cajal/train';

/**
 * The Python with torch the engine's tests run (CAJAL_PYTHON, else Debian's /usr/bin/python3,
 * which `.ci/run` gives python3-torch). The tests need it: they fail, not skip, without it.
 */
export const TORCH_PYTHON = process.env.CAJAL_PYTHON ?? '/usr/bin/python3';

/** Runs a Python script with the trainer module importable (and `env` added to the environment); returns its stdout parsed as JSON. */
export function python(script: string, cwd: string, env: NodeJS.ProcessEnv = {}): unknown {
    const run = spawnSync(TORCH_PYTHON, ['-c', `import sys; sys.path.insert(0, ${JSON.stringify(path.dirname(torchTrainerScript()))})\n${script}`], { cwd, encoding: 'utf-8', timeout: 180_000, env: { ...process.env, ...env } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return JSON.parse(run.stdout);
}

/** Entry-wise |torch − tfjs| within a relative tolerance. */
export function close(actual: readonly number[], expected: readonly number[], what: string, tolerance = 1e-4): void {
    expect(actual.length, what).toBe(expected.length);
    actual.forEach((x, i) => expect(Math.abs(x - expected[i]), `${what} entry ${i}: torch ${x}, tfjs ${expected[i]}`).toBeLessThan(tolerance * (1 + Math.abs(expected[i]))));
}
