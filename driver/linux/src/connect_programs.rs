//! The BPF programs behind `connect_owners.rs`, assembled by hand (no compiler for BPF here):
//!
//! - [`record_caller`], on the cgroup hooks of `connect(2)`: the calling process, the time, the
//!   socket's cookie, and when its program last changed (see below), under the cookie;
//! - [`copy_to_addresses`], on the cgroup `sock_ops` hook, when TCP is about to send a SYN
//!   (the local port is chosen by then, unlike at `connect(2)`'s hook): the same record under the
//!   connection's addresses and ports, so the daemon finds it from the held packet alone, without
//!   asking sock_diag for the cookie first;
//! - [`mark_change`], on the `sched_process_exec` and `sched_process_exit` tracepoints: the time a
//!   watched process ran another program or ended (after which its pid may be another process's).
//!   The daemon watches only the processes whose details it keeps; the connect records carry
//!   the time, so a record says by itself whether the details the daemon read before it still
//!   describe the process that connected.
//!
//! Every program ends at one `exit` that allows what it hooks: no path refuses a connect.

/// One `struct bpf_insn`, laid out in memory as the kernel reads it (little-endian targets:
/// the destination register in the low four bits of the second byte).
pub(crate) fn insn(code: u8, dst: u8, src: u8, off: i16, imm: i32) -> u64 {
    let mut bytes = [0u8; 8];
    bytes[0] = code;
    bytes[1] = (dst & 0x0f) | (src << 4);
    bytes[2..4].copy_from_slice(&off.to_ne_bytes());
    bytes[4..8].copy_from_slice(&imm.to_ne_bytes());
    u64::from_ne_bytes(bytes)
}

/// Instruction codes used below (`BPF_CLASS | BPF_OP | BPF_SRC`, or `| BPF_SIZE | BPF_MODE`).
pub(crate) const MOV64_REG: u8 = 0xbf;
pub(crate) const MOV64_IMM: u8 = 0xb7;
/// `w_dst = w_src`, `w_dst = imm`: the upper half of the destination becomes zero.
pub(crate) const MOV32_REG: u8 = 0xbc;
pub(crate) const MOV32_IMM: u8 = 0xb4;
pub(crate) const ADD64_IMM: u8 = 0x07;
pub(crate) const RSH64_IMM: u8 = 0x77;
pub(crate) const LOAD_W: u8 = 0x61;
pub(crate) const LOAD_DW: u8 = 0x79;
pub(crate) const STORE_W: u8 = 0x63;
pub(crate) const STORE_DW: u8 = 0x7b;
/// `*(u64 *)(dst + off) = imm`.
pub(crate) const STORE_IMM_DW: u8 = 0x7a;
pub(crate) const LOAD_IMM64: u8 = 0x18;
pub(crate) const JUMP: u8 = 0x05;
pub(crate) const JEQ_IMM: u8 = 0x15;
pub(crate) const JEQ_REG: u8 = 0x1d;
pub(crate) const JNE_IMM: u8 = 0x55;
pub(crate) const JNE_REG: u8 = 0x5d;
pub(crate) const CALL: u8 = 0x85;
pub(crate) const EXIT: u8 = 0x95;
/// `BPF_PSEUDO_MAP_FD`: the immediate of a 64-bit load is a map descriptor.
pub(crate) const PSEUDO_MAP_FD: u8 = 1;
/// Helper ids. None is restricted to GPL programs.
pub(crate) const HELPER_MAP_LOOKUP: i32 = 1;
pub(crate) const HELPER_MAP_UPDATE: i32 = 2;
pub(crate) const HELPER_MAP_DELETE: i32 = 3;
pub(crate) const HELPER_KTIME_NS: i32 = 5;
pub(crate) const HELPER_PID_TGID: i32 = 14;
pub(crate) const HELPER_SOCKET_COOKIE: i32 = 46;
/// `bpf_get_netns_cookie` (for `sock_ops` programs since Linux 5.15).
pub(crate) const HELPER_NETNS_COOKIE: i32 = 122;
/// Registers: r0 return value, r1-r5 arguments, r6-r9 kept across calls, r10 the frame pointer.
pub(crate) const R0: u8 = 0;
pub(crate) const R1: u8 = 1;
pub(crate) const R2: u8 = 2;
pub(crate) const R3: u8 = 3;
pub(crate) const R4: u8 = 4;
pub(crate) const R6: u8 = 6;
pub(crate) const R7: u8 = 7;
pub(crate) const R10: u8 = 10;

