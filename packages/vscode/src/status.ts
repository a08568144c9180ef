// The language status items (the `{}` next to "Cajal" in the status bar, shown for .cajal
// files): the language server's state and the backend Run and Train use, with Restart; and,
// while a training runs, its progress, with a link to the log.
import type * as vscodeTypes from 'vscode';

export type ServerState = 'starting' | 'running' | 'stopped';

type Api = Pick<typeof vscodeTypes, 'languages' | 'LanguageStatusSeverity'>;

export const showOutputCommand = 'cajal.showOutput';
export const restartServerCommand = 'cajal.restartServer';

export class LanguageStatus {
    private readonly server: vscodeTypes.LanguageStatusItem;
    private training: vscodeTypes.LanguageStatusItem | undefined;
    private readonly trainings = new Map<number, string>();
    private nextTraining = 0;
    private state: ServerState = 'starting';

    constructor(private readonly vscode: Api, private backend: () => string) {
        this.server = vscode.languages.createLanguageStatusItem('cajal.server', { language: 'cajal' });
        this.server.name = 'Cajal language server';
        this.server.command = { title: 'Restart', command: restartServerCommand, tooltip: 'Restart the Cajal language server' };
        this.render();
    }

    setServerState(state: ServerState): void {
        this.state = state;
        this.render();
    }

    /** A training started: returns a function to report its progress (undefined: it ended). */
    trainingStarted(name: string): (progress: string | undefined) => void {
        const id = this.nextTraining++;
        this.trainings.set(id, `${name}: starting`);
        this.render();
        return progress => {
            if (progress === undefined) this.trainings.delete(id);
            else this.trainings.set(id, `${name}: ${progress}`);
            this.render();
        };
    }

    render(): void {
        const stopped = this.state === 'stopped';
        this.server.text = stopped ? '$(error) Cajal server stopped' : this.state === 'starting' ? 'Cajal server starting' : 'Cajal';
        this.server.detail = `language server ${this.state}; Run/Train backend: ${this.backend()}`;
        this.server.busy = this.state === 'starting';
        this.server.severity = stopped ? this.vscode.LanguageStatusSeverity.Error : this.vscode.LanguageStatusSeverity.Information;
        if (this.trainings.size === 0) {
            this.training?.dispose();
            this.training = undefined;
            return;
        }
        if (!this.training) {
            this.training = this.vscode.languages.createLanguageStatusItem('cajal.training', { language: 'cajal' });
            this.training.name = 'Cajal training';
            this.training.command = { title: 'Show Log', command: showOutputCommand, tooltip: 'Show the Cajal output channel' };
            this.training.busy = true;
        }
        const all = [...this.trainings.values()];
        this.training.text = `$(pulse) Training ${all[0]}`;
        this.training.detail = all.length > 1 ? `${all.length} trainings: ${all.join('; ')}` : undefined;
    }

    dispose(): void {
        this.server.dispose();
        this.training?.dispose();
    }
}
