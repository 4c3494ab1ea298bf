// `npm run icons`: renders every app and tray icon from the SVG sources in src/ into app/ and
// tray/ (committed). `--check` only compares and exits 1 when a committed file differs.
// icons.test.ts runs the same comparison in npm test. resources/README.md lists the files.
//
// Rendering is @resvg/resvg-js (pinned exactly: the committed bytes depend on its rasterizer and
// PNG encoder), with system fonts off: no icon draws text, so no machine's fonts can change one.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resvg } from '@resvg/resvg-js';

/** resources/icons/ */
export const ICONS_DIR = path.dirname(fileURLToPath(import.meta.url));
const SRC_DIR = path.join(ICONS_DIR, 'src');
/** The folders the generator owns: everything in them is generated. */
export const GENERATED_DIRS = ['app', 'tray'] as const;

/** Linux: electron-builder installs app/png/NxN.png as /usr/share/icons/hicolor/NxN/apps/zenithfence.png. */
export const APP_PNG_SIZES = [16, 24, 32, 48, 64, 128, 256, 512] as const;
/** Windows: Explorer, taskbar, Start and the installer at 100 to 250 % (electron-builder needs 256). */
export const APP_ICO_SIZES = [16, 20, 24, 32, 40, 48, 64, 96, 128, 256] as const;
/** Up to this size the app icon is drawn from app-small.svg. */
const SMALL_APP_ICON_MAX = 32;

/** Tray states: app/main/tray-state.ts names the images `<state>-<theme>`. */
export const TRAY_STATES = [
  'active',
  'paused',
  'attention',
  ...(['1', '2', '3', '4', '5', '6', '7', '8', '9', '9plus'] as const).map((count) => `attention-${count}`),
] as const;
/** Taskbar themes and the colour of the mark on each: "light" is for a light taskbar (dark mark). */
export const TASKBAR_THEMES = { light: '#1f1f1f', dark: '#f5f5f5' } as const;
export type TaskbarTheme = keyof typeof TASKBAR_THEMES;
/** Tray PNGs: 16 px and the scale variants Electron's nativeImage picks up by file name. */
export const TRAY_PNG_VARIANTS = [
  { suffix: '', size: 16 },
  { suffix: '@1.5x', size: 24 },
  { suffix: '@2x', size: 32 },
] as const;
/** Tray .ico for Windows (notification area at 100 to 300 %). */
export const TRAY_ICO_SIZES = [16, 20, 24, 32, 40, 48] as const;

const BADGE_RED = '#d62828';
const BADGE_GREY = '#6c757d';

function readSource(name: string): string {
  return readFileSync(path.join(SRC_DIR, name), 'utf8');
}

/** The content of an SVG document between its root tags, without comments. */
function svgBody(svg: string): string {
  const body = /<svg\b[^>]*>([\s\S]*)<\/svg>/.exec(svg)?.[1];
  if (body === undefined) throw new Error('icons: not an SVG document');
  return body.replace(/<!--[\s\S]*?-->/g, '').trim();
}

/** The `d` of each `<path id="..." d="..."/>` in tray-glyphs.svg. */
function glyphs(): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  for (const match of readSource('tray-glyphs.svg').matchAll(/<path id="([\w-]+)" d="([^"]+)"\s*\/>/g)) {
    const [, id, d] = match;
    if (id !== undefined && d !== undefined) map.set(id, d);
  }
  return map;
}

function glyph(all: ReadonlyMap<string, string>, id: string): string {
  const d = all.get(id);
  if (d === undefined) throw new Error(`icons: tray-glyphs.svg has no glyph "${id}"`);
  return d;
}

/** White glyph strokes placed with their 5 x 9 box's top left corner at (x, y). */
function glyphPath(d: string, x: number, y: number, scale = 1): string {
  return (
    `<path transform="translate(${String(x)} ${String(y)}) scale(${String(scale)})" d="${d}" fill="none" ` +
    `stroke="#ffffff" stroke-width="${String(2.2 / scale)}" stroke-linecap="round" stroke-linejoin="round"/>`
  );
}