/// `BPF_SOCK_OPS_TCP_CONNECT_CB`: the `op` of a `sock_ops` call just before the SYN is built.
pub(crate) const SOCK_OPS_TCP_CONNECT: i32 = 3;
/// `AF_INET`.
pub(crate) const AF_INET: i32 = 2;
/// `IPPROTO_TCP`.
pub(crate) const IPPROTO_TCP: i32 = 6;
/// `::ffff:0:0/96`'s third word as a little-endian load of its network-order bytes.
pub(crate) const MAPPED_WORD: i32 = 0xffff_0000_u32 as i32;
/// Offsets in `struct bpf_sock_ops` (`include/uapi/linux/bpf.h`).
pub(crate) const OPS_OP: i16 = 0;
pub(crate) const OPS_FAMILY: i16 = 20;
pub(crate) const OPS_REMOTE_IP4: i16 = 24;
pub(crate) const OPS_LOCAL_IP4: i16 = 28;
pub(crate) const OPS_REMOTE_IP6: i16 = 32;
pub(crate) const OPS_LOCAL_IP6: i16 = 48;
pub(crate) const OPS_REMOTE_PORT: i16 = 64;
pub(crate) const OPS_LOCAL_PORT: i16 = 68;

/// The record's layout, in 8-byte words: who connected, when, the socket's cookie (which also
/// tells a record copied out while the LRU map reused its entry from the socket's own), and
/// when the caller's program last changed (`u64::MAX`: not watched, unknown).
pub(crate) const RECORD_WORDS: usize = 4;

/// The key of a record by addresses (`copy_to_addresses`): 56 bytes, as four `u32` words
/// (family, local port in host order, the remote port as `bpf_sock_ops` gives it, zero), the
/// cookie of the socket's network namespace (the same addresses may be in use in another), and
/// the local and remote addresses, 16 bytes each (an IPv4 one in the first four, the rest zero).
pub(crate) const ADDRESS_KEY_BYTES: usize = 56;

