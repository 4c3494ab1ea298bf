import { MAX_PROFILES, type Profile, profileNameSchema } from '../../../app/contract/profiles.ts';
import { PROFILES } from '../strings/profile-strings.ts';
import { formatCount } from './format.ts';

/**
 * Checks a profile name before it is sent: the contract's rules (trimmed, 1–64 characters, no
 * control characters) in the UI's words, and a name no other profile has, since the status bar
 * menu and the tray tell profiles apart by name alone. Returns the trimmed name or a sentence.
 */
export function checkProfileName(
  text: string,
  profiles: readonly Profile[],
  /** The profile being renamed: its own name is not a clash. */
  ownId: string | null = null,
): { readonly ok: true; readonly name: string } | { readonly ok: false; readonly error: string } {
  const parsed = profileNameSchema.safeParse(text);
  if (!parsed.success) {
    const trimmed = text.trim();
    if (trimmed === '') return { ok: false, error: PROFILES.errors.empty };
    if (trimmed.length > 64) return { ok: false, error: PROFILES.errors.tooLong };
    return { ok: false, error: PROFILES.errors.control };
  }
  const name = parsed.data;
  const clash = profiles.find((p) => p.id !== ownId && p.name.toLocaleLowerCase() === name.toLocaleLowerCase());
  if (clash !== undefined) return { ok: false, error: PROFILES.errors.taken(clash.name) };
  return { ok: true, name };
}

/** Why no profile can be added now, or null: the contract keeps at most MAX_PROFILES. */
export function addProfileProblem(profiles: readonly Profile[]): string | null {
  return profiles.length >= MAX_PROFILES ? PROFILES.errors.tooMany(formatCount(MAX_PROFILES)) : null;
}
