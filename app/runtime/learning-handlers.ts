import { HandlerError, type Handlers } from '../contract/dispatch.ts';
import type { RequestChannel } from '../contract/ipc.ts';
import { withAfter } from './after-request.ts';
import type { Runtime } from './runtime.ts';

type LearningChannel = Extract<RequestChannel, `learning:${string}`>;

/**
 * The learning channels (app/contract/learning.ts). A change pushes the status (the tray says
 * learning is on and until when); a review that keeps proposals adds rules like a picked import:
 * one transaction, then the policy goes to the driver.
 */
export function createLearningHandlers(runtime: Runtime, clock: () => number): Pick<Handlers, LearningChannel> {
  const { engine } = runtime;
  const changing = withAfter(clock, (now) => runtime.learningChanged(now));
  return {
    'learning:status': () => engine.learningStatus(clock()),
    'learning:start': changing((request, now) => engine.startLearning(request, now)),
    'learning:stop': changing((_payload: undefined, now) => engine.stopLearning(now)),
    'learning:always-ask': changing(({ appPath, alwaysAsk }, now) => engine.setAlwaysAsk(appPath, alwaysAsk, now)),
    'learning:proposals': () => engine.listProposals(),
    'learning:review': changing(({ decisions }, now) => {
      const result = engine.review(decisions, now, (writes) => runtime.store.transaction(writes));
      if (!result.ok)
        throw new HandlerError(result.error.startsWith('no proposal') ? 'not-found' : 'bad-request', result.error);
      return { kept: result.kept, discarded: result.discarded, ruleIds: result.ruleIds };
    }),
  };
}