/// `map[cookie] = (caller, now, cookie, changed[caller] or u64::MAX); return 1 (allow)`.
/// A connect of the socket again (by the same process or another) replaces the record. Not for
/// a TCP connect to 127.0.0.1 or ::1 (or ::ffff:127.0.0.1): it goes over loopback, which the
/// daemon never holds, and local servers are connected to often (the record would cost each such
/// connect about 0.5 µs); such a connect deletes the socket's record instead, which an earlier
/// connect of the socket may have left (a TCP socket may connect again after a refused
/// connect, and another process may hold it by then). UDP ones are still recorded: the DNS log
/// names the process that asked a resolver on loopback by its socket's record. `ipv6`: for the
/// IPv6 hook (each hook's program may read only its own family's address).
pub(crate) fn record_caller(records_fd: i32, changes_fd: i32, ipv6: bool) -> Vec<u64> {
    // The stack: the cookie (key) at fp-8, the record at fp-40, the watched pid at fp-48.
    const KEY: i16 = -8;
    const PID: i16 = -40;
    const TIME: i16 = -32;
    const COOKIE: i16 = -24;
    const CHANGED: i16 = -16;
    const WATCHED: i16 = -48;
    let mut program = vec![insn(MOV64_REG, R6, R1, 0, 0)]; // r6 = ctx
    let skips = skip_tcp_to_localhost(&mut program, ipv6);
    let record = program.len();
    program.extend([
        insn(CALL, 0, 0, 0, HELPER_PID_TGID), // r0 = tgid << 32 | pid
        insn(RSH64_IMM, R0, 0, 0, 32),        // r0 = tgid, the process id
        insn(STORE_DW, R10, R0, PID, 0),      // record.pid
        insn(STORE_DW, R10, R0, WATCHED, 0),  // the changes key (low 4 bytes)
        insn(MOV64_REG, R1, R6, 0, 0),        // r1 = ctx
        insn(CALL, 0, 0, 0, HELPER_SOCKET_COOKIE), // r0 = the socket's cookie
        insn(STORE_DW, R10, R0, KEY, 0),      // key
        insn(STORE_DW, R10, R0, COOKIE, 0),   // record.cookie
        insn(CALL, 0, 0, 0, HELPER_KTIME_NS), // r0 = now
        insn(STORE_DW, R10, R0, TIME, 0),     // record.time
    ]);
    program.extend(map_and_key(changes_fd, WATCHED)); // changes, &pid
    program.extend([
        insn(CALL, 0, 0, 0, HELPER_MAP_LOOKUP), // r0 = &changes[pid] or null
        insn(MOV64_IMM, R1, 0, 0, -1),          // r1 = u64::MAX (unknown)
        insn(JEQ_IMM, R0, 0, 1, 0),             // not watched: keep it
        insn(LOAD_DW, R1, R0, 0, 0),            // r1 = changes[pid]
        insn(STORE_DW, R10, R1, CHANGED, 0),    // record.changed
    ]);
    program.extend(map_and_key(records_fd, KEY)); // records, &key
    program.extend([
        insn(MOV64_REG, R3, R10, 0, 0), // r3 = &record
        insn(ADD64_IMM, R3, 0, 0, PID.into()),
        insn(MOV64_IMM, R4, 0, 0, 0),           // BPF_ANY
        insn(CALL, 0, 0, 0, HELPER_MAP_UPDATE), // a full map evicts its oldest
    ]);
    let recorded = program.len();
    program.push(insn(JUMP, 0, 0, 0, 0)); // out (patched)
                                          // Skipped: the socket's record, if an earlier connect left one, goes.
    let forget = program.len();
    program.extend([
        insn(MOV64_REG, R1, R6, 0, 0),
        insn(CALL, 0, 0, 0, HELPER_SOCKET_COOKIE),
        insn(STORE_DW, R10, R0, KEY, 0),
    ]);
    program.extend(map_and_key(records_fd, KEY));
    program.push(insn(CALL, 0, 0, 0, HELPER_MAP_DELETE));
    let out = program.len();
    program.extend([
        insn(MOV64_IMM, R0, 0, 0, 1), // allow the connect, always
        insn(EXIT, 0, 0, 0, 0),
    ]);
    set_jump(&mut program, recorded, out);
    for (at, skip) in skips {
        set_jump(&mut program, at, if skip { forget } else { record });
    }
    program
}

/// Offsets in `struct bpf_sock_addr`: the address connected to (network order), the protocol.
const ADDR_USER_IP4: i16 = 4;
const ADDR_USER_IP6: i16 = 8;
const ADDR_PROTOCOL: i16 = 36;
/// 127.0.0.1 and the last word of ::1, as little-endian loads of their network-order bytes.
const LOCALHOST_WORD: i32 = 0x0100_007f;
const IPV6_LOCALHOST_LAST_WORD: i32 = 0x0100_0000;

