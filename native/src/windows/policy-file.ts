// The stored policy on Windows (driver/windows/README.md, "The stored policy"): where the app
// writes the policy document, the ACL it gets, the registry value that tells the driver where it
// is, and the write-then-rename steps that never leave a half-written file for the driver to read
// at boot. Pure data: the Win32 calls that carry the plan out are issue 12's.

/** The folder's DACL: protected (nothing inherited from %ProgramData%, where Users may create
 * files), SYSTEM and Administrators full control, Users read; inherited by the files in it. */
export const POLICY_DIRECTORY_SDDL = 'D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;FR;;;BU)';
/** The file's DACL: the same three entries, protected, without inheritance flags. */
export const POLICY_FILE_SDDL = 'D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FR;;;BU)';
/** The service's key the driver reads `PolicyPath` from (under HKEY_LOCAL_MACHINE). */
export const POLICY_REGISTRY_KEY = 'SYSTEM\\CurrentControlSet\\Services\\ZenithFence\\Parameters';
/** The REG_SZ value naming the file, as an NT path (the kernel cannot open DOS paths). */
export const POLICY_REGISTRY_VALUE = 'PolicyPath';
/** `MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH` (winbase.h). */
export const MOVEFILE_REPLACE_AND_WRITE_THROUGH = 0x1 | 0x8;

/** One step; each is one Win32 call (or two, where said). */
export type PolicyFileStep =
  /** CreateDirectoryW with `sddl`; when the folder exists, SetNamedSecurityInfoW puts the DACL
   * back (a folder made beforehand by someone else must not keep their access). */
  | { readonly kind: 'secure-directory'; readonly path: string; readonly sddl: string }
  /** CreateFileW(CREATE_NEW, security from `sddl`), WriteFile of every byte, FlushFileBuffers. */
  | { readonly kind: 'write-new'; readonly path: string; readonly sddl: string }
  /** MoveFileExW(`from`, `to`, `flags`): the driver reads the old file or the new one, whole. */
  | { readonly kind: 'replace'; readonly from: string; readonly to: string; readonly flags: number }
  /** RegSetKeyValueW(HKLM\`key`, `value`, REG_SZ, `data`). */
  | { readonly kind: 'set-registry'; readonly key: string; readonly value: string; readonly data: string };

/** Where the policy goes and how it gets there. */
export interface PolicyFilePlan {
  /** `%ProgramData%\ZenithFence`. */
  readonly directory: string;
  /** The policy file the driver reads at start. */
  readonly file: string;
  /** The file written first, in the same folder (a rename never crosses volumes). */
  readonly temporary: string;
  /** `file` as the driver opens it: `\??\C:\...`. */
  readonly ntPath: string;
  /** In order. */
  readonly steps: readonly PolicyFileStep[];
  /** When a step fails: DeleteFileW of the temporary file (the previous policy file stays). */
  readonly onFailure: { readonly kind: 'delete'; readonly path: string };
}

const DOS_ABSOLUTE = /^[A-Za-z]:\\/;

/**
 * The plan for `programData` (FOLDERID_ProgramData, e.g. `C:\ProgramData`) and a `nonce` that
 * makes the temporary name unique to this write (letters, digits, `-` only).
 */
export function policyFilePlan(programData: string, nonce: string): PolicyFilePlan {
  if (!DOS_ABSOLUTE.test(programData) || programData.includes('\\..')) {
    throw new Error(`ProgramData is not an absolute drive path: ${programData}`);
  }
  if (!/^[A-Za-z0-9-]{1,64}$/.test(nonce)) {
    throw new Error(`unusable temporary-file nonce: ${nonce}`);
  }
  const directory = `${programData.replace(/\\+$/, '')}\\ZenithFence`;
  const file = `${directory}\\policy`;
  const temporary = `${file}.${nonce}.tmp`;
  const ntPath = `\\??\\${file}`;
  return {
    directory,
    file,
    temporary,
    ntPath,
    steps: [
      { kind: 'secure-directory', path: directory, sddl: POLICY_DIRECTORY_SDDL },
      { kind: 'write-new', path: temporary, sddl: POLICY_FILE_SDDL },
      { kind: 'replace', from: temporary, to: file, flags: MOVEFILE_REPLACE_AND_WRITE_THROUGH },
      { kind: 'set-registry', key: POLICY_REGISTRY_KEY, value: POLICY_REGISTRY_VALUE, data: ntPath },
    ],
    onFailure: { kind: 'delete', path: temporary },
  };
}
