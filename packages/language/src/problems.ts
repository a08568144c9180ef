import type { AstNode } from 'langium';

/** Stable diagnostic codes (documented in docs/diagnostics.md); tools match on these. */
export const Codes = {
    parse: 'parse',
    unknownName: 'name/unknown',
    duplicateName: 'name/duplicate',
    cycle: 'def/cycle',
    natOutOfRange: 'nat/out-of-range',
    typeMismatch: 'type/mismatch',
    notAFunction: 'type/not-a-function',
    cannotInfer: 'type/cannot-infer',
    unused: 'linearity/unused',
    duplicateUse: 'linearity/duplicate',
    branchMismatch: 'linearity/branch-mismatch',
    iterReplicates: 'linearity/iter-replicates',
    unknownArchitecture: 'extern/unknown-architecture',
    partialExternApplication: 'extern/partial-application',
    externReading: 'extern/reading',
    training: 'train/invalid',
    dataUnreadable: 'data/unreadable',
    dataOutsideWorkspace: 'data/outside-workspace',
    tensorTooLarge: 'size/too-large'
} as const;

/** A problem found by a checker, reported by the validator exactly once. */
export interface CheckProblem {
    readonly code: string;
    readonly message: string;
    readonly node: AstNode;
    /** Highlight only this property of the node (e.g. a binder's name). */
    readonly property?: string;
    /** Highlight only this keyword of the node (e.g. the `if` of a conditional). */
    readonly keyword?: string;
    readonly severity: 'error' | 'warning';
    readonly related?: ReadonlyArray<{ node: AstNode; property?: string; message: string }>;
    /** Data for quick fixes, carried through publishDiagnostics. */
    readonly data?: Record<string, unknown>;
}
