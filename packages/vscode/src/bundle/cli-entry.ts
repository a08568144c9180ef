// Entry of the bundled CLI (dist/cli.cjs), the same as packages/cli/bin/cajal.js but
// bundled so the .vsix needs no node_modules.
// @ts-ignore -- the CLI package is built separately; esbuild resolves this path at bundle time.
import { main } from '../../../cli/out/main.js';

(main as (argv: string[]) => Promise<number | undefined>)(process.argv.slice(2)).then(
    code => { process.exitCode = code ?? 0; },
    error => { console.error(error instanceof Error ? error.stack ?? error.message : String(error)); process.exitCode = 2; }
);
