/**
 * The fast path of Cajal's parser: a hand-written lexer and recursive-descent parser for
 * cajal.langium that builds exactly the AST and CST Langium's parser builds, for input that
 * lexes and parses without an error. On the first error it gives up (returns undefined) and
 * Langium's own parser parses the text, so error recovery and messages stay Langium's.
 *
 * Why: the first check of a file pays for V8 compiling Langium's and Chevrotain's parser code,
 * large and polymorphic, and for Chevrotain's self-analysis of the grammar when the parser is
 * made: a cold parse of the 5,000-line benchmark file cost ~570 ms of CPU, a warm one ~115 ms
 * (bench/profile-check.mjs). This parser is small and monomorphic, cheap cold; Langium's parser
 * is only made the first time some text has an error (`CajalParser.langium`).
 *
 * How it agrees with Langium's: it does not reimplement the tree building, it replays it. Each
 * grammar rule is a method that drives the same steps Langium's parser takes for that rule, in
 * the same order — open a sub-rule (`sub`, Langium's `subrule` + `startImplementation`),
 * consume a token (`consume`), run an action (`action`), close a rule (`construct`) — with the
 * same grammar elements (looked up in the grammar by rule, feature and position, see
 * `GrammarElements`), through the same CST builder (`CajalCstNodeBuilder`), value converter
 * and linker. Only the choice of alternative is hand-written, and each choice is LL(1) (LL(2)
 * for `NetArg`'s key and `let (`), so a text that Langium's parser accepts without error is
 * accepted here with the same derivation. test/parser/fast-parser.test.ts compares both trees
 * node by node (every property, key order, CST positions, grammar sources, containers) on every
 * example, the benchmark file and random well-formed programs.
 */
import type { IToken, TokenType } from 'chevrotain';
import {
    AstUtils, DefaultValueConverter, GrammarAST, GrammarUtils, ValueConverter as ValueConversions, isAstNode, type AstNode, type AstReflection, type CompositeCstNode, type CstNode, type LangiumCoreServices,
    type LangiumParser, type Linker, type ParseResult, type TokenBuilder, type ValueConverter
} from 'langium';
import { CajalCstNodeBuilder, assignWithoutOverride, createCajalParser, defaultsOnlyReflection, duringParse } from '../langium-internals.js';
import { DECLARATION_KEYWORDS, TOP_LEVEL_KEYWORDS, scanBlockComment } from './cajal-lexical.js';
import { CajalLexer, MAX_NESTING_COST, NESTING_COST, guardNesting, type TextRegion } from './cajal-lexer.js';

type Element = GrammarAST.AbstractElement;
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * A token as Chevrotain's lexer makes it (the fields the CST builder and the lexer's guards
 * read), and what it is: the comments, and the one token the parser hands the CST builder
 * (`FastParser.leafToken`). The other tokens are columns of numbers (`FastParser.tokenStarts`…).
 */
interface FastToken {
    image: string;
    startOffset: number;
    startLine: number;
    startColumn: number;
    endLine: number;
    endColumn: number;
    tokenType: TokenType;
    /** The keyword, or the terminal's name (ID, INT, DECIMAL, STRING). */
    kind: string;
}

/**
 * A grammar element the parser consumes a token or calls a rule for, and what it does there,
 * worked out once per element (the rules' methods get these from `GrammarElements`, so a token
 * or a node costs no look-up by element): the assignment it is in (its operator and feature),
 * how a token's image becomes the assigned value (`undefined` for a keyword: the image itself),
 * and for a rule call the type of the node the called rule makes.
 */
interface Site {
    element: Element;
    assignment: GrammarAST.Assignment | undefined;
    operator: string | undefined;
    feature: string | undefined;
    crossRef: 'single' | 'multi' | undefined;
    convert: ((image: string, leaf: CstNode) => unknown) | undefined;
    calledType: string | typeof DATATYPE | undefined;
}

/** An action, and the type of the node it makes (Langium's `getTypeName`). */
interface ActionSite {
    action: GrammarAST.Action;
    type: string;
}

/** A keyword as the lexer finds it: its token type, and what it means to the nesting guard. */
interface Keyword {
    image: string;
    tokenType: TokenType;
    /** Its index in `FastParser.kinds`. */
    kind: number;
    /** What the guard counts for it where it opens a construct (`NESTING_COST`), else 0. */
    nestingCost: number;
    /** Whether it starts a top-level item, where the guard starts counting again. */
    topLevel: boolean;
}

/** What a token is (a keyword, or a terminal: ID, INT, DECIMAL, STRING), and how its CST leaf is made. */
interface TokenKind {
    /** The keyword, or the terminal's name: what the parser's rules compare the next token with. */
    name: string;
    tokenType: TokenType;
    /** Whether the token's image is `name` (a keyword), else the text it spans. */
    keyword: boolean;
}

/** Thrown (never caught outside this module) where the text is not well formed: Langium's parser takes over. */
const MISS: unique symbol = Symbol('fast path missed');

/** The node of a data type rule while it is built (Langium's `DatatypeSymbol`). */
const DATATYPE = Symbol('datatype');
type BuildingNode = Record<string | symbol, unknown> & { $type: string | typeof DATATYPE };

/**
 * Cajal's parser service: the fast path first, Langium's parser (made when first needed) when
 * the fast path gives up or a start rule other than the entry rule is asked for.
 */
export class CajalParser {
    private readonly fast: FastParser;
    private langiumParser: LangiumParser | undefined;

    constructor(private readonly services: LangiumCoreServices) {
        this.fast = new FastParser(services);
    }

    /** Langium's parser (langium-internals.ts `CajalLangiumParser`), made on first use: making it is Chevrotain's grammar analysis. */
    get langium(): LangiumParser {
        return this.langiumParser ??= createCajalParser(this.services);
    }

    /** Whether Langium's parser has been made (tests check that well-formed text never needs it). */
    get langiumMade(): boolean {
        return this.langiumParser !== undefined;
    }

    parse<T extends AstNode = AstNode>(input: string, options?: Parameters<LangiumParser['parse']>[1]): ParseResult<T> {
        if (!options?.rule) {
            const result = this.fast.parse(input);
            if (result) return result as ParseResult<T>;
        }
        return this.langium.parse<T>(input, options);
    }

    /** The fast path alone: the parse of a well-formed text, undefined for any other (tests compare it with `langium`'s). */
    parseWellFormed(input: string): ParseResult<AstNode> | undefined {
        return this.fast.parse(input);
    }

    /** The fast path's lexer alone (bench/profile-check.mjs times it): how many tokens and comments `input` has, undefined on a lexing error. */
    lexWellFormed(input: string): number | undefined {
        return this.fast.lexOnly(input);
    }

