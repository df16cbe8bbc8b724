/**
 * A configuration document as Falco's yaml_helper holds it: maps, sequences and scalars that
 * are kept as text until a key is read with a type. `-o key=value` edits it with Falco's key
 * syntax: dotted keys, `[n]` indices, `[]` to append to a sequence, `\.` for a literal dot.
 */
import { decodeBool, parseYaml, type YNode } from './yaml-cpp.js';

export type ConfigNode = string | null | ConfigNode[] | ConfigMap;
export type ConfigMap = Map<string, ConfigNode>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function isMapNode(n: ConfigNode | undefined): n is ConfigMap {
  return n instanceof Map;
}

/** Nodes a configuration may expand to once its aliases are copied out (Falco's is ~300). */
export const MAX_CONFIG_NODES = 1_000_000;

/**
 * Converts a parsed YAML node (all scalars text) to a config node. The parsed document shares
 * aliased nodes; the config tree copies them (a `-o` edit of one must not change the others),
 * so an alias bomb (`b: [*a, *a, …]` nested) would be copied exponentially: once `budget.left`
 * nodes have been made, conversion stops with a ConfigError.
 */
export function fromYNode(n: YNode | undefined, budget = { left: MAX_CONFIG_NODES, name: '' }): ConfigNode {
  if (--budget.left < 0) {
    throw new ConfigError(`Error reading config file (${budget.name}): its aliases expand to more than ${MAX_CONFIG_NODES.toLocaleString('en-US')} nodes`);
  }
  if (!n || n.kind === 'null') return null;
  if (n.kind === 'scalar') return n.value;
  if (n.kind === 'seq') return n.items.map((item) => fromYNode(item, budget));
  const m: ConfigMap = new Map();
  for (const { key, value } of n.entries) {
    const k = key.kind === 'scalar' ? key.value : 'null';
    if (!m.has(k)) m.set(k, fromYNode(value, budget)); // yaml-cpp finds the first of duplicate keys
  }
  return m;
}

/** Parses a config document's text; `name` is used in error messages. */
export function parseConfigText(text: string, name: string): ConfigNode {
  const parsed = parseYaml(text);
  if (!parsed.ok) throw new ConfigError(`Error reading config file (${name}): ${parsed.error.message}`);
  const doc = parsed.docs[0];
  const node = fromYNode(doc, { left: MAX_CONFIG_NODES, name });
  if (node !== null && !isMapNode(node)) {
    throw new ConfigError(`Error reading config file (${name}): the configuration must be a YAML mapping`);
  }
  return node ?? new Map();
}

/** One step of a key path: a map key, a sequence index, or `[]` (append). */
type Step = { key: string } | { index: number } | { append: true };

/** Splits a Falco config key (`a.b[0].c`, `rules[].disable.rule`, `a\.b`) into steps. */
export function parseKeyPath(key: string): Step[] {
  const steps: Step[] = [];
  const err = (what: string) => new ConfigError(`Config error at key "${key}": Parsing error: ${what}`);
  let cur = '';
  let haveKey = false;
  for (let i = 0; i < key.length; i++) {
    const c = key[i]!;
    if (c === '\\') {
      const next = key[i + 1];
      if (next === undefined) throw err(`trailing backslash at pos ${i}`);
      if (!'.[]\\'.includes(next)) throw err(`invalid escape sequence '\\${next}' at pos ${i}`);
      cur += next;
      haveKey = true;
      i++;
    } else if (c === '.') {
      if (!haveKey) throw err(`unexpected character at pos ${i}`);
      steps.push({ key: cur });
      cur = '';
      haveKey = false;
    } else if (c === '[') {
      if (haveKey) {
        steps.push({ key: cur });
        cur = '';
        haveKey = false;
      } else if (key[i - 1] !== ']') throw err(`unexpected character at pos ${i}`);
      const close = key.indexOf(']', i);
      if (close === -1) throw err(`missing ']' after pos ${i}`);
      const idx = key.slice(i + 1, close);
      if (idx === '') steps.push({ append: true });
      else if (/^\d+$/.test(idx)) steps.push({ index: Number(idx) });
      else throw err(`expected a numeric index, found '${idx}'`);
      i = close;
      const next = key[i + 1];
      if (next === '.') i++;
      else if (next !== undefined && next !== '[') throw err(`expected '.' character at pos ${i}`);
    } else {
      cur += c;
      haveKey = true;
    }
  }
  if (haveKey) steps.push({ key: cur });
  if (steps.length === 0) throw err('empty key');
  return steps;
}

/** Reads the node at `key`, or undefined when any step is missing. Never modifies the tree. */
export function getNode(root: ConfigNode, key: string): ConfigNode | undefined {
  let cur: ConfigNode | undefined = root;
  for (const step of parseKeyPath(key)) {
    if (cur === undefined || cur === null) return undefined;
    if ('key' in step) {
      if (isMapNode(cur)) cur = cur.get(step.key);
      else return undefined;
    } else if ('index' in step) {
      if (Array.isArray(cur)) cur = cur[step.index];
      else if (isMapNode(cur)) cur = cur.get(String(step.index));
      else return undefined;
    } else return undefined;
  }
  return cur;
}

/**
 * Sets the node at `key` to `value`, creating what is missing, with yaml-cpp's rules: a map key
 * on a sequence turns the sequence into a map indexed "0", "1", ...; a key on a scalar is an
 * error; `[]` appends a new element to a (possibly missing) sequence.
 */
