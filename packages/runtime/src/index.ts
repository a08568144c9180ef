/**
 * @cajal/runtime — the TensorFlow.js library compiled Cajal programs import: backend
 * selection, encoders/decoders for Cajal values, and the neurons (gates, recurrent
 * iteration, multilinear contraction) that compiled code is made of. Depends only on
 * tfjs and the dependency-free tensor contract @cajal/ir, so generated modules run under
 * plain Node.
 */

// Backends.
export { initBackend, currentBackend } from './backend.js';
export { WasmGemm, ownWasmGemmStats, setGemmTuning, useOwnWasmGemm } from './wasm-gemm.js';
export type { OwnGemmMode } from './wasm-gemm.js';
export type { BackendChoice, BackendName, BackendOptions, BackendPreference } from './backend.js';

// The type descriptions generated modules carry, and their arithmetic (from the tensor contract, @cajal/ir).
export { DEFAULT_NAT_BOUND, basisLabels, dimOf, isDiscrete, shapeOf, typeToString, validateType } from '@cajal/ir';
export type { TypeDesc } from '@cajal/ir';

// Cajal values to tensors and back.
export { encode, encodeBool, encodeNat, encodeOne } from './encode.js';
export type { JsValue, NestedNumbers } from './encode.js';
export { decode, decodeVector } from './decode.js';
export type { Decoded } from './decode.js';

// Running compiled programs, and the neurons generated modules call (RUNTIME_ENTRY_POINTS).
export { releaseProgram, runProgram } from './program.js';
export type { ProgramInputs } from './program.js';
export { applyTensor, bindValue, constantTensor, float32FromBase64, materialize, networkCall, toBatch } from './program.js';
export { applyMatrix, basisBatch, contract, contractByMatMul, flatten, gate, iterate, outer, reshapeBatched, reshapeTo, splitPair, succ, tabulate } from './neurons.js';

// Linked networks: the functions that implement externs.
export { MissingNetworksError, callNetwork, missingNetworks, requireNetworks } from './networks.js';
export type { LinkedNetworks, Network } from './networks.js';

// Ops with a hand-written backward pass (the train package's dense stack and losses, the small contraction).
export { runOpSharingSaved, tapeEngine, useSharedSaves } from './tape.js';
export type { TapeEngine } from './tape.js';

// The WebAssembly assembler the project's own kernels are written with is a separate entry,
// @cajal/runtime/wasm-assembly (the train package's FusedAdam and correlation kernels use it).
