import { describe, expect, it } from 'vitest';
import { importSummary } from './import-summary.ts';

describe('importSummary', () => {
  it('says how many rules were added and how many already existed', () => {
    expect(importSummary({ imported: 3, skipped: 17 })).toBe('Imported 3 rules; 17 already existed.');
    expect(importSummary({ imported: 1, skipped: 1 })).toBe('Imported 1 rule; 1 already existed.');
    expect(importSummary({ imported: 20_000, skipped: 0 })).toBe('Imported 20,000 rules.');
  });

  it('says so when nothing was added', () => {
    expect(importSummary({ imported: 0, skipped: 20_000 })).toBe(
      'Nothing was imported: all 20,000 rules already existed.',
    );
    expect(importSummary({ imported: 0, skipped: 1 })).toBe('Nothing was imported: the rule already existed.');
    expect(importSummary({ imported: 0, skipped: 0 })).toBe('The file holds no rules; nothing was imported.');
  });
});
