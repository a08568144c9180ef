/**
 * V8's set-up for checking (src/checker-start.ts), in real Node processes: the tier-up budget
 * is set unless Node was given one.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CHECKER_INTERRUPT_BUDGET, tuneV8ForChecking } from '../src/checker-start.js';

const repository = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** What tuneV8ForChecking answers in a fresh `node` started with `nodeArguments`, through the package's export. */
function tunedIn(nodeArguments: string[]): string {
    const script = "import { tuneV8ForChecking } from '@cajal/language/checker-start'; console.log(tuneV8ForChecking());";
    return execFileSync(process.execPath, [...nodeArguments, '--input-type=module', '-e', script], { cwd: repository, encoding: 'utf-8' }).trim();
}

describe('tuneV8ForChecking', () => {
    it("sets the budget in a plain Node process, and keeps the one Node was given", () => {
        expect(tunedIn([])).toBe('true');
        expect(tunedIn(['--interrupt-budget=100000'])).toBe('false');
        expect(tunedIn(['--interrupt_budget=100000'])).toBe('false');
    });

    it('leaves a budget given on the command line alone (without touching this process)', () => {
        expect(tuneV8ForChecking(['--stack-size=4000', '--interrupt-budget=5000'])).toBe(false);
        expect(CHECKER_INTERRUPT_BUDGET).toBeGreaterThan(67_584); // above V8's default, or it would change nothing
    });
});
