//! The BPF program behind `tcp_ends.rs`, assembled by hand like those of `connect_programs.rs`:
//! on the cgroup `sock_ops` hook, it asks for state-change callbacks on the TCP connections of
//! the daemon's network namespace that may be held (not those to their own address or between
//! two loopback addresses, which go over loopback, whose packets the rules never queue), and when one of them closes it notes its end, byte counts and addresses in a map
//! under the socket's cookie and the time of the end. This replaces the kernel's socket-destroy
//! events, which cost every TCP socket of the namespace a message filled on a kernel worker
//! (PERFORMANCE.md, "What the daemon's namespace pays for TCP ends").
//!
//! The program ends at one `exit` that returns 1 on every path: it never refuses anything.

use crate::connect_programs::{
    insn, map_and_key, set_jump, AF_INET, CALL, EXIT, HELPER_KTIME_NS, HELPER_MAP_UPDATE,
    HELPER_NETNS_COOKIE, HELPER_SOCKET_COOKIE, JEQ_IMM, JEQ_REG, JNE_IMM, JNE_REG, JUMP, LOAD_DW,
    LOAD_IMM64, LOAD_W, MAPPED_WORD, MOV32_IMM, MOV32_REG, MOV64_IMM, MOV64_REG, OPS_FAMILY,
    OPS_LOCAL_IP4, OPS_LOCAL_IP6, OPS_LOCAL_PORT, OPS_OP, OPS_REMOTE_IP4, OPS_REMOTE_IP6,
    OPS_REMOTE_PORT, R0, R1, R10, R2, R3, R4, R6, STORE_DW, STORE_IMM_DW, STORE_W,
};

/// `BPF_SOCK_OPS_TCP_CONNECT_CB` (3), `BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB` (5),
/// `BPF_SOCK_OPS_STATE_CB` (10): the `op`s this program acts on.
const OP_CONNECT: i32 = 3;
const OP_PASSIVE_ESTABLISHED: i32 = 5;
const OP_STATE: i32 = 10;
/// `TCP_CLOSE`: the state a socket reaches once, when its connection is over.
const TCP_CLOSE: i32 = 7;
/// `BPF_SOCK_OPS_STATE_CB_FLAG`.
const STATE_CB_FLAG: i32 = 1 << 2;
/// `bpf_sock_ops_cb_flags_set` (Linux 4.16): it replaces the socket's flags.
const HELPER_CB_FLAGS_SET: i32 = 59;
/// `w_dst |= imm` on the whole register.
const OR64_IMM: u8 = 0x47;
/// `w_dst &= imm` on the low 32 bits (the upper ones cleared).
const AND32_IMM: u8 = 0x54;
/// An IPv4 address word, as a load of its network-order bytes gives it, masked to its first
/// byte, and that byte for 127.0.0.0/8.
const LOOPBACK_MASK4: i32 = u32::from_ne_bytes([0xff, 0, 0, 0]) as i32;
const LOOPBACK_NET4: i32 = u32::from_ne_bytes([127, 0, 0, 0]) as i32;
/// More offsets in `struct bpf_sock_ops` (`include/uapi/linux/bpf.h`): `args[0]` and
/// `args[1]` (a state change's old and new state), the socket's callback flags, and its byte
/// counts (`__u64`, Linux 4.16).
const OPS_ARG0: i16 = 4;
const OPS_ARG1: i16 = 8;
const OPS_CB_FLAGS: i16 = 84;
const OPS_BYTES_RECEIVED: i16 = 168;
const OPS_BYTES_ACKED: i16 = 176;

/// The key of an end, 16 bytes: the socket's cookie and the time of the end (`CLOCK_MONOTONIC`
/// nanoseconds), both `u64`. One socket can make two connections (a connect refused, then
/// another): each end has its own entry, and the drain puts them in the order they happened,
/// which cookies do not give (the kernel hands them out in per-CPU batches, and an accepted
/// socket gets its cookie only when first asked).
pub(crate) const END_KEY_BYTES: usize = 16;

/// The value under a key, 64 bytes: `bytes_acked` and `bytes_received` (`u64`), then as
/// `u32` words the old state, the family, the local port (host order) and the remote port (as
/// `bpf_sock_ops` gives it), then the local and the remote address, 16 bytes each (an IPv4 one
/// in the first four, the rest zero).
pub(crate) const END_VALUE_BYTES: usize = 64;

