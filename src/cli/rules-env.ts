/**
 * Wiring shared by the commands that load rules: the engine's sources (field catalogs) handed to
 * the rules loader, the configuration from -c/-o, and reading rules files and folders.
 * The rules layer never imports the engine; this is where they meet.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { syscallCatalog } from '../engine/fields/catalog.js';
import {
  appendOutputExtras,
  checkPluginRequirements,
  loadRulesContent,
  newRulesLoader,
  type LoaderSource,
  type ProvidedPlugin,
  type RulesLoader,
} from '../rules/load/index.js';
import { ConfigError, loadFalcoConfig, type FalcoConfig } from '../config/index.js';
import type { ExtractorProvider } from '../rules/condition/index.js';
import { UserError } from '../util/errors.js';

/**
 * Plugins whose fields tsfalco provides natively: the container plugin's `container.*` fields
 * are part of the syscall catalog, so rules requiring the container plugin are satisfied.
 */
export const BUILTIN_PLUGINS: readonly ProvidedPlugin[] = [{ name: 'container', version: '0.6.0' }];

/**
 * Extractors that find nothing: enough to compile every condition and output into JavaScript
 * when rules are only validated or listed (no events to evaluate).
 */
export const VALIDATION_PROVIDER: ExtractorProvider = { extractor: () => () => undefined };

/** The sources the engine knows, as the rules loader needs them. */
export function loaderSources(provider: ExtractorProvider = VALIDATION_PROVIDER): LoaderSource[] {
  // container.id and container.name are the fields Falco's container plugin suggests for outputs.
  return [{ name: 'syscall', catalog: syscallCatalog, suggestedFields: ['container.id', 'container.name'], provider }];
}

/** -c/-o into a FalcoConfig; configuration mistakes become one-line user errors. */
export function configFromFlags(configFile: string | undefined, options: readonly string[] | undefined): FalcoConfig {
  try {
    return loadFalcoConfig({ ...(configFile !== undefined ? { configFile } : {}), options: options ?? [] });
  } catch (e) {
    if (e instanceof ConfigError) throw new UserError(e.message);
    throw e;
  }
}

function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file or directory';
  if (code === 'EACCES') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory';
  return (e as Error).message;
}

/** Reads one rules file; a missing or unreadable file is a user error naming it. */
export function readRulesFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new UserError(`Could not read rules file ${path}: ${describeFsError(e)}`);
  }
}

/**
 * Expands `-r` paths as Falco does: a folder stands for its `.yaml`/`.yml` files, sorted by
 * name; files are kept as given.
 */
export function expandRulesPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch (e) {
      throw new UserError(`Could not read rules file ${p}: ${describeFsError(e)}`);
    }
    if (!isDir) {
      out.push(p);
      continue;
    }
    const names = readdirSync(p)
      .filter((n) => /\.ya?ml$/.test(n))
      .sort();
    for (const n of names) {
      const full = join(p, n);
      if (statSync(full).isFile()) out.push(full);
    }
  }
  return out;
}

/** Creates a loader configured from `config` (append_output) for the engine's sources. */
export function loaderFor(config: FalcoConfig, printAdditional?: string, provider?: ExtractorProvider): RulesLoader {
  const sources = loaderSources(provider);
  const extras = appendOutputExtras(config.appendOutput, sources, printAdditional);
  return newRulesLoader({ sources, extraOutputFormats: extras.formats, extraOutputFields: extras.fields });
}

/**
 * Loads files in order into one loader. Returns the loader; each file's result is in
 * `loader.results`. `stopAtError` stops after the first unsuccessful file (as `-r` does).
 */
export function loadRuleFiles(loader: RulesLoader, paths: readonly string[], stopAtError: boolean): RulesLoader {
  const texts = paths.map((p) => ({ name: p, text: readRulesFile(p) }));
  for (const f of texts) {
    const res = loadRulesContent(loader, f.name, f.text);
    if (stopAtError && !res.successful) break;
  }
  return loader;
}

/** Falco's check of `required_plugin_versions` against the available plugins. */
export function pluginRequirementError(loader: RulesLoader): string | undefined {
  return checkPluginRequirements(loader, BUILTIN_PLUGINS);
}
