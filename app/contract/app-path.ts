/**
 * What an application path in a rule must look like: absolute and written the way the driver
 * reports it, since rules match the path as text (case-blind for Windows paths). `curl` or
 * `/usr/bin//curl` would be stored and shown like working rules and never match anything.
 *
 * Accepted: a POSIX path (`/usr/bin/curl`) without empty, `.` or `..` segments or a trailing
 * slash; a Windows path with a drive (`C:\Tools\curl.exe`), or one the kernel reports
 * (`\Device\HarddiskVolume3\…`, `\\?\C:\…`, `\\server\share\…`).
 */
export function appPathProblem(path: string): string | null {
  if (path.includes('\0')) return 'an application path cannot contain a NUL character';
  if (/^[A-Za-z]:\\/.test(path) || path.startsWith('\\')) return null;
  if (!path.startsWith('/'))
    return `"${shorten(path)}" is not an absolute path: write the whole path of the program (for example /usr/bin/curl)`;
  if (path.length > 1 && path.endsWith('/')) return `"${shorten(path)}" ends with "/": name the program, not a folder`;
  const segments = path.slice(1).split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..'))
    return `"${shorten(path)}" has an empty, "." or ".." part: write the path as the system shows it (no "//", "/./" or "/../")`;
  return null;
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