/// Appends the test of [`record_caller`]'s skip: a TCP connect to 127.0.0.1, ::1 or
/// ::ffff:127.0.0.1. Returns its jumps to patch: (at, true) to the skip, (at, false) to the
/// record.
fn skip_tcp_to_localhost(program: &mut Vec<u64>, ipv6: bool) -> Vec<(usize, bool)> {
    let mut jumps = Vec::new();
    let mut jump = |program: &mut Vec<u64>, instruction: u64, to_out: bool| {
        jumps.push((program.len(), to_out));
        program.push(instruction);
    };
    program.push(insn(LOAD_W, R2, R6, ADDR_PROTOCOL, 0));
    jump(program, insn(JNE_IMM, R2, 0, 0, IPPROTO_TCP), false);
    if !ipv6 {
        program.push(insn(LOAD_W, R2, R6, ADDR_USER_IP4, 0));
        jump(program, insn(JEQ_IMM, R2, 0, 0, LOCALHOST_WORD), true);
        jump(program, insn(JUMP, 0, 0, 0, 0), false);
        return jumps;
    }
    for word in 0..2 {
        program.push(insn(LOAD_W, R2, R6, ADDR_USER_IP6 + 4 * word, 0));
        jump(program, insn(JNE_IMM, R2, 0, 0, 0), false);
    }
    program.push(insn(LOAD_W, R2, R6, ADDR_USER_IP6 + 8, 0));
    program.push(insn(LOAD_W, R4, R6, ADDR_USER_IP6 + 12, 0));
    // ::1: the third word zero too.
    program.push(insn(JNE_IMM, R2, 0, 2, 0));
    jump(
        program,
        insn(JEQ_IMM, R4, 0, 0, IPV6_LOCALHOST_LAST_WORD),
        true,
    );
    jump(program, insn(JUMP, 0, 0, 0, 0), false);
    // ::ffff:127.0.0.1 (a 32-bit move: the loaded word is zero-extended, the immediate would
    // be sign-extended).
    program.push(insn(MOV32_IMM, R3, 0, 0, MAPPED_WORD));
    jump(program, insn(JNE_REG, R2, R3, 0, 0), false);
    jump(program, insn(JEQ_IMM, R4, 0, 0, LOCALHOST_WORD), true);
    jump(program, insn(JUMP, 0, 0, 0, 0), false);
    jumps
}

/// `r1 = map; r2 = &stack[key]`: the first two arguments of every map helper (the 64-bit load
/// of a map descriptor takes two instructions).
pub(crate) fn map_and_key(map_fd: i32, key: i16) -> [u64; 4] {
    [
        insn(LOAD_IMM64, R1, PSEUDO_MAP_FD, 0, map_fd),
        insn(0, 0, 0, 0, 0),
        insn(MOV64_REG, R2, R10, 0, 0),
        insn(ADD64_IMM, R2, 0, 0, key.into()),
    ]
}

