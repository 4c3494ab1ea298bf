/** A rectangle in screen coordinates. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

const MARGIN = 12;

/**
 * Where the prompt window goes: in the corner of the work area nearest the tray (the tray sits
 * on the taskbar, whose side is where the work area is cut), on the display under the cursor;
 * centred when the user prefers it or the tray position is unknown. Always inside the work area.
 */
export function placePrompt(
  workArea: Rect,
  displayBounds: Rect,
  size: { readonly width: number; readonly height: number },
  position: 'near-tray' | 'center',
): { x: number; y: number } {
  const centred = {
    x: Math.round(workArea.x + (workArea.width - size.width) / 2),
    y: Math.round(workArea.y + (workArea.height - size.height) / 2),
  };
  if (position === 'center') return centred;
  // The taskbar is on the side where the work area is smaller than the display.
  const top = workArea.y > displayBounds.y;
  const left = workArea.x > displayBounds.x;
  const x = left ? workArea.x + MARGIN : workArea.x + workArea.width - size.width - MARGIN;
  const y = top ? workArea.y + MARGIN : workArea.y + workArea.height - size.height - MARGIN;
  return {
    x: Math.max(workArea.x, Math.round(x)),
    y: Math.max(workArea.y, Math.round(y)),
  };
}