    /**
     * The fast path alone, for the incremental parser (incremental-parse.ts): the declarations in
     * `input[region.start, declarationsEnd)`, positioned in the whole text, when they are well formed
     * and a declaration keyword starts at `declarationsEnd` as `region` lexes it (no comment, string or
     * identifier running over it). The tokens from `declarationsEnd` to `region.end` are lexed but
     * not parsed; `next` is where that keyword starts. Without `declarationsEnd`, the whole region
     * is parsed (it runs to the end of the text). Undefined where the fast path gives up.
     */
    parseDeclarations(input: string, region: TextRegion, declarationsEnd?: number): DeclarationsParse | undefined {
        return this.fast.parseRegion(input, region, declarationsEnd);
    }
}

/** What `CajalParser.parseDeclarations` gives: the parse, and where the declaration keyword it stopped at starts (0-based). */
export interface DeclarationsParse {
    readonly result: ParseResult<AstNode>;
    readonly next: { readonly line: number; readonly character: number } | undefined;
}

/** The grammar elements the parser passes to Langium's tree building, found by rule and position, as `Site`s. */
class GrammarElements {
    /** Per rule: its keywords by value, unassigned rule calls by callee, assigned elements by feature, and actions, each in the grammar's order. */
    private readonly keywords = new Map<string, Map<string, Site[]>>();
    private readonly calls = new Map<string, Map<string, Site[]>>();
    private readonly assignments = new Map<string, Map<string, Site[]>>();
    private readonly actions = new Map<string, ActionSite[]>();
    private readonly ruleTypes = new Map<string, string | typeof DATATYPE>();

    constructor(grammar: GrammarAST.Grammar, converter: ValueConverter) {
        const add = (table: Map<string, Map<string, Site[]>>, rule: string, key: string, element: Element) => {
            let byKey = table.get(rule);
            if (!byKey) table.set(rule, byKey = new Map());
            const site = this.siteOf(element, converter);
            const list = byKey.get(key);
            if (list) list.push(site);
            else byKey.set(key, [site]);
        };
        const rules = grammar.rules.filter(GrammarAST.isParserRule);
        for (const rule of rules) this.ruleTypes.set(rule.name, GrammarUtils.isDataTypeRule(rule) ? DATATYPE : GrammarUtils.getTypeName(rule));
        for (const rule of rules) {
            const actions: ActionSite[] = [];
            this.actions.set(rule.name, actions);
            for (const element of [rule.definition, ...AstUtils.streamAllContents(rule.definition)]) {
                if (GrammarAST.isKeyword(element)) {
                    add(this.keywords, rule.name, element.value, element);
                } else if (GrammarAST.isRuleCall(element) && !AstUtils.getContainerOfType(element, GrammarAST.isAssignment)) {
                    add(this.calls, rule.name, element.rule.ref!.name, element);
                } else if (GrammarAST.isAssignment(element)) {
                    add(this.assignments, rule.name, element.feature, element.terminal);
                } else if (GrammarAST.isAction(element)) {
                    actions.push({ action: element, type: GrammarUtils.getTypeName(element) });
                }
            }
        }
    }

    private siteOf(element: Element, converter: ValueConverter): Site {
        const assignment = AstUtils.getContainerOfType(element, GrammarAST.isAssignment);
        const callee = GrammarAST.isRuleCall(element) ? element.rule.ref : undefined;
        return {
            element,
            assignment,
            operator: assignment?.operator,
            feature: assignment?.feature,
            crossRef: assignment && GrammarAST.isCrossReference(assignment.terminal) ? (assignment.terminal.isMulti ? 'multi' : 'single') : undefined,
            convert: GrammarAST.isKeyword(element) ? undefined : converterOf(converter, element),
            calledType: callee && GrammarAST.isParserRule(callee) ? this.ruleType(callee.name) : undefined
        };
    }

    private static nth<T>(list: T[] | undefined, ruleName: string, kind: string, name: string, n: number): T {
        const element = list?.[n];
        if (!element) throw new Error(`cajal.langium's rule ${ruleName} has no ${kind} ${name} #${n}`);
        return element;
    }

    /** The `n`th keyword `value` of a rule. */
    keyword(ruleName: string, value: string, n = 0): Site {
        return GrammarElements.nth(this.keywords.get(ruleName)?.get(value), ruleName, 'keyword', value, n);
    }

    /** The `n`th unassigned call of `callee` in a rule. */
    call(ruleName: string, callee: string, n = 0): Site {
        return GrammarElements.nth(this.calls.get(ruleName)?.get(callee), ruleName, 'call of', callee, n);
    }

    /** What the `n`th assignment to `feature` in a rule assigns (a rule call, a cross-reference or a keyword). */
    assigned(ruleName: string, feature: string, n = 0): Site {
        return GrammarElements.nth(this.assignments.get(ruleName)?.get(feature), ruleName, 'assignment to', feature, n);
    }

    /** The `n`th action of a rule. */
    action(ruleName: string, n = 0): ActionSite {
        return GrammarElements.nth(this.actions.get(ruleName), ruleName, 'action', '', n);
    }

    /** The type of the node a rule makes, as Langium's parser computes it (`computeRuleType`). */
    ruleType(ruleName: string): string | typeof DATATYPE {
        const type = this.ruleTypes.get(ruleName);
        if (type === undefined) throw new Error(`cajal.langium has no parser rule ${ruleName}`);
        return type;
    }
}

/**
 * How a token consumed as `feature` is converted: where the value converter is Langium's own
 * (DefaultValueConverter, not a subclass), the conversion its `convert` and `runConverter`
 * choose for the element, found once; otherwise the service's `convert`, per token.
 */
function converterOf(converter: ValueConverter, feature: Element): (image: string, leaf: CstNode) => unknown {
    if (Object.getPrototypeOf(converter) !== DefaultValueConverter.prototype) return (image, leaf) => converter.convert(image, leaf);
    const terminal = GrammarAST.isCrossReference(feature) ? GrammarUtils.getCrossReferenceTerminal(feature) : feature;
    if (!GrammarAST.isRuleCall(terminal)) return image => image;
    const rule = terminal.rule.ref;
    if (!rule) throw new Error('This cst node was not parsed by a rule.');
    switch (rule.name.toUpperCase()) {
        case 'INT': return ValueConversions.convertInt;
        case 'STRING': return ValueConversions.convertString;
        case 'ID': return ValueConversions.convertID;
    }
    switch (GrammarUtils.getRuleType(rule)?.toLowerCase()) {
        case 'number': return ValueConversions.convertNumber;
        case 'boolean': return ValueConversions.convertBoolean;
        case 'bigint': return ValueConversions.convertBigint;
        case 'date': return ValueConversions.convertDate;
        default: return image => image;
    }
}

/**
 * A new AST node of `type`, its properties to come. From an empty literal, which V8 gives room
 * for four properties in the object itself, where `{ $type }` has room for one: most nodes get
 * by with one array of further properties, or none, instead of one grown twice (the same
 * properties, in the same order, as Langium's parser gives its nodes).
 */
function newNode(type: string): BuildingNode {
    const node: Partial<BuildingNode> = {};
    node.$type = type;
    return node as BuildingNode;
}

/** Langium's `copyDefaultValue` (ast-utils.ts): a fresh copy of a default array for each node. */
function copyDefaultValue(value: unknown): unknown {
    return Array.isArray(value) ? [...value.map(copyDefaultValue)] : value;
}

