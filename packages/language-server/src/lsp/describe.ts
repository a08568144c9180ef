import { dim, shape, isError, containsError, type CajalType, type ExternReading } from '@cajal/language';

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

/**
 * An extern: a learned network mapping a batch of its inputs to a batch of its output, and
 * which reading of the declaration that is (docs/training.md, "Function-valued externs").
 */
export function externNetworkText(type: CajalType, reading: ExternReading, parameters?: number): string | undefined {
    if (containsError(type)) return undefined;
    if (reading.inputs.length === 0) {
        return `linked constant, shape ${formatShape(shape(type))}`;
    }
    const described = (t: CajalType) => t.kind === 'function' ? `${formatShape(shape(t))} (a ${t} matrix)` : formatShape(shape(t));
    const params = parameters !== undefined ? `, ${plural(parameters, 'parameter')}` : '';
    const output = `output ${reading.output} shape ${described(reading.output)}`;
    if (reading.reading === 'binders') {
        const inputs = reading.inputs.map(t => `${t} shape ${described(t)}`).join(', ');
        const applied = reading.output.kind === 'function' ? ': a function value the program applies' : '';
        return `linked network of its binders, input${reading.inputs.length === 1 ? '' : 's'} ${inputs} → ${output}${applied}${params}`;
    }
    if (reading.inputs.length === 1) return `linked network, input ${reading.inputs[0]} shape ${described(reading.inputs[0])} → ${output}${params}`;
    const inputs = reading.inputs.map(t => `${t} shape ${described(t)}`).join(', ');
    return `linked network of all ${reading.inputs.length} arguments (one network, inputs concatenated), inputs ${inputs} → ${output}${params}`;
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
