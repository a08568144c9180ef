// Runs langium-cli's generator. langium-cli 4.4 calls Object.groupBy (Node 21+); this
// project supports Node 20, so the generator gets a faithful polyfill first.
if (typeof Object.groupBy !== 'function') {
    Object.groupBy = (items, keyOf) => {
        const groups = Object.create(null);
        let index = 0;
        for (const item of items) {
            const key = keyOf(item, index++);
            (groups[key] ??= []).push(item);
        }
        return groups;
    };
}
process.argv = [process.argv[0], 'langium', 'generate', '--file', 'packages/language/langium-config.json', ...process.argv.slice(2)];
const { pathToFileURL } = await import('node:url');
const path = await import('node:path');
// langium-cli exports no subpaths, so its entry is located in node_modules directly.
const entry = path.resolve(import.meta.dirname, '..', 'node_modules', 'langium-cli', 'lib', 'langium.js');
await import(pathToFileURL(entry).href);
