import type { Handlers } from '../../contract/dispatch.ts';
import type { StatusView } from '../../contract/views.ts';

/** A status that says all is well. */
export const OK_STATUS: StatusView = {
  driver: 'connected',
  driverMessage: '',
  policy: {
    state: 'enforced',
    message: 'Driver enforces your rules (0 rules).',
    enforcedGeneration: '1',
    ruleCount: 0,
  },
  mode: { mode: 'ask', resumesAt: null, resumesTo: null },
  profile: {
    active: { id: 'public', name: 'Public', mode: 'ask', noAppAction: 'block', builtIn: true },
    reason: 'network',
    pinned: false,
    network: null,
    question: null,
  },
  learning: { until: null, apps: [], alwaysAsk: [], proposals: 0, overflow: 0 },
  pendingPrompts: 0,
  storage: 'ok',
  storageMessage: '',
};

/** Handlers that answer only 'status:get' (the server tests need one channel that works). */
export const STATUS_ONLY_HANDLERS = { 'status:get': () => OK_STATUS } as unknown as Handlers;
