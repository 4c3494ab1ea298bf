// Types of before-pack.mjs (electron-builder's beforePack hook): the part of electron-builder's
// BeforePackContext it uses.
import type { ReleaseMetadata } from './release-metadata.mjs';

export interface PackTarget {
  readonly name: string;
  /** An fpm target's options (deb, rpm, …), which the hook gives the maintainer. */
  readonly options?: { maintainer?: string | null };
}
export interface PackContext {
  readonly electronPlatformName: string;
  readonly targets: readonly PackTarget[];
  readonly packager: {
    readonly projectDir: string;
    /** The merged package.json metadata electron-builder writes the packages from. */
    readonly info: { readonly metadata: Record<string, unknown> };
  };
}
export declare const WINDOWS_DRIVER_FILES: readonly string[];
export declare function windowsDriverProblem(
  projectDir: string,
  env: Readonly<Record<string, string | undefined>>,
): string | null;
export declare function isReleaseBuild(targets: readonly PackTarget[]): boolean;
export declare function applyReleaseMetadata(context: PackContext, metadata: ReleaseMetadata): void;
export declare function packagingProblem(
  context: PackContext,
  env: Readonly<Record<string, string | undefined>>,
): string | null;
export declare function beforePack(context: PackContext): Promise<void>;
