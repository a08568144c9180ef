/**
 * The server's view of the workspace's files: Langium's Node file system, but reading only
 * regular `.cajal` files up to the source size cap (a 50 MB file in a workspace folder
 * would otherwise be parsed on every start). Directories, FIFOs, devices and symbolic
 * links are never listed as files by Langium's traversal; this adds the cap, and refuses
 * what is not a regular file when a file is read by name.
 */
import * as fs from 'node:fs';
import type { URI } from 'langium';
import { NodeFileSystemProvider } from 'langium/node';
import type { FileSystemNode } from 'langium';
import { MAX_SOURCE_BYTES, UnreadableFileError, formatBytes, readRegularTextFile } from '@cajal/language';

export class RegularFileSystemProvider extends NodeFileSystemProvider {
    override async readDirectory(uri: URI): Promise<FileSystemNode[]> {
        const entries = await super.readDirectory(uri);
        const kept = await Promise.all(entries.map(async entry => {
            if (!entry.isFile || !entry.uri.path.endsWith('.cajal')) return entry;
            const stat = await fs.promises.stat(entry.uri.fsPath).catch(() => undefined);
            if (stat && stat.size > MAX_SOURCE_BYTES) {
                console.error(`Not reading ${entry.uri.fsPath}: it is ${formatBytes(stat.size)}, above the limit of ${formatBytes(MAX_SOURCE_BYTES)} for source files.`);
                return undefined;
            }
            return entry;
        }));
        return kept.filter((entry): entry is FileSystemNode => entry !== undefined);
    }

    override async readFile(uri: URI): Promise<string> {
        return this.readFileSync(uri);
    }

    override readFileSync(uri: URI): string {
        try {
            return readRegularTextFile(uri.fsPath);
        } catch (error) {
            if (error instanceof UnreadableFileError) throw new Error(`Cannot read ${uri.fsPath}: it ${error.reason}.`);
            throw error;
        }
    }
}

export const RegularFileSystem = {
    fileSystemProvider: () => new RegularFileSystemProvider()
};
