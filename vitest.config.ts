import { defineConfig } from 'vitest/config';

// Tests import workspace packages by name, which resolves to their built `out/` folders:
// run `npm run build` first (`npm test` does, via pretest).
export default defineConfig({
    test: {
        include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
        exclude: ['**/node_modules/**', 'test/vscode-e2e/**'],
        testTimeout: 60_000,
        hookTimeout: 120_000,
        pool: 'forks'
    }
});