interface Badge {
  /** The badge, drawn over the mark. */
  readonly body: string;
  /** The area cut out of the mark around it (black in the mask). */
  readonly cut: string;
}

const CX = 23.5;
const CY = 23.5;
const R = 8.5;
const circleBadge = (fill: string, content: string): Badge => ({
  body: `<circle cx="${String(CX)}" cy="${String(CY)}" r="${String(R)}" fill="${fill}"/>${content}`,
  cut: `<circle cx="${String(CX)}" cy="${String(CY)}" r="${String(R + 2)}" fill="#000000"/>`,
});

function badgeFor(state: string, all: ReadonlyMap<string, string>): Badge | null {
  const centred = (id: string): string => glyphPath(glyph(all, id), CX - 2.5, CY - 4.5);
  if (state === 'active') return null;
  if (state === 'paused') return circleBadge(BADGE_GREY, centred('pause'));
  if (state === 'attention') return circleBadge(BADGE_RED, centred('exclamation'));
  if (state === 'attention-9plus') {
    // A pill wide enough for "9+".
    const [x, y, w, h] = [11, CY - R, 32 - 11, 2 * R];
    return {
      body:
        `<rect x="${String(x)}" y="${String(y)}" width="${String(w)}" height="${String(h)}" rx="${String(R)}" fill="${BADGE_RED}"/>` +
        glyphPath(glyph(all, 'digit-9'), 14.5, CY - 4.05, 0.9) +
        glyphPath(glyph(all, 'plus'), 22.5, CY - 4.05, 0.9),
      cut: `<rect x="${String(x - 2)}" y="${String(y - 2)}" width="${String(w + 4)}" height="${String(h + 4)}" rx="${String(R + 2)}" fill="#000000"/>`,
    };
  }
  const count = /^attention-([1-9])$/.exec(state)?.[1];
  if (count === undefined) throw new Error(`icons: unknown tray state "${state}"`);
  return circleBadge(BADGE_RED, centred(`digit-${count}`));
}

/** The SVG of one tray icon (32 x 32 user units). */
export function traySvg(state: string, theme: TaskbarTheme): string {
  const all = glyphs();
  const badge = badgeFor(state, all);
  const mark = svgBody(readSource('tray-mark.svg'));
  // Paused: the mark fades; the badge says why.
  const opacity = state === 'paused' ? ' opacity="0.55"' : '';
  const mask = badge === null ? '' : ' mask="url(#badge-cut)"';
  const defs =
    badge === null
      ? ''
      : '<defs><mask id="badge-cut" maskUnits="userSpaceOnUse" x="0" y="0" width="32" height="32">' +
        `<rect width="32" height="32" fill="#ffffff"/>${badge.cut}</mask></defs>`;
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32">' +
    `${defs}<g color="${TASKBAR_THEMES[theme]}"${opacity}${mask}>${mark}</g>${badge?.body ?? ''}</svg>`
  );
}

/** Renders an SVG to a square PNG of `size` pixels. */
export function renderPng(svg: string, size: number): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: 'width', value: size },
    font: { loadSystemFonts: false },
    shapeRendering: 2,
    logLevel: 'error',
  });
  const image = resvg.render();
  if (image.width !== size || image.height !== size) {
    throw new Error(`icons: rendered ${String(image.width)}x${String(image.height)} instead of ${String(size)}`);
  }
  return image.asPng();
}