/** A sticky copy of a terminal's pattern, to match at a position. */
function sticky(tokenType: TokenType): RegExp {
    const pattern = tokenType.PATTERN;
    if (!(pattern instanceof RegExp)) throw new Error(`the terminal ${tokenType.name} has no regular expression`);
    return new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '') + 'y');
}

/** For each ASCII character code, whether `pattern` matches that character alone. */
function asciiTable(pattern: RegExp): boolean[] {
    return Array.from({ length: 128 }, (_, c) => pattern.test(String.fromCharCode(c)));
}

class FastParser {
    private readonly lexer: CajalLexer;
    private readonly tokenBuilder: TokenBuilder;
    private readonly converter: ValueConverter;
    private readonly linker: Linker;
    private readonly reflection: AstReflection;
    private readonly g: GrammarElements;

    // The lexical rules, from the token types Langium's lexer is built of.
    private readonly types: Record<string, TokenType>;
    private readonly whitespace: RegExp;
    private readonly lineComment: RegExp;
    private readonly decimal: RegExp;
    private readonly integer: RegExp;
    private readonly identifier: RegExp;
    /** The ASCII characters that start an identifier, and those that continue one (from ID's pattern). */
    private readonly identifierStart: boolean[];
    private readonly identifierPart: boolean[];
    private readonly string: RegExp;
    /** Keywords spelt like identifiers (`def`, `Bool`) by their first character's code: an identifier is one of these when it matches whole. */
    private readonly wordKeywords = new Map<number, Keyword[]>();
    /** The other keywords by their first character's code (a UTF-16 unit), longest first (as Chevrotain tries them). */
    private readonly symbolKeywords = new Map<number, Keyword[]>();
    /**
     * The largest sum, over the stretches of tokens between top-level keywords the last `lex`
     * found, of the nesting guard's cost of the stretch's opening tokens: a bound on the cost the
     * guard (cajal-lexer.ts `guardNesting`) counts at any token, since it starts each stretch at 0
     * and only opening tokens add to it. Within its budget, the guard has nothing to report.
     */
    private nestingBound = 0;
    /** The token kinds, indexed by `tokenKinds`: the keywords, then the terminals. */
    private readonly kinds: TokenKind[] = [];
    /** Each kind's `name`, by index (what `peek` returns). */
    private readonly kindNames: string[] = [];
    private readonly idKind: number;
    private readonly intKind: number;
    private readonly decimalKind: number;
    private readonly stringKind: number;

    // The state of one parse.
    /**
     * The last `lex`'s tokens that are not comments, as columns: their kind (index in `kinds`),
     * start and end offset in the whole text, 1-based line and column (each such token is on
     * one line). Columns, not an object per token: the tokens live as long as the parse, so each
     * token object was copied by the young generation's collector, and the tree is what it
     * should spend its copying on.
     */
    private tokenCount = 0;
    private tokenKinds = new Uint8Array(0);
    private tokenStarts = new Int32Array(0);
    private tokenEnds = new Int32Array(0);
    private tokenLines = new Int32Array(0);
    private tokenColumns = new Int32Array(0);
    /** The text the last `lex` lexed, and its offset in the whole text: where non-keyword tokens' images are cut from. */
    private source = '';
    private base = 0;
    /** The token `consume` hands the CST builder, refilled for each token (the builder copies its fields into the leaf). */
    private readonly leafToken: FastToken = { image: '', startOffset: 0, startLine: 0, startColumn: 0, endLine: 0, endColumn: 0, tokenType: undefined as unknown as TokenType, kind: '' };
    private hidden: FastToken[] = [];
    private position = 0;
    private hiddenTaken = 0;
    private readonly nodeBuilder = new CajalCstNodeBuilder();
    private stack: BuildingNode[] = [];
    /** Per node type, the properties with a default value and that value (Langium's `assignMandatoryProperties`, read once per type). */
    private readonly defaults = new Map<string, Array<{ name: string; defaultValue: unknown }>>();

    constructor(services: LangiumCoreServices) {
        const lexer = services.parser.Lexer;
        if (!(lexer instanceof CajalLexer)) throw new Error("Cajal's fast parser needs Cajal's lexer");
        this.lexer = lexer;
        this.tokenBuilder = services.parser.TokenBuilder;
        this.converter = services.parser.ValueConverter;
        this.linker = services.references.Linker;
        this.reflection = defaultsOnlyReflection(services.shared.AstReflection);
        this.g = new GrammarElements(services.Grammar, this.converter);
        this.types = lexer.definition as Record<string, TokenType>;
        this.whitespace = sticky(this.types.WS);
        this.lineComment = sticky(this.types.SL_COMMENT);
        this.decimal = sticky(this.types.DECIMAL);
        this.integer = sticky(this.types.INT);
        this.identifier = sticky(this.types.ID);
        const wholeIdentifier = new RegExp(`^(?:${this.identifier.source})$`);
        this.identifierStart = asciiTable(wholeIdentifier);
        const start = String.fromCharCode(this.identifierStart.indexOf(true));
        this.identifierPart = Array.from({ length: 128 }, (_, c) => wholeIdentifier.test(start + String.fromCharCode(c)));
        this.string = sticky(this.types.STRING);
        const keywords = AstUtils.streamAllContents(services.Grammar).filter(GrammarAST.isKeyword).map(keyword => keyword.value).distinct().toArray();
        keywords.sort((a, b) => b.length - a.length);
        const addKind = (name: string, tokenType: TokenType, keyword: boolean): number => {
            this.kinds.push({ name, tokenType, keyword });
            this.kindNames.push(name);
            return this.kinds.length - 1;
        };
        for (const image of keywords) {
            const tokenType = this.types[image];
            if (!tokenType) throw new Error(`Langium's lexer has no token for the keyword '${image}'`);
            const keyword: Keyword = { image, tokenType, kind: addKind(image, tokenType, true), nestingCost: NESTING_COST[image] ?? 0, topLevel: TOP_LEVEL_KEYWORDS.has(image) };
            this.identifier.lastIndex = 0;
            const word = this.identifier.exec(image);
            const byStart = word && word[0] === image ? this.wordKeywords : this.symbolKeywords;
            const list = byStart.get(image.charCodeAt(0)) ?? [];
            list.push(keyword);
            byStart.set(image.charCodeAt(0), list);
        }
        this.idKind = addKind('ID', this.types.ID, false);
        this.intKind = addKind('INT', this.types.INT, false);
        this.decimalKind = addKind('DECIMAL', this.types.DECIMAL, false);
        this.stringKind = addKind('STRING', this.types.STRING, false);
        if (this.kinds.length > 256) throw new Error('cajal.langium has more token kinds than tokenKinds holds');
    }

