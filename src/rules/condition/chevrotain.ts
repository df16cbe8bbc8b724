/**
 * chevrotain, loaded from its single-file bundle.
 *
 * The package's entry point (lib/src/api.js) pulls in a few hundred small ES modules (its own
 * and lodash-es), which costs about 440 ms at every tsfalco start; the bundle the package ships
 * next to it (lib/chevrotain.min.mjs, same version, same API) loads in about 30 ms. The exports
 * map does not expose the bundle, so it is found from the entry point's location.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as Chevrotain from 'chevrotain';

const entry = createRequire(import.meta.url).resolve('chevrotain');
const bundle = pathToFileURL(join(dirname(entry), '..', 'chevrotain.min.mjs')).href;
const chevrotain = (await import(bundle)) as typeof Chevrotain;

export const { createToken, EmbeddedActionsParser, EOF, Lexer } = chevrotain;
export type { CustomPatternMatcherFunc, IToken, TokenType } from 'chevrotain';
