#!/usr/bin/env node
// The `cajal` command. The work runs on a worker thread with a 256 MB stack: the parser,
// the checkers and the interpreter recurse on the program's nesting, and Node's main
// thread has only about 1 MB of stack. This thread forwards interrupts and sets the exit code.
import { Worker } from 'node:worker_threads';

const worker = new Worker(new URL('../out/worker.js', import.meta.url), {
    argv: process.argv.slice(2),
    resourceLimits: { stackSizeMb: 256 }
});

let cancellable = false;
let reportedCode;
let interrupts = 0;
let forcedCode;
let exitTimer;

function onSignal(signal) {
    interrupts++;
    if (cancellable && interrupts === 1) {
        // The command winds down by itself (e.g. train keeps the last completed epoch).
        worker.postMessage({ type: 'interrupt', signal });
        return;
    }
    // Nothing to keep, or a second interrupt: stop now.
    forcedCode = signal === 'SIGTERM' ? 143 : 130;
    void worker.terminate();
}
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

// The reader went away (e.g. `cajal check … | head`): nobody wants the rest of the output.
for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', error => {
        if (error?.code !== 'EPIPE') throw error;
        forcedCode ??= 141; // 128 + SIGPIPE, as if the pipe had killed us
        void worker.terminate();
    });
}

worker.on('message', message => {
    if (message?.type === 'start') {
        cancellable = message.cancellable === true;
    } else if (message?.type === 'exit') {
        reportedCode = message.code;
        // The worker ends by itself once idle; if a library keeps it alive, stop it.
        exitTimer = setTimeout(() => void worker.terminate(), 2000);
    }
});
worker.on('error', error => {
    process.stderr.write(`cajal: internal error (please report it): ${error?.stack ?? error}\n`);
    reportedCode ??= 70;
});
worker.on('exit', code => {
    clearTimeout(exitTimer);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.exitCode = forcedCode ?? reportedCode ?? (code === 0 ? 70 : code);
});
