/**
 * The rules engine's loading side: files are loaded one after another into one collector, and
 * after each file everything collected so far is compiled again (as Falco's load_rules does), so
 * a later file can append to or override an earlier one and its problems are reported against
 * the later file.
 */
import { filePlace } from './human.js';
import { newCollector, type Collector } from './collector.js';
import { readRulesContent } from './reader.js';
import { compileCollected, newCompileCache, type CompileCache, type CompileOutput, type ExtraOutputField, type ExtraOutputFormat } from './compile.js';
import { newResult, resultToJson, type JsonLoadResult, type LoadResult } from './result.js';
import { isCatalogField, type LoaderSource } from './sources.js';
import { isConditionError, parseCondition } from '../condition/index.js';
import { checkRuleCondition } from './checks.js';
import type { FieldValidator } from './exceptions.js';
import { isCompatible, parseSemver } from './version.js';

export interface LoaderOptions {
  /** The event sources the engine knows; rules of other sources are skipped with a warning. */
  sources: readonly LoaderSource[];
  /** `append_output` extra text, applied to matching rules' outputs while compiling. */
  extraOutputFormats?: readonly ExtraOutputFormat[];
  extraOutputFields?: readonly ExtraOutputField[];
}

export interface RulesLoader {
  readonly options: LoaderOptions;
  readonly collector: Collector;
  /** File texts by name (for snippets and positions). */
  readonly contents: Map<string, string>;
  /** One result per loaded file, in order. */
  readonly results: LoadResult[];
  /** The output of the last successful compilation. */
  compiled: CompileOutput | undefined;
  readonly sources: ReadonlyMap<string, LoaderSource & { isValidField: FieldValidator }>;
  /** Parses and rule compilations kept between files (everything is recompiled after each file). */
  readonly cache: CompileCache;
}

function fieldValidator(source: LoaderSource): FieldValidator {
  return (field) => {
    if (!field.includes('(')) return isCatalogField(source.catalog, field);
    // A field wrapped in transformers: Falco compiles `<field> exists` and sees if it works.
    try {
      const expr = parseCondition(`${field} exists`);
      if (expr.kind !== 'check') return false;
      return checkRuleCondition(expr, source.catalog).errors.length === 0;
    } catch (e) {
      if (isConditionError(e)) return false;
      throw e;
    }
  };
}

export function newRulesLoader(options: LoaderOptions): RulesLoader {
  const sources = new Map(options.sources.map((s) => [s.name, { ...s, isValidField: fieldValidator(s) }]));
  return { options, collector: newCollector(), contents: new Map(), results: [], compiled: undefined, sources, cache: newCompileCache() };
}

/** Loads one file's text into the loader; returns (and records) its result. */
export function loadRulesContent(loader: RulesLoader, name: string, text: string): LoadResult {
  const result = newResult(name);
  loader.contents.set(name, text);
  loader.results.push(result);
  if (readRulesContent(loader.collector, { sources: loader.sources, result }, name, text)) {
    const out = compileCollected(loader.collector, {
      sources: loader.sources,
      result,
      contents: loader.contents,
      extraOutputFormats: loader.options.extraOutputFormats ?? [],
      extraOutputFields: loader.options.extraOutputFields ?? [],
      cache: loader.cache,
    });
    if (out && result.successful) loader.compiled = out;
  }
  return result;
}

/** Loads several files in order into one loader. */
export function loadRulesFiles(files: readonly { name: string; text: string }[], options: LoaderOptions): RulesLoader {
  const loader = newRulesLoader(options);
  for (const f of files) loadRulesContent(loader, f.name, f.text);
  return loader;
}

/** The `{"falco_load_results": [...]}` document of `falco -V ... -o json_output=true`. */
export function loadResultsJson(loader: RulesLoader): { falco_load_results: JsonLoadResult[] } {
  return { falco_load_results: loader.results.map((r) => resultToJson(r, loader.contents)) };
}

export interface ProvidedPlugin {
  name: string;
  version: string;
}

/**
 * Checks the collected `required_plugin_versions` against the plugins that are available;
 * returns Falco's error message for the first unsatisfied requirement, or undefined.
 */
export function checkPluginRequirements(loader: RulesLoader, plugins: readonly ProvidedPlugin[]): string | undefined {
  for (const req of loader.collector.requiredPluginVersions) {
    let satisfied = false;
    let err = '';
    outer: for (const alt of req.alternatives) {
      for (const p of plugins) {
        if (alt.name !== p.name) continue;
        const have = parseSemver(p.version);
        const want = parseSemver(alt.version);
        if (!have) err = `Plugin '${p.name}' has invalid version string '${p.version}'`;
        else if (!want || !isCompatible(have, want)) {
          err = `Plugin '${p.name}' version '${p.version}' is not compatible with required plugin version '${alt.version}'`;
        } else satisfied = true;
        break outer;
      }
    }
    if (!satisfied) {
      // Falco's message, and which rules file asks for the plugin
      const place = filePlace(req.ctx);
      const message = err || 'Plugin requirement not satisfied, must load one of: ' + req.alternatives.map((a) => `${a.name} (>= ${a.version})`).join(', ');
      return `${message} (required by ${place.name}:${place.mark.line + 1})`;
    }
  }
  return undefined;
}
