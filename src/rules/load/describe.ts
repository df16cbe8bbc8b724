/**
 * Rule listings, as Falco's `-L` prints them: a two-column text table (Rule, Description) and
 * the JSON "describe" document. Built from the last successful compilation.
 */
import { forEachNode, parseCondition, referencedNames } from '../condition/index.js';
import { sanitize } from '../../util/terminal.js';
import { formatPriority } from './priority.js';
import { formatSemver } from './version.js';
import type { RulesLoader } from './loader.js';

/** Falco's wrap_text: words filled to `lineLen`, continuation lines indented by `indent`. */
export function wrapText(text: string, indent: number, lineLen: number): string {
  const width = Math.max(10, lineLen - indent);
  const lines: string[] = [];
  let cur = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (cur && cur.length + 1 + word.length > width) {
      lines.push(cur);
      cur = word;
    } else cur = cur ? cur + ' ' + word : word;
  }
  if (cur) lines.push(cur);
  return lines.join('\n' + ' '.repeat(indent));
}

function twoColumns(l: string, r: string): string {
  return `${l.padEnd(50)} ${r}\n`;
}

/** The text listing: each rule's name and wrapped description, then its priority, source and tags. */
export function formatRulesTable(loader: RulesLoader): string {
  const rules = loader.compiled?.rules ?? [];
  let out = twoColumns('Rule', 'Description') + twoColumns('----', '-----------');
  for (const r of rules) {
    const desc = wrapText(sanitize(r.desc.replace(/\s+/g, ' ')), 51, 110);
    const meta = `[${formatPriority(r.priority)}, ${sanitize(r.source)}${r.enabled ? '' : ', disabled'}${r.tags.length ? '; ' + r.tags.map(sanitize).join(', ') : ''}]`;
    out += twoColumns(sanitize(r.name), desc + '\n' + ' '.repeat(51) + wrapText(meta, 51, 110));
  }
  out += `\n${rules.length} rule(s)\n`;
  return out;
}

/** Falco's describe JSON (`falco -L -o json_output=true`), with the details tsfalco can give. */
export function describeRules(loader: RulesLoader): unknown {
  const col = loader.collector;
  const compiled = loader.compiled;
  const macroNames = new Set(col.macros.list.map((m) => m.name));
  const listNames = new Set(col.lists.list.map((l) => l.name));
  return {
    required_engine_version: col.requiredEngineVersion ? formatSemver(col.requiredEngineVersion.version) : '0.0.0',
    required_plugin_versions: col.requiredPluginVersions.map((p) => ({
      name: p.alternatives[0]!.name,
      version: p.alternatives[0]!.version,
      alternatives: p.alternatives.slice(1).map((a) => ({ name: a.name, version: a.version })),
    })),
    rules: (compiled?.rules ?? []).map((r) => {
      const info = r.info;
      const fields = new Set<string>();
      const operators = new Set<string>();
      forEachNode(r.expr, (e) => {
        if (e.kind !== 'check') return;
        operators.add(e.op);
        let left = e.left;
        while (left.kind === 'transform') left = left.value;
        fields.add(left.arg !== undefined ? `${left.name}[${left.arg}]` : left.name);
      });
      let refs = { macros: new Set<string>(), lists: new Set<string>() };
      try {
        // Names used by the rule's own condition (before substitution), as Falco reports them.
        refs = referencedNames(parseCondition(info.cond));
      } catch {
        // the compiled rule parsed, so this cannot fail in practice
      }
      return {
        info: {
          name: r.name,
          condition: info.cond,
          priority: formatPriority(r.priority),
          output: info.output,
          description: r.desc,
          enabled: r.enabled,
          source: r.source,
          capture: r.capture,
          capture_duration: r.captureDuration,
          tags: r.tags,
        },
        details: {
          macros: [...refs.macros].filter((m) => macroNames.has(m)).sort(),
          lists: [...refs.lists].filter((l) => listNames.has(l)).sort(),
          condition_operators: [...operators].sort(),
          condition_fields: [...fields].sort(),
          exception_fields: [...r.exceptionFields].sort(),
          exception_names: info.exceptions.map((e) => e.name).sort(),
          events: r.eventTypes ? [...r.eventTypes].sort() : [],
        },
      };
    }),
    macros: (compiled?.macros ?? []).map((m) => ({ info: { name: m.name, condition: col.macros.byName.get(m.name)!.cond }, details: { used: m.used } })),
    lists: (compiled?.lists ?? []).map((l) => ({ info: { name: l.name, items: col.lists.byName.get(l.name)!.items }, details: { used: l.used, items_compiled: l.items } })),
  };
}

