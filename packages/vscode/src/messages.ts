// Messages the webviews send to the extension. The webview is untrusted input (its page
// could be tampered with), so every message is checked before it reaches a handler.

export type NeuronViewMessage = { type: 'ready' } | { type: 'refresh' } | { type: 'copy' } | { type: 'pin' };
export type TrainingViewRequest = { type: 'ready' } | { type: 'cancel' } | { type: 'revealWeights' } | { type: 'rendered'; sequence: number };

export interface NeuronViewHandlers {
    ready(): void | Promise<void>;
    refresh(): void | Promise<void>;
    copy(): void | Promise<void>;
    /** Toggles whether the view stays on its declaration or follows the cursor. */
    pin?(): void | Promise<void>;
}

export interface TrainingViewHandlers {
    ready(): void | Promise<void>;
    cancel(): void | Promise<void>;
    revealWeights(): void | Promise<void>;
    /** The view has drawn the state with this sequence number (flow control: one state in flight). */
    rendered?(sequence: number): void;
}

function messageType(message: unknown): string | undefined {
    if (typeof message !== 'object' || message === null) return undefined;
    const type = (message as { type?: unknown }).type;
    return typeof type === 'string' ? type : undefined;
}

/** Dispatches a neuron-view message; returns false (and does nothing) for anything unknown. */
export async function handleNeuronViewMessage(message: unknown, handlers: NeuronViewHandlers): Promise<boolean> {
    switch (messageType(message)) {
        case 'ready': await handlers.ready(); return true;
        case 'refresh': await handlers.refresh(); return true;
        case 'copy': await handlers.copy(); return true;
        case 'pin': if (!handlers.pin) return false; await handlers.pin(); return true;
        default: return false;
    }
}

export async function handleTrainingViewMessage(message: unknown, handlers: TrainingViewHandlers): Promise<boolean> {
    switch (messageType(message)) {
        case 'ready': await handlers.ready(); return true;
        case 'cancel': await handlers.cancel(); return true;
        case 'revealWeights': await handlers.revealWeights(); return true;
        case 'rendered': {
            const sequence = (message as { sequence?: unknown }).sequence;
            if (typeof sequence !== 'number' || !Number.isFinite(sequence)) return false;
            handlers.rendered?.(sequence);
            return true;
        }
        default: return false;
    }
}