/// At `BPF_SOCK_OPS_TCP_CONNECT_CB`: `by_addresses[key] = records[cookie] + key` (the value
/// ends with its own key, so a reader can tell a copy of an entry the LRU map reused for
/// another key), or the key's entry deleted when the socket has no record of its own or the
/// copy fails (so an entry never outlives the connection it was copied for into the next one
/// with the same addresses); a connection to its own address (loopback, never held): nothing;
/// any other `op`: nothing. Returns 1. An IPv6 socket's connection
/// to an IPv4-mapped address is keyed as the IPv4 connection its packets show: keyed as IPv6,
/// it would leave an older entry of the same IPv4 addresses in place, for another process.
pub(crate) fn copy_to_addresses(records_fd: i32, by_addresses_fd: i32) -> Vec<u64> {
    // The stack: the cookie at fp-8, the address key at fp-72 (56 bytes, to fp-17), the value
    // at fp-104: the record (32 bytes) then the key.
    const COOKIE: i16 = -8;
    const KEY: i16 = -72;
    const VALUE: i16 = -104;
    const NETNS: i16 = KEY + 16;
    const LOCAL: i16 = KEY + 24;
    const REMOTE: i16 = KEY + 40;
    let mut program = vec![
        insn(MOV64_REG, R6, R1, 0, 0),                 // r6 = ctx
        insn(LOAD_W, R2, R6, OPS_OP, 0),               // r2 = ctx->op
        insn(JNE_IMM, R2, 0, 0, SOCK_OPS_TCP_CONNECT), // not a connect: out (patched)
        insn(MOV64_REG, R1, R6, 0, 0),
        insn(CALL, 0, 0, 0, HELPER_SOCKET_COOKIE), // r0 = the cookie
        insn(STORE_DW, R10, R0, COOKIE, 0),
        insn(LOAD_W, R7, R6, OPS_FAMILY, 0), // r7 = family
        insn(STORE_W, R10, R7, KEY, 0),      // key.family
        insn(LOAD_W, R2, R6, OPS_LOCAL_PORT, 0),
        insn(STORE_W, R10, R2, KEY + 4, 0), // key.local_port
        insn(LOAD_W, R2, R6, OPS_REMOTE_PORT, 0),
        insn(STORE_W, R10, R2, KEY + 8, 0), // key.remote_port
        insn(MOV64_IMM, R2, 0, 0, 0),
        insn(STORE_W, R10, R2, KEY + 12, 0), // key[12..16] = 0
        insn(MOV64_REG, R1, R6, 0, 0),
        insn(CALL, 0, 0, 0, HELPER_NETNS_COOKIE), // r0 = the socket's namespace's cookie
        insn(STORE_DW, R10, R0, NETNS, 0),        // key.netns
    ];
    for word in 0..4 {
        // Both addresses zeroed (an IPv4 one fills only its first four bytes).
        program.push(insn(STORE_IMM_DW, R10, 0, LOCAL + 8 * word, 0));
    }
    let to_ipv6 = program.len();
    program.push(insn(JNE_IMM, R7, 0, 0, AF_INET)); // IPv6 below (patched)
    program.extend([
        insn(LOAD_W, R2, R6, OPS_LOCAL_IP4, 0),
        insn(STORE_W, R10, R2, LOCAL, 0),
        insn(LOAD_W, R2, R6, OPS_REMOTE_IP4, 0),
        insn(STORE_W, R10, R2, REMOTE, 0),
    ]);
    let ipv4_to_lookup = program.len();
    program.push(insn(JUMP, 0, 0, 0, 0)); // to the lookup (patched)

    // IPv6: a mapped remote address (::ffff:a.b.c.d) makes it an IPv4 connection.
    let ipv6 = program.len();
    program.extend([
        insn(LOAD_W, R2, R6, OPS_REMOTE_IP6, 0),
        insn(JNE_IMM, R2, 0, 0, 0), // native (patched)
        insn(LOAD_W, R2, R6, OPS_REMOTE_IP6 + 4, 0),
        insn(JNE_IMM, R2, 0, 0, 0), // native (patched)
        insn(LOAD_W, R2, R6, OPS_REMOTE_IP6 + 8, 0),
        // A 32-bit move: the register holds the word zero-extended, as the load left r2.
        insn(MOV32_IMM, R3, 0, 0, MAPPED_WORD),
        insn(JNE_REG, R2, R3, 0, 0), // native (patched)
        insn(MOV64_IMM, R2, 0, 0, AF_INET),
        insn(STORE_W, R10, R2, KEY, 0), // key.family = AF_INET
        insn(LOAD_W, R2, R6, OPS_LOCAL_IP6 + 12, 0),
        insn(STORE_W, R10, R2, LOCAL, 0),
        insn(LOAD_W, R2, R6, OPS_REMOTE_IP6 + 12, 0),
        insn(STORE_W, R10, R2, REMOTE, 0),
    ]);
    let mapped_to_lookup = program.len();
    program.push(insn(JUMP, 0, 0, 0, 0)); // to the lookup (patched)
    let native = program.len();
    for word in 0..4 {
        program.push(insn(LOAD_W, R2, R6, OPS_LOCAL_IP6 + 4 * word, 0));
        program.push(insn(STORE_W, R10, R2, LOCAL + 4 * word, 0));
    }
    for word in 0..4 {
        program.push(insn(LOAD_W, R2, R6, OPS_REMOTE_IP6 + 4 * word, 0));
        program.push(insn(STORE_W, R10, R2, REMOTE + 4 * word, 0));
    }
    // A connection to its own address (127.0.0.1 to 127.0.0.1, ::1 to ::1, the host's address to
    // itself) goes over loopback, which the daemon never holds: no copy, and none is ever made
    // for those addresses, so no entry of theirs can be left behind either.
    let lookup = program.len();
    program.extend([
        insn(LOAD_DW, R2, R10, LOCAL, 0),
        insn(LOAD_DW, R3, R10, REMOTE, 0),
        insn(JNE_REG, R2, R3, 3, 0), // different: copy
        insn(LOAD_DW, R2, R10, LOCAL + 8, 0),
        insn(LOAD_DW, R3, R10, REMOTE + 8, 0),
    ]);
    let own_address = program.len();
    program.push(insn(JEQ_REG, R2, R3, 0, 0)); // the same: out (patched)
    program.extend(map_and_key(records_fd, COOKIE));
    program.push(insn(CALL, 0, 0, 0, HELPER_MAP_LOOKUP)); // r0 = &records[cookie] or null
    let no_record = program.len();
    program.push(insn(JEQ_IMM, R0, 0, 0, 0)); // delete (patched)

    // The record into the value, its cookie last, then that copy checked against the
    // socket's: an entry the LRU map reused meanwhile for another socket has another cookie.
    // Best effort: a reuse that overlaps the copy may write the cookie word after others (the
    // kernel's copy has no fixed order). It needs the map to evict this socket's record, just
    // written at its connect, within the nanoseconds of the copy; a record kept in the socket's
    // own storage would rule it out (Linux 5.10 and later).
    for word in [0, 1, 3, 2] {
        program.push(insn(LOAD_DW, R1, R0, 8 * word, 0));
        program.push(insn(STORE_DW, R10, R1, VALUE + 8 * word, 0));
    }
    program.push(insn(LOAD_DW, R2, R10, COOKIE, 0));
    let other_socket = program.len();
    program.push(insn(JNE_REG, R1, R2, 0, 0)); // delete (patched)
    program.extend(map_and_key(by_addresses_fd, KEY));
    program.extend([
        insn(MOV64_REG, R3, R10, 0, 0),
        insn(ADD64_IMM, R3, 0, 0, VALUE.into()),
        insn(MOV64_IMM, R4, 0, 0, 0), // BPF_ANY
        insn(CALL, 0, 0, 0, HELPER_MAP_UPDATE),
    ]);
    let copied = program.len();
    program.push(insn(JEQ_IMM, R0, 0, 0, 0)); // out (patched); a failed copy: delete
    let delete = program.len();
    program.extend(map_and_key(by_addresses_fd, KEY));
    program.push(insn(CALL, 0, 0, 0, HELPER_MAP_DELETE));
    let out = program.len();
    program.extend([insn(MOV64_IMM, R0, 0, 0, 1), insn(EXIT, 0, 0, 0, 0)]);
    let jumps = [
        (2, out),
        (to_ipv6, ipv6),
        (ipv4_to_lookup, lookup),
        (ipv6 + 1, native),
        (ipv6 + 3, native),
        (ipv6 + 6, native),
        (mapped_to_lookup, lookup),
        (own_address, out),
        (no_record, delete),
        (other_socket, delete),
        (copied, out),
    ];
    for (at, to) in jumps {
        set_jump(&mut program, at, to);
    }
    program
}

