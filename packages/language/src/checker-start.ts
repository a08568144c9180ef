/**
 * How a process that checks Cajal sets up V8 for its checker thread. No Langium: the entry
 * points import this module (`@cajal/language/checker-start`) before loading anything else —
 * the language server's supervisor before it starts the checker's worker (and the server's
 * dist/main.cjs before it compiles the bundle), the CLI's bundled worker (dist/worker.js)
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
 * The V8 flags the checker runs with in this Node: the budget, where V8 has it and Node was
 * not given one of its own. V8 12 (Node 22, every Node package.json's engines allow) has no
 * `--interrupt-budget` — it tiers up by invocation counts, and `setFlagsFromString` of the old
 * flag only prints "Error: unrecognized flag" there. On Node 22 none of the flags tried gained
 * (5 fresh first checks each of the 5,000-line file, `bench/profile-check.mjs --node-flags`,
 * loaded machine: CPU after loading 1.05 s by default against 1.21 s with
 * `--invocation-count-for-turbofan=6000`, 1.26 s with `--maglev`, 1.43 s with a 32 MB young
 * generation; 18000 made the parse alone 0.42 → 0.70 s), so it runs with V8's defaults.
 */
export function checkerV8Flags(execArgv: readonly string[] = process.execArgv, v8Version: string = process.versions.v8): string[] {
    const major = Number(v8Version.split('.')[0]);
    if (!(major < 12)) return [];
    if (execArgv.some(argument => /^--interrupt[-_]budget(=|$)/.test(argument))) return [];
    return [`--interrupt-budget=${CHECKER_INTERRUPT_BUDGET}`];
}

/**
 * Sets checkerV8Flags for this process, as V8's flags are: for every thread. Returns whether
 * it set any.
 */
export function tuneV8ForChecking(execArgv: readonly string[] = process.execArgv): boolean {
    const flags = checkerV8Flags(execArgv);
    for (const flag of flags) setFlagsFromString(flag);
    return flags.length > 0;
}
