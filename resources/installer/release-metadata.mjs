// The metadata every release build needs and nobody may invent: the project's homepage, its
// author, and the package maintainer (with an e-mail address, which Debian requires). A release
// takes them from its environment (resources/README.md, "Release"); both the electron-builder
// hook (before-pack.mjs) and the zenithfenced deb build (resources/deb/build-deb.ts) read them
// here. Plain JavaScript for the same reason as before-pack.mjs. Types: release-metadata.d.mts;
// tests: release-metadata.test.ts.

/** The variables, in the order the sentence names them. */
export const RELEASE_VARIABLES = ['ZF_HOMEPAGE', 'ZF_AUTHOR', 'ZF_MAINTAINER'];

/**
 * What a package built with `--test-build` names as its maintainer: it says so, and its address
 * is in the reserved .invalid domain (RFC 2606), so nobody can mistake it for a release or mail
 * it. A domain with a dot: lintian rejects a host of one label (bogus-mail-host, an error).
 */
export const TEST_BUILD_MAINTAINER = 'ZenithFence test build <test-build@zenithfence.invalid>';

/** "Name <address>" with one address of the form local@domain, or null. */
export function parsePerson(text) {
  const match = /^([^<>@]*[^<>@\s])\s+<([^<>@\s]+@[^<>@\s]+\.[^<>@\s]+)>$/.exec(text.trim());
  if (match === null) return null;
  return { name: match[1], email: match[2] };
}

/**
 * The release metadata from `env`, or the one sentence that says what is missing or malformed:
 * `{ metadata: { homepage, author: { name, email }, maintainer } }` or `{ problem }`.
 */
export function readReleaseMetadata(env) {
  const value = (name) => (env[name] ?? '').trim();
  const missing = RELEASE_VARIABLES.filter((name) => value(name) === '');
  if (missing.length > 0) {
    const list = missing.length === 1 ? missing[0] : `${missing.slice(0, -1).join(', ')} and ${missing.at(-1)}`;
    return {
      problem: `A release build needs ${list} in its environment (the project's homepage URL, its author and the package maintainer as "Name <e-mail>"; resources/README.md, "Release").`,
    };
  }
  const homepage = value('ZF_HOMEPAGE');
  if (!/^https:\/\/[^\s/]+\.[^\s]+$/.test(homepage)) {
    return { problem: `ZF_HOMEPAGE must be an https:// URL, not "${homepage}".` };
  }
  const author = parsePerson(value('ZF_AUTHOR'));
  if (author === null) return { problem: `ZF_AUTHOR must be "Name <e-mail>", not "${value('ZF_AUTHOR')}".` };
  const maintainer = parsePerson(value('ZF_MAINTAINER'));
  if (maintainer === null) {
    return { problem: `ZF_MAINTAINER must be "Name <e-mail>", not "${value('ZF_MAINTAINER')}".` };
  }
  return { metadata: { homepage, author, maintainer: `${maintainer.name} <${maintainer.email}>` } };
}
