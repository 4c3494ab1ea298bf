import { describe, expect, it } from 'vitest';
import { importSummary } from './import-summary.ts';
import { formatFor } from './locale-format.ts';

const en = formatFor('en-US');

describe('importSummary', () => {
  it('says how many rules were added and how many already existed', () => {
    expect(importSummary({ imported: 3, skipped: 17 }, en)).toBe('Imported 3 rules; 17 already existed.');
    expect(importSummary({ imported: 1, skipped: 1 }, en)).toBe('Imported 1 rule; 1 already existed.');
    expect(importSummary({ imported: 20_000, skipped: 0 }, en)).toBe('Imported 20,000 rules.');
    expect(importSummary({ imported: 20_000, skipped: 1234 }, formatFor('de-DE'))).toBe(
      'Imported 20.000 rules; 1.234 already existed.',
    );
  });

  it('says so when nothing was added', () => {
    expect(importSummary({ imported: 0, skipped: 20_000 }, en)).toBe(
      'Nothing was imported: all 20,000 rules already existed.',
    );
    expect(importSummary({ imported: 0, skipped: 1 }, en)).toBe('Nothing was imported: the rule already existed.');
    expect(importSummary({ imported: 0, skipped: 0 }, en)).toBe('The file holds no rules; nothing was imported.');
  });
});
