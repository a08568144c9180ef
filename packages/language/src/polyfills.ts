/**
 * Langium 4.4's parser (chevrotain 13) calls `Object.groupBy`, which Node gained in
 * version 21. The project supports Node 22 and 24, but VS Code releases before mid-2025 run
 * extensions (and so the bundled language server) on Node 20, so the standard function is
 * provided where missing.
 * Imported first by the module that creates the services.
 */
declare global {
    interface ObjectConstructor {
        groupBy?<K extends PropertyKey, T>(items: Iterable<T>, keyOf: (item: T, index: number) => K): Partial<Record<K, T[]>>;
    }
}

if (typeof Object.groupBy !== 'function') {
    Object.defineProperty(Object, 'groupBy', {
        configurable: true,
        writable: true,
        value: function groupBy<K extends PropertyKey, T>(items: Iterable<T>, keyOf: (item: T, index: number) => K): Partial<Record<K, T[]>> {
            const groups = Object.create(null) as Partial<Record<K, T[]>>;
            let index = 0;
            for (const item of items) {
                const key = keyOf(item, index++);
                (groups[key] ??= []).push(item);
            }
            return groups;
        }
    });
}

export { };
