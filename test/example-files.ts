import * as fs from 'node:fs';
import * as path from 'node:path';

export const repositoryRoot = path.resolve(import.meta.dirname, '..');

/** Every `.cajal` file under examples/ (recursively), as [path relative to the repository, text], sorted by path. */
export function exampleFiles(): Array<[string, string]> {
    const found: Array<[string, string]> = [];
    const walk = (directory: string): void => {
        for (const entry of fs.readdirSync(directory, { withFileTypes: true })) {
            const full = path.join(directory, entry.name);
            if (entry.isDirectory()) walk(full);
            else if (entry.name.endsWith('.cajal')) found.push([path.relative(repositoryRoot, full), fs.readFileSync(full, 'utf-8')]);
        }
    };
    walk(path.join(repositoryRoot, 'examples'));
    return found.sort(([a], [b]) => a.localeCompare(b));
}
