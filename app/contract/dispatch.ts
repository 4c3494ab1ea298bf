import { type RequestChannel, type RequestOf, requestSchemas, type ResponseOf } from './ipc.ts';
import { type ErrorCode, fail, ok, type Result } from './result.ts';

/** One handler per request channel; they receive validated payloads only. */
export type Handlers = {
  readonly [C in RequestChannel]: (payload: RequestOf<C>) => Promise<ResponseOf<C>> | ResponseOf<C>;
};

/** Thrown by a handler to answer with a specific error code instead of 'internal'. */
export class HandlerError extends Error {
  readonly code: Exclude<ErrorCode, 'internal'>;
  constructor(code: HandlerError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

function isChannel(channel: string): channel is RequestChannel {
  return Object.hasOwn(requestSchemas, channel);
}

/**
 * Validates an untrusted (channel, payload) pair and runs its handler. Unknown channels and
 * invalid payloads are answered with 'bad-request' naming the first problem; a handler's
 * failure becomes 'internal' (or its HandlerError code), never an exception for the caller.
 */
export async function dispatch(handlers: Handlers, channel: string, payload: unknown): Promise<Result<unknown>> {
  if (!isChannel(channel)) return fail('bad-request', `unknown channel '${channel.slice(0, 64)}'`);
  const parsed = requestSchemas[channel].safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? 'payload' : issue.path.join('.');
    return fail('bad-request', `${channel}: ${where}: ${issue?.message ?? 'invalid'}`);
  }
  try {
    const handler = handlers[channel] as (p: unknown) => Promise<unknown> | unknown;
    return ok(await handler(parsed.data));
  } catch (error) {
    if (error instanceof HandlerError) return fail(error.code, error.message);
    return fail('internal', error instanceof Error ? error.message : String(error));
  }
}
