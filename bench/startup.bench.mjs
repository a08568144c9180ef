/**
 * Start-up of the `cajal` command: wall time from spawning `node packages/cli/bin/cajal.js …`
 * to its exit, the median of N process starts (after one untimed start that warms the file
 * cache), with plain `node -e 0` on the same machine as the floor. What loads when is
 * described in docs/cli.md ("Start-up"). Uses the built CLI (packages/cli/out).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, percentile } from './timing.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliBin = path.join(root, 'packages', 'cli', 'bin', 'cajal.js');

/** Wall times in ms of `starts` runs of node with args (in the repository root); throws if a run fails. */
function processTimes(args, starts, expectedStatus = 0) {
    const times = [];
    for (let i = -1; i < starts; i++) {
        const started = performance.now();
        const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf-8' });
        const elapsed = performance.now() - started;
        if (result.status !== expectedStatus) {
            throw new Error(`node ${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
        }
        if (i >= 0) times.push(elapsed);
    }
    return times;
}

export default async function run(ctx) {
    const starts = ctx.quick ? 5 : 15;
    const cases = [
        { name: 'node -e 0 (the floor)', args: ['-e', '0'] },
        { name: 'cajal --version', args: [cliBin, '--version'], target: '< 150' },
        { name: 'cajal check examples/logic.cajal', args: [cliBin, 'check', 'examples/logic.cajal'], target: '< 400' }
    ];
    const rows = [];
    for (const { name, args, target } of cases) {
        if (!ctx.wants('startup', name)) continue;
        const times = processTimes(args, starts);
        ctx.log(`${name}: ${times.map(t => t.toFixed(0)).join(' ')} ms`);
        rows.push({
            suite: 'startup', name: `${name} (median)`, value: median(times), unit: 'ms', target,
            note: `p90 ${percentile(times, 0.9).toFixed(0)} ms over ${starts} process starts`
        });
    }
    return rows;
}
