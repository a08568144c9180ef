/**
 * How an extern's declaration reads as a network, and the network's tensor signature: what
 * the architecture registry (architectures.ts), the extern checks and the trainer build on.
 */
import type * as ast from '../generated/ast.js';
import { typeFromSyntax } from '../typing/type-checker.js';
import { containsError, isDiscrete, shape, uncurry, type CajalType } from '../typing/types.js';

/** The inputs and output of an extern, as tensors (without the batch axis). */
export interface NetworkSignature {
    /** One shape per curried argument: `A1 -o A2 -o B` has two inputs, fed to one network. */
    readonly inputs: readonly number[][];
    readonly output: readonly number[];
    /** True when the result type is Bool, Nat[k] or a product of those: a distribution over its basis. */
    readonly discreteOutput: boolean;
    /** True when the output is a function value (binders reading): a matrix, read raw by default. */
    readonly functionOutput: boolean;
}

/**
 * How an extern's declaration reads as a network (docs/training.md, "Function-valued externs"):
 * - `arguments`: `extern f : A1 -o … -o An -o B` is one network of all n arguments (flattened
 *   and concatenated) with output B;
 * - `binders`: `extern f (x1 : A1) … (xn : An) : B` is a network of the binders with output B,
 *   which may be a function value (a [dim C, dim D] matrix per example for B = D -o C) that
 *   the program applies.
 */
export interface ExternReading {
    readonly reading: 'arguments' | 'binders';
    readonly inputs: readonly CajalType[];
    readonly output: CajalType;
}

/** The curried reading of a type: `A1 -o … -o An -o B` as one network of A1 … An with output B. */
export function argumentsReading(type: CajalType): ExternReading {
    const { params, result } = uncurry(type);
    return { reading: 'arguments', inputs: params, output: result };
}

/** How an extern reads as a network: by its binders when it has any, else by its type's arguments. */
export function externReading(extern: ast.Extern): ExternReading {
    if (extern.params.length === 0) return argumentsReading(typeFromSyntax(extern.type));
    return { reading: 'binders', inputs: extern.params.map(param => typeFromSyntax(param.type)), output: typeFromSyntax(extern.type) };
}

/** The tensor signature of an extern's reading (or of a type, read by its arguments), or a message saying why it cannot be a network. */
export function networkSignature(typeOrReading: CajalType | ExternReading): NetworkSignature | string {
    const reading = 'reading' in typeOrReading ? typeOrReading : argumentsReading(typeOrReading);
    const { inputs, output } = reading;
    if ([...inputs, output].some(containsError)) return 'the type has errors';
    if (inputs.length === 0) return `an extern with an architecture must have a function type A -o B, but this has type ${output}`;
    for (const input of inputs) {
        if (input.kind === 'function') return `a network cannot take a function (${input}) as input; give it Real, Bool or Nat inputs`;
    }
    return {
        inputs: inputs.map(shape),
        output: shape(output),
        discreteOutput: isDiscrete(output),
        functionOutput: output.kind === 'function'
    };
}
