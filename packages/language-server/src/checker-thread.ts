/**
 * Starting the checker's worker thread (main.ts). Small and free of Langium, so that the
 * bundled server's entry (dist/main.cjs, packages/language-server/esbuild.mjs) can start the
 * worker before the relay compiles and runs the bundle itself: the worker's own start (Node's
 * bootstrap of a thread, then the bundle) is the longest serial stretch before the first check,
 * and the relay's loading then overlaps it instead of preceding it (docs/editors.md, "Start-up").
 * The entry and the bundle each hold a copy of this module, so the early worker is handed over
 * through a global.
 */
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { markStart } from './start-timeline.js';

/** The stack the worker gets; the language core's nesting guard scales with it. */
export const WORKER_STACK_MB = 256;

/** Starts the checker's thread on `scriptUrl`, the file URL of main.js (which on a worker runs the server). */
export function startCheckerThread(scriptUrl: string): Worker {
    markStart('checker thread started');
    return new Worker(fileURLToPath(scriptUrl), {
        resourceLimits: { stackSizeMb: WORKER_STACK_MB },
        // The worker's console goes to our stderr: stdout may carry the LSP stream.
        stdout: true,
        stderr: true
    });
}

interface EarlyCheckerThread {
    worker: Worker;
    exited: boolean;
    reportError: (error: unknown) => void;
}

const EARLY = Symbol.for('cajal.language-server.early-checker-thread');
type WithEarly = { [EARLY]?: EarlyCheckerThread };

/** Starts the checker's thread before the relay is loaded; the supervisor adopts it with {@link takeEarlyCheckerThread}. */
export function startCheckerThreadEarly(scriptUrl: string): void {
    const worker = startCheckerThread(scriptUrl);
    const early: EarlyCheckerThread = {
        worker,
        exited: false,
        // An 'error' without a listener would end the process before the supervisor could restart the thread.
        reportError: error => process.stderr.write(`cajal-language-server: the server thread failed while starting: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`)
    };
    worker.once('exit', () => { early.exited = true; });
    worker.on('error', early.reportError);
    (globalThis as WithEarly)[EARLY] = early;
}

/** The thread {@link startCheckerThreadEarly} started, once, unless it has already stopped (then the supervisor starts one). */
export function takeEarlyCheckerThread(): Worker | undefined {
    const early = (globalThis as WithEarly)[EARLY];
    delete (globalThis as WithEarly)[EARLY];
    if (early === undefined) return undefined;
    early.worker.off('error', early.reportError);
    return early.exited ? undefined : early.worker;
}
