import * as fs from 'node:fs';
import * as path from 'node:path';
import { expect } from 'vitest';

/** Bytes as hex, 32 to a line: a golden file of a generated WebAssembly module that a diff can show. */
export function hexLines(bytes: Uint8Array): string {
    return Array.from({ length: Math.ceil(bytes.length / 32) }, (_, i) =>
        Array.from(bytes.subarray(32 * i, 32 * i + 32), b => b.toString(16).padStart(2, '0')).join(' ')).join('\n') + '\n';
}

/**
 * Expects `actual` to equal the golden file `directory/golden/name`; with UPDATE_GOLDEN=1 it
 * first writes `actual` there (a code generator's change, reviewed in the diff).
 */
export function expectGolden(directory: string, name: string, actual: string): void {
    const file = path.join(directory, 'golden', name);
    if (process.env.UPDATE_GOLDEN === '1') {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, actual);
    }
    expect(actual).toBe(fs.readFileSync(file, 'utf-8'));
}
