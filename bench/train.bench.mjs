/**
 * Training throughput of the AND-even linked model (examples/train/and-even.cajal,
 * train block andEven: two MNIST images → isEven1, isEven2 (mlp(400) each) → compiled `and`), in
 * training examples per second (forward, backward and Adam update, batch 64), on each
 * tfjs backend. Uses the built packages (packages/*\/out).
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const trainEntry = path.join(root, 'packages/train/out/index.js');
const languageEntry = path.join(root, 'packages/language/out/index.js');

export default async function run(ctx) {
    if (!existsSync(trainEntry)) throw new Error('packages/train/out is missing: build with npx tsc -b tsconfig.build.json');
    const { loadFiles } = await import(pathToFileURL(languageEntry).href);
    const { findTraining, prepareTraining, runTraining } = await import(pathToFileURL(trainEntry).href);
    const file = path.join(root, 'examples/train/and-even.cajal');
    const workspace = await loadFiles([file]);
    const training = findTraining(workspace.requested[0].parseResult.value, 'andEven');
    const rows = [];
    for (const backend of ['wasm', 'cpu']) {
        const name = `AND-even linked, batch 64, ${backend}`;
        if (!ctx.wants('train', name)) continue;
        // CPU is much slower: fewer examples keep the run short (per-example numbers stay comparable).
        const examples = ctx.quick ? (backend === 'cpu' ? 256 : 1024) : (backend === 'cpu' ? 1024 : 4096);
        const prepared = await prepareTraining(training, workspace.services, { backend, examples, test: 0, epochs: 2, seed: 1 });
        try {
            // Epoch 1 warms up (kernel compilation, allocation); epoch 2 is measured.
            const result = await runTraining(prepared, { backend, weightsDirectory: null });
            const [first, second] = result.history;
            const seconds = second.seconds - first.seconds;
            rows.push({ suite: 'train', name, value: examples / seconds, unit: 'examples/s', note: `${examples} examples, loss ${second.loss.toFixed(3)}` });
            ctx.log(`${name}: ${(examples / seconds).toFixed(0)} examples/s`);
        } finally {
            prepared.dispose();
        }
    }
    return rows;
}
