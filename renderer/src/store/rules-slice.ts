import type { StateCreator } from 'zustand';
import type { Rule } from '../../../app/contract/rules.ts';
import type { AppState } from './store.ts';

export interface RulesSlice {
  readonly rules: readonly Rule[];
  readonly rulesLoaded: boolean;
  setRules(rules: readonly Rule[]): void;
  /** Puts a created or updated rule in place (or at the end). */
  putRule(rule: Rule): void;
  removeRule(id: string): void;
}

export function putRuleIn(rules: readonly Rule[], rule: Rule): Rule[] {
  const index = rules.findIndex((r) => r.id === rule.id);
  if (index === -1) return [...rules, rule];
  return rules.map((r, i) => (i === index ? rule : r));
}

export const createRulesSlice: StateCreator<AppState, [], [], RulesSlice> = (set) => ({
  rules: [],
  rulesLoaded: false,
  setRules: (rules) => set({ rules, rulesLoaded: true }),
  putRule: (rule) => set((state) => ({ rules: putRuleIn(state.rules, rule) })),
  removeRule: (id) => set((state) => ({ rules: state.rules.filter((r) => r.id !== id) })),
});
