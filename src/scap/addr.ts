/** IP address text (as the trace stores it) back to the bytes of a socket address, network order. */

export function ipv4Bytes(text: string | null): Uint8Array {
  const out = new Uint8Array(4);
  if (!text) return out;
  const parts = text.split('.');
  if (parts.length !== 4) return out;
  for (let i = 0; i < 4; i++) out[i] = Number(parts[i]) & 0xff;
  return out;
}

export function ipv6Bytes(text: string | null): Uint8Array {
  const out = new Uint8Array(16);
  if (!text) return out;
  let s = text;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const b = ipv4Bytes(v4[1]);
    s = s.slice(0, v4.index) + ((b[0] << 8) | b[1]).toString(16) + ':' + ((b[2] << 8) | b[3]).toString(16);
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, null];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === null ? h : [...h, ...new Array<string>(Math.max(0, 8 - h.length - t.length)).fill('0'), ...t];
  for (let i = 0; i < 8 && i < groups.length; i++) {
    const g = parseInt(groups[i] || '0', 16) & 0xffff;
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  }
  return out;
}

/** Whether an address text is the unspecified address (a listening socket's peer). */
export function isUnspecified(text: string | null): boolean {
  return !text || text === '0.0.0.0' || text === '::';
}
