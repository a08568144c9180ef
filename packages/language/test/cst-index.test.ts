import { describe, expect, test } from 'vitest';
import { CstUtils } from 'langium';
import { createCajalCoreServices, findLeafAt, findNameLeafAt } from '@cajal/language';
import { exampleFiles } from '../../../test/example-files.js';

describe('leaf lookup by the leaf index', () => {
    const { Cajal } = createCajalCoreServices();
    const nameRegexp = Cajal.parser.GrammarConfig.nameRegexp;

    test.each(exampleFiles())('%s: at every offset, the same token as Langium finds', (_name, text) => {
        const root = Cajal.parser.LangiumParser.parse(text).value.$cstNode!;
        let tokens = 0;
        for (let offset = 0; offset <= text.length; offset++) {
            const ours = findLeafAt(root, offset);
            const langiums = CstUtils.findLeafNodeAtOffset(root, offset);
            // Langium cannot find comments nested in a composite node (they lie outside its
            // offset..end); the index finds those too. Tokens must agree exactly.
            if (langiums) expect(ours, `offset ${offset}`).toBe(langiums);
            else if (ours) expect(ours.hidden, `offset ${offset}`).toBe(true);
            if (ours && !ours.hidden) tokens++;
            const name = findNameLeafAt(root, offset, nameRegexp);
            const langiumsName = CstUtils.findDeclarationNodeAtOffset(root, offset, nameRegexp);
            if (langiumsName) expect(name, `name at offset ${offset}`).toBe(langiumsName);
            else if (name) expect(name.hidden, `name at offset ${offset}`).toBe(true);
        }
        expect(tokens).toBeGreaterThan(0);
    });
});
