/**
 * Starts the CLI's work on a worker thread with a 256 MB stack: the parser, the checkers
 * and the interpreter recurse on the program's nesting, and Node's main thread has only
 * about 1 MB of stack. The main thread forwards interrupts and sets the exit code.
 * Used by bin/cajal.js and by the VS Code extension's bundled CLI (where the worker is the
 * bundle itself). The protocol is described in worker.ts.
 */
import { Worker } from 'node:worker_threads';
import { cliVersion } from './version.js';
import type { ExitMessage, StartMessage } from './worker.js';

export const CLI_STACK_MB = 256;

/**
 * Starts the command on the worker, or answers `--version` here without one: starting a worker
 * and loading the commands costs far more than Node's own start (see docs/cli.md, "Start-up").
 */
export function launchCli(workerScript: URL, argv: string[] = process.argv.slice(2)): Worker | undefined {
    if (argv[0] === '--version' || argv[0] === '-V') {
        // The same answer as main() gives, which still handles it for in-process callers.
        process.stdout.write(`${cliVersion()}\n`);
        process.exitCode = 0;
        return undefined;
    }
    const worker = new Worker(workerScript, { argv, resourceLimits: { stackSizeMb: CLI_STACK_MB } });
    let cancellable = false;
    let interrupts = 0;
    let reportedCode: number | undefined;
    let forcedCode: number | undefined;
    let exitTimer: NodeJS.Timeout | undefined;

    const onSignal = (signal: NodeJS.Signals): void => {
        interrupts++;
        if (cancellable && interrupts === 1) {
            // The command winds down by itself (e.g. train keeps the last completed epoch).
            worker.postMessage({ type: 'interrupt', signal });
            return;
        }
        // Nothing to keep, or a second interrupt: stop now.
        forcedCode = signal === 'SIGTERM' ? 143 : 130;
        void worker.terminate();
        // A worker blocked in a system call (a read that never returns) cannot be terminated:
        // the process stops anyway.
        const code = forcedCode;
        setTimeout(() => process.exit(code), 1000).unref();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);

    // The reader went away (e.g. `cajal check … | head`): nobody wants the rest of the output.
    for (const stream of [process.stdout, process.stderr]) {
        stream.on('error', (error: NodeJS.ErrnoException) => {
            if (error?.code !== 'EPIPE') throw error;
            forcedCode ??= 141; // 128 + SIGPIPE, as if the pipe had killed us
            void worker.terminate();
        });
    }

    worker.on('message', (message: StartMessage | ExitMessage) => {
        if (message?.type === 'start') {
            cancellable = message.cancellable === true;
        } else if (message?.type === 'exit') {
            reportedCode = message.code;
            // The worker ends by itself once idle; if a library (tfjs) keeps it alive, stop it.
            exitTimer = setTimeout(() => void worker.terminate(), 2000);
        }
    });
    worker.on('error', error => {
        process.stderr.write(`cajal: internal error (please report it): ${error?.stack ?? String(error)}\n`);
        reportedCode ??= 70;
    });
    worker.on('exit', code => {
        if (exitTimer) clearTimeout(exitTimer);
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        process.exitCode = forcedCode ?? reportedCode ?? (code === 0 ? 70 : code);
    });
    return worker;
}
