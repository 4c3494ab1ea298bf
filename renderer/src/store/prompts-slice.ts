import type { StateCreator } from 'zustand';
import type { PromptGroup } from '../../../app/contract/views.ts';
import type { AppState } from './store.ts';

/** Pending prompts and whether the prompt dialog is open. */
export interface PromptsSlice {
  readonly promptGroups: readonly PromptGroup[];
  readonly promptDialogOpen: boolean;
  /** Prompt ids seen so far: a new one reopens a dialog the user put off with "Later". */
  readonly knownPromptIds: ReadonlySet<string>;
  setPrompts(groups: readonly PromptGroup[]): void;
  openPromptDialog(): void;
  closePromptDialog(): void;
}

export interface PromptState {
  readonly promptGroups: readonly PromptGroup[];
  readonly promptDialogOpen: boolean;
  readonly knownPromptIds: ReadonlySet<string>;
}

/** The state after a prompts push: the dialog opens for a prompt it has not shown yet. */
export function receivePrompts(previous: PromptState, groups: readonly PromptGroup[]): PromptState {
  const ids = new Set(groups.flatMap((group) => group.prompts.map((prompt) => prompt.id)));
  let fresh = false;
  for (const id of ids) if (!previous.knownPromptIds.has(id)) fresh = true;
  return {
    promptGroups: groups,
    promptDialogOpen: ids.size > 0 && (previous.promptDialogOpen || fresh),
    knownPromptIds: ids,
  };
}

export const createPromptsSlice: StateCreator<AppState, [], [], PromptsSlice> = (set) => ({
  promptGroups: [],
  promptDialogOpen: false,
  knownPromptIds: new Set(),
  setPrompts: (groups) => set((state) => receivePrompts(state, groups)),
  openPromptDialog: () => set((state) => ({ promptDialogOpen: state.promptGroups.length > 0 })),
  closePromptDialog: () => set({ promptDialogOpen: false }),
});
