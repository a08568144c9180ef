/**
 * `cajal check` of a 100,000-line file, cold: one process per check, as a user runs it
 * (issue 17's long-file row: "linear time: a few seconds"). The file is the server
 * benchmark's generated one (5 lines per declaration, 20,000 declarations, no problems).
 * Rows: wall time, CPU time (user + system, every thread: the checker's worker and the
 * collector's helpers; on a shared machine the steadier figure) and peak RSS, the median of
 * 3 checks (1 with --quick), read by /usr/bin/time. Uses the CLI as installed (bin/cajal.js:
 * the bundle when it is fresh, else packages/cli/out).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateProgram } from './server.bench.mjs';
import { median } from './timing.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cliBin = path.join(root, 'packages', 'cli', 'bin', 'cajal.js');
const TIME = '/usr/bin/time';

/** One `cajal check` of file: wall ms, CPU ms, peak RSS in MB. */
function checkOnce(file) {
    // %e wall s, %U user s, %S system s, %M peak RSS KB, on the last line of stderr.
    const result = spawnSync(TIME, ['-f', '%e %U %S %M', process.execPath, cliBin, 'check', file], { cwd: root, encoding: 'utf-8' });
    if (result.status !== 0) throw new Error(`cajal check of the generated file exited with ${result.status}: ${result.stderr.slice(-2000)}`);
    const [wall, user, system, rssKb] = result.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    return { wall: wall * 1000, cpu: (user + system) * 1000, rss: rssKb / 1024 };
}

export default async function run(ctx) {
    if (!['wall time', 'CPU time', 'peak RSS'].some(name => ctx.wants('check', `cajal check 100,000 lines, ${name}`))) return [];
    if (!existsSync(TIME)) throw new Error(`${TIME} (GNU time) is needed to measure the check's CPU time and memory`);
    const directory = mkdtempSync(path.join(os.tmpdir(), 'cajal-bench-long-'));
    try {
        const file = path.join(directory, 'long.cajal');
        const text = generateProgram(20_000);
        writeFileSync(file, text);
        const lines = text.split('\n').length;
        const runs = [];
        for (let i = 0; i < (ctx.quick ? 1 : 3); i++) {
            runs.push(checkOnce(file));
            ctx.log(`cajal check, ${lines} lines: ${runs.at(-1).wall.toFixed(0)} ms wall, ${runs.at(-1).cpu.toFixed(0)} ms CPU, ${runs.at(-1).rss.toFixed(0)} MB`);
        }
        const note = `median of ${runs.length} cold checks of ${lines} lines (generateProgram(20000) of server.bench.mjs)`;
        return [
            { suite: 'check', name: 'cajal check 100,000 lines, wall time', value: median(runs.map(r => r.wall)), unit: 'ms', target: '<= 5000', note },
            { suite: 'check', name: 'cajal check 100,000 lines, CPU time', value: median(runs.map(r => r.cpu)), unit: 'ms', target: '<= 5000', note: `${note}; user + system, all threads` },
            { suite: 'check', name: 'cajal check 100,000 lines, peak RSS', value: median(runs.map(r => r.rss)), unit: 'MB', note }
        ].filter(row => ctx.wants(row.suite, row.name));
    } finally {
        rmSync(directory, { recursive: true, force: true });
    }
}
