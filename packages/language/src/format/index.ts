/**
 * `@cajal/language/format` — the house layout of Cajal source (pure text to text; rules in
 * format-text.ts): what `cajal fmt` writes and the language server's formatting provider edits.
 */

// Whole files: the layout, refused with a located error where the text does not parse.
export { CajalFormatError, formatCajalText, parsesAlone } from './cajal-format.js';
// The layout itself, per declaration ("unit"), and edits for a range of a document.
export { formatText, formatTextRange, formatUnits, tokenize } from './format-text.js';
export type { FormatUnit, TextReplacement } from './format-text.js';