export function setNode(root: ConfigMap, key: string, value: ConfigNode): void {
  const steps = parseKeyPath(key);
  // Walk with a setter for the current slot so missing/converted nodes can be replaced in place.
  let holder: { get: () => ConfigNode | undefined; set: (v: ConfigNode) => void } = {
    get: () => root,
    set: () => {
      throw new ConfigError(`Config error at key "${key}": cannot replace the whole configuration`);
    },
  };
  for (const step of steps) {
    let cur = holder.get();
    if ('key' in step) {
      if (cur === undefined || cur === null) {
        cur = new Map();
        holder.set(cur);
      } else if (Array.isArray(cur)) {
        const m: ConfigMap = new Map();
        cur.forEach((v, i) => m.set(String(i), v));
        cur = m;
        holder.set(cur);
      } else if (!isMapNode(cur)) {
        throw new ConfigError(`Config error at key "${key}": operator[] call on a scalar (key: "${step.key}")`);
      }
      const map: ConfigMap = cur;
      const k = step.key;
      holder = { get: () => map.get(k), set: (v) => void map.set(k, v) };
    } else if ('append' in step) {
      if (cur === undefined || cur === null) {
        cur = [];
        holder.set(cur);
      }
      if (!Array.isArray(cur)) throw new ConfigError(`Config error at key "${key}": Parsing error: expected a numeric index, found ''`);
      const arr: ConfigNode[] = cur;
      arr.push(null);
      const i = arr.length - 1;
      holder = { get: () => arr[i], set: (v) => void (arr[i] = v) };
    } else {
      const i = step.index;
      if ((cur === undefined || cur === null) && i === 0) {
        cur = [];
        holder.set(cur);
      }
      if (Array.isArray(cur) && i <= cur.length) {
        const arr: ConfigNode[] = cur;
        if (i === arr.length) arr.push(null);
        holder = { get: () => arr[i], set: (v) => void (arr[i] = v) };
        continue;
      }
      if (cur === undefined || cur === null) {
        cur = new Map();
        holder.set(cur);
      } else if (Array.isArray(cur)) {
        const m: ConfigMap = new Map();
        cur.forEach((v, j) => m.set(String(j), v));
        cur = m;
        holder.set(cur);
      } else if (!isMapNode(cur)) {
        throw new ConfigError(`Config error at key "${key}": operator[] call on a scalar (key: "${i}")`);
      }
      const map: ConfigMap = cur;
      holder = { get: () => map.get(String(i)), set: (v) => void map.set(String(i), v) };
    }
  }
  holder.set(value);
}

/**
 * Applies one `-o key=value` option. A value in braces (`{a: b}`) is parsed as a YAML object;
 * anything else is stored as text and typed when read.
 */
export function applyOption(root: ConfigMap, option: string): void {
  const eq = option.indexOf('=');
  if (eq <= 0) {
    throw new ConfigError(`Error parsing config option "${option}". Must be of the form key=val or key.subkey=val`);
  }
  const key = option.slice(0, eq);
  const val = option.slice(eq + 1);
  if (val.startsWith('{') && val.endsWith('}')) {
    const parsed = parseYaml(val);
    if (!parsed.ok) throw new ConfigError(`Error parsing config option "${option}": ${parsed.error.message}`);
    setNode(root, key, fromYNode(parsed.docs[0]));
  } else {
    setNode(root, key, val);
  }
}

// ---- typed reads --------------------------------------------------------------------------------

function bad(key: string, node: ConfigNode, what: string): never {
  const shown = typeof node === 'string' ? `"${node}"` : Array.isArray(node) ? 'a sequence' : 'a mapping';
  throw new ConfigError(`Config error at key "${key}": expected ${what}, got ${shown}`);
}

export function getBool(root: ConfigNode, key: string, dflt: boolean): boolean {
  const n = getNode(root, key);
  if (n === undefined || n === null) return dflt;
  const b = typeof n === 'string' ? decodeBool(n) : undefined;
  return b === undefined ? bad(key, n, 'true or false') : b;
}

export function getString(root: ConfigNode, key: string, dflt: string): string {
  const n = getNode(root, key);
  if (n === undefined || n === null) return dflt;
  return typeof n === 'string' ? n : bad(key, n, 'a string');
}

/** A number as C++ streams read it: decimal, with optional fraction/exponent (`.1`, `1e3`). */
export function getNumber(root: ConfigNode, key: string, dflt: number, opts: { integer?: boolean; min?: number } = {}): number {
  const n = getNode(root, key);
  if (n === undefined || n === null) return dflt;
  if (typeof n !== 'string') return bad(key, n, 'a number');
  const t = n.trim();
  const re = opts.integer ? /^[+-]?\d+$/ : /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
  if (!re.test(t)) return bad(key, n, opts.integer ? 'an integer' : 'a number');
  const v = Number(t);
  if (opts.min !== undefined && v < opts.min) return bad(key, n, `a number >= ${opts.min}`);
  return v;
}

/** A sequence of strings; a single scalar counts as a one-element sequence; maps are ignored (as in Falco). */
export function getStringList(root: ConfigNode, key: string): string[] {
  const n = getNode(root, key);
  if (n === undefined || n === null || isMapNode(n)) return [];
  if (typeof n === 'string') return [n];
  return n.map((v, i) => (typeof v === 'string' ? v : bad(`${key}[${i}]`, v, 'a string')));
}

/** Deep copy (the stock defaults must never be edited in place). */
export function cloneNode(n: ConfigNode): ConfigNode {
  if (n === null || typeof n === 'string') return n;
  if (Array.isArray(n)) return n.map(cloneNode);
  return new Map([...n].map(([k, v]) => [k, cloneNode(v)]));
}

/** Plain JSON view of a node (for dumps and tests). */
export function toPlain(n: ConfigNode | undefined): unknown {
  if (n === undefined || n === null || typeof n === 'string') return n ?? null;
  if (Array.isArray(n)) return n.map(toPlain);
  return Object.fromEntries([...n].map(([k, v]) => [k, toPlain(v)]));
}
