import { CompressionType, compressionRegistry } from 'apache-arrow';
import { compressFrameSync } from 'lz4-napi';
import { decodeLz4Frame, withFrameChecksums } from './lz4-frame.js';

/**
 * Arrow IPC body compression. Traces are written with LZ4_FRAME (the codec pyarrow, polars and
 * DuckDB's Arrow readers also use); the registry is process-wide, so importing this module once
 * is enough for both writing and reading. Writing uses lz4-napi (native, fast), with the content size and block checksums added
 * (withFrameChecksums), reading our own decoder (lz4-frame.ts).
 */
export function encodeLz4(data: Uint8Array): Uint8Array {
  return withFrameChecksums(compressFrameSync(Buffer.from(data.buffer, data.byteOffset, data.byteLength)), data.byteLength);
}

compressionRegistry.set(CompressionType.LZ4_FRAME, {
  encode: encodeLz4,
  // lz4-napi 2.10's decompressFrameSync leaks its output's native memory (measured: RSS grows by
  // the decompressed size on every call, even after GC); see lz4-frame.ts.
  decode: decodeLz4Frame,
});

export type TraceCompression = 'lz4' | 'none';

export function arrowCompressionType(compression: TraceCompression): CompressionType | null {
  return compression === 'lz4' ? CompressionType.LZ4_FRAME : null;
}
