/** String matchers with Falco's semantics: fnmatch-style glob, path-prefix pmatch, RE2 regex. */
import { RE2JS } from 're2js';

type GlobPart =
  | { t: 'lit'; c: number }
  | { t: 'any' } // ?
  | { t: 'star' } // *
  | { t: 'set'; neg: boolean; test: (c: number) => boolean };

const CLASSES: Record<string, (c: number) => boolean> = {
  alpha: (c) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122),
  digit: (c) => c >= 48 && c <= 57,
  alnum: (c) => CLASSES.alpha!(c) || CLASSES.digit!(c),
  upper: (c) => c >= 65 && c <= 90,
  lower: (c) => c >= 97 && c <= 122,
  space: (c) => c === 32 || (c >= 9 && c <= 13),
  blank: (c) => c === 32 || c === 9,
  punct: (c) => (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126),
  xdigit: (c) => CLASSES.digit!(c) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102),
  cntrl: (c) => c < 32 || c === 127,
  print: (c) => c >= 32 && c < 127,
  graph: (c) => c > 32 && c < 127,
};

const fold = (c: number): number => (c >= 65 && c <= 90 ? c + 32 : c);

function compileGlob(pattern: string, icase: boolean): GlobPart[] {
  const parts: GlobPart[] = [];
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') {
      if (parts[parts.length - 1]?.t !== 'star') parts.push({ t: 'star' });
    } else if (ch === '?') parts.push({ t: 'any' });
    else if (ch === '\\' && i + 1 < pattern.length) parts.push({ t: 'lit', c: pattern.charCodeAt(++i) });
    else if (ch === '[') {
      // bracket expression; if unterminated, '[' is literal (as fnmatch does)
      let j = i + 1;
      let neg = false;
      if (pattern[j] === '!' || pattern[j] === '^') {
        neg = true;
        j++;
      }
      const tests: Array<(c: number) => boolean> = [];
      let first = true;
      let ok = false;
      while (j < pattern.length) {
        const cj = pattern[j]!;
        if (cj === ']' && !first) {
          ok = true;
          break;
        }
        first = false;
        if (cj === '[' && pattern[j + 1] === ':') {
          const end = pattern.indexOf(':]', j + 2);
          const cls = end > 0 ? CLASSES[pattern.slice(j + 2, end)] : undefined;
          if (cls) {
            tests.push(cls);
            j = end + 2;
            continue;
          }
        }
        let lo = pattern.charCodeAt(j);
        if (cj === '\\' && j + 1 < pattern.length) lo = pattern.charCodeAt(++j);
        if (pattern[j + 1] === '-' && j + 2 < pattern.length && pattern[j + 2] !== ']') {
          let hi = pattern.charCodeAt(j + 2);
          if (pattern[j + 2] === '\\' && j + 3 < pattern.length) {
            hi = pattern.charCodeAt(j + 3);
            j++;
          }
          const l = lo;
          tests.push((c) => c >= l && c <= hi);
          j += 3;
        } else {
          const l = lo;
          tests.push((c) => c === l);
          j++;
        }
      }
      if (!ok) {
        parts.push({ t: 'lit', c: 91 });
        continue;
      }
      const test = icase
        ? (c: number) => tests.some((t) => t(c) || t(fold(c)) || (c >= 97 && c <= 122 && t(c - 32)))
        : (c: number) => tests.some((t) => t(c));
      parts.push({ t: 'set', neg, test });
      i = j;
    } else parts.push({ t: 'lit', c: pattern.charCodeAt(i) });
  }
  return parts;
}

/** fnmatch(pattern, s, icase ? FNM_CASEFOLD : 0): `*` crosses `/`, no special leading dot. */
export function globMatcher(pattern: string, icase = false): (s: string) => boolean {
  const parts = compileGlob(pattern, icase);
  const matchOne = (p: GlobPart, c: number): boolean => {
    switch (p.t) {
      case 'lit':
        return icase ? fold(p.c) === fold(c) : p.c === c;
      case 'any':
        return true;
      case 'set':
        return p.test(c) !== p.neg;
      default:
        return false;
    }
  };
  // iterative matching with single-star backtracking: O(len(s) * len(parts)) worst case
  return (s: string): boolean => {
    let pi = 0;
    let si = 0;
    let starP = -1;
    let starS = 0;
    while (si < s.length) {
      const p = parts[pi];
      if (p && p.t === 'star') {
        starP = pi++;
        starS = si;
      } else if (p && matchOne(p, s.charCodeAt(si))) {
        pi++;
        si++;
      } else if (starP >= 0) {
        pi = starP + 1;
        si = ++starS;
      } else return false;
    }
    while (pi < parts.length && parts[pi]!.t === 'star') pi++;
    return pi === parts.length;
  };
}

/** Splits a path into its non-empty components, like libsinsp's split_path. */
function components(path: string): string[] {
  return path.split('/').filter((c) => c.length > 0);
}

interface PNode {
  end: boolean;
  kids: Map<string, PNode>;
  globs: Array<{ m: (s: string) => boolean; node: PNode }>;
}

/**
 * pmatch: true if one of the prefixes is a path prefix of the value, component by component
 * (`/usr/bin` matches `/usr/bin` and `/usr/bin/ls`, not `/usr/binx`); components containing
 * `*`, `?` or `[` are globs (libsinsp path_prefix_search).
 */
export function pmatchMatcher(prefixes: readonly string[]): (s: string) => boolean {
  const root: PNode = { end: false, kids: new Map(), globs: [] };
  for (const p of prefixes) {
    let node = root;
    for (const comp of components(p)) {
      if (node.end) break; // a shorter prefix already matches everything below
      if (/[?*[]/.test(comp)) {
        const next: PNode = { end: false, kids: new Map(), globs: [] };
        node.globs.push({ m: globMatcher(comp), node: next });
        node = next;
      } else {
        let next = node.kids.get(comp);
        if (!next) node.kids.set(comp, (next = { end: false, kids: new Map(), globs: [] }));
        node = next;
      }
    }
    node.end = true;
    node.kids.clear();
    node.globs = [];
  }
  return (s: string): boolean => {
    const comps = components(s);
    let frontier: PNode[] = [root];
    if (root.end) return true;
    for (const comp of comps) {
      const next: PNode[] = [];
      for (const n of frontier) {
        const k = n.kids.get(comp);
        if (k) {
          if (k.end) return true;
          next.push(k);
        }
        for (const g of n.globs) {
          if (g.m(comp)) {
            if (g.node.end) return true;
            next.push(g.node);
          }
        }
      }
      if (next.length === 0) return false;
      frontier = next;
    }
    return false;
  };
}

/** RE2 full match (Falco anchors both ends). Throws Error("invalid regex pattern: ...") on bad syntax. */
export function regexMatcher(pattern: string): (s: string) => boolean {
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`invalid regex pattern: ${msg}`);
  }
  return (s: string) => re.matches(s);
}

/** strcasestr-like: ASCII case-insensitive substring. */
export function asciiLower(s: string): string {
  // fast path: most strings are ASCII, where toLowerCase is exactly C's tolower
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s.toLowerCase() : s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}
export function asciiUpper(s: string): string {
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s.toUpperCase() : s.replace(/[a-z]+/g, (m) => m.toUpperCase());
}
