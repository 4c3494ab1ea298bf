import type { DriverPolicy, PolicyStateReport } from '../contract/driver-policy.ts';
import type { PolicyStatus } from '../contract/views.ts';
import type { CompiledPolicy } from '../engine/policy-compiler.ts';
import { type PolicyAttempt, type PolicyLink, policyStatus } from './policy-status.ts';

/**
 * Changes within this long go to the driver as one policy: an import, a prompt answer that
 * releases and re-decides, a burst of edits each cost one send, not one per rule.
 */
export const POLICY_COALESCE_MS = 250;

export interface PolicySyncPorts {
  /**
   * What the policy depends on now (the rules' version, the no-app action): a policy sent with
   * another key is stale.
   */
  key(): string;
  /** The policy of the rules in force now, with `generation`. */
  compile(generation: bigint, now: number): CompiledPolicy;
  /** Writes the policy to the driver; resolves once every part is written. */
  send(policy: DriverPolicy): Promise<void>;
  /** The next generation (larger than any used or reported) and its keeping for the next run. */
  nextGeneration(now: number): bigint;
  persistGeneration(generation: bigint): void;
  /** The status changed (a send started or ended, the driver reported). */
  changed(): void;
  /** A line for the log (rate-limited by the caller, per key). */
  log(key: string, message: string): void;
  /**
   * Tells the driver the network of `epoch` is in force (NetworkSeen): from then on it decides by
   * the policy written before. Absent: the link takes none (nothing waits for it).
   */
  networkSeen?(epoch: number): Promise<void>;
}

/**
 * Keeps the driver's policy in step with the rules: sends it as soon as a link that grants POLICY
 * comes up, and after every change of what it depends on: at once when the user changed it
 * (`changed`), and never two at once nor two within POLICY_COALESCE_MS (what is due then is
 * compiled when that is over, from the rules as they are: the latest wins). A send that fails is
 * logged and tried again at the next change or link, not in a loop. The runtime calls `poll(now)`
 * from its flush (every 100 ms) for the rest. Nothing here throws: a fault is logged, and the
 * status says the driver is behind.
 */
export class PolicySync {
  readonly #ports: PolicySyncPorts;
  #link: PolicyLink = 'down';
  /** Grows with every link change, so that a send of an earlier link settles nothing of this one. */
  #epoch = 0;
  #attempt: PolicyAttempt | null = null;
  /** The key of the policy last sent on this link (sending or sent). */
  #sentKey: string | null = null;
  /** A key whose send failed: not tried again until the key or the link changes. */
  #failedKey: string | null = null;
  #inFlight = false;
  /** Since when a send is due; null when none is. */
  #dueSince: number | null = null;
  #report: PolicyStateReport | null = null;
  /** When the last send on this link started; null before the first. */
  #lastStart: number | null = null;
  #leftOutLogged = 0;
  /** A network epoch to confirm once the policy for it is written (null: none waiting). */
  #seenDue: number | null = null;
  /** The latest `now` a caller gave (a send started from a settled one uses it). */
  #now = 0;

  constructor(ports: PolicySyncPorts) {
    this.#ports = ports;
  }

  /**
   * A link came up; `policy`: its Hello granted POLICY. The rules are sent at once, not after
   * the coalescing time: until they arrive, the driver decides by the policy it had (stored by
   * an earlier run, or sent before the rules changed while it was away).
   */
  linkUp(policy: boolean, now: number): void {
    this.#now = now;
    this.#reset(policy ? 'up' : 'unsupported');
    this.#ports.changed();
    if (policy) this.#send(this.#ports.key(), now);
  }

