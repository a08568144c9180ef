/**
 * The functions of `@cajal/runtime` that generated TensorFlow.js modules call (as `rt.<name>`).
 * The code generator names them through this list and the runtime's tests check that it exports
 * each one, so renaming one on either side fails a build or a test, not a user's generated module.
 */
export const RUNTIME_ENTRY_POINTS = [
    'applyMatrix', 'applyTensor', 'bindValue', 'constantTensor', 'flatten', 'float32FromBase64', 'gate',
    'iterate', 'materialize', 'networkCall', 'outer', 'requireNetworks', 'splitPair', 'succ', 'toBatch'
] as const;

export type RuntimeEntryPoint = typeof RUNTIME_ENTRY_POINTS[number];
