// A stand-in for a driver with policy support (driver/protocol/README.md, "Policy") as a session
// link: every command goes through its bytes (encoded, then decoded as a driver reads it), the
// PolicyParts are put together and checked by the codec's document decoder, and the infos a
// driver sends (HelloReply, PolicyState, RuleDecided, Process, ConnectionEnd) come back through
// the codec's encoder and InfoReader. For the app-side tests until the real daemon has the policy.
import type {
  Command,
  DecodeResult,
  HelloReplyInfo,
  Info,
  PolicyDocument,
  PolicyRule,
} from '../../../native/src/index.ts';
import { encodeCommand, FEATURE, InfoReader, VERDICT } from '../../../native/src/index.ts';
import {
  decodeCommand,
  decodePolicyDocument,
  encodeInfos,
  PolicyDecodeError,
} from '../../../native/test-support/codec/index.ts';
import type { SessionLink } from '../driver-session.ts';
import { ip } from './address-bytes.ts';

const NO_APP_VERDICT = { accept: VERDICT.accept, block: VERDICT.block, drop: VERDICT.drop } as const;
const RULE_VERDICT = {
  allow: VERDICT.permanentAccept,
  block: VERDICT.permanentBlock,
  drop: VERDICT.permanentDrop,
} as const;

/** A connection the fake driver decides by a rule: curl (pid 42) over TCP from 10.0.0.1. */
export interface DecidedConnection {
  readonly localPort: number;
  readonly remoteIp: string;
  readonly remotePort: number;
}

export class FakePolicyDriver implements SessionLink {
  /** The commands written, decoded from their bytes. */
  readonly commands: Command[] = [];
  /** The documents the driver took, in order. */
  readonly documents: PolicyDocument[] = [];
  closed = false;
  /** Set to make the next PolicyPart write fail (a driver that stopped reading). */
  failNextPart: Error | null = null;
  readonly #policy: boolean;
  readonly #queue: DecodeResult[] = [];
  #wake: (() => void) | null = null;
  #enforced: PolicyDocument | null;
  #origin: 'none' | 'stored' | 'client';
  #parts: Uint8Array[] = [];
  #received = 0;

  /** `policy`: whether Hello is granted POLICY; `stored`: the policy it loaded at start. */
  constructor(options: { readonly policy?: boolean; readonly stored?: PolicyDocument | null } = {}) {
    this.#policy = options.policy ?? true;
    this.#enforced = options.stored ?? null;
    this.#origin = this.#enforced === null ? 'none' : 'stored';
  }

  /** The policy in force (the stored one, or the last document taken). */
  get enforced(): PolicyDocument | null {
    return this.#enforced;
  }

  hello(features: number): Promise<HelloReplyInfo> {
    const granted = features & (FEATURE.process | FEATURE.dns | (this.#policy ? FEATURE.policy : 0));
    const reply: HelloReplyInfo = {
      kind: 'helloReply',
      version: [2, 1, 0, 0],
      extVersion: 1,
      features: granted,
      driverKind: 2,
    };
    if ((granted & FEATURE.policy) !== 0) this.#emit([this.#state('none', 0n)]);
    return Promise.resolve(reply);
  }

  send(command: Command): Promise<void> {
    const decoded = decodeCommand(encodeCommand(command));
    if (decoded.kind === 'policyPart' && this.failNextPart !== null) {
      const error = this.failNextPart;
      this.failNextPart = null;
      return Promise.reject(error);
    }
    this.commands.push(decoded);
    if (decoded.kind === 'policyPart') this.#part(decoded);
    return Promise.resolve();
  }

  async *infos(): AsyncIterable<DecodeResult> {
    while (!this.closed) {
      const next = this.#queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  close(): Promise<void> {
    this.closed = true;
    this.#wake?.();
    return Promise.resolve();
  }

  /**
   * Decides a connection of curl by `rule` of the policy in force, as the driver does without a
   * client's answer: a Process info, then a RuleDecided info with the generation and tag.
   */
  decide(rule: PolicyRule, connection: DecidedConnection): void {
    const generation = this.#enforced?.generation ?? 0n;
    this.#emit([
      { kind: 'process', processId: 42n, startTime: 1n, uid: 1000, path: '/usr/bin/curl', commandLine: ['curl'] },
      {
        kind: 'ruleDecided',
        ipVersion: 4,
        processId: 42n,
        direction: 0,
        protocol: 6,
        localIp: ip('10.0.0.1'),
        localPort: connection.localPort,
        remoteIp: ip(connection.remoteIp),
        remotePort: connection.remotePort,
        verdict: RULE_VERDICT[rule.action],
        generation,
        ruleTag: rule.tag,
      },
    ]);
  }

  /** Sends infos of the test's choosing (a held connection, a Process info), as a driver writes them. */
  emit(infos: readonly Info[]): void {
    this.#emit(infos);
  }

  /** The end of a connection it decided. */
  end(connection: DecidedConnection): void {
    this.#emit([
      {
        kind: 'connectionEnd',
        ipVersion: 4,
        processId: 42n,
        direction: 0,
        protocol: 6,
        localIp: ip('10.0.0.1'),
        localPort: connection.localPort,
        remoteIp: ip(connection.remoteIp),
        remotePort: connection.remotePort,
      },
    ]);
  }

  /** Puts PolicyParts together as the README says; a complete document is checked, then taken or dropped. */
  #part(part: Extract<Command, { kind: 'policyPart' }>): void {
    if (part.offset === 0) {
      this.#parts = [];
      this.#received = 0;
    }
    if (part.offset !== this.#received) {
      this.#parts = [];
      this.#received = 0;
      this.#emit([this.#state('out-of-order', part.generation)]);
      return;
    }
    this.#parts.push(part.data);
    this.#received += part.data.length;
    if (this.#received < part.totalLength) return;
    const whole = new Uint8Array(this.#received);
    let at = 0;
    for (const piece of this.#parts) {
      whole.set(piece, at);
      at += piece.length;
    }
    this.#parts = [];
    this.#received = 0;
    try {
      const document = decodePolicyDocument(whole);
      this.documents.push(document);
      this.#enforced = document;
      this.#origin = 'client';
      this.#emit([this.#state('none', 0n)]);
    } catch (error) {
      if (!(error instanceof PolicyDecodeError)) throw error;
      this.#emit([this.#state(error.reason, part.generation)]);
    }
  }

  #state(problem: Extract<Info, { kind: 'policyState' }>['problem'], problemGeneration: bigint): Info {
    const policy = this.#enforced;
    return {
      kind: 'policyState',
      generation: policy?.generation ?? 0n,
      ruleCount: policy?.rules.length ?? 0,
      noAppAction: policy === null ? VERDICT.accept : NO_APP_VERDICT[policy.noAppAction],
      origin: this.#origin,
      problem,
      problemGeneration,
    };
  }

  /** Queues infos as a driver writes them: encoded, then read back by an InfoReader. */
  #emit(infos: readonly Info[]): void {
    this.#queue.push(...new InfoReader().push(encodeInfos(infos)));
    this.#wake?.();
    this.#wake = null;
  }
}
