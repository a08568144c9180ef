/**
 * @cajal/compiler — type-directed compilation of Cajal to linear and recurrent neurons
 * (spec §7) in plain TypeScript: constant tensors of closed definitions, run-time
 * programs (IR) for terms with inputs or externs, TensorFlow.js code generation and
 * weight export. No tfjs: generated code and `@cajal/runtime` run the tensors.
 */

// The entry points: a definition or term to a program (the IR of @cajal/ir, re-exported for
// generators) with the compiler's warnings; closed definitions' neurons (below).
export { TermCompiler, compileDefinition, compileTerm } from './compile.js';
export type { CompiledProgram } from './compile.js';
export { toTypeDesc } from './program.js';
export type { CompileWarning, IrNode, Program, ProgramExtern, ProgramInput, ProgramOptions, TypeDesc, VarRef } from './program.js';
export { CompileError, NotConstantError, ReplicatedVariableError, TensorTooLargeError, containsFunction, isHigherOrder } from './fold.js';
// The folder (closed terms to constant tensors), for the correctness theorem's test, which
// applies a definition's tensor to argument tensors.
export { Folder } from './fold.js';

// Generating a TensorFlow.js module from a document's programs.
export { compileDocumentPrograms, compileDocumentToTfjs, generateTfjsModule, jsIdentifier } from './generate.js';
export type { GenerateOptions, GeneratedModule } from './generate.js';

// Neurons and weight files: a closed definition's tensor with its labels, `.npy` arrays, atomic writes.
export { NeuronCompiler, neuronOf } from './neuron.js';
export type { Neuron, NeuronOptions } from './neuron.js';
// Learned neurons read back as programs: function matrices, the nearest program, distances.
export {
    columnArgmax, compileGeneratedDefinition, definitionMatrix, generateNearestProgram, matrixDistance, oneHotMatrix, tabulationProblem, uncurriedMatrix
} from './learned.js';
export type { FunctionMatrix, MatrixDistance } from './learned.js';
export { NpyFormatError, decodeNpy, encodeNpy, parseNpy } from './npy.js';
export type { NpyArray } from './npy.js';
export { OutputWriteError, TEMPORARY_FILE, removeStaleTemporaries, writeFileAtomic, writeProblem, type AtomicWriteFileSystem, type AtomicWriteOptions } from './output-files.js';

// Generating a PyTorch module (Python source importing only torch) from a document's programs.
export { generateTorchModule, compileDocumentToTorch, documentArchitectures, torchArchitecture, pythonIdentifier, pythonLiteral } from './generate-torch.js';
export type { TorchArchitecture, TorchGenerateOptions } from './generate-torch.js';
