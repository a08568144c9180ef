/** Types of what tests import from server.bench.mjs (the editor benchmarks' long-file generator). */
/** A program of `definitions` declarations, 5 lines each: a doc comment, a head and an `if … else if` body calling the previous one. */
export function generateProgram(definitions?: number): string;
