/** Falco's string unescaping for quoted condition strings (libsinsp filter/escaping). */
import { ConditionError } from './errors.js';
import type { Pos } from './ast.js';

/** `raw` includes its quotes. Throws Falco's messages for bad escapes. */
export function unescapeQuoted(raw: string, pos: Pos): string {
  const q = raw[0];
  const end = raw.length - 1;
  let out = '';
  let escaped = false;
  for (let i = 1; i < end; i++) {
    const c = raw[i]!;
    if (!escaped) {
      if (c === '\\') escaped = true;
      else out += c;
      continue;
    }
    switch (c) {
      case 'b': out += '\b'; break;
      case 'f': out += '\f'; break;
      case 'n': out += '\n'; break;
      case 'r': out += '\r'; break;
      case 't': out += '\t'; break;
      case ' ':
      case '\\': out += '\\'; break;
      case '/': out += '/'; break;
      case '"':
        if (q !== c) throw new ConditionError("invalid \\\" escape in '-quoted string", pos);
        out += '"';
        break;
      case "'":
        if (q !== c) throw new ConditionError('invalid \\\' escape in "-quoted string', pos);
        out += "'";
        break;
      case 'x': {
        if (i + 2 >= end) throw new ConditionError('truncated hex char escape sequence', pos);
        const hex = raw.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(hex)) throw new ConditionError(`invalid hex char escape sequence: ${hex}`, pos);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 2;
        break;
      }
      default:
        throw new ConditionError(`unsupported string escape sequence: \\${c}`, pos);
    }
    escaped = false;
  }
  return out;
}

/** Maps offsets of one text to 0-based line/column. */
export function positionMapper(text: string): (offset: number) => Pos {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) starts.push(i + 1);
    else if (c === 13 && text.charCodeAt(i + 1) !== 10) starts.push(i + 1);
  }
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { offset, line: lo, column: offset - starts[lo]! };
  };
}
