// The release environment both release builds read (release-metadata.mjs): every missing variable
// is named in one sentence, malformed values are refused, nothing is made up.
import { describe, expect, it } from 'vitest';
import { parsePerson, readReleaseMetadata, RELEASE_VARIABLES, TEST_BUILD_MAINTAINER } from './release-metadata.mjs';

const GOOD = {
  ZF_HOMEPAGE: 'https://zenithfence.example/',
  ZF_AUTHOR: 'The ZenithFence authors <authors@zenithfence.example>',
  ZF_MAINTAINER: 'Package Maintainer <packages@zenithfence.example>',
};

describe('readReleaseMetadata', () => {
  it('takes homepage, author and maintainer as given', () => {
    expect(readReleaseMetadata(GOOD)).toEqual({
      metadata: {
        homepage: GOOD.ZF_HOMEPAGE,
        author: { name: 'The ZenithFence authors', email: 'authors@zenithfence.example' },
        maintainer: GOOD.ZF_MAINTAINER,
      },
    });
  });

  it('names every missing (or blank) variable in one sentence, in a fixed order', () => {
    expect(RELEASE_VARIABLES).toEqual(['ZF_HOMEPAGE', 'ZF_AUTHOR', 'ZF_MAINTAINER']);
    const none = readReleaseMetadata({}).problem ?? '';
    expect(none).toMatch(
      /^A release build needs ZF_HOMEPAGE, ZF_AUTHOR and ZF_MAINTAINER in its environment \(.*\)\.$/,
    );
    expect(none.match(/\. /g)).toBeNull();
    expect(readReleaseMetadata({ ...GOOD, ZF_AUTHOR: '  ' }).problem).toMatch(/^A release build needs ZF_AUTHOR in /);
    expect(readReleaseMetadata({ ZF_AUTHOR: GOOD.ZF_AUTHOR }).problem).toMatch(
      /^A release build needs ZF_HOMEPAGE and ZF_MAINTAINER in /,
    );
  });

  it('refuses a homepage that is no https URL and people without an e-mail address', () => {
    expect(readReleaseMetadata({ ...GOOD, ZF_HOMEPAGE: 'zenithfence.example' }).problem).toMatch(
      /^ZF_HOMEPAGE must be an https:\/\/ URL/,
    );
    expect(readReleaseMetadata({ ...GOOD, ZF_HOMEPAGE: 'http://zenithfence.example/' }).problem).toMatch(
      /^ZF_HOMEPAGE/,
    );
    expect(readReleaseMetadata({ ...GOOD, ZF_AUTHOR: 'Someone' }).problem).toMatch(
      /^ZF_AUTHOR must be "Name <e-mail>"/,
    );
    expect(readReleaseMetadata({ ...GOOD, ZF_MAINTAINER: '<packages@zenithfence.example>' }).problem).toMatch(
      /^ZF_MAINTAINER must be "Name <e-mail>"/,
    );
  });
});

describe('parsePerson', () => {
  it('reads "Name <local@domain>" and nothing else', () => {
    expect(parsePerson('Ada Lovelace <ada@example.org>')).toEqual({ name: 'Ada Lovelace', email: 'ada@example.org' });
    for (const bad of [
      'ada@example.org',
      'Ada <ada>',
      'Ada <ada@localhost>',
      'Ada <a b@example.org>',
      'Ada <<a@example.org>>',
    ]) {
      expect(parsePerson(bad), bad).toBeNull();
    }
  });

  it('the test-build maintainer says what it is and can be mailed by nobody (.invalid)', () => {
    expect(TEST_BUILD_MAINTAINER).toMatch(/^ZenithFence test build <[^@]+@[a-z.]+\.invalid>$/);
    expect(parsePerson(TEST_BUILD_MAINTAINER)).not.toBeNull();
  });
});
