/** Where a command writes its output; tests pass collecting writers, the CLI process streams. */
export interface Writer {
    write(text: string): void;
}

/** Everything a command may touch besides its arguments, so commands also run in-process. */
export interface CommandIO {
    readonly stdout: Writer;
    readonly stderr: Writer;
    /** Relative file arguments are resolved against this directory. */
    readonly cwd: string;
    /**
     * Aborted when the user interrupts (Ctrl-C, SIGTERM) a command marked `cancellable`.
     * Such a command should stop soon after, keep what it has finished, and return.
     */
    readonly signal: AbortSignal;
}

export interface Command {
    readonly name: string;
    /** One line for `cajal help`. */
    readonly summary: string;
    /** The usage text printed by `cajal help NAME` and `cajal NAME --help`. */
    readonly usage: string;
    /**
     * True if the command watches `io.signal` and winds down by itself when it is aborted.
     * Otherwise an interrupt stops the command at once (exit code 130).
     */
    readonly cancellable?: boolean;
    /** Runs the command; resolves to the process exit code. */
    run(args: string[], io: CommandIO): Promise<number>;
}

/** A failure to report as `cajal: message` with an exit code, without a stack trace. */
export class CliError extends Error {
    constructor(message: string, readonly exitCode = 1) {
        super(message);
        this.name = 'CliError';
    }
}

/** Wrong arguments: reported with the command's usage, exit code 2. */
export class UsageError extends CliError {
    constructor(message: string, readonly usage?: string) {
        super(message, 2);
        this.name = 'UsageError';
    }
}

/** Output collected in memory, for tests and for callers embedding the CLI. */
export class StringWriter implements Writer {
    text = '';
    write(text: string): void {
        this.text += text;
    }
}

/** An IO that writes to this process's stdout and stderr. */
export function processIO(signal: AbortSignal = new AbortController().signal): CommandIO {
    return {
        stdout: { write: text => { process.stdout.write(text); } },
        stderr: { write: text => { process.stderr.write(text); } },
        cwd: process.cwd(),
        signal
    };
}
