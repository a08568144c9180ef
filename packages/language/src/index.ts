/**
 * @cajal/language — the Cajal language core: grammar, scoping, type and linearity checking,
 * the reference interpreter and the checks of training declarations, as Langium services
 * without any LSP or VS Code dependency. Test helpers are in `@cajal/language/testing`;
 * the lexical facts (keywords, brackets, comments) in `@cajal/language/lexical`.
 */

// Services: the checker as a Langium service container, and the modules the language
// server assembles its own container from.
export { CajalModule, CajalSharedModule, createCajalCoreServices } from './cajal-module.js';
export type { CajalAddedServices, CajalServices } from './cajal-module.js';
export { CajalGeneratedModule, CajalGeneratedSharedModule } from './generated/module.js';
export { registerValidationChecks } from './validation/cajal-validator.js';
export { CajalDocumentFactory } from './workspace/cajal-document-factory.js';

// Checking files from disk, as the CLI does.
export { checkSourceText, errorsOf, loadFiles } from './workspace.js';
export type { CheckedWorkspace } from './workspace.js';
export { Codes } from './problems.js';

// The syntax tree and queries on it.
export * as ast from './generated/ast.js';
export { applicationSpine, assignedProperty, isLinearBinder, propertyNode } from './syntax.js';
export { visibleBinders } from './references/cajal-scope.js';
export { findLeafAt, findNameLeafAt } from './cst-index.js';
export { leafStart } from './langium-internals.js';
export { CajalParser, type DeclarationsParse } from './parser/fast-parser.js';
/** Limits of the parser's guards: deeper nesting, or more unclosed brackets, is reported instead of parsed. */
export { MAX_NESTING_DEPTH } from './parser/cajal-lexer.js';
export { MAX_UNCLOSED } from './parser/unbalanced-guard.js';

// Types: values, constructors and the vector space of each (the arithmetic is @cajal/ir's).
export {
    Bool, ErrorType, Nat, RealT, basisLabels, containsError, dim, fn, fnN, isDiscrete, isError, natOf, product, shape, uncurry
} from './typing/types.js';
export type { CajalType } from './typing/types.js';
export { declaredType, typeFromSyntax } from './typing/type-checker.js';

// The reference interpreter's values (the interpreter itself is `services.interpreter.Interpreter`).
export { CajalRuntimeError, basisValues, boolValue, formatValue, natValue, pairValue } from './interpreter/interpreter.js';
export type { ExternImplementations, Value } from './interpreter/interpreter.js';

// Externs and training declarations: architectures, settings, what a model uses.
export { ARCHITECTURES, architectureRequest, externNetwork, resolveArchitecture } from './training/architectures.js';
export type { ResolvedArchitecture } from './training/architectures.js';
export { argumentsReading, externReading } from './training/extern-reading.js';
export type { ExternReading } from './training/extern-reading.js';
export { partialExternMessage } from './training/extern-checks.js';
export { externsUsed, trainingSettings } from './training/training-checks.js';
export type { EvaluationSegment, LossName, Pairing, TrainingSettings } from './training/training-checks.js';

// Tensor sizes: what each declaration needs, known from its types, checked against a limit (size/too-large).
export { CajalTensorSizes, DEFAULT_MAX_TENSOR_ENTRIES, describeTensor, formatBytes, formatEntries, isValidSize } from './typing/tensor-sizes.js';

// Reading sources and data: regular files only, size-capped.
export { FIELD_PLACEHOLDER, MAX_NPY_DATA_BYTES, MAX_TEXT_DATA_BYTES, dataBaseDirectory, dataFilePaths, dataFilesOf, isInside, maxDataFileBytes } from './training/data-files.js';
export type { DataFile, DataFileStatus } from './training/data-files.js';
export { MAX_SOURCE_BYTES, UnreadableFileError, checkRegularFile, readRegularFile, readRegularTextFile } from './workspace/regular-files.js';
