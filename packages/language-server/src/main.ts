/**
 * Entry point of `cajal-language-server`. The same file runs twice:
 *
 * - on the main thread it is a small supervisor: it speaks LSP with the editor (over
 *   stdio with `--stdio`, the default, or over Node IPC with `--node-ipc`) and relays
 *   every message to a worker thread running this file again;
 * - on the worker thread it is the Langium language server proper.
 *
 * Why a worker: the parser and the checkers are recursive, and a worker can be given a
 * 256 MB stack (`resourceLimits.stackSizeMb`), which the nesting guard of the language
 * core reads, so that 10,000-deep programs are checked instead of crashing the server.
 * Why a supervisor: should the worker ever die (out of memory, a bug), the supervisor
 * answers the requests it had in flight with an error, starts a new worker, replays
 * `initialize` and the open documents, and the editor keeps its server.
 *
 * The file is bundle-friendly: the worker script is this module's own file, found through
 * `import.meta.url` (which the VS Code extension's esbuild build maps to the bundle).
 */
import { isMainThread, parentPort, type MessagePort, type Worker } from 'node:worker_threads';
import { tuneV8ForChecking } from '@cajal/language/checker-start';
import { startCheckerThread, takeEarlyCheckerThread } from './checker-thread.js';
import { markStart } from './start-timeline.js';

export { WORKER_STACK_MB } from './checker-thread.js';

markStart('bundle loaded');
if (isMainThread) {
    // V8's flags hold for the whole process: set before the checker's worker starts.
    tuneV8ForChecking();
    // The worker starts before the supervisor is loaded (or, bundled, before the bundle is:
    // dist/main.cjs starts it), so that the relay's loading overlaps the worker's start.
    let first: Worker | undefined = takeEarlyCheckerThread() ?? startCheckerThread(import.meta.url);
    void import('./supervisor.js').then(({ runSupervisor }) => runSupervisor({
        argv: process.argv.slice(2),
        startWorker: () => {
            const worker = first ?? startCheckerThread(import.meta.url);
            first = undefined;
            return worker;
        }
    }));
} else {
    void import('./server.js').then(({ startServerOnPort }) => {
        markStart('server module loaded');
        startServerOnPort(parentPort as MessagePort);
    });
}
