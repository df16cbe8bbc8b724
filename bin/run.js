#!/usr/bin/env node
// The tsfalco executable: hands the command line to oclif, which finds the compiled
// commands under dist/commands (see "oclif" in package.json).
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
