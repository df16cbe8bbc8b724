#!/usr/bin/env node
// The tsfalco executable: hands the command line to oclif, which finds the compiled
// commands under dist/commands (see "oclif" in package.json). V8's tiering is tuned first, before
// any other code loads (see src/cli/v8-tiering.ts).
const { tuneTieringForShortLoads } = await import('../dist/src/cli/v8-tiering.js');
tuneTieringForShortLoads();
const { execute } = await import('@oclif/core');

await execute({ dir: import.meta.url });
