import { describe, expect, it } from 'vitest';
import { placePrompt } from './prompt-placement.ts';

const display = { x: 0, y: 0, width: 1920, height: 1080 };
const size = { width: 420, height: 300 };

describe('placePrompt', () => {
  it('goes to the corner next to a bottom taskbar (Windows default)', () => {
    expect(placePrompt({ x: 0, y: 0, width: 1920, height: 1040 }, display, size, 'near-tray')).toEqual({
      x: 1488,
      y: 728,
    });
  });

  it('goes to the top corner under a top panel (GNOME) and the left one beside a left taskbar', () => {
    expect(placePrompt({ x: 0, y: 32, width: 1920, height: 1048 }, display, size, 'near-tray')).toEqual({
      x: 1488,
      y: 44,
    });
    expect(placePrompt({ x: 60, y: 0, width: 1860, height: 1080 }, display, size, 'near-tray').x).toBe(72);
  });

  it('centres when asked, on a second display too', () => {
    const second = { x: 1920, y: 0, width: 1280, height: 1024 };
    expect(placePrompt(second, second, size, 'center')).toEqual({ x: 2350, y: 362 });
  });
});