  /** The link went away: what the next one enforces is learned anew. */
  linkDown(): void {
    if (this.#link === 'down') return;
    this.#reset('down');
    this.#report = null;
    this.#ports.changed();
  }

  /** The driver said what it enforces (after Hello, and after every document it took or dropped). */
  reported(report: PolicyStateReport): void {
    this.#report = report;
    this.#ports.changed();
  }

  status(): PolicyStatus {
    // A change not yet sent (coalescing) means the driver does not enforce the rules as they are.
    const key = this.#link === 'up' ? this.#ports.key() : null;
    const pending = key !== null && key !== this.#sentKey && key !== this.#failedKey;
    return policyStatus(this.#link, pending ? null : this.#attempt, this.#report);
  }

  /**
   * The user changed the rules or the no-app action (a request, a prompt answer): the policy goes
   * out at once, unless a send is in flight or started within the coalescing time; then `poll`
   * sends the latest when that is over. Until it arrives the driver decides by the old policy,
   * so a change the user makes is not left waiting.
   */
  changed(now: number): void {
    this.#due(now, true);
  }

  /**
   * The engine put the network of `epoch` in force (and the profile it gives). The driver decides
   * by no policy until told (driver/protocol/README.md, "Network facts"), so the policy for that
   * profile goes out at once, whatever the coalescing time, and NetworkSeen follows it; when the
   * policy written already is the right one, NetworkSeen goes at once.
   */
  networkSeen(epoch: number, now: number): void {
    this.#now = now;
    if (this.#link !== 'up' || this.#ports.networkSeen === undefined) return;
    this.#seenDue = epoch;
    if (this.#inFlight) return; // confirmed when the send in flight settles (#settled)
    const key = this.#ports.key();
    // A key whose send failed is tried once more here: the driver must not confirm a network
    // with the policy of the profile it is leaving (see #confirmSeen).
    if (key !== this.#sentKey) {
      this.#dueSince = null;
      this.#send(key, now);
      return;
    }
    this.#confirmSeen();
  }

  /** Writes the NetworkSeen due, if the policy written is the one of the rules as they are. */
  #confirmSeen(): void {
    const epoch = this.#seenDue;
    const send = this.#ports.networkSeen;
    if (epoch === null || send === undefined || this.#link !== 'up' || this.#inFlight) return;
    const key = this.#ports.key();
    if (key === this.#failedKey) {
      // The driver still holds an older policy, maybe the profile's it is leaving: confirming
      // would let that decide on the new network. Unconfirmed, the driver asks about every new
      // connection and the engine decides it by the rules in force (nothing waits for a prompt
      // that a rule covers); the next send that is written confirms.
      return;
    }
    if (key !== this.#sentKey) {
      // Changed again while the last one was written: that one first, then the confirmation.
      this.#send(key, this.#now);
      return;
    }
    this.#seenDue = null;
    const linkEpoch = this.#epoch;
    let writing: Promise<void>;
    try {
      writing = send.call(this.#ports, epoch);
    } catch (error) {
      writing = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    writing.catch((error: unknown) => {
      if (linkEpoch !== this.#epoch) return;
      this.#ports.log('network seen', `The driver could not be told the network changed: ${messageOf(error)}`);
    });
  }

  /**
   * Sends the policy when one is due and its coalescing time is over: changes `changed` was not
   * told of (a rule that expired, an app that quit) and those that came while a send was in
   * flight or had just started.
   */
  poll(now: number): void {
    this.#due(now, false);
  }

  #due(now: number, eager: boolean): void {
    this.#now = now;
    if (this.#link !== 'up' || this.#inFlight) return;
    const key = this.#ports.key();
    if (key === this.#sentKey || key === this.#failedKey) {
      this.#dueSince = null;
      return;
    }
    this.#dueSince ??= now;
    const since = eager ? (this.#lastStart ?? Number.NEGATIVE_INFINITY) : this.#dueSince;
    if (now - since < POLICY_COALESCE_MS) return;
    this.#dueSince = null;
    this.#send(key, now);
  }

  #reset(link: PolicyLink): void {
    this.#link = link;
    this.#epoch++;
    this.#attempt = null;
    this.#sentKey = null;
    this.#failedKey = null;
    this.#inFlight = false;
    this.#dueSince = null;
    this.#lastStart = null;
    this.#seenDue = null;
  }

  #send(key: string, now: number): void {
    const generation = this.#ports.nextGeneration(now);
    let compiled: CompiledPolicy;
    try {
      compiled = this.#ports.compile(generation, now);
    } catch (error) {
      this.#failed(key, generation, error);
      return;
    }
    try {
      this.#ports.persistGeneration(generation);
    } catch (error) {
      // The generation is still good for this run; the next run starts from the clock and the
      // driver's report, which is larger unless the clock went back.
      this.#ports.log('policy generation', `the policy generation could not be saved: ${messageOf(error)}`);
    }
    this.#noteLeftOut(compiled);
    const epoch = this.#epoch;
    this.#lastStart = now;
    this.#inFlight = true;
    this.#sentKey = key;
    // Tried again (a network change does): a failure of this send marks it anew.
    if (this.#failedKey === key) this.#failedKey = null;
    this.#attempt = { generation, state: 'sending' };
    this.#ports.changed();
    let sending: Promise<void>;
    try {
      sending = this.#ports.send(compiled.policy);
    } catch (error) {
      sending = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    sending.then(
      () => {
        if (epoch !== this.#epoch) return;
        this.#inFlight = false;
        this.#attempt = { generation, state: 'sent' };
        this.#ports.changed();
        this.#confirmSeen();
      },
      (error: unknown) => {
        if (epoch !== this.#epoch) return;
        this.#inFlight = false;
        this.#failed(key, generation, error);
        this.#confirmSeen();
      },
    );
  }

  #failed(key: string, generation: bigint, error: unknown): void {
    const message = messageOf(error);
    this.#sentKey = null;
    this.#failedKey = key;
    this.#attempt = { generation, state: 'failed', message };
    this.#ports.log(
      'policy send',
      `The rules could not be sent to the driver (${message}); they are sent again at the next change or connection.`,
    );
    this.#ports.changed();
  }

  /** Says (once per count) that some rules stay in the app: the driver could not match them. */
  #noteLeftOut(compiled: CompiledPolicy): void {
    const count = compiled.leftOut.length;
    if (count === this.#leftOutLogged) return;
    this.#leftOutLogged = count;
    if (count === 0) return;
    const shown = compiled.leftOut.slice(0, 5).map(({ id, reason }) => `${id} (${reason})`);
    const more = count > 5 ? `, and ${String(count - 5)} more` : '';
    this.#ports.log(
      'policy left out',
      `${String(count)} rule${count === 1 ? '' : 's'} apply only while ZenithFence runs (the driver cannot match them): ${shown.join('; ')}${more}`,
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
