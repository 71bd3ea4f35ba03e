import * as QRCode from 'qrcode';
import { deflateSync } from 'node:zlib';

/**
 * A QR code as a 1-bit grayscale PNG. The module matrix comes from `qrcode`; the PNG is written
 * here because a KHQR only needs black and white: 1 bit per pixel makes a ~2 KB image instead
 * of qrcode's RGBA one, and writing it is a few loops (no per-pixel object work).
 */
export interface QrPngOptions {
  /** Target width in pixels; the image is the largest whole-pixel module size that fits. */
  width: number;
  /** Quiet zone in modules. */
  margin: number;
  errorCorrectionLevel?: 'L' | 'M' | 'Q' | 'H';
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Buffer): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

export function renderQrPng(payload: string, opts: QrPngOptions): Buffer {
  const qr = QRCode.create(payload, { errorCorrectionLevel: opts.errorCorrectionLevel ?? 'M' });
  const size = qr.modules.size;
  const modulesAcross = size + 2 * opts.margin;
  const scale = Math.max(1, Math.floor(opts.width / modulesAcross));
  const dim = modulesAcross * scale;
  const rowBytes = Math.ceil(dim / 8);
  // One filter byte (0 = none) per row, then the bits; white (1) everywhere to start.
  const raw = Buffer.alloc((rowBytes + 1) * dim, 0xff);
  for (let y = 0; y < dim; y++) raw[y * (rowBytes + 1)] = 0;
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      if (!qr.modules.get(row, col)) continue;
      const x0 = (col + opts.margin) * scale;
      const y0 = (row + opts.margin) * scale;
      for (let y = y0; y < y0 + scale; y++) {
        const line = y * (rowBytes + 1) + 1;
        for (let x = x0; x < x0 + scale; x++) raw[line + (x >> 3)] &= ~(0x80 >> (x & 7));
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(dim, 0);
  ihdr.writeUInt32BE(dim, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // grayscale
  ihdr[10] = 0; // deflate
  ihdr[11] = 0; // adaptive filtering (each row says "none")
  ihdr[12] = 0; // no interlace
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
