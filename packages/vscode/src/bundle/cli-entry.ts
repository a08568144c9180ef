// Entry of the bundled CLI (dist/cli.mjs). As with packages/cli/bin/cajal.js, the command
// runs on a large-stack worker thread (the CLI's launcher); here the worker is this same
// bundle, so the .vsix needs no node_modules and no second file.
import { isMainThread } from 'node:worker_threads';
// The CLI is built separately (npx tsc -b) and may not exist when this is type-checked, so
// not @ts-expect-error (which fails once it does exist); esbuild resolves it at bundle time.
// eslint-disable-next-line @typescript-eslint/ban-ts-comment
// @ts-ignore -- built separately (npx tsc -b); esbuild resolves it at bundle time.
import { launchCli } from '../../../cli/out/launcher.js';

if (isMainThread) {
    launchCli(new URL(import.meta.url));
} else {
    // eslint-disable-next-line @typescript-eslint/ban-ts-comment
    // @ts-ignore -- built separately (npx tsc -b); esbuild resolves it at bundle time.
    await import('../../../cli/out/worker.js');
}
