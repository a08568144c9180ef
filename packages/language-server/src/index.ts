/**
 * @cajal/language-server — the Cajal language server (LSP over stdio, Node IPC or a socket):
 * Langium's LSP services plus Cajal's providers (hover with neurons, code lenses, formatting,
 * rename, …). No tfjs: it runs the compiler, not the tensors.
 */

// Starting a server.
export { startServer, startServerOnPort } from './server.js';

// The service container (Langium's LSP modules + the language core + Cajal's providers).
export { CajalLspModule, CajalLspSharedModule, createCajalServices } from './cajal-lsp-module.js';
export type { CajalLspAddedServices, CajalLspServices } from './cajal-lsp-module.js';

// Formatting: the provider lives in lsp/formatter.ts; the layout is @cajal/language/format's.

// The `cajal/neuron` request's answer.
export type { NeuronInfo } from './lsp/neurons.js';
