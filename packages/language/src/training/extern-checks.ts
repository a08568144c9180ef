/**
 * The checks of extern declarations and their uses: the reading of binders and output, the
 * architecture's arguments and shapes, and several-argument externs applied to fewer.
 */
import type { AstNode } from 'langium';
import * as ast from '../generated/ast.js';
import { Codes, type CheckProblem } from '../problems.js';
import { declaredType, typeFromSyntax } from '../typing/type-checker.js';
import { containsError, fnN, isEnumerable, uncurry } from '../typing/types.js';
import { architectureRequest, resolveArchitecture } from './architectures.js';
import { externReading } from './extern-reading.js';

/** Why a several-argument extern may not be applied to fewer than all of its arguments (shared with the compiler). */
export function partialExternMessage(name: string, arity: number, given: number): string {
    const args = Array.from({ length: arity }, (_, i) => `a${i + 1}`);
    const missing = args.slice(given);
    return `The extern '${name}' is one network of all its ${arity} arguments, so it must be applied to all of them, but here it gets ${given}. `
        + `Apply it fully (${[name, ...args].join(' ')}); for a function value write fun ${missing.join(' ')} => ${[name, ...args].join(' ')}.`;
}

/**
 * A use of an extern of several arguments (`A1 -o … -o An -o B`, n ≥ 2) applied to fewer
 * than n arguments: such an extern is one network of all n inputs and has no meaning on
 * fewer. Reported on the whole (partial) application. Ascriptions around the extern's name
 * are looked through, as the compiler does; the arity comes from the declared type.
 */
export function partialExternApplication(use: ast.Var): CheckProblem | undefined {
    const extern = use.ref?.ref;
    if (!ast.isExtern(extern)) return undefined;
    if (containsError(declaredType(extern))) return undefined;
    const arity = externReading(extern).inputs.length;
    if (arity < 2) return undefined;
    let node: AstNode = use;
    while (ast.isAscription(node.$container) && node.$container.term === node) node = node.$container;
    let given = 0;
    while (ast.isApplication(node.$container) && node.$container.function === node) {
        node = node.$container;
        given++;
    }
    if (given >= arity) return undefined;
    return { code: Codes.partialExternApplication, message: partialExternMessage(extern.name, arity, given), severity: 'error', node };
}

/**
 * Problems in an extern's declaration: binders that mix the two readings (a binder of a
 * function type; an output type that takes the binders' types again, as if the binders
 * were not there) and its architecture.
 */
export function externProblems(extern: ast.Extern): CheckProblem[] {
    const type = declaredType(extern);
    if (containsError(type)) return []; // the type checker reports the type itself
    const problems: CheckProblem[] = [];
    const reading = externReading(extern);
    if (reading.reading === 'binders') {
        extern.params.forEach((param, i) => {
            const input = reading.inputs[i];
            if (input.kind === 'function') {
                problems.push({
                    code: Codes.externReading, severity: 'error', node: param,
                    message: `The binder '${param.name}' of the extern '${extern.name}' is an input of its network, which cannot take a function (${input}); give it Real, Bool or Nat inputs.`
                });
            }
        });
        // An output that is a function of the binders' own types again, one of them Real: a
        // linear map of a second image is no one's intent; it is the type written as if
        // without binders. (A Bool binder with a Bool -o … output is a fine function value.)
        const output = uncurry(reading.output);
        const repeated = output.params.slice(0, reading.inputs.length);
        if (repeated.length === reading.inputs.length && repeated.every((param, i) => param.equals(reading.inputs[i])) && repeated.some(param => !isEnumerable(param))) {
            const binders = extern.params.map(param => `(${param.name} : ${typeFromSyntax(param.type)})`).join(' ');
            const rest = fnN(output.params.slice(reading.inputs.length), output.result);
            problems.push({
                code: Codes.externReading, severity: 'error', node: extern.type,
                message: `The extern '${extern.name}' mixes its two readings: its binders ${binders} are the network's inputs and the type after ':' is the network's output, `
                    + `but this output, ${reading.output}, takes the binders' types again. For one network of ${extern.params.map(p => p.name).join(', ')} write `
                    + `\`extern ${extern.name} ${binders} : ${rest}\` (or, the same network, \`extern ${extern.name} : ${fnN(reading.inputs, rest)}\`); `
                    + `for a network whose output is a function value, write after ':' only that function's type.`
            });
        }
    }
    const net = extern.net;
    if (!net?.architecture || problems.length > 0) return problems;
    const result = resolveArchitecture(architectureRequest(net), reading);
    if (result.ok) return problems;
    const arg = result.argIndex !== undefined ? net.args[result.argIndex] : undefined;
    return [{
        code: result.code, message: result.message, severity: 'error',
        node: arg ?? net, property: arg ? undefined : 'architecture'
    }];
}
