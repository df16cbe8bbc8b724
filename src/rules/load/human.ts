/**
 * Human-readable load results: each problem as `file:line:col: error CODE: message`, the chain
 * of items it is in, and the offending source line with a caret (1-based line/column here, as
 * editors count; the JSON keeps Falco's 0-based marks).
 */
import { sanitize } from '../../util/terminal.js';
import { ERROR_DESCS, WARNING_NAMES, type Context, type LoadMessage, type LoadResult } from './result.js';
import { MarkIndex, type Mark } from './yaml.js';

/** The best file position of a context: the exact one if known, else the innermost file location. */
export function filePlace(ctx: Context): { name: string; mark: Mark } {
  if (ctx.fileMark) return ctx.fileMark;
  for (let i = ctx.locations.length - 1; i >= 0; i--) {
    const l = ctx.locations[i]!;
    if (l.itemType !== 'condition expression') return { name: l.name, mark: l.mark };
  }
  const first = ctx.locations[0]!;
  return { name: first.name, mark: first.mark };
}

function itemChain(ctx: Context): string {
  const parts: string[] = [];
  for (const l of ctx.locations) {
    if (l.itemType === 'rules content' || l.itemType === 'condition expression') continue;
    parts.push(l.itemName ? `${l.itemType} '${l.itemName}'` : l.itemType);
  }
  return parts.join(' > ');
}

function sourceLine(text: string | undefined, mark: Mark): string[] {
  if (text === undefined) return [];
  const idx = new MarkIndex(text);
  const m = idx.mark(Math.min(mark.offset, text.length));
  const start = m.offset - m.column;
  let end = text.indexOf('\n', start);
  if (end === -1) end = text.length;
  let line = text.slice(start, end).replace(/\r$/, '');
  let col = m.column;
  // Keep long lines readable: a window of 120 characters around the column.
  if (line.length > 120) {
    const from = Math.max(0, Math.min(col - 60, line.length - 120));
    line = (from > 0 ? '...' : '') + line.slice(from, from + 120) + (from + 120 < line.length ? '...' : '');
    col = col - from + (from > 0 ? 3 : 0);
  }
  const num = String(m.line + 1);
  const pad = ' '.repeat(num.length);
  const safe = sanitize(line.replace(/\t/g, ' '));
  return [`  ${num} | ${safe}`, `  ${pad} | ${' '.repeat(Math.max(0, col))}^`];
}

function formatMessage(kind: 'error' | 'warning', m: LoadMessage, name: string, contents: ReadonlyMap<string, string>): string {
  const place = filePlace(m.context);
  const head = `${sanitize(place.name)}:${place.mark.line + 1}:${place.mark.column + 1}: ${kind} ${m.code} (${name}): ${sanitize(m.message)}`;
  const lines = [head];
  const chain = itemChain(m.context);
  if (chain) lines.push(`  in ${sanitize(chain)}`);
  const exprLoc = m.context.locations.find((l) => l.itemType === 'condition expression');
  if (exprLoc && m.context.alt !== undefined && !m.context.fileMark) {
    // No file position for this piece of a condition: quote the condition itself.
    const alt = m.context.alt;
    const off = Math.min(m.context.altOffset ?? 0, alt.length);
    const lineStart = alt.lastIndexOf('\n', off - 1) + 1;
    let lineEnd = alt.indexOf('\n', off);
    if (lineEnd === -1) lineEnd = alt.length;
    lines.push(`  | ${sanitize(alt.slice(lineStart, lineEnd))}`, `  | ${' '.repeat(off - lineStart)}^`);
  } else {
    lines.push(...sourceLine(contents.get(place.name), place.mark));
  }
  return lines.join('\n');
}

/** One file's result as text: a status line, then its errors and warnings. */
export function formatResult(res: LoadResult, contents: ReadonlyMap<string, string>, opts: { warnings?: boolean } = {}): string {
  const status = res.successful ? (res.warnings.length ? 'Ok, with warnings' : 'Ok') : 'Invalid';
  const out = [`${sanitize(res.name)}: ${status}`];
  for (const e of res.errors) out.push(formatMessage('error', e, ERROR_DESCS[e.code], contents));
  if (opts.warnings ?? true) for (const w of res.warnings) out.push(formatMessage('warning', w, WARNING_NAMES[w.code], contents));
  return out.join('\n') + '\n';
}
