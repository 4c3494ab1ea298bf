// The committed icons are what the SVG sources render to (`npm run icons` regenerates them), in
// every size and state the platforms and the tray need.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  APP_ICO_SIZES,
  APP_PNG_SIZES,
  encodeIco,
  iconDifferences,
  ICONS_DIR,
  renderIcons,
  TASKBAR_THEMES,
  TRAY_ICO_SIZES,
  TRAY_PNG_VARIANTS,
  TRAY_STATES,
} from './generate.ts';

const rendered = renderIcons();

/** Width and height from a PNG's IHDR chunk. */
function pngSize(png: Buffer): [number, number] {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

/** The image sizes in an .ico, each checked against the PNG it holds. */
function icoSizes(ico: Buffer): number[] {
  expect(ico.readUInt16LE(0)).toBe(0);
  expect(ico.readUInt16LE(2)).toBe(1);
  const count = ico.readUInt16LE(4);
  return Array.from({ length: count }, (_, i) => {
    const entry = 6 + 16 * i;
    const size = ico.readUInt8(entry) === 0 ? 256 : ico.readUInt8(entry);
    const [bytes, offset] = [ico.readUInt32LE(entry + 8), ico.readUInt32LE(entry + 12)];
    expect(pngSize(ico.subarray(offset, offset + bytes))).toEqual([size, size]);
    return size;
  });
}

const committed = (file: string): Buffer => readFileSync(path.join(ICONS_DIR, file));

describe('icons', () => {
  it('the committed files are exactly what the SVG sources render to (else: npm run icons)', () => {
    expect(iconDifferences(rendered)).toEqual([]);
  });

  it('the check has teeth: a changed, a missing and a stale file are reported', () => {
    const changed = new Map(rendered);
    changed.set('app/png/16x16.png', Buffer.from('not the icon'));
    changed.delete('tray/active-light.png');
    changed.set('app/png/1x1.png', Buffer.alloc(1));
    expect(iconDifferences(changed)).toEqual([
      'out of date: resources/icons/app/png/16x16.png',
      'missing: resources/icons/app/png/1x1.png',
      'not generated (stale): resources/icons/tray/active-light.png',
    ]);
  });

  it('app icon: Linux PNGs from 16 to 512 px, a Windows .ico from 16 to 256 px', () => {
    for (const size of APP_PNG_SIZES) {
      expect(pngSize(committed(`app/png/${String(size)}x${String(size)}.png`))).toEqual([size, size]);
    }
    expect(APP_PNG_SIZES[0]).toBe(16);
    expect(APP_PNG_SIZES.at(-1)).toBe(512);
    expect(icoSizes(committed('app/zenithfence.ico'))).toEqual([...APP_ICO_SIZES]);
    expect(APP_ICO_SIZES).toContain(256);
  });

  it('tray: active, paused, attention and attention 1 to 9 and 9+, for light and dark taskbars', () => {
    expect(TRAY_STATES).toEqual([
      'active',
      'paused',
      'attention',
      ...['1', '2', '3', '4', '5', '6', '7', '8', '9', '9plus'].map((n) => `attention-${n}`),
    ]);
    for (const theme of Object.keys(TASKBAR_THEMES)) {
      for (const state of TRAY_STATES) {
        // The names app/main/tray-state.ts asks for: `${state}-${theme}`, plus scale variants.
        for (const { suffix, size } of TRAY_PNG_VARIANTS) {
          expect(pngSize(committed(`tray/${state}-${theme}${suffix}.png`))).toEqual([size, size]);
        }
        expect(icoSizes(committed(`tray/${state}-${theme}.ico`))).toEqual([...TRAY_ICO_SIZES]);
      }
    }
  });

  it('light and dark variants differ, and so do all the states', () => {
    const images = new Set<string>();
    for (const theme of Object.keys(TASKBAR_THEMES)) {
      for (const state of TRAY_STATES) images.add(committed(`tray/${state}-${theme}@2x.png`).toString('base64'));
    }
    expect(images.size).toBe(TRAY_STATES.length * Object.keys(TASKBAR_THEMES).length);
  });

  it('encodeIco writes 0 for 256 px entries and offsets that follow the directory', () => {
    const png = rendered.get('app/png/16x16.png') ?? Buffer.alloc(0);
    const ico = encodeIco([
      { size: 16, png },
      { size: 256, png },
    ]);
    expect(ico.readUInt8(6 + 16)).toBe(0);
    expect(ico.readUInt32LE(6 + 12)).toBe(6 + 2 * 16);
    expect(ico.readUInt32LE(6 + 16 + 12)).toBe(6 + 2 * 16 + png.length);
  });
});
