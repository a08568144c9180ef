import { dim, shape, isError, containsError, type CajalType } from '@cajal/language';

/** `[4, 2]` */
export function formatShape(dims: readonly number[]): string {
    return `[${dims.join(', ')}]`;
}

/** `1 entry`, `8 entries`, `1,000 weights`. */
export function plural(count: number, word: string): string {
    const many = /[^aeiou]y$/.test(word) ? `${word.slice(0, -1)}ies` : `${word}s`;
    return `${count.toLocaleString('en-US')} ${count === 1 ? word : many}`;
}

/**
 * What a value of this type compiles to (spec §7): a function is a linear neuron, a weight
 * matrix [dim B, dim A]; anything else is a tensor of the type's shape.
 * E.g. `linear neuron, weight matrix [4, 2] (8 weights), input Bool (2) → output Bool -o Bool (4)`.
 */
export function neuronShapeText(type: CajalType): string | undefined {
    if (isError(type) || containsError(type)) {
        return undefined;
    }
    if (type.kind === 'function') {
        const rows = dim(type.codomain), cols = dim(type.domain);
        return `linear neuron, weight matrix ${formatShape([rows, cols])} (${plural(rows * cols, 'weight')}), `
            + `input ${type.domain} (${cols}) → output ${type.codomain} (${rows})`;
    }
    const dims = shape(type);
    if (type.kind === 'product') {
        return `tensor product, shape ${formatShape(dims)} (${plural(dim(type), 'entry')}, ${type.left} ⊗ ${type.right})`;
    }
    if (type.kind === 'real') {
        return `real tensor, shape ${formatShape(dims)} (${plural(dim(type), 'entry')})`;
    }
    return `vector, shape ${formatShape(dims)}${type.kind === 'bool' ? ' (true = [1, 0], false = [0, 1])' : ` (one-hot over 0…${dim(type) - 1})`}`;
}

/** `iter n { … }` over Nat[k] with state A: a recurrent neuron unrolled k-1 steps. */
export function iterNeuronText(countType: CajalType, stateType: CajalType): string | undefined {
    if (countType.kind !== 'nat' || containsError(stateType)) {
        return undefined;
    }
    const steps = countType.bound - 1;
    return `recurrent neuron, unrolled ${steps} step${steps === 1 ? '' : 's'} (count ${countType}), `
        + `state ${stateType}, state shape ${formatShape(shape(stateType))} (${plural(dim(stateType), 'entry')})`;
}

/** `if c then a else b`: c₀·a + c₁·b, a gate bilinear in the condition and the branches. */
export function ifNeuronText(resultType: CajalType): string | undefined {
    if (containsError(resultType)) return undefined;
    return `bilinear gate: condition Bool (2) × branches ${resultType} (${dim(resultType)})`;
}

/** An extern: a learned network mapping a batch of shape(A) to a batch of shape(B). */
export function externNetworkText(type: CajalType, parameters?: number): string | undefined {
    if (containsError(type)) return undefined;
    if (type.kind !== 'function') {
        return `linked constant, shape ${formatShape(shape(type))}`;
    }
    const input = shape(type.domain), output = shape(type.codomain);
    const inputText = type.domain.kind === 'function' ? `${formatShape(input)} (a ${type.domain} matrix)` : formatShape(input);
    const outputText = type.codomain.kind === 'function' ? `${formatShape(output)} (a ${type.codomain} matrix)` : formatShape(output);
    const params = parameters !== undefined ? `, ${plural(parameters, 'parameter')}` : '';
    return `linked network, input ${type.domain} shape ${inputText} → output ${type.codomain} shape ${outputText}${params}`;
}

/** A markdown table of a matrix with labelled rows and columns (at most a few dozen entries). */
export function matrixTable(data: readonly number[], rows: readonly string[], cols: readonly string[]): string {
    const escape = (text: string): string => text.replace(/\|/g, '\\|');
    const number = (value: number): string => Number.isInteger(value) ? String(value) : value.toPrecision(4).replace(/\.?0+$/, '');
    const header = `| | ${cols.map(escape).join(' | ')} |`;
    const rule = `|---|${cols.map(() => '---:').join('|')}|`;
    const body = rows.map((row, r) => `| **${escape(row)}** | ${cols.map((_, c) => number(data[r * cols.length + c])).join(' | ')} |`);
    return [header, rule, ...body].join('\n');
}
