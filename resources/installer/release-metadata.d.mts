// Types of release-metadata.mjs (the release environment's homepage, author and maintainer).
export interface Person {
  readonly name: string;
  readonly email: string;
}
export interface ReleaseMetadata {
  readonly homepage: string;
  readonly author: Person;
  /** "Name <e-mail>" */
  readonly maintainer: string;
}
export declare const RELEASE_VARIABLES: readonly string[];
export declare const TEST_BUILD_MAINTAINER: string;
export declare function parsePerson(text: string): Person | null;
export declare function readReleaseMetadata(
  env: Readonly<Record<string, string | undefined>>,
):
  | { readonly metadata: ReleaseMetadata; readonly problem?: undefined }
  | { readonly problem: string; readonly metadata?: undefined };
