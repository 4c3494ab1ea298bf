import type { PromptGroup, PromptView } from '../contract/views.ts';

/**
 * Finds prompts whose held connections just got the default action: they held connections in
 * the previous list and hold none now, yet are still listed (the inbox). The shell tells the
 * user with a notification that names the action applied and opens the prompt to change it.
 */
export class TimedOutPrompts {
  #held = new Map<string, number>();

  /** The prompts that timed out since the previous call. */
  update(groups: readonly PromptGroup[]): PromptView[] {
    const previous = this.#held;
    this.#held = new Map();
    const timedOut: PromptView[] = [];
    for (const prompt of groups.flatMap((group) => group.prompts)) {
      this.#held.set(prompt.id, prompt.held);
      if (prompt.held === 0 && (previous.get(prompt.id) ?? 0) > 0) timedOut.push(prompt);
    }
    return timedOut;
  }
}

/** The notification text for a timed-out prompt. */
export function timedOutMessage(prompt: PromptView, action: string): { title: string; body: string } {
  const where = `${prompt.host ?? prompt.remoteIp} port ${String(prompt.remotePort)}`;
  const name = prompt.app.split(/[\\/]/).pop() ?? prompt.app;
  return {
    title: `${name}: no answer, connection ${action === 'allow' ? 'allowed' : `${action}ed`}`,
    body: `${name} wanted to connect to ${where}. Click to answer; your answer decides its next try.`,
  };
}
