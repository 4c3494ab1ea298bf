// The case file is read through Vite's `?raw` import: the engine's layer may not use Node's fs.
import { describe, expect, it } from 'vitest';
import ruleCasesText from '../../driver/protocol/testdata/rule_cases.txt?raw';
import { formatIp, parseIp } from '../contract/ip-address.ts';
import { type Rule, type RuleDuration, ruleSchema } from '../contract/rules.ts';
import { appKeyOf, type PathOptions } from './compiled-rule.ts';
import { NameCache } from './name-cache.ts';
import { type CaseConnection, type CaseRule, DEFAULT_AT, parseRuleCases, RuleCaseError } from './rule-cases.ts';
import type { ConnectionFacts } from './rule-matcher.ts';
import { isPersistentDuration, RuleSet } from './rule-set.ts';

/**
 * Runs driver/protocol/testdata/rule_cases.txt through the engine: per set, a RuleSet holding its
 * rules as the engine holds real ones (schema-checked Rule objects, compiled with the set's path
 * options), and per connection the facts the engine would build (canonical address, names
 * through the real NameCache), asking the public bestMatch for the winner. The away winner comes
 * from a second RuleSet holding only the rules the store keeps (forever, minutes).
 */

const MINUTE = 60_000;

/** A stored rule for a case rule; `minutes` is informative only (expiresAt decides). */
function ruleOf(c: CaseRule): Rule {
  const duration: RuleDuration =
    c.duration === 'minutes'
      ? {
          kind: 'minutes',
          minutes: Math.min(525_600, Math.max(1, Math.ceil(((c.expiresAt ?? 0) - c.updatedAt) / MINUTE))),
        }
      : { kind: c.duration };
  return ruleSchema.parse({
    id: c.id,
    app: c.app,
    destination: c.destination,
    port: c.port,
    protocol: c.protocol,
    direction: c.direction,
    action: c.action,
    duration,
    enabled: c.enabled,
    notes: '',
    createdAt: c.updatedAt,
    updatedAt: c.updatedAt,
    expiresAt: c.expiresAt,
    hitCount: 0,
    lastHitAt: null,
  });
}

/** The facts Engine builds for a driver's connection: canonical address, DNS names as cached. */
function factsOf(conn: CaseConnection, options: PathOptions): ConnectionFacts {
  const bytes = parseIp(conn.remote);
  if (bytes === null) throw new Error(`line ${conn.line}: the parser let a bad address through`);
  // The driver reports address bytes; IPv4-mapped ones arrive as IPv4 (Engine's #facts does this).
  const remoteIp = formatIp(bytes);
  const names = new NameCache();
  for (const name of conn.names) names.addDns(name, remoteIp, 3600, conn.at);
  return {
    appKey: conn.appPath === null ? '' : appKeyOf(conn.appPath, options),
    direction: conn.direction,
    protocol: conn.protocol,
    remoteIp,
    remoteBytes: bytes,
    remotePort: conn.port,
    hostNames: names.namesFor(remoteIp, conn.at),
  };
}

function winnerOf(rules: RuleSet, conn: CaseConnection, options: PathOptions): string | null {
  return rules.bestMatch(factsOf(conn, options), conn.at)?.rule.id ?? null;
}

function describeConnection(conn: CaseConnection): string {
  const names = conn.names.length > 0 ? ` names=${conn.names.join(',')}` : '';
  const at = conn.at === DEFAULT_AT ? '' : ` at=${conn.at}`;
  const away = conn.awayWinner === conn.winner ? '' : ` away=${conn.awayWinner ?? 'none'}`;
  return (
    `line ${conn.line}: ${conn.appPath ?? '-'} ${conn.direction} ${conn.protocol} ${conn.remote} port ${conn.port}` +
    `${names}${at} => ${conn.winner ?? 'none'}${away}`
  );
}

const sets = parseRuleCases(ruleCasesText);

