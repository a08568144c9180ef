import * as path from 'node:path';
import { repositoryRoot } from './example-files.js';

/**
 * The tools' executables as the tests start them: real processes, from the built tree
 * (`npm run build`). One home for every package's tests and the integration suites.
 */
export const cliBin = path.join(repositoryRoot, 'packages', 'cli', 'bin', 'cajal.js');
export const serverBin = path.join(repositoryRoot, 'packages', 'language-server', 'bin', 'cajal-language-server.js');
