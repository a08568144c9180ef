/**
 * The CLI's worker thread (started by bin/cajal.js with a 256 MB stack, which the parser's
 * nesting guard and the recursive checkers rely on). Protocol with the main thread:
 *   worker → main  { type: 'start', cancellable }   before the command runs
 *   worker → main  { type: 'exit', code }           after its output is flushed
 *   main → worker  { type: 'interrupt', signal }    the user pressed Ctrl-C (or sent SIGTERM)
 */
import { parentPort } from 'node:worker_threads';
import { processIO } from './command.js';
import { findCommand } from './commands/index.js';
import { main } from './main.js';

export interface StartMessage { readonly type: 'start'; readonly cancellable: boolean }
export interface ExitMessage { readonly type: 'exit'; readonly code: number }
export interface InterruptMessage { readonly type: 'interrupt'; readonly signal: string }

function flushed(stream: NodeJS.WritableStream): Promise<void> {
    return new Promise(resolve => stream.write('', () => resolve()));
}

async function runWorker(): Promise<void> {
    const port = parentPort;
    if (!port) {
        throw new Error('worker.js runs as the CLI\'s worker thread; start the CLI with bin/cajal.js.');
    }
    const interrupted = new AbortController();
    port.on('message', (message: InterruptMessage) => {
        if (message?.type === 'interrupt' && !interrupted.signal.aborted) {
            interrupted.abort(new Error(`interrupted by ${message.signal}`));
        }
    });
    const argv = process.argv.slice(2);
    port.postMessage({ type: 'start', cancellable: findCommand(argv[0] ?? '')?.cancellable === true } satisfies StartMessage);
    const code = await main(argv, processIO(interrupted.signal));
    await flushed(process.stdout);
    await flushed(process.stderr);
    port.postMessage({ type: 'exit', code } satisfies ExitMessage);
    // Let the thread end once nothing else is pending.
    port.unref();
}

// Not a top-level await: the bundle of this file (dist/worker-bundle.cjs) is CommonJS. A
// failure still ends the worker with an 'error' event (an unhandled rejection).
void runWorker();
