/**
 * How a process that checks Cajal sets up V8 before its checker thread starts. No Langium:
 * the CLI's launcher and the language server's supervisor import this module
 * (`@cajal/language/checker-start`) before loading anything else.
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
 * Sets V8's tier-up budget for this process, as V8's flags are: for every thread, the
 * checker's worker included (call it before starting the worker). Returns whether it did
 * (not where Node was given a budget of its own).
 */
export function tuneV8ForChecking(execArgv: readonly string[] = process.execArgv): boolean {
    if (execArgv.some(argument => /^--interrupt[-_]budget(=|$)/.test(argument))) return false;
    setFlagsFromString(`--interrupt-budget=${CHECKER_INTERRUPT_BUDGET}`);
    return true;
}