describe('rule_cases.txt', () => {
  it('has sets, each with rules and connections', () => {
    expect(sets.length).toBeGreaterThan(0);
    for (const set of sets) {
      expect(set.rules.length, `set ${set.name} (line ${set.line})`).toBeGreaterThan(0);
      expect(set.connections.length, `set ${set.name} (line ${set.line})`).toBeGreaterThan(0);
    }
  });

  for (const set of sets) {
    describe(`set ${set.name} (line ${set.line})`, () => {
      const options: PathOptions = { caseInsensitivePaths: set.caseInsensitivePaths };
      const all = new RuleSet(options);
      const stored = new RuleSet(options);
      const problems: string[] = [];
      for (const caseRule of set.rules) {
        let rule: Rule;
        try {
          rule = ruleOf(caseRule);
        } catch (error) {
          problems.push(`line ${caseRule.line}: the rule schema refuses rule ${caseRule.id}: ${String(error)}`);
          continue;
        }
        if (!all.put(rule)) problems.push(`line ${caseRule.line}: rule ${caseRule.id} does not compile`);
        if (isPersistentDuration(rule.duration)) stored.put(rule);
      }

      it('every rule is valid and compiles', () => {
        expect(problems).toEqual([]);
      });

      for (const conn of set.connections) {
        it(describeConnection(conn), () => {
          expect(winnerOf(all, conn, options), `line ${conn.line}: winner`).toBe(conn.winner);
          expect(winnerOf(stored, conn, options), `line ${conn.line}: winner away (stored rules only)`).toBe(
            conn.awayWinner,
          );
        });
      }
    });
  }
});

