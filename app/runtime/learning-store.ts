import { z } from 'zod';
import type { LearningSettings } from '../engine/learning.ts';
import { NO_LEARNING } from '../engine/learning.ts';
import type { Store } from '../store/index.ts';

const KEY = 'learning';

/** Learning's window, apps and "always ask" apps (the proposals have their own table). */
const settingsSchema = z
  .object({
    until: z.number().int().nonnegative().nullable(),
    apps: z.array(z.string().min(1).max(20_000)).max(10_000),
    alwaysAsk: z.array(z.string().min(1).max(20_000)).max(10_000),
  })
  .strict();

/**
 * As saved, but learning until an app quits does not outlive a restart, as an 'until-app-quits'
 * rule does not: the app may have quit while ZenithFence was not running (a reboot), and a quit
 * it never sees would keep that app learning for good.
 */
export function loadLearningSettings(store: Store): LearningSettings {
  const saved = store.settings.get(KEY, settingsSchema, { ...NO_LEARNING, apps: [], alwaysAsk: [] });
  return { ...saved, apps: [] };
}

export function saveLearningSettings(store: Store, settings: LearningSettings): void {
  store.settings.set(KEY, settingsSchema.parse(settings));
}
