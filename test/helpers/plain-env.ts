/**
 * Runs before every test file (vitest setupFiles). The tests read what tsfalco prints to a pipe,
 * which is plain text; a CI runner that exports FORCE_COLOR (many do, so that their own logs are
 * coloured) would make oclif and cli-table3 colour it anyway. The children the tests start inherit
 * this environment.
 */
for (const name of ['FORCE_COLOR', 'CLICOLOR_FORCE']) delete process.env[name];
