/**
 * Start-up of the `cajal` command: wall time from spawning `node packages/cli/bin/cajal.js …`
 * to its exit, the median of N process starts (after one untimed round that warms the file
 * cache), interleaved with plain `node -e 0` on the same machine as the floor. What loads when is
 * described in docs/cli.md ("Start-up"). Uses the built CLI (packages/cli/out).
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, percentile } from './timing.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliBin = path.join(root, 'packages', 'cli', 'bin', 'cajal.js');

/** Wall time in ms of one run of node with args (in the repository root); throws if the run fails. */
function processTime(args, expectedStatus = 0) {
    const started = performance.now();
    const result = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf-8' });
    const elapsed = performance.now() - started;
    if (result.status !== expectedStatus) {
        throw new Error(`node ${args.join(' ')} exited with ${result.status}: ${result.stderr}`);
    }
    return elapsed;
}

export default async function run(ctx) {
    const starts = ctx.quick ? 5 : 15;
    const cases = [
        { name: 'node -e 0 (the floor)', args: ['-e', '0'] },
        { name: 'cajal --version', args: [cliBin, '--version'], target: '< 150' },
        { name: 'cajal check examples/logic.cajal', args: [cliBin, 'check', 'examples/logic.cajal'], target: '< 400' }
    ];
    const wanted = cases.filter(({ name }) => ctx.wants('startup', name));
    // Round-robin (floor, --version, check, floor, …): a burst of load on a shared machine
    // then slows every case alike instead of one case's whole series.
    const times = wanted.map(() => []);
    for (let i = -1; i < starts; i++) {
        wanted.forEach(({ args }, c) => {
            const elapsed = processTime(args);
            if (i >= 0) times[c].push(elapsed); // the first round warms the file cache (and writes the code cache)
        });
    }
    const floor = wanted.findIndex(c => c.name.startsWith('node -e 0'));
    return wanted.map(({ name, target }, c) => {
        ctx.log(`${name}: ${times[c].map(t => t.toFixed(0)).join(' ')} ms`);
        const aboveFloor = floor >= 0 && c !== floor ? `, ${(median(times[c]) - median(times[floor])).toFixed(0)} ms above the floor` : '';
        return {
            suite: 'startup', name: `${name} (median)`, value: median(times[c]), unit: 'ms', target,
            note: `p90 ${percentile(times[c], 0.9).toFixed(0)} ms over ${starts} process starts, interleaved${aboveFloor}`
        };
    });
}
