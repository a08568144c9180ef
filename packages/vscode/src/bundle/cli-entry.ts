// Entry of the bundled CLI (dist/cli.mjs). As with packages/cli/bin/cajal.js, the command
// runs on a large-stack worker thread (the CLI's launcher); here the worker is this same
// bundle, so the .vsix needs no node_modules and no second file.
import { isMainThread } from 'node:worker_threads';
// @ts-ignore -- built separately (npx tsc -b); esbuild resolves it at bundle time.
import { launchCli } from '../../../cli/out/launcher.js';

if (isMainThread) {
    launchCli(new URL(import.meta.url));
} else {
    // @ts-ignore -- built separately (npx tsc -b); esbuild resolves it at bundle time.
    await import('../../../cli/out/worker.js');
}
