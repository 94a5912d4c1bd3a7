// CRC-32 (IEEE 802.3, the one zlib and gzip use) over record frames. Node 20.15+ ships a native
// `zlib.crc32`; older runtimes fall back to a table-driven version so the on-disk format never depends
// on the Node release that wrote it.
import * as zlib from 'zlib';

type Crc32Fn = (data: Uint8Array, value?: number) => number;

const nativeCrc32 = (zlib as unknown as { crc32?: Crc32Fn }).crc32;

let table: Uint32Array | null = null;

function buildTable(): Uint32Array {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
}

/** Table-driven CRC-32; `previous` continues a checksum over data split in pieces. */
export function crc32Portable(data: Uint8Array, previous = 0): number {
  const t = table ?? (table = buildTable());
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = t[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** CRC-32 of `data`, continuing from `previous` (0 to start). */
export function crc32(data: Uint8Array, previous = 0): number {
  return nativeCrc32 ? nativeCrc32(data, previous) >>> 0 : crc32Portable(data, previous);
}
