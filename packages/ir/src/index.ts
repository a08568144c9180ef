/**
 * @cajal/ir — the tensor contract between the Cajal compiler and the code that runs its output.
 * No dependencies (no tfjs, no Langium): the compiler, the runtime, the language server and the
 * code generators all import it, so each fact below is written once.
 */

// Type descriptions and the vector space of each type (spec §7).
export type { TypeDesc, TypeShape } from './types.js';
export { DEFAULT_NAT_BOUND, basisLabels, dimOf, isDiscrete, isEnumerable, shapeOf, typeToString, validateType } from './types.js';

// The program IR.
export type { IrNode, IrOp, Program, ProgramExtern, ProgramInput, VarRef } from './program.js';
export { containsIterate, irChildren } from './program.js';

// What generated TensorFlow.js modules call in @cajal/runtime.
export { RUNTIME_ENTRY_POINTS } from './runtime-entry-points.js';
export type { RuntimeEntryPoint } from './runtime-entry-points.js';