/// The program; `ends` is the map's descriptor, `netns` the cookie of the daemon's network
/// namespace (the hook sees every namespace's sockets).
pub(crate) fn note_tcp_ends(ends: i32, netns: u64) -> Vec<u64> {
    // The stack: the key at fp-16 (the cookie, then the time), the value at fp-80 (to fp-17).
    const KEY: i16 = -16;
    const VALUE: i16 = -80;
    const LOCAL: i16 = VALUE + 32;
    const REMOTE: i16 = VALUE + 48;
    let mut program = vec![
        insn(MOV64_REG, R6, R1, 0, 0),                   // 0: r6 = ctx
        insn(LOAD_W, R2, R6, OPS_OP, 0),                 // 1: r2 = op
        insn(JEQ_IMM, R2, 0, 0, OP_CONNECT),             // 2: ask (patched)
        insn(JEQ_IMM, R2, 0, 0, OP_PASSIVE_ESTABLISHED), // 3: ask (patched)
        insn(JEQ_IMM, R2, 0, 0, OP_STATE),               // 4: a state change (patched)
        insn(JUMP, 0, 0, 0, 0),                          // 5: out (patched)
    ];
    // Ask for state changes: only in the daemon's namespace, only between two addresses that
    // are not both loopback ones.
    let ask = program.len();
    program.extend([
        insn(MOV64_REG, R1, R6, 0, 0),
        insn(CALL, 0, 0, 0, HELPER_NETNS_COOKIE), // r0 = the socket's namespace's cookie
        insn(LOAD_IMM64, R2, 0, 0, netns as u32 as i32),
        insn(0, 0, 0, 0, (netns >> 32) as u32 as i32),
    ]);
    let other_namespace = program.len();
    program.extend([
        insn(JNE_REG, R0, R2, 0, 0),         // out (patched)
        insn(LOAD_W, R2, R6, OPS_FAMILY, 0), // r2 = family
    ]);
    let to_ipv6 = program.len();
    program.extend([
        insn(JNE_IMM, R2, 0, 0, AF_INET), // IPv6 below (patched)
        insn(LOAD_W, R2, R6, OPS_LOCAL_IP4, 0),
        insn(LOAD_W, R3, R6, OPS_REMOTE_IP4, 0),
    ]);
    // The same address on both ends, or loopback ones (127.0.0.0/8) on both: the connection
    // goes over loopback, whose packets the rules never queue. One loopback end facing another
    // address is a connection the daemon may hold: a port forwarded to a local-only service
    // (DNAT to 127.0.0.1 with `route_localnet`) is accepted on 127.0.0.1.
    let mut to_out = Vec::new();
    let mut to_set = Vec::new();
    to_out.push(program.len());
    program.push(insn(JEQ_REG, R2, R3, 0, 0)); // out (patched)
    for (side, last) in [(R2, false), (R3, true)] {
        program.push(insn(MOV32_REG, R4, side, 0, 0));
        program.push(insn(AND32_IMM, R4, 0, 0, LOOPBACK_MASK4));
        if last {
            to_out.push(program.len());
            program.push(insn(JEQ_IMM, R4, 0, 0, LOOPBACK_NET4)); // both loopback: out (patched)
        } else {
            to_set.push(program.len());
            program.push(insn(JNE_IMM, R4, 0, 0, LOOPBACK_NET4)); // set (patched)
        }
    }
    to_set.push(program.len());
    program.push(insn(JUMP, 0, 0, 0, 0)); // set (patched)

    // IPv6: the same address (`::1` to itself among them), or IPv4-mapped loopback addresses on
    // both ends (`::1` is the only other loopback address, and it reaches no mapped one).
    let ipv6 = program.len();
    let mut ipv6_differ = Vec::new();
    for word in 0..4 {
        program.push(insn(LOAD_W, R2, R6, OPS_LOCAL_IP6 + 4 * word, 0));
        program.push(insn(LOAD_W, R3, R6, OPS_REMOTE_IP6 + 4 * word, 0));
        ipv6_differ.push(program.len());
        program.push(insn(JNE_REG, R2, R3, 0, 0)); // the loopback checks (patched)
    }
    to_out.push(program.len());
    program.push(insn(JUMP, 0, 0, 0, 0)); // the same address: out (patched)
    let ipv6_loopback = program.len();
    program.push(insn(MOV32_IMM, R4, 0, 0, MAPPED_WORD));
    for side in [OPS_LOCAL_IP6, OPS_REMOTE_IP6] {
        // Mapped 127.0.0.0/8: words 0 and 1 zero, word 2 the mapped prefix's, word 3 in
        // 127.0.0.0/8. Anything else: set. Both ends so: on past the loop, out.
        for word in 0..2 {
            program.push(insn(LOAD_W, R2, R6, side + 4 * word, 0));
            to_set.push(program.len());
            program.push(insn(JNE_IMM, R2, 0, 0, 0)); // set (patched)
        }
        program.push(insn(LOAD_W, R2, R6, side + 8, 0));
        to_set.push(program.len());
        program.push(insn(JNE_REG, R2, R4, 0, 0)); // set (patched)
        program.push(insn(LOAD_W, R3, R6, side + 12, 0));
        program.push(insn(AND32_IMM, R3, 0, 0, LOOPBACK_MASK4));
        to_set.push(program.len());
        program.push(insn(JNE_IMM, R3, 0, 0, LOOPBACK_NET4)); // set (patched)
    }
    to_out.push(program.len());
    program.push(insn(JUMP, 0, 0, 0, 0)); // both mapped loopback: out (patched)

    // The helper replaces the flags: keep those another program asked for.
    let set = program.len();
    program.extend([
        insn(LOAD_W, R2, R6, OPS_CB_FLAGS, 0),
        insn(OR64_IMM, R2, 0, 0, STATE_CB_FLAG),
        insn(MOV64_REG, R1, R6, 0, 0),
        insn(CALL, 0, 0, 0, HELPER_CB_FLAGS_SET),
    ]);
    let asked = program.len();
    program.push(insn(JUMP, 0, 0, 0, 0)); // out (patched)

    // A state change: only the one to TCP_CLOSE, the connection's end, and only in the
    // daemon's namespace: the flag is the socket's, and another program (another daemon in
    // another namespace) may have set it.
    let state = program.len();
    program.push(insn(LOAD_W, R2, R6, OPS_ARG1, 0));
    let not_closed = program.len();
    program.extend([
        insn(JNE_IMM, R2, 0, 0, TCP_CLOSE), // out (patched)
        insn(MOV64_REG, R1, R6, 0, 0),
        insn(CALL, 0, 0, 0, HELPER_NETNS_COOKIE),
        insn(LOAD_IMM64, R2, 0, 0, netns as u32 as i32),
        insn(0, 0, 0, 0, (netns >> 32) as u32 as i32),
    ]);
    let closed_elsewhere = program.len();
    program.extend([
        insn(JNE_REG, R0, R2, 0, 0), // out (patched)
        insn(MOV64_REG, R1, R6, 0, 0),
        insn(CALL, 0, 0, 0, HELPER_SOCKET_COOKIE),
        insn(STORE_DW, R10, R0, KEY, 0),
        insn(CALL, 0, 0, 0, HELPER_KTIME_NS),
        insn(STORE_DW, R10, R0, KEY + 8, 0),
        insn(LOAD_DW, R2, R6, OPS_BYTES_ACKED, 0),
        insn(STORE_DW, R10, R2, VALUE, 0),
        insn(LOAD_DW, R2, R6, OPS_BYTES_RECEIVED, 0),
        insn(STORE_DW, R10, R2, VALUE + 8, 0),
        insn(LOAD_W, R2, R6, OPS_ARG0, 0),
        insn(STORE_W, R10, R2, VALUE + 16, 0),
        insn(LOAD_W, R3, R6, OPS_FAMILY, 0),
        insn(STORE_W, R10, R3, VALUE + 20, 0),
        insn(LOAD_W, R2, R6, OPS_LOCAL_PORT, 0),
        insn(STORE_W, R10, R2, VALUE + 24, 0),
        insn(LOAD_W, R2, R6, OPS_REMOTE_PORT, 0),
        insn(STORE_W, R10, R2, VALUE + 28, 0),
    ]);
    for word in 0..4 {
        // Both addresses zeroed (an IPv4 one fills only its first four bytes).
        program.push(insn(STORE_IMM_DW, R10, 0, LOCAL + 8 * word, 0));
    }
    let end_ipv6 = program.len();
    program.extend([
        insn(JNE_IMM, R3, 0, 0, AF_INET), // IPv6 below (patched)
        insn(LOAD_W, R2, R6, OPS_LOCAL_IP4, 0),
        insn(STORE_W, R10, R2, LOCAL, 0),
        insn(LOAD_W, R2, R6, OPS_REMOTE_IP4, 0),
        insn(STORE_W, R10, R2, REMOTE, 0),
    ]);
    let ipv4_noted = program.len();
    program.push(insn(JUMP, 0, 0, 0, 0)); // to the update (patched)
    let end_ipv6_words = program.len();
    for word in 0..4 {
        program.push(insn(LOAD_W, R2, R6, OPS_LOCAL_IP6 + 4 * word, 0));
        program.push(insn(STORE_W, R10, R2, LOCAL + 4 * word, 0));
        program.push(insn(LOAD_W, R2, R6, OPS_REMOTE_IP6 + 4 * word, 0));
        program.push(insn(STORE_W, R10, R2, REMOTE + 4 * word, 0));
    }
    // ends[(cookie, time)] = value. A full map (the daemon not draining) loses the oldest end: its
    // connection is then forgotten when idle, as one whose end never came.
    let update = program.len();
    program.extend(map_and_key(ends, KEY));
    program.extend([
        insn(MOV64_REG, R3, R10, 0, 0),
        insn(crate::connect_programs::ADD64_IMM, R3, 0, 0, VALUE.into()),
        insn(MOV64_IMM, R4, 0, 0, 0), // BPF_ANY
        insn(CALL, 0, 0, 0, HELPER_MAP_UPDATE),
    ]);
    let out = program.len();
    program.extend([insn(MOV64_IMM, R0, 0, 0, 1), insn(EXIT, 0, 0, 0, 0)]);
    let mut jumps = vec![
        (2, ask),
        (3, ask),
        (4, state),
        (5, out),
        (other_namespace, out),
        (to_ipv6, ipv6),
        (asked, out),
        (not_closed, out),
        (closed_elsewhere, out),
        (end_ipv6, end_ipv6_words),
        (ipv4_noted, update),
    ];
    jumps.extend(ipv6_differ.into_iter().map(|at| (at, ipv6_loopback)));
    jumps.extend(to_out.into_iter().map(|at| (at, out)));
    jumps.extend(to_set.into_iter().map(|at| (at, set)));
    for (at, to) in jumps {
        set_jump(&mut program, at, to);
    }
    program
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The offset field of instruction `at`.
    fn offset(program: &[u64], at: usize) -> i16 {
        let bytes = program[at].to_ne_bytes();
        i16::from_ne_bytes([bytes[2], bytes[3]])
    }

    #[test]
    fn every_jump_lands_inside_the_program_and_forward() {
        let program = note_tcp_ends(3, 0x0102_0304_0506_0708);
        for (at, word) in program.iter().enumerate() {
            let code = word.to_ne_bytes()[0];
            // Jumps: class BPF_JMP (5) with an op other than call (0x80) and exit (0x90).
            if code & 0x07 == 0x05 && code != CALL && code != EXIT {
                let to = at as i64 + 1 + i64::from(offset(&program, at));
                assert!(
                    to > at as i64 && to < program.len() as i64,
                    "jump at {at} to {to}"
                );
            }
        }
        // One exit, last, after r0 = 1.
        assert_eq!(program.last().map(|w| w.to_ne_bytes()[0]), Some(EXIT));
        let exits = program
            .iter()
            .filter(|w| w.to_ne_bytes()[0] == EXIT)
            .count();
        assert_eq!(exits, 1);
    }

    #[test]
    fn the_namespace_cookie_is_loaded_whole_where_the_flag_is_set_and_where_an_end_is_noted() {
        let program = note_tcp_ends(3, 0x0102_0304_0506_0708);
        let loads: Vec<usize> = program
            .iter()
            .enumerate()
            .filter(|(_, w)| w.to_ne_bytes()[0] == LOAD_IMM64 && w.to_ne_bytes()[1] & 0xf0 == 0)
            .map(|(at, _)| at)
            .collect();
        assert_eq!(loads.len(), 2, "one for the flag, one for the end");
        for at in loads {
            let imm = |i: usize| {
                u32::from_ne_bytes(program[i].to_ne_bytes()[4..8].try_into().unwrap_or([0; 4]))
            };
            assert_eq!((imm(at), imm(at + 1)), (0x0506_0708, 0x0102_0304));
        }
    }
}
