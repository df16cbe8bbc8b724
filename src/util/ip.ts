/** IP addresses as bytes → text, and the v4-mapped rule libsinsp applies to sockets. */

export function ipv4Text(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

/** RFC 5952 text: lower-case hex, leading zeros dropped, the longest run (≥ 2) of zero groups as `::`; v4-mapped as ::ffff:a.b.c.d. */
export function ipv6Text(bytes: Uint8Array, at: number): string {
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((bytes[at + 2 * i] << 8) | bytes[at + 2 * i + 1]);
  if (isV4Mapped(bytes, at)) return `::ffff:${ipv4Text(bytes, at + 12)}`;
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (bestAt < 0) return hex.join(':');
  return `${hex.slice(0, bestAt).join(':')}::${hex.slice(bestAt + bestLen).join(':')}`;
}

/** Whether the 16 bytes at `at` are an IPv4-mapped IPv6 address (::ffff:a.b.c.d). */
export function isV4Mapped(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < 10; i++) if (bytes[at + i] !== 0) return false;
  return bytes[at + 10] === 0xff && bytes[at + 11] === 0xff;
}

/**
 * The family a socket is shown with: libsinsp shows an IPv6 socket whose two ends are
 * IPv4-mapped (a dual-stack socket talking to an IPv4 peer) as an IPv4 one, so that rules on
 * fd.sip, fd.net and fd.type see the IPv4 addresses (then in the last 4 bytes of each end).
 */
export function shownFamily(family: number, local: Uint8Array, localAt: number, remote: Uint8Array = local, remoteAt: number = localAt + 16): number {
  return family === 10 && isV4Mapped(local, localAt) && isV4Mapped(remote, remoteAt) ? 2 : family;
}
