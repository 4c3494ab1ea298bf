import type { StateCreator } from 'zustand';
import type { RuleForm } from '../lib/rule-form.ts';
import type { AppState } from './store.ts';

export const VIEWS = [
  'connections',
  'apps',
  'history',
  'dns',
  'rules',
  'learning',
  'profiles',
  'settings',
  'logs',
] as const;
export type ViewId = (typeof VIEWS)[number];

/**
 * The rule editor: a new rule (maybe prefilled from a connection), an existing one, or a learned
 * proposal's rule being narrowed (`proposalId`: the edited rule goes into the review, not to the
 * engine).
 */
export type RuleEditorState =
  | {
      readonly ruleId: string | null;
      readonly form: RuleForm;
      /** Where it was opened from, for the dialog title. */
      readonly origin: 'rules' | 'connection';
    }
  | { readonly ruleId: null; readonly form: RuleForm; readonly origin: 'proposal'; readonly proposalId: string };

export interface Toast {
  readonly id: number;
  readonly kind: 'info' | 'error';
  readonly text: string;
}

export interface UiSlice {
  readonly view: ViewId;
  readonly ruleEditor: RuleEditorState | null;
  readonly toasts: readonly Toast[];
  /** The app selected in the Apps view (its label), or null for all apps. */
  readonly selectedApp: string | null;
  setView(view: ViewId): void;
  openRuleEditor(editor: RuleEditorState): void;
  closeRuleEditor(): void;
  selectApp(app: string | null): void;
  addToast(kind: Toast['kind'], text: string): void;
  dismissToast(id: number): void;
}

let nextToast = 1;

export const createUiSlice: StateCreator<AppState, [], [], UiSlice> = (set) => ({
  view: 'connections',
  ruleEditor: null,
  toasts: [],
  selectedApp: null,
  setView: (view) => set({ view }),
  openRuleEditor: (ruleEditor) => set({ ruleEditor }),
  closeRuleEditor: () => set({ ruleEditor: null }),
  selectApp: (selectedApp) => set({ selectedApp }),
  addToast: (kind, text) => set((state) => ({ toasts: [...state.toasts.slice(-3), { id: nextToast++, kind, text }] })),
  dismissToast: (id) => set((state) => ({ toasts: state.toasts.filter((t) => t.id !== id) })),
});
