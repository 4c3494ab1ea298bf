import { describe, expect, it } from 'vitest';
import { MAX_RULE_FILE_BYTES, MAX_WIRE_REQUEST_BYTES, requestSchemas } from '../../../app/contract/ipc.ts';
import { formatFor } from './locale-format.ts';
import { ruleFileSizeProblem } from './rule-file-size.ts';

describe('ruleFileSizeProblem', () => {
  it('accepts a file up to the limit and refuses one byte more, saying both sizes', () => {
    expect(ruleFileSizeProblem(0)).toBeNull();
    expect(ruleFileSizeProblem(MAX_RULE_FILE_BYTES)).toBeNull();
    const en = formatFor('en-US');
    expect(ruleFileSizeProblem(MAX_RULE_FILE_BYTES + 1, en)).toBe(
      'This file is 33.6 MB; a rule file can be at most 33.6 MB. Nothing was imported.',
    );
    expect(ruleFileSizeProblem(200_000_000, en)).toMatch(/^This file is 200 MB; a rule file can be at most 33\.6 MB\./);
    expect(ruleFileSizeProblem(200_000_000, formatFor('de-DE'))).toMatch(/^This file is 200 MB; .* at most 33,6 MB\./);
  });

  it('lets through exactly what the contract accepts, and the WebSocket takes the largest such request', () => {
    const schema = requestSchemas['rules:import'];
    // A file of N bytes is at most N characters: every file the check lets through passes the schema.
    const largest = '\u001f'.repeat(MAX_RULE_FILE_BYTES);
    expect(schema.safeParse({ text: largest }).success).toBe(true);
    expect(schema.safeParse({ text: `${largest} ` }).success).toBe(false);
    // Its request, JSON as the bridge sends it: each control character is written as six bytes,
    // all ASCII, so the string's length is its size in bytes.
    const wire = JSON.stringify({ id: 2 ** 53 - 1, channel: 'rules:import', payload: { text: largest } });
    expect(wire.length).toBeGreaterThan(6 * MAX_RULE_FILE_BYTES);
    expect(wire.length).toBeLessThan(MAX_WIRE_REQUEST_BYTES);
  });
});
