import * as fs from 'node:fs';
import * as nodePath from 'node:path';
// Runs langium-cli's generator. langium-cli 4.4 calls Object.groupBy (Node 21+); the
// generator gets a faithful polyfill first, so it also runs on a Node 20 machine.
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
// Langium writes a TextMate rule for `{- -}` from the ML_COMMENT terminal's regular expression,
// which cannot nest; Cajal's block comments do (the lexer counts `{-` and `-}`). Once the
// generator is done, the rule is made recursive: a block comment may contain block comments.
const textMateFile = nodePath.resolve(import.meta.dirname, '..', 'syntaxes', 'cajal.tmLanguage.json');
process.on('exit', code => {
    if (code !== 0) return;
    const grammar = JSON.parse(fs.readFileSync(textMateFile, 'utf8'));
    const comments = grammar.repository.comments.patterns;
    const index = comments.findIndex(rule => rule.name === 'comment.block.cajal');
    if (index < 0) throw new Error(`${textMateFile}: no comment.block.cajal rule to make nestable`);
    grammar.repository['block-comment'] = { ...comments[index], patterns: [{ include: '#block-comment' }] };
    comments[index] = { include: '#block-comment' };
    fs.writeFileSync(textMateFile, JSON.stringify(grammar, null, 2) + '\n');
});
process.argv = [process.argv[0], 'langium', 'generate', '--file', 'packages/language/langium-config.json', ...process.argv.slice(2)];
const { pathToFileURL } = await import('node:url');
const path = await import('node:path');
// langium-cli exports no subpaths, so its entry is located in node_modules directly.
const entry = path.resolve(import.meta.dirname, '..', 'node_modules', 'langium-cli', 'lib', 'langium.js');
await import(pathToFileURL(entry).href);