    /** The parse of a well-formed text, as Langium's parser gives it; undefined where the text has an error. */
    parse(input: string): ParseResult<AstNode> | undefined {
        const region = this.lexer.takeRestriction();
        const parsed = this.parseRegion(input, region, undefined);
        // Langium's parser, which then parses the text, lexes the same region.
        if (!parsed && region) this.lexer.restrictNextTokenizeTo(region);
        return parsed?.result;
    }

    /** See `CajalParser.parseDeclarations`; the whole text without a region. */
    parseRegion(input: string, region: TextRegion | undefined, declarationsEnd: number | undefined): DeclarationsParse | undefined {
        const lexed = region ? this.lex(input.substring(region.start, region.end), region) : this.lex(input, undefined);
        // The lexer's nesting guard (cajal-lexer.ts) can stop a well-formed text: then Langium's parser reports it.
        // (Its other guard, guardUnbalanced, finds brackets and `if`s left open, which a well-formed text has not.)
        if (!lexed || (this.nestingBound > MAX_NESTING_COST && guardNesting(this.tokenObjects() as unknown as IToken[]).errors.length > 0)) {
            this.reset();
            return undefined;
        }
        try {
            const next = declarationsEnd === undefined ? undefined : this.stopBefore(declarationsEnd);
            const value = duringParse(() => this.module(input));
            return { result: { value, lexerErrors: [], lexerReport: this.tokenBuilder.flushLexingReport?.(input), parserErrors: [] }, next };
        } catch (error) {
            if (error !== MISS && !(error instanceof RangeError)) throw error;
            return undefined;
        } finally {
            this.reset();
        }
    }

    /**
     * Drops the tokens from `offset` on, where a declaration keyword must start (a token that
     * starts before it and runs over it, like `xdef` or a comment, means the text differs there
     * from what the caller expects): the parse ends before it, as the whole text's module rule
     * does before its next declaration. Returns the keyword's position (0-based).
     */
    private stopBefore(offset: number): { line: number; character: number } {
        let first = this.tokenCount;
        while (first > 0 && this.tokenStarts[first - 1] >= offset) first--;
        if (first === this.tokenCount || this.tokenStarts[first] !== offset || !DECLARATION_KEYWORDS.has(this.kindNames[this.tokenKinds[first]])) throw MISS;
        this.tokenCount = first;
        let hidden = this.hidden.length;
        while (hidden > 0 && this.hidden[hidden - 1].startOffset >= offset) hidden--;
        this.hidden.length = hidden;
        return { line: this.tokenLines[first] - 1, character: this.tokenColumns[first] - 1 };
    }

    /** The last `lex`'s tokens (not the comments) as token objects, for the nesting guard, which runs on a text only where it may have something to report. */
    private tokenObjects(): FastToken[] {
        const tokens: FastToken[] = [];
        for (let t = 0; t < this.tokenCount; t++) {
            const { name, tokenType, keyword } = this.kinds[this.tokenKinds[t]];
            const start = this.tokenStarts[t];
            const end = this.tokenEnds[t];
            const image = keyword ? name : this.source.substring(start - this.base, end - this.base);
            const line = this.tokenLines[t];
            const column = this.tokenColumns[t];
            tokens.push({ image, startOffset: start, startLine: line, startColumn: column, endLine: line, endColumn: column + end - start - 1, tokenType, kind: name });
        }
        return tokens;
    }

    /** See `CajalParser.lexWellFormed`. */
    lexOnly(input: string): number | undefined {
        try {
            return this.lex(input, undefined) ? this.tokenCount + this.hidden.length : undefined;
        } finally {
            this.reset();
        }
    }

    private reset(): void {
        this.tokenCount = 0;
        this.tokenKinds = new Uint8Array(0);
        this.tokenStarts = this.tokenEnds = this.tokenLines = this.tokenColumns = new Int32Array(0);
        this.source = '';
        this.hidden = [];
        this.stack = [];
    }

    /** Where the line after the last line break `lineBreaks` counted starts. */
    private afterLastBreak = 0;

    /** How many line breaks source[start, end) has (`\r\n` is one, as Chevrotain counts); sets `afterLastBreak`. */
    private lineBreaks(source: string, start: number, end: number): number {
        let breaks = 0;
        for (let i = start; i < end; i++) {
            const c = source.charCodeAt(i);
            if (c === 10 || c === 13) {
                if (c === 13 && source.charCodeAt(i + 1) === 10 && i + 1 < end) i++;
                breaks++;
                this.afterLastBreak = i + 1;
            }
        }
        return breaks;
    }

    /** Makes room for `capacity` tokens, keeping the first `count`. */
    private growTokens(count: number, capacity: number): void {
        const kinds = new Uint8Array(capacity);
        kinds.set(this.tokenKinds.subarray(0, count));
        this.tokenKinds = kinds;
        const grown = (column: Int32Array): Int32Array<ArrayBuffer> => {
            const larger = new Int32Array(capacity);
            larger.set(column.subarray(0, count));
            return larger;
        };
        this.tokenStarts = grown(this.tokenStarts);
        this.tokenEnds = grown(this.tokenEnds);
        this.tokenLines = grown(this.tokenLines);
        this.tokenColumns = grown(this.tokenColumns);
    }

    // ---------------------------------------------------------------------------------------
    // Lexing: Chevrotain's tokens and positions (1-based lines and columns, inclusive ends).

