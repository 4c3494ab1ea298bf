/**
 * One schema change. `sql` runs inside a transaction together with the `user_version` bump.
 * Never edit a shipped migration: databases in the field already ran it. Add a new one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The schema history, oldest first; versions run 1, 2, 3... without gaps. The literals in
 * CHECK constraints are copied on purpose (not built from app/contract): a migration must
 * stay what it was when it shipped.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'rules and settings',
    sql: `
      CREATE TABLE rules (
        id TEXT PRIMARY KEY NOT NULL,
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        expires_at INTEGER,
        action TEXT NOT NULL,
        direction TEXT NOT NULL,
        -- The nested matchers, as JSON; validated with ruleSchema when read back.
        app TEXT NOT NULL CHECK (json_valid(app)),
        destination TEXT NOT NULL CHECK (json_valid(destination)),
        port TEXT NOT NULL CHECK (json_valid(port)),
        protocol TEXT NOT NULL CHECK (json_valid(protocol)),
        duration TEXT NOT NULL CHECK (json_valid(duration)),
        duration_kind TEXT GENERATED ALWAYS AS (json_extract(duration, '$.kind')) VIRTUAL,
        notes TEXT NOT NULL,
        hit_count INTEGER NOT NULL DEFAULT 0 CHECK (hit_count >= 0),
        last_hit_at INTEGER
      ) STRICT;
      CREATE INDEX rules_enabled ON rules (enabled);
      CREATE INDEX rules_created ON rules (created_at);
      CREATE INDEX rules_expires ON rules (expires_at) WHERE expires_at IS NOT NULL;
      CREATE INDEX rules_duration_kind ON rules (duration_kind);

      CREATE TABLE settings (
        key TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL CHECK (json_valid(value))
      ) WITHOUT ROWID, STRICT;
    `,
  },
  {
    version: 2,
    name: 'connection history',
    sql: `
      CREATE TABLE history (
        -- Insertion order; retention deletes by (started_at, seq).
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        pid INTEGER NOT NULL,
        app_path TEXT NOT NULL,
        uid INTEGER,
        direction TEXT NOT NULL CHECK (direction IN ('outbound', 'inbound')),
        protocol INTEGER NOT NULL CHECK (protocol BETWEEN 0 AND 255),
        local_ip TEXT NOT NULL,
        local_port INTEGER NOT NULL CHECK (local_port BETWEEN 0 AND 65535),
        remote_ip TEXT NOT NULL,
        remote_port INTEGER NOT NULL CHECK (remote_port BETWEEN 0 AND 65535),
        host_name TEXT,
        verdict TEXT NOT NULL CHECK (verdict IN ('allow', 'block', 'drop')),
        -- No foreign key: history outlives the rule (a 'once' rule is gone before the batch lands).
        rule_id TEXT,
        bytes_sent INTEGER NOT NULL DEFAULT 0 CHECK (bytes_sent >= 0),
        bytes_received INTEGER NOT NULL DEFAULT 0 CHECK (bytes_received >= 0)
      ) STRICT;
      CREATE INDEX history_started ON history (started_at);
      CREATE INDEX history_app_started ON history (app_path, started_at);
    `,
  },
  {
    version: 3,
    name: 'per-app bandwidth buckets',
    sql: `
      -- resolution is the bucket width in ms: 1 s, 1 min, 1 h. ts is the bucket start.
      CREATE TABLE bandwidth (
        app TEXT NOT NULL,
        resolution INTEGER NOT NULL CHECK (resolution IN (1000, 60000, 3600000)),
        ts INTEGER NOT NULL,
        tx INTEGER NOT NULL CHECK (tx >= 0),
        rx INTEGER NOT NULL CHECK (rx >= 0),
        PRIMARY KEY (app, resolution, ts)
      ) WITHOUT ROWID, STRICT;
      -- All-apps series and downsampling walk by time; covering, so no lookups into the table.
      CREATE INDEX bandwidth_time ON bandwidth (resolution, ts, tx, rx);
    `,
  },
  {
    version: 4,
    name: 'history search',
    sql: `
      -- Names compare as DNS compares them; new rows are written in lower case.
      UPDATE history SET host_name = lower(host_name) WHERE host_name <> lower(host_name);
      -- Every name and app path the history holds, so that a subdomain or free-text search
      -- scans these short lists and then reads the history through its indexes.
      CREATE TABLE history_hosts (name TEXT PRIMARY KEY) WITHOUT ROWID, STRICT;
      INSERT OR IGNORE INTO history_hosts SELECT host_name FROM history WHERE host_name IS NOT NULL;
      CREATE TABLE history_apps (path TEXT PRIMARY KEY) WITHOUT ROWID, STRICT;
      INSERT OR IGNORE INTO history_apps SELECT app_path FROM history;
      -- An index for each selective filter of the History view, each ending in started_at so
      -- that a page newest first is read in index order. Every index costs each insert, which
      -- runs on the engine's thread: direction and protocol (two or three values, whose pages
      -- the time index finds at once) and the sorts other than by time have none.
      CREATE INDEX history_host_started ON history (host_name, started_at);
      CREATE INDEX history_remote_started ON history (remote_ip, started_at);
      CREATE INDEX history_port_started ON history (remote_port, started_at);
      CREATE INDEX history_verdict_started ON history (verdict, started_at);
      CREATE INDEX history_rule_started ON history (rule_id, started_at) WHERE rule_id IS NOT NULL;
    `,
  },
  {
    version: 5,
    name: 'history sorts and direction',
    sql: `
      -- Inbound connections are a tenth or less of the history: read by time alone, a count or a
      -- deep page of them walked the whole history (160 ms over a million rows).
      CREATE INDEX history_direction_started ON history (direction, started_at);
      -- The History view's other sorts, read in index order instead of sorting every match
      -- (0.2 to 1.5 s over a million rows). Host A→Z puts connections without a name last:
      -- '~' sorts after every character a stored (lower-case, ASCII) name holds; Z→A reads
      -- history_host_started backwards, where they come last anyway. started_at makes each
      -- covering for the page's first step (history-store.ts, search).
      CREATE INDEX history_host_sort ON history (coalesce(host_name, '~'), started_at);
      CREATE INDEX history_bytes_sort ON history (bytes_sent + bytes_received, started_at);
      -- Written exactly as history-search.ts orders by duration (open connections count as the longest).
      CREATE INDEX history_duration_sort ON history (coalesce(ended_at, 9007199254740991) - started_at, started_at);
    `,
  },
  {
    version: 6,
    name: 'dns log',
    sql: `
      -- One row per DNS answer the Linux daemon saw (app/contract/dns-log.ts). seq is the row's id:
      -- insertion order, which also orders answers logged in the same millisecond. AUTOINCREMENT:
      -- never reused, not even after a clear or a retention that deleted every answer.
      CREATE TABLE dns_log (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL CHECK (at >= 0),
        pid INTEGER NOT NULL CHECK (pid >= 0),
        app_path TEXT NOT NULL,
        uid INTEGER CHECK (uid >= 0),
        name TEXT NOT NULL CHECK (name <> ''),
        qtype INTEGER NOT NULL CHECK (qtype BETWEEN 0 AND 65535),
        -- 12 bits with the EDNS extension; the daemon sends the 4-bit header code today.
        rcode INTEGER NOT NULL CHECK (rcode BETWEEN 0 AND 4095),
        -- Derived from rcode and the addresses (dnsOutcomeOf) when written, so that the outcome
        -- filter reads an index instead of testing both for every answer.
        outcome TEXT NOT NULL CHECK (outcome IN ('addresses', 'no-address', 'no-such-name', 'error')),
        -- Canonical address texts joined by single spaces ('' for none): a free-text LIKE reads
        -- them as they are shown, and an address holds no space, so the list splits back exactly.
        addresses TEXT NOT NULL CHECK (addresses = trim(addresses) AND instr(addresses, '  ') = 0),
        ttl INTEGER NOT NULL CHECK (ttl >= 0),
        resolver TEXT NOT NULL
      ) STRICT;
      -- Each index costs every insert (a batch a second on the engine's thread), so one per
      -- selective filter, each ending in at so that a page newest first is read in index order
      -- and a count reads the index alone: the time range (and retention), the app, the outcome
      -- (no-such-name and error are a few in a hundred), and the name, which a free-text search
      -- reaches through dns_log_names below.
      CREATE INDEX dns_log_at ON dns_log (at);
      CREATE INDEX dns_log_app_at ON dns_log (app_path, at);
      CREATE INDEX dns_log_outcome_at ON dns_log (outcome, at);
      CREATE INDEX dns_log_name_at ON dns_log (name, at);
      -- Short lists that a free-text search scans first (dns-log-search.ts): every name, app path
      -- and (address, name) pair the log holds, with the last time each was logged, so that
      -- retention can drop those no answer kept refers to.
      CREATE TABLE dns_log_names (
        name TEXT PRIMARY KEY,
        last_at INTEGER NOT NULL
      ) WITHOUT ROWID, STRICT;
      CREATE TABLE dns_log_apps (
        path TEXT PRIMARY KEY,
        last_at INTEGER NOT NULL
      ) WITHOUT ROWID, STRICT;
      CREATE TABLE dns_log_addresses (
        address TEXT NOT NULL,
        name TEXT NOT NULL,
        last_at INTEGER NOT NULL,
        PRIMARY KEY (address, name)
      ) WITHOUT ROWID, STRICT;
    `,
  },
  {
    version: 7,
    name: 'history walk by time',
    sql: `
      -- A free text many connections match, and a protocol (no index of its own), are read newest
      -- first by time, testing each connection (history-search.ts, the walk). Through
      -- history_started each test read the connection's row from the table: a page 50 000 deep of
      -- such a text took 87-130 ms over a million rows. This index holds every column those tests
      -- read, so the walk reads it alone. It starts with (started_at, seq), the order of a page,
      -- ties in insertion order. Rows arrive in time order, so an insert adds to its end: a batch
      -- writes a few new pages of it, not a page at a random place per row as the app and host
      -- indexes do.
      CREATE INDEX history_walk ON history (started_at, seq, protocol, remote_ip, app_path, host_name);
    `,
  },
  {
    version: 8,
    name: 'rules of a profile',
    sql: `
      -- The profile a rule belongs to (app/contract/profiles.ts); NULL: always on. Rules are read
      -- all at once at start, so no index. Existing rules stay always on.
      ALTER TABLE rules ADD COLUMN profile TEXT CHECK (profile IS NULL OR length(profile) BETWEEN 1 AND 64);
    `,
  },
  {
    version: 9,
    name: 'learned proposals',
    sql: `
      -- What learning allowed and proposes as rules, until the user reviews it (app/engine/learning.ts).
      -- Written in batches by the runtime's tick; read whole at start (at most 10 000 rows).
      CREATE TABLE learned (
        id TEXT PRIMARY KEY NOT NULL,
        key TEXT NOT NULL UNIQUE,
        app_key TEXT NOT NULL,
        rule TEXT NOT NULL CHECK (json_valid(rule)),
        connections INTEGER NOT NULL CHECK (connections > 0),
        first_at INTEGER NOT NULL,
        last_at INTEGER NOT NULL
      ) STRICT;
    `,
  },
];
