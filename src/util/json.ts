/**
 * The one JSON writer of every `--json` output: JSON.stringify, and the characters it leaves raw
 * that a terminal or a line-oriented reader may act on escaped as \uXXXX too: DEL, the C1 controls
 * (U+0080-U+009F: U+009B is CSI on many terminals) and U+2028/U+2029 (line breaks to JavaScript
 * and many editors). C0 controls JSON.stringify escapes already. The output is still valid JSON and
 * JSON.parse gives back the original strings (these characters can only occur inside strings).
 */

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u007f-\u009f\u2028\u2029]/g;

function escape(ch: string): string {
  return '\\u' + ch.charCodeAt(0).toString(16).padStart(4, '0');
}

/** Escapes DEL, C1 and U+2028/U+2029 in JSON text (made by JSON.stringify). */
export function escapeJsonText(json: string): string {
  return json.replace(UNSAFE, escape);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function toJson(value: unknown, replacer?: ((this: any, key: string, value: any) => any) | null, space?: number): string {
  return escapeJsonText(JSON.stringify(value, replacer ?? undefined, space));
}
