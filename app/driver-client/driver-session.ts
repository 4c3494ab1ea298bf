import type { BackoffOptions, Command, DecodeResult, HelloReplyInfo } from '../../native/src/index.ts';
import { ALL_FEATURES, backoffDelay, DriverError, encodeCommand, FEATURE } from '../../native/src/index.ts';
import type { DriverEvent, DriverVerdict } from '../contract/driver-events.ts';
import type { DriverPolicy, PolicyBlocklistSent } from '../contract/driver-policy.ts';
import type { DriverState } from '../contract/views.ts';
import { driverEventOf, verdictCommand } from './event-mapper.ts';
import { linkOf, tagRequestId, wireIdOf } from './link-request-ids.ts';
import { policyParts } from './policy-commands.ts';

/** What the session needs of an open driver handle (native/src DriverHandle has it). */
export interface SessionLink {
  infos(): AsyncIterable<DecodeResult>;
  send(command: Command): Promise<void>;
  hello(features: number): Promise<HelloReplyInfo>;
  close(): Promise<void>;
}

export interface SessionCallbacks {
  onEvent(event: DriverEvent): void;
  onStatus(state: DriverState, message: string): void;
  /**
   * A link is up, right before its 'connected' status; `policy`: its Hello granted POLICY (the
   * driver takes a policy and reports what it enforces).
   */
  onLinked?(policy: boolean): void;
}

/**
 * Opens a link to the driver. `progress` reports a long step of the opening itself (Windows:
 * installing and starting the driver service), shown to the user as the 'installing' state.
 */
export type DriverConnect = (progress: (message: string) => void) => Promise<SessionLink>;

export interface SessionOptions {
  readonly connect: DriverConnect;
  readonly callbacks: SessionCallbacks;
  /** Waits between reconnection attempts (injectable for tests). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** The back-off of native/src/backoff.ts: the first wait (default 100 ms) … */
  readonly firstRetryMs?: number;
  /** … doubling up to this (default 5 s). */
  readonly maxRetryMs?: number;
  /**
   * Told when a callback (or the mapping of an info) threw. The session goes on with the next
   * info: one event must not end the connection, and with it the answers to everything held.
   */
  readonly onError?: (where: string, error: unknown) => void;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Whether opening the driver may succeed later. The binding's errors say so (`retryable`):
 * PermissionDenied and VersionMismatch (and a driver service that cannot be installed) need the
 * user, so trying again every few seconds would only hide the advice. Anything else (a plain
 * Error of a test link, say) is treated as the driver not being there yet.
 */
function mayRetry(error: unknown): boolean {
  return !(error instanceof DriverError) || error.retryable;
}

/** What the 'failed' status says: the error's advice, and that the app stopped trying. */
function failedMessage(error: unknown): string {
  const advice = error instanceof Error ? error.message : String(error);
  return `${advice} ZenithFence stopped trying to connect: restart it once this is done.`;
}

/**
 * Keeps the app connected to the driver: connects, says Hello with every extension, turns infos
 * into engine events, and reconnects with back-off (backoffDelay: 100 ms doubling to 5 s) when
 * the driver goes away, reporting each state so the UI can show it. This loop is the app's one
 * reconnect policy: an open or Hello that fails with an error that is not `retryable`
 * (PermissionDenied, VersionMismatch, a failed driver install) is reported once as 'failed', with
 * the error's advice, and not tried again; a link that was up and broke is always made anew. Verdicts sent while disconnected are
 * lost with the connection, which is safe: the driver answered those packets itself (the
 * daemon's detached policy).
 *
 * Each link numbers its requests from 1 again, so the session tags every request id with the
 * number of its link (link-request-ids.ts) and sends a verdict only on the link its request came
 * on: an answer to a connection of a lost link never reaches the next one, where the same wire
 * id names another connection. The runtime forgets held requests when the link is lost; this is
 * the second line of defence.
 *
 * The callbacks' exceptions stay inside the session (reported through `onError`), and a link
 * whose stream ended or broke is closed before the next connection is made: an open link that
 * nobody reads would keep the daemon's held packets waiting for a client that no longer listens.
 */
export class DriverSession {
  readonly #options: SessionOptions;
  #link: SessionLink | null = null;
  #stopped = false;
  #running: Promise<void> | null = null;
  #wake: (() => void) | null = null;
  /** The number of the current (or last) link; request ids carry it (link-request-ids.ts). */
  #linkNumber = 0;
  /** The feature bits the current (or last) link's Hello granted. */
  #granted = 0;
  /**
   * The end of the writes that keep their order (#inOrder): policy parts and NetworkSeen. Never
   * rejects, so the next one always runs.
   */
  #orderedWrites: Promise<void> = Promise.resolve();
  /** Where the mapping of an info says what it dropped. */
  readonly #dropped = (where: string, error: Error): void => this.#options.onError?.(where, error);