    /**
     * Lexes `source` (the text, or the region of it the incremental parser asked for); false on a lexing error.
     * It runs once per parse, mostly before V8 has optimised it (the server's first check lexes
     * the file once): so the loop does little per character — state in locals, no call per space
     * or line break, a keyword found among the few of its first character and length rather than
     * by cutting out and hashing each word. And it makes no closures: code V8 optimised while
     * one call ran is specialised on that call's closures, and the next call (the next parse)
     * threw it away and compiled it again (`--trace-deopt`: "wrong call target").
     */
    private lex(source: string, region: TextRegion | undefined): boolean {
        const hidden: FastToken[] = this.hidden = [];
        const base = region?.start ?? 0;
        this.source = source;
        this.base = base;
        // Most tokens are followed by a space: half the text's length is seldom outgrown.
        this.growTokens(0, (source.length >> 1) + 16);
        let count = 0;
        let line = (region?.line ?? 0) + 1;
        // Offset (in source) where the current line starts: columns are counted from it.
        let lineStart = -(region?.column ?? 0);
        const length = source.length;
        const identifierStart = this.identifierStart;
        const identifierPart = this.identifierPart;
        // The guard's bound (`nestingBound`): the opening tokens' cost since the last top-level keyword, and the largest such sum.
        let stretchCost = 0;
        let nestingBound = 0;
        let i = 0;
        while (i < length) {
            const c = source.charCodeAt(i);
            // Spaces, tabs and line breaks without a regular expression, one at a time (`\r\n` is one line break, as Chevrotain counts).
            if (c === 32 || c === 9) {
                i++;
                continue;
            }
            if (c === 10 || c === 13) {
                i += c === 13 && source.charCodeAt(i + 1) === 10 ? 2 : 1;
                line++;
                lineStart = i;
                continue;
            }
            // Comments before keywords, as the token builder orders them (`{-` is not `{`, `--` is not `-o`).
            if (c === 123 /* { */ && source.charCodeAt(i + 1) === 45 /* - */) {
                const { end, closed } = scanBlockComment(source, i);
                if (!closed) return false;
                const token: FastToken = { image: source.substring(i, end), startOffset: base + i, startLine: line, startColumn: i - lineStart + 1, endLine: line, endColumn: end - lineStart, tokenType: this.types.ML_COMMENT, kind: 'ML_COMMENT' };
                const breaks = this.lineBreaks(source, i, end);
                if (breaks > 0) {
                    line += breaks;
                    lineStart = this.afterLastBreak;
                    token.endLine = line;
                    token.endColumn = end - lineStart;
                }
                hidden.push(token);
                i = end;
                continue;
            }
            if (c === 45 /* - */ && source.charCodeAt(i + 1) === 45) {
                this.lineComment.lastIndex = i;
                const end = i + this.lineComment.exec(source)![0].length;
                hidden.push({ image: source.substring(i, end), startOffset: base + i, startLine: line, startColumn: i - lineStart + 1, endLine: line, endColumn: end - lineStart, tokenType: this.types.SL_COMMENT, kind: 'SL_COMMENT' });
                i = end;
                continue;
            }
            // Other white space (WS is /\s+/) with its regular expression.
            if (c < 32 || c >= 128) {
                this.whitespace.lastIndex = i;
                const space = this.whitespace.exec(source);
                if (space) {
                    const end = i + space[0].length;
                    const breaks = this.lineBreaks(source, i, end);
                    if (breaks > 0) {
                        line += breaks;
                        lineStart = this.afterLastBreak;
                    }
                    i = end;
                    continue;
                }
            }
            // A token: its kind, its end, and the keyword it is.
            let kind: number;
            let end: number;
            let keyword: Keyword | undefined;
            if (identifierStart[c]) {
                end = i + 1;
                while (identifierPart[source.charCodeAt(end)]) end++;
                const candidates = this.wordKeywords.get(c);
                // (An index loop, not `find` or `for of`: no closure or iterator per token while the code is cold.)
                for (let k = 0; candidates && k < candidates.length; k++) {
                    const image = candidates[k].image;
                    if (image.length === end - i && source.startsWith(image, i)) {
                        keyword = candidates[k];
                        break;
                    }
                }
                kind = this.idKind;
            } else if (c >= 48 && c <= 57) {
                this.decimal.lastIndex = i;
                const decimal = this.decimal.exec(source);
                if (decimal) {
                    kind = this.decimalKind;
                    end = i + decimal[0].length;
                } else {
                    this.integer.lastIndex = i;
                    kind = this.intKind;
                    end = i + this.integer.exec(source)![0].length;
                }
            } else if (c === 34 /* " */) {
                this.string.lastIndex = i;
                const string = this.string.exec(source);
                if (!string) return false;
                kind = this.stringKind;
                end = i + string[0].length;
            } else {
                const candidates = this.symbolKeywords.get(c);
                for (let k = 0; candidates && k < candidates.length; k++) {
                    if (source.startsWith(candidates[k].image, i)) {
                        keyword = candidates[k];
                        break;
                    }
                }
                if (!keyword) return false;
                kind = 0;
                end = i + keyword.image.length;
            }
            if (keyword) {
                kind = keyword.kind;
                if (keyword.topLevel) stretchCost = 0;
                stretchCost += keyword.nestingCost;
                if (stretchCost > nestingBound) nestingBound = stretchCost;
            }
            if (count === this.tokenKinds.length) this.growTokens(count, count * 2);
            this.tokenKinds[count] = kind;
            this.tokenStarts[count] = base + i;
            this.tokenEnds[count] = base + end;
            this.tokenLines[count] = line;
            this.tokenColumns[count] = i - lineStart + 1;
            count++;
            i = end;
        }
        this.nestingBound = nestingBound;
        this.tokenCount = count;
        return true;
    }

    // ---------------------------------------------------------------------------------------
    // Langium's tree building (LangiumParser 4.4, MIT, TypeFox), step by step.

    private module(input: string): AstNode {
        this.position = 0;
        this.hiddenTaken = 0;
        this.nodeBuilder.buildRootNode(input);
        this.stack.push(newNode(this.g.ruleType('Module') as string));
        this.moduleRule();
        if (this.position < this.tokenCount) throw MISS;
        const result = this.construct() as AstNode;
        // Langium's doParse, then its trailing comments (the container links are set by `assign`).
        if (result.$cstNode) (result.$cstNode as Mutable<CompositeCstNode>).astNode = result;
        this.nodeBuilder.addHiddenNodes(this.hidden.slice(this.hiddenTaken) as unknown as IToken[]);
        return result;
    }

    /** A call (`site`) of a rule that makes a node: its CST node, its AST node, its rule (`rule`, the method of the rule `site` calls), then the assignment. */
    private sub(site: Site, rule: () => void): void {
        const cstNode = this.nodeBuilder.buildCompositeNode(site.element);
        const type = site.calledType;
        if (type === undefined) throw new Error(`the fast parser calls a rule at ${site.element.$type}, which calls none`);
        this.stack.push(type === DATATYPE ? { $type: DATATYPE, value: '' } : newNode(type));
        rule.call(this);
        const result = this.construct();
        // (Langium assigns only when the call consumed a token: every Cajal rule consumes one.)
        this.performSubruleAssignment(result, site, cstNode);
    }

    private construct(): unknown {
        const node = this.stack.pop()!;
        this.nodeBuilder.construct(node as unknown as Parameters<CajalCstNodeBuilder['construct']>[0]);
        if (node.$type === DATATYPE) return this.converter.convert(node.value as string, node.$cstNode as CstNode);
        // Langium's AstUtils.assignMandatoryProperties, with the type's defaults read once.
        // (An index loop, not `for of`: no iterator per node while the code is cold.)
        const defaults = this.defaultsOf(node.$type);
        for (let d = 0; d < defaults.length; d++) {
            const { name, defaultValue } = defaults[d];
            if (node[name] === undefined) node[name] = copyDefaultValue(defaultValue);
        }
        return node;
    }

    private defaultsOf(type: string): Array<{ name: string; defaultValue: unknown }> {
        let defaults = this.defaults.get(type);
        if (!defaults) {
            defaults = [];
            for (const property of Object.values(this.reflection.getTypeMetaData(type).properties)) {
                if (property.defaultValue !== undefined) defaults.push({ name: property.name, defaultValue: property.defaultValue });
            }
            this.defaults.set(type, defaults);
        }
        return defaults;
    }

    private performSubruleAssignment(result: unknown, site: Site, cstNode: CstNode): void {
        if (site.assignment) {
            this.assign(site.operator!, site.feature!, result, cstNode, site.crossRef);
            return;
        }
        const current = this.stack[this.stack.length - 1];
        if (current.$type === DATATYPE) {
            current.value += String(result);
        } else if (typeof result === 'object' && result) {
            this.stack[this.stack.length - 1] = assignWithoutOverride(result as Record<string, unknown>, current as Record<string, unknown>) as BuildingNode;
        }
    }

