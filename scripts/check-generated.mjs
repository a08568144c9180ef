// Regenerates Langium's AST/grammar modules and the TextMate grammar, and fails if the
// committed copies differ: generated files are committed, so they must match the grammar.
import { execFileSync } from 'node:child_process';

const generated = ['packages/language/src/generated', 'syntaxes/cajal.tmLanguage.json'];
execFileSync(process.execPath, ['scripts/langium-generate.mjs'], { stdio: 'inherit' });
try {
    execFileSync('git', ['diff', '--exit-code', '--stat', '--', ...generated], { stdio: 'inherit' });
    const untracked = execFileSync('git', ['ls-files', '--others', '--exclude-standard', '--', ...generated]).toString().trim();
    if (untracked) {
        throw new Error(`untracked generated files:\n${untracked}`);
    }
    console.log('Generated files are up to date.');
} catch (error) {
    console.error('Generated files are out of date: run `npm run langium:generate` and commit the result.');
    if (error instanceof Error && error.message) console.error(error.message);
    process.exit(1);
}
