// Timing helpers shared by the benchmark modules.

/** The value below which a fraction p of the values lie (p = 0.5: the median). */
export function percentile(values, p) {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

export const median = values => percentile(values, 0.5);

/**
 * Median wall time in ms of `repetitions` calls of fn (after `warmup` untimed calls); fn must
 * force its result. (A tf.tidy callback must not return the downloaded data: tidy walks a
 * returned typed array element by element looking for tensors, which costs far more than the op.)
 */
export function timeMs(fn, { warmup = 1, repetitions = 3 } = {}) {
    for (let i = 0; i < warmup; i++) fn();
    const times = [];
    for (let i = 0; i < repetitions; i++) {
        const start = performance.now();
        fn();
        times.push(performance.now() - start);
    }
    return median(times);
}
