import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import * as QRCode from 'qrcode';
import { renderQrPng } from './qr-png';

const KHQR =
  '00020101021229190015john_smith@devb520459995303840540512.505802KH5910John Smith6010Phnom Penh62170113INV-2026-000199340013176400000000001131764001800000630484F8';

describe('renderQrPng', () => {
  it('writes a valid 1-bit grayscale PNG (pngjs checks every chunk CRC) that jsQR reads back', () => {
    const buf = renderQrPng(KHQR, { width: 512, margin: 2 });
    const png = PNG.sync.read(buf);
    const modules = QRCode.create(KHQR, { errorCorrectionLevel: 'M' }).modules.size;
    const scale = Math.floor(512 / (modules + 4));
    expect(png.width).toBe((modules + 4) * scale);
    expect(png.height).toBe(png.width);
    expect(jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data).toBe(KHQR);
    expect(buf.length).toBeLessThan(8 * 1024);
  });

  it('paints each module as a scale × scale square with a white quiet zone', () => {
    const qr = QRCode.create('HELLO', { errorCorrectionLevel: 'M' });
    const png = PNG.sync.read(renderQrPng('HELLO', { width: 100, margin: 4 }));
    const scale = Math.floor(100 / (qr.modules.size + 8));
    const dark = (x: number, y: number) => png.data[(y * png.width + x) * 4] === 0;
    for (let y = 0; y < png.height; y++) {
      for (let x = 0; x < png.width; x++) {
        const row = Math.floor(y / scale) - 4;
        const col = Math.floor(x / scale) - 4;
        const inside = row >= 0 && col >= 0 && row < qr.modules.size && col < qr.modules.size;
        expect(dark(x, y)).toBe(inside && Boolean(qr.modules.get(row, col)));
      }
    }
  });
});