/// `changes[tgid] = now` if the process is watched (an entry is there), for the thread group's
/// leader only: the exec of any thread makes it the leader, and a pid is free for reuse only
/// after its leader ended. Returns 0.
pub(crate) fn mark_change(changes_fd: i32) -> Vec<u64> {
    const WATCHED: i16 = -8;
    let mut program = vec![
        insn(CALL, 0, 0, 0, HELPER_PID_TGID), // 0: r0 = tgid << 32 | pid
        insn(MOV64_REG, R6, R0, 0, 0),        // 1
        insn(RSH64_IMM, R6, 0, 0, 32),        // 2: r6 = tgid
        insn(MOV32_REG, R0, R0, 0, 0),        // 3: r0 = pid (the thread's)
        insn(JNE_REG, R0, R6, 0, 0),          // 4: not the leader: out (patched)
        insn(STORE_DW, R10, R6, WATCHED, 0),  // 5: key (low 4 bytes)
        insn(CALL, 0, 0, 0, HELPER_KTIME_NS), // 6
        insn(MOV64_REG, R7, R0, 0, 0),        // 7: r7 = now
    ];
    program.extend(map_and_key(changes_fd, WATCHED)); // 8-11: changes, &tgid
    program.extend([
        insn(CALL, 0, 0, 0, HELPER_MAP_LOOKUP), // 12
        insn(JEQ_IMM, R0, 0, 1, 0),             // 13: not watched: out
        insn(STORE_DW, R0, R7, 0, 0),           // 14: changes[tgid] = now
        insn(MOV64_IMM, R0, 0, 0, 0),           // 15: out
        insn(EXIT, 0, 0, 0, 0),                 // 16
    ]);
    set_jump(&mut program, 4, 15);
    program
}

