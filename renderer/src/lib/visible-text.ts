/**
 * Text from outside (an executable's path, a process name) as it may be shown. Control and
 * format characters are replaced by their code point (`\u202E`): a right-to-left override in a
 * file name would otherwise reorder what follows it, so that `<U+202E>hsab` reads "bash", and
 * zero-width or control characters would hide what a name really is. The text used to match
 * rules stays as it is; only what is shown changes.
 */
const HIDDEN = /[\p{Cc}\p{Cf}\u2028\u2029]/gu;

export function visibleText(text: string): string {
  return text.replace(HIDDEN, (c) => `\\u${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`);
}
