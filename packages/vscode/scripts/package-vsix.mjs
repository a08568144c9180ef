// Builds the .vsix offline with @vscode/vsce. Everything is bundled by esbuild.mjs, so
// vsce must not walk node_modules (--no-dependencies: this is an npm workspace and the
// extension has no run-time dependencies outside dist/). Fails if a required bundle is
// missing, so a half-built package is never produced. Prints the .vsix path.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const here = path.resolve(import.meta.dirname, '..');
const manifest = JSON.parse(fs.readFileSync(path.join(here, 'package.json'), 'utf8'));
const required = ['dist/extension.cjs', 'dist/server.cjs', 'dist/cli.mjs', 'syntaxes/cajal.tmLanguage.json', 'language-configuration.json', 'images/icon.png'];
const missing = required.filter(f => !fs.existsSync(path.join(here, f)));
if (missing.length > 0) {
    console.error(`package-vsix: missing ${missing.join(', ')}. Build the workspace (npx tsc -b tsconfig.build.json) and run node esbuild.mjs --production first.`);
    process.exit(1);
}
const out = path.join(here, `${manifest.name}-${manifest.version}.vsix`);
const vsce = createRequire(import.meta.url).resolve('@vscode/vsce/vsce');
execFileSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository', '--out', out], {
    cwd: here,
    stdio: ['ignore', 'inherit', 'inherit']
});
console.log(out);
