export { createCajalServices, CajalLspModule, CajalLspSharedModule, type CajalLspServices, type CajalLspAddedServices } from './cajal-lsp-module.js';
export { formatCajalText, CajalFormatError } from './format.js';
export { formatText, formatTextRange, formatUnits, tokenize, type TextReplacement } from './lsp/format-text.js';
export { parsesAlone } from './lsp/formatter.js';
export { startServer, startServerOnPort } from './server.js';
export type { NeuronInfo } from './lsp/neurons.js';
