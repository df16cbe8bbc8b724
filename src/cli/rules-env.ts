/**
 * Wiring shared by the commands that load rules: the engine's sources (field catalogs) handed to
 * the rules loader, the configuration from -c/-o, and reading rules files and folders.
 * The rules layer never imports the engine; this is where they meet.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { InputFileError, MAX_RULES_FILE, readRegularText } from '../util/input-file.js';
import { ioReason } from '../util/io-errors.js';
import { join } from 'node:path';
import type { SourceDefinition } from '../engine/source.js';
import { BUILTIN_SOURCES } from '../engine/sources.js';
export { CONTAINER_PLUGIN_SUGGESTED_FIELDS } from '../engine/syscall/source.js';
import {
  appendOutputExtras,
  checkPluginRequirements,
  filePlace,
  formatResult,
  selectRules,
  SelectionError,
  type CompiledRule,
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

/** Extractors for the rules of each source: one provider for all, or one per source. */
export type ProviderChoice = ExtractorProvider | ((source: SourceDefinition) => ExtractorProvider);

/** The sources the engine knows (the registry's, or those given), as the rules loader needs them. */
export function loaderSources(provider: ProviderChoice = VALIDATION_PROVIDER, sources: readonly SourceDefinition[] = BUILTIN_SOURCES): LoaderSource[] {
  return sources.map((s) => ({
    name: s.name,
    catalog: s.catalog,
    suggestedFields: s.suggestedFields,
    provider: typeof provider === 'function' ? provider(s) : provider,
  }));
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


/** Reads one rules file; a missing or unreadable file is a user error naming it. */
export function readRulesFile(path: string): string {
  try {
    return readRegularText(path, MAX_RULES_FILE);
  } catch (e) {
    if (e instanceof InputFileError) throw new UserError(`Could not read rules file ${path}: ${e.reason}`);
    throw e;
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
      throw new UserError(`Could not read rules file ${p}: ${ioReason(e)}`);
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
export function loaderFor(config: FalcoConfig, printAdditional?: string, provider?: ProviderChoice, engineSources?: readonly SourceDefinition[]): RulesLoader {
  const sources = loaderSources(provider, engineSources);
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

export interface RunRulesOptions {
  config: FalcoConfig;
  /** `-r` paths (files or folders); when empty, the configuration's rules_files that exist. */
  rulesFiles: readonly string[];
  /** The engine's extractors: conditions and outputs are compiled against them. */
  provider: ProviderChoice;
  /** The event sources (default: the built-in ones). */
  sources?: readonly SourceDefinition[];
  /** Legacy -D / -T / -t. */
  disableSubstrings?: readonly string[];
  disableTags?: readonly string[];
  enableTags?: readonly string[];
  /** Legacy -p: extra output text for every rule. */
  printAdditional?: string;
}

export interface RunRules {
  loader: RulesLoader;
  /** The enabled rules, in load order, with `match` and `formatter` compiled. */
  rules: CompiledRule[];
  /** Warnings of all files, formatted for stderr ('' if none). */
  warnings: string;
}

/**
 * Loads rules for a run (replay): files in order, stopping at the first invalid one (as Falco's
 * -r does), plugin requirements, then the rule selection (`rules:` config, -D/-T/-t, priority).
 * Any problem is a UserError whose message is the first error, one line, with file:line:col.
 */
export function loadRulesForRun(opts: RunRulesOptions): RunRules {
  let paths = [...opts.rulesFiles];
  if (paths.length === 0) paths = opts.config.rulesFiles.filter((p) => existsSync(p));
  if (paths.length === 0) {
    throw new UserError('You must specify at least one rules file/directory via -r or a rules_file entry in falco.yaml');
  }
  const loader = loadRuleFiles(loaderFor(opts.config, opts.printAdditional, opts.provider, opts.sources), expandRulesPaths(paths), true);
  const failed = loader.results.find((r) => !r.successful);
  if (failed) {
    const e = failed.errors[0]!;
    const place = filePlace(e.context);
    throw new UserError(
      `${failed.name}: Invalid: ${place.name}:${place.mark.line + 1}:${place.mark.column + 1}: ${e.code}: ${e.message}` +
        (failed.errors.length > 1 ? ` (and ${failed.errors.length - 1} more; see "tsfalco rules validate")` : ''),
    );
  }
  const pluginErr = pluginRequirementError(loader);
  if (pluginErr) throw new UserError(pluginErr);
  let enabled: Set<string>;
  try {
    enabled = selectRules(loader.compiled?.rules ?? [], {
      selection: opts.config.rulesSelection,
      minPriority: opts.config.priority,
      ...(opts.disableSubstrings ? { disableSubstrings: opts.disableSubstrings } : {}),
      ...(opts.disableTags ? { disableTags: opts.disableTags } : {}),
      ...(opts.enableTags ? { enableTags: opts.enableTags } : {}),
    });
  } catch (e) {
    if (e instanceof SelectionError) throw new UserError(e.message);
    throw e;
  }
  const warnings = loader.results.filter((r) => r.warnings.length).map((r) => formatResult(r, loader.contents)).join('');
  return { loader, rules: (loader.compiled?.rules ?? []).filter((r) => enabled.has(r.name)), warnings };
}
