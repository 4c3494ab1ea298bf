/**
 * The argument the login item starts the app with: the Windows logon task the installer
 * registers (resources/installer/windows/driver.nsh) and the XDG autostart entry (login-item.ts).
 */
export const STARTED_AT_LOGIN = '--started-at-login';

/**
 * Whether a start with these arguments opens the main window. Started at login, the app goes to
 * the tray only: filtering runs, and a window nobody asked for does not pop up at every login.
 * Also used for a second start while the app runs (its arguments come with 'second-instance'):
 * the logon task firing again shows nothing, the user starting the app shows the window.
 */
export function opensMainWindow(argv: readonly string[]): boolean {
  return !argv.includes(STARTED_AT_LOGIN);
}
