/**
 * One structural comparison of two parses of the same text (the fast parser's and Langium's):
 * every AST node's properties in the same order with the same values, references with the same
 * text and CST node, every CST node of the same class with the same grammar source (the same
 * grammar element object), token type, hidden flag, offsets, lines and columns, and every link
 * between them ($container, $containerProperty, $containerIndex, $cstNode, the CST node's AST
 * node and container) pointing at corresponding nodes. Returns the first difference, as a path
 * and what differs, or undefined when the parses are the same.
 */
import { CompositeCstNodeImpl, LeafCstNodeImpl, isAstNode, isReference, type AstNode, type CstNode } from 'langium';

export function parseDifference(ours: AstNode, theirs: AstNode): string | undefined {
    const counterpart = new Map<object, object>();
    const pending: Array<[string, object | undefined, object | undefined]> = [];
    const sameLink = (path: string, a: object | undefined, b: object | undefined) => pending.push([path, a, b]);

    function cst(path: string, a: CstNode, b: CstNode): string | undefined {
        if (a.constructor !== b.constructor) return `${path}: ${a.constructor.name} vs ${b.constructor.name}`;
        counterpart.set(a, b);
        if (a.grammarSource !== b.grammarSource) return `${path}: grammar source ${a.grammarSource?.$type} vs ${b.grammarSource?.$type}`;
        if (a.hidden !== b.hidden) return `${path}: hidden ${a.hidden} vs ${b.hidden}`;
        if (a.offset !== b.offset || a.length !== b.length) return `${path}: at ${a.offset}+${a.length} vs ${b.offset}+${b.length}`;
        if (JSON.stringify(a.range) !== JSON.stringify(b.range)) return `${path}: range ${JSON.stringify(a.range)} vs ${JSON.stringify(b.range)}`;
        const keys = [Object.keys(a).join(), Object.keys(b).join()];
        if (keys[0] !== keys[1]) return `${path}: fields ${keys[0]} vs ${keys[1]}`;
        sameLink(`${path}.container`, a.container, b.container);
        if (a instanceof LeafCstNodeImpl) {
            if (a.tokenType !== (b as LeafCstNodeImpl).tokenType) return `${path}: token ${a.tokenType.name} vs ${(b as LeafCstNodeImpl).tokenType.name}`;
            return undefined;
        }
        const [ca, cb] = [(a as CompositeCstNodeImpl).content, (b as CompositeCstNodeImpl).content];
        sameLink(`${path}.astNode`, (a as unknown as { _astNode?: object })._astNode, (b as unknown as { _astNode?: object })._astNode);
        if (ca.length !== cb.length) return `${path}: ${ca.length} vs ${cb.length} children`;
        for (let i = 0; i < ca.length; i++) {
            const difference = cst(`${path}[${i}]`, ca[i], cb[i]);
            if (difference) return difference;
        }
        return undefined;
    }

    function value(path: string, a: unknown, b: unknown): string | undefined {
        if (Array.isArray(a) || Array.isArray(b)) {
            if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return `${path}: ${JSON.stringify(a)?.slice(0, 80)} vs ${JSON.stringify(b)?.slice(0, 80)}`;
            for (let i = 0; i < a.length; i++) {
                const difference = value(`${path}[${i}]`, a[i], b[i]);
                if (difference) return difference;
            }
            return undefined;
        }
        if (isAstNode(a) && isAstNode(b)) return node(path, a, b);
        if (isReference(a) && isReference(b)) {
            if (a.$refText !== b.$refText) return `${path}: reference ${a.$refText} vs ${b.$refText}`;
            const keys = [Object.keys(a).join(), Object.keys(b).join()];
            if (keys[0] !== keys[1]) return `${path}: reference fields ${keys[0]} vs ${keys[1]}`;
            sameLink(`${path}.$refNode`, a.$refNode, b.$refNode);
            return undefined;
        }
        if (typeof a === 'object' || typeof b === 'object' || !Object.is(a, b)) return `${path}: ${String(a)} vs ${String(b)}`;
        return undefined;
    }

    function node(path: string, a: AstNode, b: AstNode): string | undefined {
        counterpart.set(a, b);
        const keys = [Object.keys(a), Object.keys(b)];
        if (keys[0].join() !== keys[1].join()) return `${path} (${a.$type}): properties ${keys[0].join()} vs ${keys[1].join()}`;
        for (const key of keys[0]) {
            const [va, vb] = [(a as unknown as Record<string, unknown>)[key], (b as unknown as Record<string, unknown>)[key]];
            if (key === '$container' || key === '$cstNode') {
                sameLink(`${path}.${key}`, va as object | undefined, vb as object | undefined);
                if (key === '$cstNode' && va && vb && !counterpart.has(va as object)) {
                    const difference = cst(`${path}.$cstNode`, va as CstNode, vb as CstNode);
                    if (difference) return difference;
                }
                continue;
            }
            const difference = value(`${path}.${key}`, va, vb);
            if (difference) return difference;
        }
        return undefined;
    }

    const difference = node('module', ours, theirs);
    if (difference) return difference;
    for (const [path, a, b] of pending) {
        if ((a === undefined) !== (b === undefined) || (a !== undefined && counterpart.get(a) !== b)) return `${path}: links to different nodes`;
    }
    return undefined;
}
