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
import { isMainThread, parentPort, Worker, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { tuneV8ForChecking } from '@cajal/language/checker-start';

/** The stack the worker gets; the language core's nesting guard scales with it. */
export const WORKER_STACK_MB = 256;

if (isMainThread) {
    // V8's flags hold for the whole process: set before the checker's worker starts.
    tuneV8ForChecking();
    void import('./supervisor.js').then(({ runSupervisor }) => runSupervisor({
        argv: process.argv.slice(2),
        startWorker: () => new Worker(fileURLToPath(import.meta.url), {
            resourceLimits: { stackSizeMb: WORKER_STACK_MB },
            // The worker's console goes to our stderr: stdout may carry the LSP stream.
            stdout: true,
            stderr: true
        })
    }));
} else {
    void import('./server.js').then(({ startServerOnPort }) => startServerOnPort(parentPort as MessagePort));
}