    private assign(operator: string, feature: string, value: unknown, cstNode: CstNode, crossRef: 'single' | 'multi' | undefined): void {
        const node = this.stack[this.stack.length - 1];
        let item = value;
        if (crossRef === 'single' && typeof value === 'string') {
            item = this.linker.buildReference(node as unknown as AstNode, feature, cstNode, value);
        } else if (crossRef === 'multi' && typeof value === 'string') {
            item = this.linker.buildMultiReference(node as unknown as AstNode, feature, cstNode, value);
        }
        const child = isAstNode(item) ? item as Mutable<AstNode> : undefined;
        if (child?.$cstNode) (child.$cstNode as Mutable<CompositeCstNode>).astNode = child;
        // The container links Langium's parser sets in a walk after the parse (`linkContainers`), set
        // here, in the same order: an assigned node is complete (no property is added to it later),
        // and in cajal.langium its container is final (an unassigned rule call, which merges the
        // node being built into the called rule's node, always comes before the rule's assignments).
        if (operator === '=') {
            node[feature] = item;
            if (child) {
                child.$container = node as unknown as AstNode;
                child.$containerProperty = feature;
            }
        } else if (operator === '?=') {
            node[feature] = true;
        } else if (operator === '+=') {
            if (!Array.isArray(node[feature])) node[feature] = [];
            const list = node[feature] as unknown[];
            list.push(item);
            if (child) {
                child.$container = node as unknown as AstNode;
                child.$containerProperty = feature;
                child.$containerIndex = list.length - 1;
            }
        }
    }

    private action({ action, type }: ActionSite): void {
        let last = this.stack[this.stack.length - 1];
        if (action.feature && action.operator) {
            last = this.construct() as BuildingNode;
            const lastCst = last.$cstNode as CstNode;
            this.nodeBuilder.removeNode(lastCst);
            const cstNode = this.nodeBuilder.buildCompositeNode(action);
            this.nodeBuilder.appendChild(cstNode, lastCst);
            this.stack.push(newNode(type));
            this.assign(action.operator, action.feature, last, lastCst, undefined);
        } else {
            last.$type = type;
        }
    }

    /** Consumes the next token, which must be of `kind`, as `site`. */
    private consume(kind: string, site: Site): void {
        const t = this.position;
        if (t >= this.tokenCount || this.kindNames[this.tokenKinds[t]] !== kind) throw MISS;
        this.position = t + 1;
        const startOffset = this.tokenStarts[t];
        // The comments before it (CajalLangiumParser.hiddenTokensBefore).
        const start = this.hiddenTaken;
        let end = start;
        while (end < this.hidden.length && this.hidden[end].startOffset <= startOffset) end++;
        if (end > start) {
            this.hiddenTaken = end;
            this.nodeBuilder.addHiddenNodes(this.hidden.slice(start, end) as unknown as IToken[]);
        }
        const { name, tokenType, keyword } = this.kinds[this.tokenKinds[t]];
        const endOffset = this.tokenEnds[t];
        const token = this.leafToken;
        token.image = keyword ? name : this.source.substring(startOffset - this.base, endOffset - this.base);
        token.startOffset = startOffset;
        token.startLine = token.endLine = this.tokenLines[t];
        token.startColumn = this.tokenColumns[t];
        token.endColumn = token.startColumn + endOffset - startOffset - 1;
        token.tokenType = tokenType;
        token.kind = name;
        const leaf = this.nodeBuilder.buildLeafNode(token as unknown as IToken, site.element);
        const convert = site.convert;
        if (site.assignment) {
            const value = convert ? convert(token.image, leaf) : token.image;
            this.assign(site.operator!, site.feature!, value, leaf, site.crossRef);
        } else {
            const current = this.stack[this.stack.length - 1];
            if (current.$type === DATATYPE) {
                current.value += convert ? String(convert(token.image, leaf)) : token.image;
            }
        }
    }

    private consumeKeyword(ruleName: string, image: string, n = 0): void {
        this.consume(image, this.g.keyword(ruleName, image, n));
    }

    private peek(ahead = 0): string | undefined {
        const t = this.position + ahead;
        return t < this.tokenCount ? this.kindNames[this.tokenKinds[t]] : undefined;
    }

    // ---------------------------------------------------------------------------------------
    // The rules of cajal.langium, in its order.

    private moduleRule(): void {
        const g = this.g;
        if (this.peek() === 'module') {
            this.consumeKeyword('Module', 'module');
            this.consume('ID', g.assigned('Module', 'name'));
        }
        while (this.peek() === 'import') this.sub(g.assigned('Module', 'imports'), this.importRule);
        for (let kind = this.peek(); kind === 'def' || kind === 'extern' || kind === 'train'; kind = this.peek()) {
            this.sub(g.assigned('Module', 'declarations'), this.declaration);
        }
    }

    private importRule(): void {
        this.consumeKeyword('Import', 'import');
        this.consume('ID', this.g.assigned('Import', 'module'));
    }

    private declaration(): void {
        const kind = this.peek();
        if (kind === 'def') this.sub(this.g.call('Declaration', 'Definition'), this.definition);
        else if (kind === 'extern') this.sub(this.g.call('Declaration', 'Extern'), this.extern);
        else this.sub(this.g.call('Declaration', 'Training'), this.training);
    }

    private definition(): void {
        const g = this.g;
        this.consumeKeyword('Definition', 'def');
        this.consume('ID', g.assigned('Definition', 'name'));
        while (this.peek() === '(') this.sub(g.assigned('Definition', 'params'), this.annotatedBinder);
        this.consumeKeyword('Definition', ':');
        this.sub(g.assigned('Definition', 'returnType'), this.type);
        this.consumeKeyword('Definition', '=');
        this.sub(g.assigned('Definition', 'body'), this.term);
    }

    private extern(): void {
        const g = this.g;
        this.consumeKeyword('Extern', 'extern');
        this.consume('ID', g.assigned('Extern', 'name'));
        while (this.peek() === '(') this.sub(g.assigned('Extern', 'params'), this.annotatedBinder);
        this.consumeKeyword('Extern', ':');
        this.sub(g.assigned('Extern', 'type'), this.type);
        if (this.peek() === '=') {
            this.consumeKeyword('Extern', '=');
            this.sub(g.assigned('Extern', 'net'), this.netSpec);
        }
    }

    private netSpec(): void {
        const g = this.g;
        this.consume('ID', g.assigned('NetSpec', 'architecture'));
        if (this.peek() !== '(') return;
        this.consumeKeyword('NetSpec', '(');
        if (this.peek() !== ')') {
            this.sub(g.assigned('NetSpec', 'args', 0), this.netArg);
            while (this.peek() === ',') {
                this.consumeKeyword('NetSpec', ',');
                this.sub(g.assigned('NetSpec', 'args', 1), this.netArg);
            }
        }
        this.consumeKeyword('NetSpec', ')');
    }

