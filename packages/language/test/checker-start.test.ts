/**
 * V8's set-up for checking (src/checker-start.ts), in real Node processes: the tier-up budget
 * is set unless Node was given one.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHECKER_INTERRUPT_BUDGET, checkerV8Flags, tuneV8ForChecking } from '../src/checker-start.js';

const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** What tuneV8ForChecking answers in a fresh `node` started with `nodeArguments`, through the package's export. */
function tunedIn(nodeArguments: string[]): string {
    const script = "import { tuneV8ForChecking } from '@cajal/language/checker-start'; console.log(tuneV8ForChecking());";
    const result = spawnSync(process.execPath, [...nodeArguments, '--input-type=module', '-e', script], { cwd: repository, encoding: 'utf-8' });
    // V8 prints "Error: unrecognized flag" for a flag it lacks, and carries on: nothing may be printed.
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    return result.stdout.trim();
}
const hasBudget = Number(process.versions.v8.split('.')[0]) < 12;

describe('tuneV8ForChecking', () => {
    it("sets the budget in a plain Node process where V8 has it, silently, and keeps the one Node was given", () => {
        expect(tunedIn([])).toBe(String(hasBudget));
        if (hasBudget) {
            expect(tunedIn(['--interrupt-budget=100000'])).toBe('false');
            expect(tunedIn(['--interrupt_budget=100000'])).toBe('false');
        }
    });

    it('asks for the budget on V8 11 (Node 20) only: V8 12 (Node ≥ 22) has no such flag', () => {
        expect(checkerV8Flags([], '11.3.244.8-node.33')).toEqual([`--interrupt-budget=${CHECKER_INTERRUPT_BUDGET}`]);
        expect(checkerV8Flags(['--interrupt-budget=5000'], '11.3.244.8-node.33')).toEqual([]);
        expect(checkerV8Flags([], '12.4.254.21-node.33')).toEqual([]);
        expect(checkerV8Flags([], '13.6.233.10-node.27')).toEqual([]);
    });

    it('leaves a budget given on the command line alone (without touching this process)', () => {
        expect(tuneV8ForChecking(['--stack-size=4000', '--interrupt-budget=5000'])).toBe(false);
        expect(CHECKER_INTERRUPT_BUDGET).toBeGreaterThan(67_584); // above V8's default, or it would change nothing
    });
});
