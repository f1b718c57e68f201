// Draws the app icons (a ">_" prompt on a dark tile) into public/.
// Run once after changing the design: node scripts/make-icons.mjs
// Output is deterministic; the PNGs are committed.
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

const pub = join(dirname(fileURLToPath(import.meta.url)), "../public");

const BG = [0x13, 0x1a, 0x2e];
const CHEVRON = [0x4f, 0xd1, 0x8b];
const BAR = [0xdb, 0xe2, 0xf0];

// Shapes in unit coordinates (0..1), for a glyph scaled by `s` around the centre.
function segDist(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function colorAt(x, y, maskable) {
  // Background: rounded tile, or full bleed for maskable icons.
  const r = 0.2;
  if (!maskable) {
    const cx = Math.min(Math.max(x, r), 1 - r);
    const cy = Math.min(Math.max(y, r), 1 - r);
    if (Math.hypot(x - cx, y - cy) > r) return null;
  }
  // Glyph scaled to fit the maskable safe zone when needed.
  const s = maskable ? 0.72 : 1;
  const gx = (x - 0.5) / s + 0.5;
  const gy = (y - 0.5) / s + 0.5;
  const w = 0.045;
  if (segDist(gx, gy, 0.27, 0.32, 0.47, 0.5) < w || segDist(gx, gy, 0.47, 0.5, 0.27, 0.68) < w) return CHEVRON;
  if (gx > 0.52 && gx < 0.76 && gy > 0.63 && gy < 0.71) return BAR;
  return BG;
}

function render(size, maskable) {
  const ss = 4;
  const px = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let j = 0; j < ss; j++) {
        for (let i = 0; i < ss; i++) {
          const c = colorAt((x + (i + 0.5) / ss) / size, (y + (j + 0.5) / ss) / size, maskable);
          if (!c) continue;
          r += c[0];
          g += c[1];
          b += c[2];
          a += 1;
        }
      }
      const o = (y * size + x) * 4;
      if (a > 0) {
        px[o] = Math.round(r / a);
        px[o + 1] = Math.round(g / a);
        px[o + 2] = Math.round(b / a);
      }
      px[o + 3] = Math.round((255 * a) / (ss * ss));
    }
  }
  return png(size, px);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
function png(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const raw = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) {
    raw[y * (size * 4 + 1)] = 0; // filter: none
    rgba.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100">
<rect width="100" height="100" rx="20" fill="#131a2e"/>
<path d="M27 32 47 50 27 68" fill="none" stroke="#4fd18b" stroke-width="9" stroke-linecap="round" stroke-linejoin="round"/>
<rect x="52" y="63" width="24" height="8" fill="#dbe2f0"/>
</svg>
`;

writeFileSync(join(pub, "icon.svg"), svg);
writeFileSync(join(pub, "icon-192.png"), render(192, false));
writeFileSync(join(pub, "icon-512.png"), render(512, false));
writeFileSync(join(pub, "icon-maskable-512.png"), render(512, true));
writeFileSync(join(pub, "apple-touch-icon.png"), render(180, true));
console.log("icons written to", pub);
