import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The version of @cajal/cli, from its package.json ("unknown" in bundles that lack it). */
export function cliVersion(): string {
    if (cached === undefined) {
        try {
            cached = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf-8')) as { version: string }).version;
        } catch {
            cached = 'unknown';
        }
    }
    return cached;
}
