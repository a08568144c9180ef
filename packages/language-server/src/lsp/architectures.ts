import { ast, externNetwork, ARCHITECTURES } from '@cajal/language';

/** The named architecture of an extern, as hovers show it: its parameter count and summary. */
export function architectureInfo(extern: ast.Extern): { parameters?: number; description: string } | undefined {
    const result = externNetwork(extern);
    if (!result) return undefined;
    if (!result.ok) return { description: `architecture ${extern.net?.architecture}: ${result.message}` };
    const { resolved } = result;
    const summary = ARCHITECTURES.find(a => a.name === resolved.architecture)?.summary;
    const args = extern.net?.args.map(arg => (arg.key ? `${arg.key} = ` : '') + String(arg.value)).join(', ');
    const name = `${resolved.architecture}${args ? `(${args})` : ''}`;
    return {
        parameters: resolved.learnable ? resolved.parameters : undefined,
        description: `architecture ${name}${summary ? ` — ${summary}` : ''}${resolved.learnable ? '' : ' (fixed, not trained)'}`
    };
}