    private netArg(): void {
        if (this.peek() === 'ID' && this.peek(1) === '=') {
            this.consume('ID', this.g.assigned('NetArg', 'key'));
            this.consumeKeyword('NetArg', '=');
        }
        this.sub(this.g.assigned('NetArg', 'value'), this.settingValue);
    }

    private training(): void {
        const g = this.g;
        this.consumeKeyword('Training', 'train');
        this.consume('ID', g.assigned('Training', 'name'));
        this.consumeKeyword('Training', '{');
        for (let kind = this.peek(); kind === 'data' || kind === 'model' || kind === 'target' || kind === 'evaluate' || kind === 'ID'; kind = this.peek()) {
            this.sub(g.assigned('Training', 'options'), this.trainOption);
        }
        this.consumeKeyword('Training', '}');
    }

    private trainOption(): void {
        const g = this.g;
        switch (this.peek()) {
            case 'data': return this.sub(g.call('TrainOption', 'DataOption'), this.dataOption);
            case 'model': return this.sub(g.call('TrainOption', 'ModelOption'), this.modelOption);
            case 'target': return this.sub(g.call('TrainOption', 'TargetOption'), this.targetOption);
            case 'evaluate': return this.sub(g.call('TrainOption', 'EvaluateOption'), this.evaluateOption);
            default: return this.sub(g.call('TrainOption', 'SettingOption'), this.settingOption);
        }
    }

    private dataOption(): void {
        const g = this.g;
        this.consumeKeyword('DataOption', 'data');
        if (this.peek() === 'STRING') this.consume('STRING', g.assigned('DataOption', 'file'));
        else this.consume('ID', g.assigned('DataOption', 'source'));
        while (this.peek() === '(') this.sub(g.assigned('DataOption', 'groups'), this.fieldGroup);
        this.consumeKeyword('DataOption', ';');
    }

    private fieldGroup(): void {
        const g = this.g;
        this.consumeKeyword('FieldGroup', '(');
        this.sub(g.assigned('FieldGroup', 'fields', 0), this.dataField);
        while (this.peek() === ',') {
            this.consumeKeyword('FieldGroup', ',');
            this.sub(g.assigned('FieldGroup', 'fields', 1), this.dataField);
        }
        this.consumeKeyword('FieldGroup', ')');
    }

    private dataField(): void {
        this.consume('ID', this.g.assigned('DataField', 'name'));
        if (this.peek() === ':') {
            this.consumeKeyword('DataField', ':');
            this.sub(this.g.assigned('DataField', 'type'), this.type);
        }
    }

    private modelOption(): void {
        this.consumeKeyword('ModelOption', 'model');
        this.sub(this.g.assigned('ModelOption', 'term'), this.term);
        this.consumeKeyword('ModelOption', ';');
    }

    private targetOption(): void {
        this.consumeKeyword('TargetOption', 'target');
        this.sub(this.g.assigned('TargetOption', 'term'), this.term);
        this.consumeKeyword('TargetOption', ';');
    }

    private evaluateOption(): void {
        const g = this.g;
        this.consumeKeyword('EvaluateOption', 'evaluate');
        this.sub(g.assigned('EvaluateOption', 'segments', 0), this.evaluateSegment);
        while (this.peek() === ',') {
            this.consumeKeyword('EvaluateOption', ',');
            this.sub(g.assigned('EvaluateOption', 'segments', 1), this.evaluateSegment);
        }
        this.consumeKeyword('EvaluateOption', ';');
    }

    private evaluateSegment(): void {
        this.consumeKeyword('EvaluateSegment', 'every');
        this.consume('INT', this.g.assigned('EvaluateSegment', 'every'));
        if (this.peek() === 'until') {
            this.consumeKeyword('EvaluateSegment', 'until');
            this.consume('INT', this.g.assigned('EvaluateSegment', 'until'));
        }
    }

    private settingOption(): void {
        this.consume('ID', this.g.assigned('SettingOption', 'key'));
        this.sub(this.g.assigned('SettingOption', 'value'), this.settingValue);
        this.consumeKeyword('SettingOption', ';');
    }

    private settingValue(): void {
        const kind = this.peek();
        if (kind !== 'ID' && kind !== 'INT' && kind !== 'DECIMAL' && kind !== 'STRING') throw MISS;
        this.consume(kind, this.g.call('SettingValue', kind));
    }

    // Types

    private type(): void {
        this.sub(this.g.call('Type', 'FunctionType'), this.functionType);
    }

    private functionType(): void {
        const g = this.g;
        this.sub(g.call('FunctionType', 'ProductType'), this.productType);
        const arrow = this.peek();
        if (arrow === '-o' || arrow === '⊸') {
            this.action(g.action('FunctionType'));
            this.consumeKeyword('FunctionType', arrow);
            this.sub(g.assigned('FunctionType', 'codomain'), this.functionType);
        }
    }

    private productType(): void {
        const g = this.g;
        this.sub(g.call('ProductType', 'AtomicType'), this.atomicType);
        for (let times = this.peek(); times === '*' || times === '⊗'; times = this.peek()) {
            this.action(g.action('ProductType'));
            this.consumeKeyword('ProductType', times);
            this.sub(g.assigned('ProductType', 'right'), this.atomicType);
        }
    }

    private atomicType(): void {
        const g = this.g;
        switch (this.peek()) {
            case 'Bool':
                this.action(g.action('AtomicType', 0));
                this.consumeKeyword('AtomicType', 'Bool');
                return;
            case 'Nat':
                this.action(g.action('AtomicType', 1));
                this.consumeKeyword('AtomicType', 'Nat');
                if (this.peek() === '[') {
                    this.consumeKeyword('AtomicType', '[', 0);
                    this.consume('INT', g.assigned('AtomicType', 'bound'));
                    this.consumeKeyword('AtomicType', ']', 0);
                }
                return;
            case 'Real':
                this.action(g.action('AtomicType', 2));
                this.consumeKeyword('AtomicType', 'Real');
                this.consumeKeyword('AtomicType', '[', 1);
                this.consume('INT', g.assigned('AtomicType', 'dims', 0));
                while (this.peek() === ',') {
                    this.consumeKeyword('AtomicType', ',');
                    this.consume('INT', g.assigned('AtomicType', 'dims', 1));
                }
                this.consumeKeyword('AtomicType', ']', 1);
                return;
            case '(':
                this.consumeKeyword('AtomicType', '(');
                this.sub(g.call('AtomicType', 'Type'), this.type);
                this.consumeKeyword('AtomicType', ')');
                return;
            default:
                throw MISS;
        }
    }

    // Terms

    private annotatedBinder(): void {
        this.consumeKeyword('AnnotatedBinder', '(');
        this.consume('ID', this.g.assigned('AnnotatedBinder', 'name'));
        this.consumeKeyword('AnnotatedBinder', ':');
        this.sub(this.g.assigned('AnnotatedBinder', 'type'), this.type);
        this.consumeKeyword('AnnotatedBinder', ')');
    }

