#!/usr/bin/env node
// The `cajal` command: runs out/worker.js on a large-stack worker thread (see src/launcher.ts).
import { launchCli } from '../out/launcher.js';

launchCli(new URL('../out/worker.js', import.meta.url));
