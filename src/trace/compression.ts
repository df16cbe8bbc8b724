import { CompressionType, compressionRegistry } from 'apache-arrow';
import { decompress as lz4jsDecompress } from 'lz4js';
import { compressFrameSync } from 'lz4-napi';

/**
 * Arrow IPC body compression. Traces are written with LZ4_FRAME (the codec pyarrow, polars and
 * DuckDB's Arrow readers also use); the registry is process-wide, so importing this module once
 * is enough for both writing and reading. Writing uses lz4-napi (native, fast), reading lz4js.
 */
export function encodeLz4(data: Uint8Array): Uint8Array {
  return compressFrameSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
}

compressionRegistry.set(CompressionType.LZ4_FRAME, {
  encode: encodeLz4,
  // lz4-napi 2.10's decompressFrameSync leaks its output's native memory (measured: RSS grows by
  // the decompressed size on every call, even after GC), so reading uses lz4js, pure JavaScript.
  decode: (data: Uint8Array) => lz4jsDecompress(data),
});

export type TraceCompression = 'lz4' | 'none';

export function arrowCompressionType(compression: TraceCompression): CompressionType | null {
  return compression === 'lz4' ? CompressionType.LZ4_FRAME : null;
}
