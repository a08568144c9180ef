/**
 * Checking is linear in the length of a file (issue 17: a 100,000-line file took 27 s).
 * The CPU time of `loadFiles` (what `cajal check` runs) on the server benchmark's generated
 * file, at N and 2N declarations: twice the lines must cost less than three times the time.
 * A ratio of the fastest of a few runs, never an absolute time; the absolute figure for
 * 100,000 lines is a benchmark row (bench/long-file.bench.mjs).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { NodeFileSystem } from 'langium/node';
import { createCajalCoreServices, errorsOf, loadFiles } from '@cajal/language';
// The generator of the editor benchmarks' long files: 5 lines per declaration, each a doc comment, a head and an `if … else if` body calling the previous one.
import { generateProgram } from '../../../bench/server.bench.mjs';

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cajal-long-'));
afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

/** CPU milliseconds (all of this process's threads, the collector's included) to load and check `definitions` declarations. */
async function checkCost(definitions: number): Promise<number> {
    const file = path.join(directory, `long-${definitions}.cajal`);
    fs.writeFileSync(file, generateProgram(definitions));
    const services = createCajalCoreServices(NodeFileSystem).Cajal; // building the parser is not the file's cost
    const start = process.cpuUsage();
    const workspace = await loadFiles([file], services);
    const { user, system } = process.cpuUsage(start);
    expect(workspace.documents[0].parseResult.value.declarations).toHaveLength(definitions);
    expect(errorsOf(workspace.documents[0])).toEqual([]);
    return (user + system) / 1000;
}

describe('a long file', () => {
    test('costs less than three times as much to check at twice the length', async () => {
        await checkCost(500); // compiles the hot paths before anything is timed
        const fastest = async (definitions: number) => Math.min(await checkCost(definitions), await checkCost(definitions));
        const single = await fastest(1000);
        const double = await fastest(2000);
        expect(double / single, `${single.toFixed(0)} ms for 5,000 lines, ${double.toFixed(0)} ms for 10,000`).toBeLessThan(3);
    }, 120_000);
});