describe('parseRuleCases', () => {
  const SET = 'set s\nrule r1 app=any dest=any action=allow\n';

  function errorOf(text: string): RuleCaseError {
    try {
      parseRuleCases(text);
    } catch (error) {
      if (error instanceof RuleCaseError) return error;
      throw error;
    }
    throw new Error('the text parsed without an error');
  }

  it('reads a rule and a connection with their defaults', () => {
    const [set] = parseRuleCases(
      [
        '# a comment',
        '',
        'set one',
        'paths insensitive',
        'rule r1  app=/usr/bin/curl dest=cidr:::ffff:10.1.2.3/104 port=80-90 action=drop',
        'rule r2 app=any dest=host:Example.COM. proto=6 dir=any action=block duration=minutes updated=5 expires=9 enabled=no',
        'rule r3 app=any dest=lan action=allow duration=until-app-quits',
        'conn app=- dir=in proto=17 remote=::1 port=0 names=a.example.com,B.example.com. => r1',
        'conn app=/usr/bin/curl dir=out proto=6 remote=10.0.0.1 port=1 at=7 => r3 away=r2',
      ].join('\n'),
    );
    expect(set).toEqual({
      line: 3,
      name: 'one',
      caseInsensitivePaths: true,
      rules: [
        {
          line: 5,
          id: 'r1',
          app: { kind: 'path', path: '/usr/bin/curl' },
          destination: { kind: 'cidr', cidr: '::ffff:10.1.2.3/104' },
          port: { kind: 'range', from: 80, to: 90 },
          protocol: 'any',
          direction: 'outbound',
          action: 'drop',
          duration: 'forever',
          enabled: true,
          updatedAt: 0,
          expiresAt: null,
        },
        {
          line: 6,
          id: 'r2',
          app: { kind: 'any' },
          destination: { kind: 'host', name: 'Example.COM.' },
          port: { kind: 'any' },
          protocol: 6,
          direction: 'any',
          action: 'block',
          duration: 'minutes',
          enabled: false,
          updatedAt: 5,
          expiresAt: 9,
        },
        {
          line: 7,
          id: 'r3',
          app: { kind: 'any' },
          destination: { kind: 'lan' },
          port: { kind: 'any' },
          protocol: 'any',
          direction: 'outbound',
          action: 'allow',
          duration: 'until-app-quits',
          enabled: true,
          updatedAt: 0,
          expiresAt: null,
        },
      ],
      connections: [
        {
          line: 8,
          appPath: null,
          direction: 'inbound',
          protocol: 17,
          remote: '::1',
          port: 0,
          names: ['a.example.com', 'B.example.com.'],
          at: DEFAULT_AT,
          winner: 'r1',
          awayWinner: 'r1',
        },
        {
          line: 9,
          appPath: '/usr/bin/curl',
          direction: 'outbound',
          protocol: 6,
          remote: '10.0.0.1',
          port: 1,
          at: 7,
          names: [],
          winner: 'r3',
          awayWinner: 'r2',
        },
      ],
    });
  });

  it.each([
    ['an unknown key', `${SET}rule r2 app=any dest=any action=allow colour=red`, 3, /unknown key "colour"/],
    ['a key written twice', `${SET}rule r2 app=any dest=any action=allow action=drop`, 3, /written twice/],
    ['a missing required key', `${SET}rule r2 app=any action=allow`, 3, /missing dest=/],
    ['a conn without "=>"', `${SET}conn app=- dir=out proto=6 remote=192.0.2.1 port=1 r1`, 3, /needs "=>/],
    ['a conn with nothing after "=>"', `${SET}conn app=- dir=out proto=6 remote=192.0.2.1 port=1 =>`, 3, /after "=>"/],
    ['a bad remote address', `${SET}conn app=- dir=out proto=6 remote=192.0.2.256 port=1 => r1`, 3, /192\.0\.2\.256/],
    ['a zone id', `${SET}conn app=- dir=out proto=6 remote=fe80::1%eth0 port=1 => r1`, 3, /zone/],
    ['a bad ip rule', `set s\nrule r1 app=any dest=ip:10.0.0.01 action=allow`, 2, /not an IPv4 address/],
    ['a prefix with a leading zero', `set s\n\nrule r1 app=any dest=cidr:10.0.0.0/032 action=allow`, 3, /prefix/],
    ['a prefix too long', `set s\nrule r1 app=any dest=cidr:10.0.0.0/33 action=allow`, 2, /prefix/],
    ['an unknown destination kind', `set s\nrule r1 app=any dest=url:x action=allow`, 2, /dest=url:x/],
    ['a bad domain pattern', `set s\nrule r1 app=any dest=domain:example.com action=allow`, 2, /domain pattern/],
    ['a bad name', `${SET}conn app=- dir=out proto=6 remote=192.0.2.1 port=1 names=a..b => r1`, 3, /name "a\.\.b"/],
    ['a relative app path', `set s\nrule r1 app=curl dest=any action=allow`, 2, /app=curl/],
    ['a port out of range', `${SET}conn app=- dir=out proto=6 remote=192.0.2.1 port=65536 => r1`, 3, /port=65536/],
    ['a reversed port range', `set s\nrule r1 app=any dest=any port=9-8 action=allow`, 2, /low to high/],
    ['a number with a leading zero', `set s\nrule r1 app=any dest=any proto=06 action=allow`, 2, /proto=06/],
    ['dir=any on a connection', `${SET}conn app=- dir=any proto=6 remote=192.0.2.1 port=1 => r1`, 3, /out or in/],
    ['an unknown winner', `${SET}conn app=- dir=out proto=6 remote=192.0.2.1 port=1 => r2`, 3, /no rule "r2"/],
    [
      'a winner written below',
      `set s\nconn app=- dir=out proto=6 remote=192.0.2.1 port=1 => r1\nrule r1 app=any dest=any action=allow`,
      2,
      /no rule "r1"/,
    ],
    [
      'a memory-only winner without away',
      `set s\nrule m app=any dest=any action=allow duration=until-restart\nconn app=- dir=out proto=6 remote=192.0.2.1 port=1 => m`,
      3,
      /away=/,
    ],
    [
      'a memory-only away winner',
      `set s\nrule m app=any dest=any action=allow duration=until-restart\nconn app=- dir=out proto=6 remote=192.0.2.1 port=1 => m away=m`,
      3,
      /memory-only/,
    ],
    ['minutes without expires', `set s\nrule r1 app=any dest=any action=allow duration=minutes`, 2, /expires=/],
    ['expires without minutes', `set s\nrule r1 app=any dest=any action=allow expires=5`, 2, /duration=minutes/],
    ['a duplicate rule id', `${SET}rule r1 app=any dest=lan action=block`, 3, /used twice/],
    ['the id none', `set s\nrule none app=any dest=any action=allow`, 2, /not "none"/],
    ['a rule before any set', `rule r1 app=any dest=any action=allow`, 1, /before the first "set"/],
    ['paths insensitive after a rule', `${SET}paths insensitive`, 3, /right after/],
    ['an unknown line kind', `${SET}connection app=-`, 3, /unknown line kind/],
    ['a duplicate set name', `${SET}set s`, 3, /twice/],
  ])('rejects %s with its line number', (_title, text, line, message) => {
    const error = errorOf(text);
    expect(error.line).toBe(line);
    expect(error.message).toMatch(new RegExp(`^line ${line}: `));
    expect(error.message).toMatch(message);
  });
});
