import { MAX_RULE_FILE_BYTES } from '../../../app/contract/ipc.ts';
import { RULES } from '../strings/rules-strings.ts';
import { type LocaleFormat, userFormat } from './locale-format.ts';

/**
 * Why a rule file of `bytes` cannot be imported, or null when it can: the contract's limit is
 * checked here, before the file is read and sent (headless mode would close the connection on
 * a message far over it, and reading a huge file only to be refused helps nobody).
 */
export function ruleFileSizeProblem(bytes: number, format: LocaleFormat = userFormat()): string | null {
  if (bytes <= MAX_RULE_FILE_BYTES) return null;
  return RULES.fileTooBig(format.bytes(bytes), format.bytes(MAX_RULE_FILE_BYTES));
}
