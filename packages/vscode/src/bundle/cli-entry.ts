// Entry of the bundled CLI (dist/cli.mjs). Like packages/cli/bin/cajal.js, the command runs
// on a worker thread with a 256 MB stack (the parser and checkers recurse on nesting), and
// the main thread turns the first SIGINT/SIGTERM into an interrupt message so a cancellable
// command (train) can stop after keeping its last completed epoch. Here the worker is this
// same bundle, so the .vsix needs no node_modules and no second file.
import { isMainThread, Worker } from 'node:worker_threads';

if (isMainThread) {
    const worker = new Worker(new URL(import.meta.url), { argv: process.argv.slice(2), resourceLimits: { stackSizeMb: 256 } });
    let cancellable = false;
    let interrupts = 0;
    let reportedCode: number | undefined;
    let forcedCode: number | undefined;
    let exitTimer: NodeJS.Timeout | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
        interrupts++;
        if (cancellable && interrupts === 1) {
            worker.postMessage({ type: 'interrupt', signal });
            return;
        }
        forcedCode = signal === 'SIGTERM' ? 143 : 130;
        void worker.terminate();
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    worker.on('message', (message: { type?: string; cancellable?: boolean; code?: number }) => {
        if (message?.type === 'start') cancellable = message.cancellable === true;
        else if (message?.type === 'exit') {
            reportedCode = message.code;
            // The worker ends once idle; if a library (tfjs) keeps it alive, stop it.
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
} else {
    // @ts-ignore -- built separately (npx tsc -b); esbuild resolves it at bundle time.
    await import('../../../cli/out/worker.js');
}
