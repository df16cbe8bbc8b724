/**
 * Which loaded rules are enabled: each rule's own `enabled` flag, then Falco's `rules:`
 * selection entries in order (enable/disable by name pattern or tag), then the legacy
 * `-D`/`-T`/`-t` flags; rules less severe than the minimum priority are never enabled.
 */
import type { RuleSelection } from '../../config/falco-config.js';
import type { Priority } from './priority.js';

export interface SelectableRule {
  name: string;
  tags: readonly string[];
  priority: Priority;
  enabled: boolean;
}

export interface SelectionOptions {
  /** The `rules:` configuration list, applied in order. */
  selection?: readonly RuleSelection[];
  /** `-D <substring>`: disable rules whose name contains it. */
  disableSubstrings?: readonly string[];
  /** `-T <tag>`: disable rules with the tag. */
  disableTags?: readonly string[];
  /** `-t <tag>`: enable only rules with one of these tags. */
  enableTags?: readonly string[];
  /** Minimum priority (Falco's `priority`): rules with a larger priority number are dropped. */
  minPriority: Priority;
}

/**
 * Falco's wildcard match for rule names: `*` matches any run of characters, everything else is
 * literal. Like Falco it takes the first occurrence of each literal piece (no backtracking).
 */
export function matchesWildcard(pattern: string, s: string): boolean {
  let p = pattern;
  let str = s;
  for (;;) {
    const star = p.indexOf('*');
    if (star === -1) return p === str;
    if (star > 0) {
      if (p.slice(0, star) !== str.slice(0, star)) return false;
      p = p.slice(star);
      str = str.slice(star);
      continue;
    }
    const rest = p.replace(/^\*+/, '');
    if (rest === '') return true;
    const next = rest.indexOf('*');
    const lit = next === -1 ? rest : rest.slice(0, next);
    const at = str.indexOf(lit);
    if (at === -1) return false;
    p = rest.slice(lit.length);
    str = str.slice(at + lit.length);
  }
}

export class SelectionError extends Error {}

/** Returns the names of the enabled rules. */
export function selectRules(rules: readonly SelectableRule[], opts: SelectionOptions): Set<string> {
  if ((opts.enableTags?.length ?? 0) > 0 && ((opts.disableTags?.length ?? 0) > 0 || (opts.disableSubstrings?.length ?? 0) > 0)) {
    throw new SelectionError('You can not specify both disabled (-D/-T) and enabled (-t) conditions');
  }
  const eligible = rules.filter((r) => r.priority <= opts.minPriority);
  const enabled = new Set(eligible.filter((r) => r.enabled).map((r) => r.name));
  const set = (r: SelectableRule, on: boolean) => (on ? enabled.add(r.name) : enabled.delete(r.name));
  const hasTag = (r: SelectableRule, tags: readonly string[]) => r.tags.some((t) => tags.includes(t));

  for (const sel of opts.selection ?? []) {
    const on = sel.op === 'enable';
    if (sel.rule !== '') for (const r of eligible) if (matchesWildcard(sel.rule, r.name)) set(r, on);
    if (sel.tag !== '') for (const r of eligible) if (hasTag(r, [sel.tag])) set(r, on);
  }
  for (const sub of opts.disableSubstrings ?? []) for (const r of eligible) if (r.name.includes(sub)) set(r, false);
  if (opts.disableTags?.length) for (const r of eligible) if (hasTag(r, opts.disableTags)) set(r, false);
  if (opts.enableTags?.length) {
    for (const r of eligible) set(r, false);
    for (const r of eligible) if (hasTag(r, opts.enableTags)) set(r, true);
  }
  return enabled;
}
