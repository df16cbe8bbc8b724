/*
 * LZ4 block decoding for src/trace/lz4-frame.ts, compiled to WebAssembly by
 * scripts/build-lz4-wasm.mjs (clang --target=wasm32; the result is src/trace/lz4-wasm.ts).
 * Format: https://github.com/lz4/lz4/blob/dev/doc/lz4_Block_format.md
 *
 * Decodes the block src[0, len) into dst, writing from dst[out]; dst has room for `cap` bytes.
 * Returns the new end of the output, or -1 for a corrupt block (a match before the start of
 * the output, data past the end of the block, or more output than `cap`). Never reads or writes
 * outside src[0, len) and dst[0, cap).
 */
typedef unsigned char u8;
typedef unsigned int u32;

__attribute__((export_name("lz4_block")))
int lz4_block(const u8 *src, u32 len, u8 *dst, u32 out, u32 cap) {
  const u8 *ip = src;
  const u8 *const iend = src + len;
  u8 *op = dst + out;
  u8 *const oend = dst + cap;
  if (out > cap) return -1;
  while (ip < iend) {
    const u32 token = *ip++;
    u32 lit = token >> 4;
    if (lit == 15) {
      u32 b;
      do {
        if (ip >= iend) return -1;
        b = *ip++;
        lit += b;
      } while (b == 255);
    }
    if (lit) {
      if ((u32)(iend - ip) < lit || (u32)(oend - op) < lit) return -1;
      __builtin_memcpy(op, ip, lit);
      ip += lit;
      op += lit;
    }
    if (ip >= iend) break; /* the last sequence has literals only */
    if (iend - ip < 2) return -1;
    const u32 offset = ip[0] | ((u32)ip[1] << 8);
    ip += 2;
    if (offset == 0 || offset > (u32)(op - dst)) return -1;
    u32 length = token & 15;
    if (length == 15) {
      u32 b;
      do {
        if (ip >= iend) return -1;
        b = *ip++;
        length += b;
      } while (b == 255);
    }
    length += 4;
    if ((u32)(oend - op) < length) return -1;
    const u8 *from = op - offset;
    if (offset >= length) {
      __builtin_memcpy(op, from, length);
    } else if (offset == 1) {
      __builtin_memset(op, *from, length);
    } else {
      /* overlapping match: the pattern of `offset` bytes repeats */
      for (u32 k = 0; k < length; k++) op[k] = from[k];
    }
    op += length;
  }
  return (int)(op - dst);
}
