/**
 * Seeded randomness: every random choice of a training run (examples drawn, shuffling,
 * weight initialisation) derives from the run's seed, so runs are reproducible.
 */

/** A deterministic generator of floats in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
    let state = (seed >>> 0) ^ 0x9e3779b9;
    return () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** A uniformly random permutation of 0 … n-1 (Fisher–Yates). */
export function permutation(n: number, random: () => number): Int32Array {
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        const t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    return order;
}

/** A seed for a sub-task (e.g. "init", "shuffle"), so changing one use of randomness leaves the others alone. */
export function deriveSeed(seed: number, purpose: string): number {
    let hash = 2166136261 ^ seed;
    for (let i = 0; i < purpose.length; i++) hash = Math.imul(hash ^ purpose.charCodeAt(i), 16777619);
    return hash >>> 0;
}