/// Points the jump at `at` to instruction `to` (a later one). The programs are built right
/// above with both in range. Were one not (a target at or behind the jump, or out of reach),
/// the offset points before the program's start, which the verifier refuses: a mistake fails
/// the load (the daemon then names processes through `/proc`) rather than jumping somewhere.
pub(crate) fn set_jump(program: &mut [u64], at: usize, to: usize) {
    let offset = to
        .checked_sub(at + 1)
        .and_then(|ahead| i16::try_from(ahead).ok())
        .unwrap_or(i16::MIN);
    if let Some(instruction) = program.get_mut(at) {
        let mut bytes = instruction.to_ne_bytes();
        bytes[2..4].copy_from_slice(&offset.to_ne_bytes());
        *instruction = u64::from_ne_bytes(bytes);
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing, clippy::unwrap_used)]
mod tests {
    use super::*;

    fn code(instruction: u64) -> u8 {
        instruction.to_ne_bytes()[0]
    }

    fn offset(instruction: u64) -> i16 {
        let b = instruction.to_ne_bytes();
        i16::from_ne_bytes([b[2], b[3]])
    }

    fn imm(instruction: u64) -> i32 {
        let b = instruction.to_ne_bytes();
        i32::from_ne_bytes([b[4], b[5], b[6], b[7]])
    }

    #[test]
    fn a_jump_that_cannot_be_encoded_points_before_the_program() {
        let mut program = vec![insn(JUMP, 0, 0, 0, 0); 4];
        set_jump(&mut program, 1, 3);
        assert_eq!(offset(program[1]), 1);
        set_jump(&mut program, 2, 3);
        assert_eq!(offset(program[2]), 0);
        for (at, to) in [(2, 1), (2, 2), (0, 40_000)] {
            set_jump(&mut program, at, to);
            assert_eq!(offset(program[at]), i16::MIN, "{at} to {to}");
        }
    }