    private lambdaBinder(): void {
        const g = this.g;
        if (this.peek() === '(') {
            this.consumeKeyword('LambdaBinder', '(');
            this.consume('ID', g.assigned('LambdaBinder', 'name', 1));
            this.consumeKeyword('LambdaBinder', ':');
            this.sub(g.assigned('LambdaBinder', 'type'), this.type);
            this.consumeKeyword('LambdaBinder', ')');
        } else {
            this.consume('ID', g.assigned('LambdaBinder', 'name', 0));
        }
    }

    private plainBinder(): void {
        this.consume('ID', this.g.assigned('PlainBinder', 'name'));
    }

    private letBinder(): void {
        this.consume('ID', this.g.assigned('LetBinder', 'name'));
        if (this.peek() === ':') {
            this.consumeKeyword('LetBinder', ':');
            this.sub(this.g.assigned('LetBinder', 'type'), this.type);
        }
    }

    private term(): void {
        const g = this.g;
        switch (this.peek()) {
            case 'fun': case '\\': case 'λ':
                return this.sub(g.call('Term', 'Lambda'), this.lambda);
            case 'if':
                return this.sub(g.call('Term', 'IfTerm'), this.ifTerm);
            case 'let':
                if (this.peek(1) === '(') return this.sub(g.call('Term', 'LetPairTerm'), this.letPairTerm);
                return this.sub(g.call('Term', 'LetTerm'), this.letTerm);
            default:
                return this.sub(g.call('Term', 'Application'), this.application);
        }
    }

    private lambda(): void {
        const g = this.g;
        const opener = this.peek()!;
        this.consumeKeyword('Lambda', opener);
        do {
            this.sub(g.assigned('Lambda', 'binders'), this.lambdaBinder);
        } while (this.peek() === 'ID' || this.peek() === '(');
        this.consumeKeyword('Lambda', '=>');
        this.sub(g.assigned('Lambda', 'body'), this.term);
    }

    private ifTerm(): void {
        const g = this.g;
        this.consumeKeyword('IfTerm', 'if');
        this.sub(g.assigned('IfTerm', 'condition'), this.term);
        this.consumeKeyword('IfTerm', 'then');
        this.sub(g.assigned('IfTerm', 'thenBranch'), this.term);
        this.consumeKeyword('IfTerm', 'else');
        this.sub(g.assigned('IfTerm', 'elseBranch'), this.term);
    }

    private letTerm(): void {
        const g = this.g;
        this.consumeKeyword('LetTerm', 'let');
        this.sub(g.assigned('LetTerm', 'binder'), this.letBinder);
        this.consumeKeyword('LetTerm', '=');
        this.sub(g.assigned('LetTerm', 'value'), this.term);
        this.consumeKeyword('LetTerm', 'in');
        this.sub(g.assigned('LetTerm', 'body'), this.term);
    }

    private letPairTerm(): void {
        const g = this.g;
        this.consumeKeyword('LetPairTerm', 'let');
        this.consumeKeyword('LetPairTerm', '(');
        this.sub(g.assigned('LetPairTerm', 'first'), this.plainBinder);
        this.consumeKeyword('LetPairTerm', ',');
        this.sub(g.assigned('LetPairTerm', 'second'), this.plainBinder);
        this.consumeKeyword('LetPairTerm', ')');
        this.consumeKeyword('LetPairTerm', '=');
        this.sub(g.assigned('LetPairTerm', 'value'), this.term);
        this.consumeKeyword('LetPairTerm', 'in');
        this.sub(g.assigned('LetPairTerm', 'body'), this.term);
    }

    private startsAtom(kind: string | undefined): boolean {
        return kind === 'ID' || kind === 'true' || kind === 'false' || kind === 'zero' || kind === 'INT' || kind === '(';
    }

    private application(): void {
        const g = this.g;
        this.sub(g.call('Application', 'Head'), this.head);
        while (this.startsAtom(this.peek())) {
            this.action(g.action('Application'));
            this.sub(g.assigned('Application', 'argument'), this.atom);
        }
    }

    private head(): void {
        const g = this.g;
        const kind = this.peek();
        if (kind === 'succ') this.sub(g.call('Head', 'Succ'), this.succ);
        else if (kind === 'iter') this.sub(g.call('Head', 'Iter'), this.iter);
        else this.sub(g.call('Head', 'Atom'), this.atom);
    }

    private succ(): void {
        this.consumeKeyword('Succ', 'succ');
        this.sub(this.g.assigned('Succ', 'argument'), this.atom);
    }

    private iter(): void {
        const g = this.g;
        this.consumeKeyword('Iter', 'iter');
        this.sub(g.assigned('Iter', 'count'), this.atom);
        this.consumeKeyword('Iter', '{');
        this.consumeKeyword('Iter', 'zero');
        this.consumeKeyword('Iter', '=>', 0);
        this.sub(g.assigned('Iter', 'base'), this.term);
        this.consumeKeyword('Iter', ';', 0);
        this.consumeKeyword('Iter', 'succ');
        this.sub(g.assigned('Iter', 'stepBinder'), this.plainBinder);
        this.consumeKeyword('Iter', '=>', 1);
        this.sub(g.assigned('Iter', 'step'), this.term);
        if (this.peek() === ';') this.consumeKeyword('Iter', ';', 1);
        this.consumeKeyword('Iter', '}');
    }

    private atom(): void {
        const g = this.g;
        switch (this.peek()) {
            case 'ID':
                this.action(g.action('Atom', 0));
                this.consume('ID', g.assigned('Atom', 'ref'));
                return;
            case 'true':
                this.action(g.action('Atom', 1));
                this.consume('true', g.assigned('Atom', 'value', 0));
                return;
            case 'false':
                this.action(g.action('Atom', 2));
                this.consumeKeyword('Atom', 'false');
                return;
            case 'zero':
                this.action(g.action('Atom', 3));
                this.consumeKeyword('Atom', 'zero');
                return;
            case 'INT':
                this.action(g.action('Atom', 4));
                this.consume('INT', g.assigned('Atom', 'value', 1));
                return;
            case '(':
                this.sub(g.call('Atom', 'Parenthesized'), this.parenthesized);
                return;
            default:
                throw MISS;
        }
    }

    private parenthesized(): void {
        const g = this.g;
        this.consumeKeyword('Parenthesized', '(');
        this.sub(g.call('Parenthesized', 'Term'), this.term);
        switch (this.peek()) {
            case ',':
                this.action(g.action('Parenthesized', 0));
                this.consumeKeyword('Parenthesized', ',');
                this.sub(g.assigned('Parenthesized', 'second'), this.term);
                this.consumeKeyword('Parenthesized', ')', 0);
                return;
            case ':':
                this.action(g.action('Parenthesized', 1));
                this.consumeKeyword('Parenthesized', ':');
                this.sub(g.assigned('Parenthesized', 'type'), this.type);
                this.consumeKeyword('Parenthesized', ')', 1);
                return;
            default:
                this.consumeKeyword('Parenthesized', ')', 2);
        }
    }
}
