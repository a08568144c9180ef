/**
 * @cajal/compiler — type-directed compilation of Cajal to linear and recurrent neurons
 * (spec §7) in plain TypeScript: constant tensors of closed definitions, run-time
 * programs (IR) for terms with inputs or externs, TensorFlow.js code generation and
 * weight export. No tfjs: generated code and `@cajal/runtime` run the tensors.
 */
export { OUT, NamedTensor, product } from './named-tensor.js';
export { ProgramAnalysis } from './analysis.js';
export type { TermFacts } from './analysis.js';
export { Folder, CompileError, NotConstantError, TensorTooLargeError, DEFAULT_MAX_ENTRIES } from './fold.js';
export { ProgramCompiler, peelBinders, toTypeDesc } from './program.js';
export type { IrNode, Program, ProgramExtern, ProgramInput, ProgramOptions, TypeDesc, VarRef } from './program.js';
export { neuronOf, weightsOf } from './neuron.js';
export type { Neuron, NeuronOptions } from './neuron.js';
export { encodeNpy, decodeNpy } from './npy.js';
export { generateTfjsModule, compileDocumentPrograms, compileDocumentToTfjs, jsIdentifier } from './generate.js';
export type { GenerateOptions, GeneratedModule } from './generate.js';
export { generateTorchModule, compileDocumentToTorch, documentArchitectures, torchArchitecture, pythonIdentifier, pythonLiteral } from './generate-torch.js';
export type { TorchArchitecture, TorchGenerateOptions } from './generate-torch.js';
