// Types of before-pack.mjs (electron-builder's beforePack hook).
export declare const WINDOWS_DRIVER_FILES: readonly string[];
export declare const LINUX_DAEMON: string;
export declare function windowsDriverProblem(
  projectDir: string,
  env: Readonly<Record<string, string | undefined>>,
): string | null;
export declare function linuxDaemonProblem(projectDir: string): string | null;
export declare function beforePack(context: {
  readonly electronPlatformName: string;
  readonly packager: { readonly projectDir: string };
}): Promise<void>;
