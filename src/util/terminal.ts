/**
 * Strings that come from a trace (file names, command lines, comm) may carry terminal escape
 * sequences or other control bytes. Before they reach a terminal every C0/C1 control character
 * and DEL is replaced by a visible escape, so `\x1b]0;pwned\x07` prints as `\x1b]0;pwned\x07`.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;
// Newline and tab are kept only where the caller allows them (multi-line tables), never in cells.
// eslint-disable-next-line no-control-regex
const CONTROL_WITH_WHITESPACE = /[\u0000-\u001f\u007f-\u009f]/g;

function escapeChar(ch: string): string {
  return '\\x' + ch.charCodeAt(0).toString(16).padStart(2, '0');
}

/** Makes one value safe for a single terminal line (table cell, log line). */
export function sanitize(text: string): string {
  return text.replace(CONTROL_WITH_WHITESPACE, escapeChar);
}

/** Makes text safe for a terminal, keeping its newlines and tabs. */
export function sanitizeMultiline(text: string): string {
  return text.replace(CONTROL, escapeChar);
}
