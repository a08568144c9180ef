// ESLint (flat config): typescript-eslint's recommended rules over the TypeScript sources and
// tests. Syntax-only rules (no type information), so `npm run lint` stays quick on small machines.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
    {
        ignores: [
            '**/node_modules/**', '**/out/**', '**/dist/**', 'packages/language/src/generated/**',
            'packages/compiler/test/golden/**', 'packages/compiler/test/.tmp-e2e-*/**', 'experiments/runs/**', 'scratch/**', '**/*.d.ts'
        ]
    },
    js.configs.recommended,
    ...tseslint.configs.recommended,
    {
        files: ['**/*.ts'],
        rules: {
            // `_name` marks a parameter an override or callback must accept but does not use.
            '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
            // Non-null assertions state invariants the checker cannot see (e.g. a parsed node's CST).
            '@typescript-eslint/no-non-null-assertion': 'off'
        }
    },
    {
        files: ['**/*.mjs', '**/*.js', '**/*.cjs'],
        languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', __dirname: 'readonly', require: 'readonly', module: 'writable', fetch: 'readonly', AbortController: 'readonly', TextDecoder: 'readonly', TextEncoder: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', performance: 'readonly', structuredClone: 'readonly', globalThis: 'readonly', queueMicrotask: 'readonly', setImmediate: 'readonly' } }
    },
    {
        // The real-editor test hands some callbacks to the page (Playwright's evaluate): they run in the browser.
        files: ['test/vscode-e2e/**/*.mjs'],
        languageOptions: { globals: { window: 'readonly', document: 'readonly', MutationObserver: 'readonly' } }
    }
);