    #[test]
    fn instructions_are_laid_out_as_the_kernel_reads_them() {
        let bytes = insn(STORE_DW, R10, R0, -16, 0x0102_0304).to_ne_bytes();
        assert_eq!(bytes[0], 0x7b);
        assert_eq!(bytes[1], 0x0a, "dst r10 low, src r0 high");
        assert_eq!(i16::from_ne_bytes([bytes[2], bytes[3]]), -16);
        assert_eq!(
            i32::from_ne_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]),
            0x0102_0304
        );
        assert_eq!(insn(MOV64_REG, R1, R6, 0, 0).to_ne_bytes()[1], 0x61);
    }

    /// Every jump goes forward and lands inside the program; the only `exit` is the last
    /// instruction, right after `r0 = returned`: whatever path a call takes, it ends there.
    fn assert_one_exit_returning(program: &[u64], returned: i32) {
        let last = program.len() - 1;
        assert_eq!(code(program[last]), EXIT);
        assert_eq!(
            (code(program[last - 1]), imm(program[last - 1])),
            (MOV64_IMM, returned)
        );
        assert_eq!(program[last - 1].to_ne_bytes()[1] & 0x0f, R0);
        for (at, &instruction) in program.iter().enumerate() {
            let c = code(instruction);
            if c & 0x07 == 0x05 && c != CALL && c != EXIT {
                let to = at as i64 + 1 + i64::from(offset(instruction));
                assert!(to > at as i64 && to <= last as i64, "jump at {at} to {to}");
                // None lands on the second half of a 64-bit load.
                assert_ne!(code(program[to as usize - 1]), LOAD_IMM64, "jump at {at}");
            }
            assert!(c != EXIT || at == last, "another exit at {at}");
        }
    }

    /// The map descriptors are where the helpers expect them, as maps (src = PSEUDO_MAP_FD).
    fn map_loads(program: &[u64]) -> Vec<i32> {
        program
            .iter()
            .filter(|i| code(**i) == LOAD_IMM64 && i.to_ne_bytes()[1] >> 4 == PSEUDO_MAP_FD)
            .map(|i| imm(*i))
            .collect()
    }

    #[test]
    fn the_connect_program_always_allows_and_reads_changes_before_writing_records() {
        for ipv6 in [false, true] {
            let program = record_caller(7, 9, ipv6);
            assert_one_exit_returning(&program, 1);
            assert_eq!(map_loads(&program), [9, 7, 7]);
            let last = program.len() - 1;
            let update = program
                .iter()
                .position(|i| code(*i) == CALL && imm(*i) == HELPER_MAP_UPDATE)
                .unwrap();
            // Recorded: on to the exit's `r0 = 1`.
            assert_eq!(
                (code(program[update + 1]), offset(program[update + 1])),
                (JUMP, (last - 1 - (update + 2)) as i16)
            );
            // Skipped: the record deleted, in the same map, by the same key.
            let forget = update + 2;
            assert_eq!(
                (code(program[last - 2]), imm(program[last - 2])),
                (CALL, HELPER_MAP_DELETE)
            );
            assert_eq!(imm(program[forget + 1]), HELPER_SOCKET_COOKIE);
            assert_eq!(map_loads(&program[forget..]), [7]);
            // Not watched: u64::MAX stays in r1, the value of an unknown change.
            let unknown = program
                .iter()
                .position(|i| code(*i) == MOV64_IMM && imm(*i) == -1)
                .unwrap();
            assert_eq!(code(program[unknown - 1]), CALL);
            assert_eq!(
                (code(program[unknown + 1]), offset(program[unknown + 1])),
                (JEQ_IMM, 1)
            );
            // The skip's jumps stay within it or land on the record's first call or on the
            // deletion; the skip reads the protocol first.
            let record = program
                .iter()
                .position(|i| code(*i) == CALL && imm(*i) == HELPER_PID_TGID)
                .unwrap();
            assert_eq!(
                (code(program[1]), offset(program[1])),
                (LOAD_W, ADDR_PROTOCOL)
            );
            let mut to_exit = 0;
            for (at, &instruction) in program[..record].iter().enumerate() {
                let c = code(instruction);
                if c & 0x07 == 0x05 {
                    let to = (at as i64 + 1 + i64::from(offset(instruction))) as usize;
                    assert!(to <= record || to == forget, "jump at {at} to {to}");
                    to_exit += usize::from(to == forget);
                }
            }
            assert_eq!(
                to_exit,
                if ipv6 { 2 } else { 1 },
                "::1 and mapped, or 127.0.0.1"
            );
        }
    }

    #[test]
    fn the_sock_ops_program_copies_or_deletes_and_always_returns_one() {
        let program = copy_to_addresses(7, 8);
        assert_one_exit_returning(&program, 1);
        assert_eq!(map_loads(&program), [7, 8, 8]);
        let calls: Vec<i32> = program
            .iter()
            .filter(|i| code(**i) == CALL)
            .map(|i| imm(*i))
            .collect();
        assert_eq!(
            calls,
            [
                HELPER_SOCKET_COOKIE,
                HELPER_NETNS_COOKIE,
                HELPER_MAP_LOOKUP,
                HELPER_MAP_UPDATE,
                HELPER_MAP_DELETE
            ]
        );
        // Only TCP_CONNECT_CB gets past the first test.
        assert_eq!(
            (code(program[2]), imm(program[2])),
            (JNE_IMM, SOCK_OPS_TCP_CONNECT)
        );
        // Every byte of the 56-byte key is written before the map calls read it.
        let mut written = [false; ADDRESS_KEY_BYTES];
        for &i in &program {
            let (c, dst, at) = (code(i), i.to_ne_bytes()[1] & 0x0f, i64::from(offset(i)));
            let size = match c {
                STORE_W => 4,
                STORE_DW | STORE_IMM_DW => 8,
                _ => continue,
            };
            if dst == R10 && (-72..-16).contains(&at) {
                for byte in at..at + size {
                    written[(byte + 72) as usize] = true;
                }
            }
        }
        assert!(written.iter().all(|&w| w), "{written:?}");
    }

    #[test]
    fn the_change_program_marks_leaders_only_and_returns_zero() {
        let program = mark_change(5);
        assert_one_exit_returning(&program, 0);
        assert_eq!(map_loads(&program), [5]);
        assert_eq!((code(program[4]), offset(program[4])), (JNE_REG, 10));
        assert_eq!(code(program[14]), STORE_DW);
    }
}