  constructor(options: SessionOptions) {
    this.#options = options;
  }

  start(): void {
    this.#running ??= this.#run();
  }

  async #run(): Promise<void> {
    const sleep = this.#options.sleep ?? defaultSleep;
    const backoff: BackoffOptions = {
      ...(this.#options.firstRetryMs === undefined ? {} : { initialDelayMs: this.#options.firstRetryMs }),
      ...(this.#options.maxRetryMs === undefined ? {} : { maxDelayMs: this.#options.maxRetryMs }),
    };
    // Waits since the last link came up: the back-off grows with them.
    let waits = 0;
    // Once a link was up, the user's rights and the driver's version were fine: a refusal when
    // reopening (a driver being replaced or restarted) is waited out, not taken as final.
    let everLinked = false;
    while (!this.#stopped) {
      let link: SessionLink | null = null;
      let linked = false;
      try {
        link = await this.#options.connect((message) => this.#status('installing', message));
        if (this.#stopped) return; // the finally below closes it
        const reply = await link.hello(ALL_FEATURES);
        linked = true;
        everLinked = true;
        this.#linkNumber += 1;
        const linkNumber = this.#linkNumber;
        this.#granted = reply.features;
        this.#link = link;
        waits = 0;
        this.#linked((reply.features & FEATURE.policy) !== 0);
        this.#status('connected', `driver ${reply.version.join('.')}`);
        for await (const info of link.infos()) this.#deliver(link, linkNumber, info);
        this.#link = null;
        if (this.#stopped) return;
        this.#status('reconnecting', 'the driver ended the connection');
      } catch (error) {
        this.#link = null;
        if (this.#stopped) return;
        if (!linked && !everLinked && !mayRetry(error)) {
          // Said once; the loop ends (stop() still reports 'disconnected').
          this.#status('failed', failedMessage(error));
          return;
        }
        const message = error instanceof Error ? error.message : String(error);
        this.#status('reconnecting', message);
      } finally {
        // A link that is still open is not read by anyone any more (closing twice is harmless).
        if (link !== null && this.#link !== link) await link.close().catch(() => undefined);
      }
      waits += 1;
      await Promise.race([sleep(backoffDelay(waits, backoff)), new Promise<void>((resolve) => (this.#wake = resolve))]);
    }
  }

  /** Maps one info and hands its event on; what throws is reported, and the next info comes. */
  #deliver(link: SessionLink, linkNumber: number, info: DecodeResult): void {
    try {
      const event = driverEventOf(info, this.#dropped);
      if (event === null) return;
      if (event.kind !== 'connection') {
        this.#options.callbacks.onEvent(event);
        return;
      }
      // A link given up on (a send failed) may still hand out what it had read; its requests are
      // not passed on, since no verdict could reach them: the driver answers them itself.
      if (this.#link !== link) return;
      this.#options.callbacks.onEvent({ ...event, requestId: tagRequestId(linkNumber, event.requestId) });
    } catch (error) {
      this.#options.onError?.('driver event', error);
    }
  }

  #linked(policy: boolean): void {
    try {
      this.#options.callbacks.onLinked?.(policy);
    } catch (error) {
      this.#options.onError?.('driver link', error);
    }
  }

  #status(state: DriverState, message: string): void {
    try {
      this.#options.callbacks.onStatus(state, message);
    } catch (error) {
      this.#options.onError?.('driver status', error);
    }
  }

  /**
   * Answers a held request, on the link it came on only. Ignored while disconnected (the driver
   * has answered it); refused, and reported through onError, when it came on an earlier link:
   * there the driver answered it, and its wire id now names another connection.
   */
  verdict(requestId: bigint, verdict: DriverVerdict): void {
    if (this.#link === null) return;
    if (linkOf(requestId) !== this.#linkNumber) {
      this.#options.onError?.(
        'driver verdict',
        new Error(
          `a verdict for request ${String(wireIdOf(requestId))} of driver link ${String(linkOf(requestId))} was not sent: the current link is ${String(this.#linkNumber)}`,
        ),
      );
      return;
    }
    this.#send(verdictCommand(wireIdOf(requestId), verdict));
  }

  requestBandwidth(): void {
    this.#send({ kind: 'getBandwidthStats' });
  }

  /**
   * Writes a policy to the driver as PolicyPart commands, in order, on the current link, after
   * the policies and NetworkSeen asked for before it; resolves once every part is written, with
   * how much of its blocklist went. Rejects when there is no link, when the link changes meanwhile
   * (the next link gets the policy anew), or when a write fails (the link is then dropped and
   * made anew, as for any command).
   */
  async sendPolicy(policy: DriverPolicy): Promise<PolicyBlocklistSent> {
    const link = this.#link;
    if (link === null) throw new Error('no driver is connected');
    const { commands, blocklist } = policyParts(policy);
    // After what was asked for before (another policy, a NetworkSeen), never interleaved with it.
    return this.#inOrder(async () => {
      // One part at a time: a part that fails is the last one written, so the driver drops the
      // unfinished document and keeps the policy it has (a part after a gap would be out of order).
      for (const command of commands) {
        if (this.#link !== link) throw new Error('the driver link was lost while the policy was sent');
        await this.#sendOn(link, command);
      }
      return blocklist;
    });
  }

  /** Whether the current link's driver reports network facts (its Hello granted NETWORK). */
  get reportsNetwork(): boolean {
    return this.#link !== null && (this.#granted & FEATURE.network) !== 0;
  }

  /**
   * Writes NetworkSeen: the policy for the network of NetworkFacts `epoch` is in force, so the
   * driver's policy decides connections again (driver/protocol/README.md, "Network facts"). It is
   * written after every policy part of a sendPolicy called before it (its promise need not be
   * awaited first), on the current link, and resolves once written. Rejects, writing nothing, when
   * no driver is connected, when the link's Hello did not grant NETWORK, or when the link changes
   * before its turn (a new link's driver reports its facts anew, with their own epoch); a
   * RangeError for an epoch outside u32. A failed write drops the link, as for any command.
   */
  async networkSeen(epoch: number): Promise<void> {
    const link = this.#link;
    if (link === null) throw new Error(`no driver is connected: NetworkSeen ${String(epoch)} was not written`);
    if ((this.#granted & FEATURE.network) === 0) {
      throw new Error(`the driver did not grant NETWORK: NetworkSeen ${String(epoch)} was not written`);
    }
    const command: Command = { kind: 'networkSeen', epoch };
    // Its RangeError here: from the link's send it would count as a broken link (#sendOn).
    encodeCommand(command);
    await this.#inOrder(async () => {
      if (this.#link !== link) {
        throw new Error(`the driver link was lost before NetworkSeen ${String(epoch)} was written`);
      }
      await this.#sendOn(link, command);
    });
  }

  /**
   * Runs `write` once the writes asked for before it through here have settled (written or
   * failed): PolicyParts and NetworkSeen leave in the order they were asked for. Verdicts do not
   * wait here: a held connection is not to wait behind a large policy.
   */
  #inOrder<T>(write: () => Promise<T>): Promise<T> {
    const result = this.#orderedWrites.then(write);
    this.#orderedWrites = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  #send(command: Command): void {
    const link = this.#link;
    if (link === null) return;
    // Failures are handled in #sendOn; nothing waits for this one.
    this.#sendOn(link, command).catch(() => undefined);
  }

  /** Sends on `link`; a failure drops the link (see below) and is passed on to the caller. */
  #sendOn(link: SessionLink, command: Command): Promise<void> {
    return link.send(command).catch((error: unknown) => {
      // A send racing with stop() fails harmlessly; any other failure means the link broke (or
      // the driver stopped reading commands): close it, so that its stream ends and the session
      // connects anew instead of going on with a link that takes no verdicts.
      // A late failure of a link already let go (or replaced) says nothing about the current one.
      if (!this.#stopped && this.#link === link) {
        // Let go first: what the status change sets off must not find this link still in use.
        this.#link = null;
        this.#status('reconnecting', error instanceof Error ? error.message : String(error));
        link.close().catch((closeError: unknown) => this.#options.onError?.('driver close', closeError));
      }
      throw error;
    });
  }

  /** Closes the connection and stops reconnecting. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    const link = this.#link;
    this.#link = null;
    if (link !== null) await link.close();
    await this.#running;
    this.#status('disconnected', 'stopped');
  }
}