/** A Windows .ico with one 32-bit PNG-compressed image per entry (Windows Vista and later). */
export function encodeIco(images: readonly { readonly size: number; readonly png: Buffer }[]): Buffer {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // type: icon
  header.writeUInt16LE(images.length, 4);
  const directory = Buffer.alloc(16 * images.length);
  let offset = header.length + directory.length;
  images.forEach(({ size, png }, i) => {
    const entry = 16 * i;
    directory.writeUInt8(size >= 256 ? 0 : size, entry); // width (0 means 256)
    directory.writeUInt8(size >= 256 ? 0 : size, entry + 1); // height
    directory.writeUInt8(0, entry + 2); // no palette
    directory.writeUInt8(0, entry + 3); // reserved
    directory.writeUInt16LE(1, entry + 4); // colour planes
    directory.writeUInt16LE(32, entry + 6); // bits per pixel
    directory.writeUInt32LE(png.length, entry + 8);
    directory.writeUInt32LE(offset, entry + 12);
    offset += png.length;
  });
  return Buffer.concat([header, directory, ...images.map((image) => image.png)]);
}

/** Every generated file: path relative to resources/icons (POSIX separators) → content. */
export function renderIcons(): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  const appLarge = readSource('app.svg');
  const appSmall = readSource('app-small.svg');
  const appPng = (size: number): Buffer => renderPng(size <= SMALL_APP_ICON_MAX ? appSmall : appLarge, size);

  for (const size of APP_PNG_SIZES) files.set(`app/png/${String(size)}x${String(size)}.png`, appPng(size));
  files.set('app/zenithfence.ico', encodeIco(APP_ICO_SIZES.map((size) => ({ size, png: appPng(size) }))));

  for (const theme of Object.keys(TASKBAR_THEMES) as TaskbarTheme[]) {
    for (const state of TRAY_STATES) {
      const svg = traySvg(state, theme);
      const name = `tray/${state}-${theme}`;
      for (const { suffix, size } of TRAY_PNG_VARIANTS) files.set(`${name}${suffix}.png`, renderPng(svg, size));
      files.set(`${name}.ico`, encodeIco(TRAY_ICO_SIZES.map((size) => ({ size, png: renderPng(svg, size) }))));
    }
  }
  return files;
}

/** The files now under the generated folders, relative to resources/icons (POSIX separators). */
export function committedIconFiles(): string[] {
  const found: string[] = [];
  const walk = (relative: string): void => {
    let entries;
    try {
      entries = readdirSync(path.join(ICONS_DIR, relative), { withFileTypes: true });
    } catch {
      return; // not generated yet
    }
    for (const entry of entries) {
      const child = `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(child);
      else found.push(child);
    }
  };
  for (const dir of GENERATED_DIRS) walk(dir);
  return found.sort();
}

/** What differs between the rendered files and the ones on disk: missing, changed, or stale. */
export function iconDifferences(rendered: ReadonlyMap<string, Buffer>): string[] {
  const problems: string[] = [];
  for (const [file, bytes] of rendered) {
    let onDisk: Buffer;
    try {
      onDisk = readFileSync(path.join(ICONS_DIR, file));
    } catch {
      problems.push(`missing: resources/icons/${file}`);
      continue;
    }
    if (!onDisk.equals(bytes)) problems.push(`out of date: resources/icons/${file}`);
  }
  for (const file of committedIconFiles()) {
    if (!rendered.has(file)) problems.push(`not generated (stale): resources/icons/${file}`);
  }
  return problems;
}

function main(args: readonly string[]): number {
  const rendered = renderIcons();
  if (args.includes('--check')) {
    const problems = iconDifferences(rendered);
    for (const problem of problems) console.error(`icons: ${problem}`);
    if (problems.length > 0) console.error('icons: run `npm run icons` and commit the result.');
    return problems.length === 0 ? 0 : 1;
  }
  for (const dir of GENERATED_DIRS) rmSync(path.join(ICONS_DIR, dir), { recursive: true, force: true });
  for (const [file, bytes] of rendered) {
    const target = path.join(ICONS_DIR, file);
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, bytes);
  }
  console.log(`icons: wrote ${String(rendered.size)} files under resources/icons/{${GENERATED_DIRS.join(',')}}.`);
  return 0;
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
