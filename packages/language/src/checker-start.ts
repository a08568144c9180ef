/**
 * How a process that checks Cajal sets up V8 for its checker thread. No Langium: the entry
 * points import this module (`@cajal/language/checker-start`) before loading anything else —
 * the language server's supervisor before it starts the checker's worker (and the server's
 * dist/main.js before it compiles the bundle), the CLI's bundled worker (dist/worker.js)
 * before it compiles its bundle.
 *
 * V8 takes a code cache only under the flags it was made with. So the flag is set before a
 * bundle is compiled through its cache (the caches are written when a thread exits, under
 * the flags of then), and, where it can be, after Node's own start: a worker started after
 * the flag is set cannot use Node's built-in code cache (made under Node's default flags)
 * and compiles Node's internal modules, about 60 ms of CPU. The CLI sets it on its worker,
 * after Node's start there; the server sets it on the main thread, whose bundle and cache
 * are compiled before, and its worker pays those 60 ms — on the 5,000-line file a tenth of
 * what the budget saves.
 *
 * A first check is short: the 5,000-line benchmark file takes about a second, and V8 spends
 * much of it optimising. With its default tier-up budget (`--interrupt-budget`, 66 KB of
 * bytecode run per function before it is considered for TurboFan), most of the parser and
 * the checkers are compiled by TurboFan on V8's helper threads during the first check — in a
 * fresh process, helper threads used about as much CPU as the checking thread itself (bench/
 * profile-check.mjs, "of which other threads") — although a second run of them would gain
 * little. A larger budget lets only the functions that stay hot be optimised: the first
 * check of that file took a median of 1.61 s of CPU with the default and 1.17 s with 400 KB
 * (6 fresh processes each, interleaved, loaded 2-core machine), and the 100,000-line check
 * the same 8.3 s of CPU either way (the hot functions are optimised all the same, a little
 * later). A budget the user gives Node (`--interrupt-budget=…` on its command line) is kept.
 */
import { setFlagsFromString } from 'node:v8';

/** The tier-up budget the checker runs with, in bytes of bytecode (V8's default: 67,584). */
export const CHECKER_INTERRUPT_BUDGET = 400_000;

/**
 * Sets V8's tier-up budget for this process, as V8's flags are: for every thread. Returns
 * whether it did (not where Node was given a budget of its own).
 */
export function tuneV8ForChecking(execArgv: readonly string[] = process.execArgv): boolean {
    if (execArgv.some(argument => /^--interrupt[-_]budget(=|$)/.test(argument))) return false;
    setFlagsFromString(`--interrupt-budget=${CHECKER_INTERRUPT_BUDGET}`);
    return true;
}
