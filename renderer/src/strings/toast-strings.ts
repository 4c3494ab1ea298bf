/**
 * The toasts user actions and the link to the engine raise (English; store/commands.ts and
 * store/sync.ts). A failure reads "<what failed>: <the engine's reason>".
 */
export const TOASTS = {
  failed: (what: string, reason: string) => `${what}: ${reason}`,
  answerPrompt: 'Could not answer the prompt',
  answerApp: (app: string) => `Could not answer ${app}`,
  setMode: 'Could not change the mode',
  createRule: 'Could not create the rule',
  ruleCreated: 'Rule created.',
  updateRule: 'Could not change the rule',
  deleteRule: 'Could not delete the rule',
  importRules: 'Import failed',
  exportRules: 'Export failed',
  saveSetting: 'Could not save the setting',
  switchProfile: 'Could not switch the profile',
  followNetwork: 'Could not follow the network again',
  assignNetwork: 'Could not give the network a profile',
  createProfile: 'Could not add the profile',
  updateProfile: 'Could not change the profile',
  deleteProfile: 'Could not delete the profile',
  forgetNetwork: 'Could not forget the network',
  startLearning: 'Could not start learning',
  stopLearning: 'Could not stop learning',
  alwaysAsk: 'Could not change “Always ask”',
  applyReview: 'Could not apply the review',
  savingWorksAgain: 'Saving works again: history and rule changes are stored.',
} as const;
