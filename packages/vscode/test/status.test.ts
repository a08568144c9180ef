import { describe, expect, it } from 'vitest';
import { LanguageStatus } from '../src/status.js';

/** Records the language status items created, as the editor would show them. */
function fakeLanguages() {
    const items: Array<Record<string, unknown> & { id: string; disposed: boolean }> = [];
    const api = {
        LanguageStatusSeverity: { Information: 0, Warning: 1, Error: 2 },
        languages: {
            createLanguageStatusItem(id: string, selector: unknown) {
                const item = { id, selector, disposed: false, dispose() { item.disposed = true; } } as Record<string, unknown> & { id: string; disposed: boolean };
                items.push(item);
                return item;
            }
        }
    };
    return { api, items };
}

describe('language status items', () => {
    it('show the server state and backend, with Restart', () => {
        const { api, items } = fakeLanguages();
        let backend = 'auto';
        const status = new LanguageStatus(api as never, () => backend);
        const server = items[0];
        expect(server).toMatchObject({ id: 'cajal.server', selector: { language: 'cajal' }, busy: true, command: { command: 'cajal.restartServer' } });
        status.setServerState('running');
        expect(server).toMatchObject({ text: 'Cajal', busy: false, severity: 0, detail: 'language server running; Run/Train backend: auto' });
        backend = 'wasm';
        status.setServerState('stopped');
        expect(server).toMatchObject({ text: '$(error) Cajal server stopped', severity: 2, detail: 'language server stopped; Run/Train backend: wasm' });
    });

    it('show a running training\'s progress while it runs, with a link to the log', () => {
        const { api, items } = fakeLanguages();
        const status = new LanguageStatus(api as never, () => 'auto');
        const report = status.trainingStarted('andEven');
        const training = items.find(i => i.id === 'cajal.training')!;
        expect(training).toMatchObject({ text: '$(pulse) Training andEven: starting', busy: true, command: { command: 'cajal.showOutput' } });
        report('epoch 2/5: loss 0.3');
        expect(training.text).toBe('$(pulse) Training andEven: epoch 2/5: loss 0.3');
        report(undefined);
        expect(training.disposed).toBe(true);
    });
});
