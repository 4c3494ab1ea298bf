//! The `bpf(2)` calls the daemon makes, hand-declared: maps (create, look up, update, delete),
//! program loads, and the two ways of attaching them it uses (a link to a cgroup, a raw
//! tracepoint). The programs themselves are in `connect_programs.rs`.

use std::ffi::{c_long, CStr};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use crate::errno::{EEXIST, ENOENT};
use crate::sys::{owned_descriptor, retry_interrupted};

extern "C" {
    fn syscall(number: c_long, ...) -> c_long;
}

/// `bpf(2)`'s system call number.
#[cfg(target_arch = "x86_64")]
const SYS_BPF: c_long = 321;
#[cfg(target_arch = "aarch64")]
const SYS_BPF: c_long = 280;

/// Commands (`enum bpf_cmd`).
const BPF_MAP_CREATE: c_long = 0;
const BPF_MAP_LOOKUP_ELEM: c_long = 1;
const BPF_MAP_UPDATE_ELEM: c_long = 2;
const BPF_MAP_DELETE_ELEM: c_long = 3;
const BPF_MAP_GET_NEXT_KEY: c_long = 4;
/// Linux 5.6.
const BPF_MAP_LOOKUP_AND_DELETE_BATCH: c_long = 25;
const BPF_PROG_LOAD: c_long = 5;
const BPF_RAW_TRACEPOINT_OPEN: c_long = 17;
const BPF_LINK_CREATE: c_long = 28;

/// The kinds of map the daemon makes (`enum bpf_map_type`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MapKind {
    /// `BPF_MAP_TYPE_HASH`, its entries allocated up front: an update of a full one fails.
    Hash = 1,
    /// `BPF_MAP_TYPE_LRU_HASH`: the least recently used entries go when it is full.
    LruHash = 9,
}

/// `BPF_NOEXIST`: an update that only inserts.
const BPF_NOEXIST: u64 = 1;

/// `union bpf_attr`, as zeroed bytes with the fields a command reads written at their offsets
/// (the kernel requires every byte past the fields it knows to be zero, which they are; at 128
/// bytes it also writes nothing back past `log_true_size`'s offset).
#[repr(C, align(8))]
struct BpfAttr([u8; 128]);

impl BpfAttr {
    fn new() -> BpfAttr {
        BpfAttr([0; 128])
    }

    /// Writes `value` at `offset`. The offsets are constants of `union bpf_attr`, all within
    /// its first 72 bytes.
    fn put_u32(&mut self, offset: usize, value: u32) -> &mut BpfAttr {
        if let Some(field) = self.0.get_mut(offset..offset + 4) {
            field.copy_from_slice(&value.to_ne_bytes());
        }
        self
    }

    fn put_u64(&mut self, offset: usize, value: u64) -> &mut BpfAttr {
        if let Some(field) = self.0.get_mut(offset..offset + 8) {
            field.copy_from_slice(&value.to_ne_bytes());
        }
        self
    }

    /// The `u32` at `offset` (a field the kernel writes back).
    fn get_u32(&self, offset: usize) -> u32 {
        self.0
            .get(offset..offset + 4)
            .and_then(|b| b.try_into().ok())
            .map_or(0, u32::from_ne_bytes)
    }
}

/// One `bpf(2)` call.
///
/// # Safety
/// Every pointer written into `attr` must point at memory valid for the call, of the size the
/// command's neighbouring field gives (or that the command implies: a lookup writes the map's
/// value size).
unsafe fn bpf(command: c_long, attr: &mut BpfAttr) -> io::Result<c_long> {
    // SAFETY: attr is a live, writable 128-byte union bpf_attr and the length passed is its
    // size; the pointers inside it are the caller's to vouch for (above).
    let rc = unsafe {
        syscall(
            SYS_BPF,
            command,
            attr.0.as_mut_ptr(),
            size_of::<BpfAttr>() as c_long,
        )
    };
    if rc < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(rc)
}

/// A map, with the sizes it was made with: every call checks its buffers against them, so the
/// kernel never reads or writes past one.
#[derive(Debug)]
pub(crate) struct BpfMap {
    fd: OwnedFd,
    key_size: usize,
    value_size: usize,
}

impl AsRawFd for BpfMap {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

impl BpfMap {
    /// `BPF_MAP_CREATE` of a map of `kind` with room for `max_entries`.
    pub(crate) fn create(
        kind: MapKind,
        key_size: u32,
        value_size: u32,
        max_entries: u32,
    ) -> io::Result<BpfMap> {
        let mut attr = BpfAttr::new();
        attr.put_u32(0, kind as u32)
            .put_u32(4, key_size)
            .put_u32(8, value_size)
            .put_u32(12, max_entries);
        // SAFETY: no pointers in this command's fields.
        let rc = retry_interrupted(|| unsafe { bpf(BPF_MAP_CREATE, &mut attr) })?;
        Ok(BpfMap {
            fd: owned_descriptor(rc)?,
            key_size: key_size as usize,
            value_size: value_size as usize,
        })
    }

    /// Another descriptor of the same map (for another owner; the map lives while any does).
    pub(crate) fn try_clone(&self) -> io::Result<BpfMap> {
        Ok(BpfMap {
            fd: self.fd.try_clone()?,
            key_size: self.key_size,
            value_size: self.value_size,
        })
    }

    fn check(&self, key: &[u8], value: Option<usize>) -> io::Result<()> {
        if key.len() != self.key_size || value.is_some_and(|v| v != self.value_size) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a BPF map of {}-byte keys and {}-byte values given {} and {:?}",
                    self.key_size,
                    self.value_size,
                    key.len(),
                    value
                ),
            ));
        }
        Ok(())
    }

    /// `BPF_MAP_LOOKUP_ELEM`: copies the value under `key` into `value`; `false` when there is
    /// none.
    pub(crate) fn lookup(&self, key: &[u8], value: &mut [u8]) -> io::Result<bool> {
        self.check(key, Some(value.len()))?;
        let mut attr = BpfAttr::new();
        attr.put_u32(0, self.as_raw_fd() as u32)
            .put_u64(8, key.as_ptr() as u64)
            .put_u64(16, value.as_mut_ptr() as u64);
        // SAFETY: key and value have the map's sizes (checked above) and outlive the call.
        match unsafe { bpf(BPF_MAP_LOOKUP_ELEM, &mut attr) } {
            Ok(_) => Ok(true),
            Err(e) if e.raw_os_error() == Some(ENOENT) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `BPF_MAP_UPDATE_ELEM` with `BPF_NOEXIST`; `Ok(false)` when the key is there (its value
    /// is left as it is).
    pub(crate) fn insert(&self, key: &[u8], value: &[u8]) -> io::Result<bool> {
        self.check(key, Some(value.len()))?;
        let mut attr = BpfAttr::new();
        attr.put_u32(0, self.as_raw_fd() as u32)
            .put_u64(8, key.as_ptr() as u64)
            .put_u64(16, value.as_ptr() as u64)
            .put_u64(24, BPF_NOEXIST);
        // SAFETY: key and value have the map's sizes (checked above) and outlive the call;
        // the kernel only reads them.
        match unsafe { bpf(BPF_MAP_UPDATE_ELEM, &mut attr) } {
            Ok(_) => Ok(true),
            Err(e) if e.raw_os_error() == Some(EEXIST) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `BPF_MAP_GET_NEXT_KEY`: the key after `key` into `next` (the first one when `key` is
    /// none or no longer there); `false` at the end.
    pub(crate) fn next_key(&self, key: Option<&[u8]>, next: &mut [u8]) -> io::Result<bool> {
        self.check(next, None)?;
        if let Some(key) = key {
            self.check(key, None)?;
        }
        let mut attr = BpfAttr::new();
        attr.put_u32(0, self.as_raw_fd() as u32)
            .put_u64(8, key.map_or(0, |k| k.as_ptr() as u64))
            .put_u64(16, next.as_mut_ptr() as u64);
        // SAFETY: key (or null) and next have the map's key size (checked above) and outlive
        // the call; the kernel writes only `next`.
        match unsafe { bpf(BPF_MAP_GET_NEXT_KEY, &mut attr) } {
            Ok(_) => Ok(true),
            Err(e) if e.raw_os_error() == Some(ENOENT) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// `BPF_MAP_LOOKUP_AND_DELETE_BATCH` (Linux 5.6): takes out up to `max` entries (at least
    /// one batch), each handed to `each` as (key, value), in as few system calls as the kernel
    /// allows; how many were taken. A hash map's batch ends at a bucket boundary, and a bucket
    /// larger than the room left is `ENOSPC`, which the caller may meet with per-key reads.
    /// `buffers` are where the kernel writes each batch (kept by the caller: allocating and
    /// freeing a quarter megabyte ten times a second costs more than the call itself).
    pub(crate) fn take_batch(
        &self,
        max: usize,
        buffers: &mut BatchBuffers,
        mut each: impl FnMut(&[u8], &[u8]),
    ) -> io::Result<usize> {
        let room = buffers.room(self.key_size, self.value_size).min(max.max(1));
        if room == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "batch buffers hold no entry of this map",
            ));
        }
        let BatchBuffers { keys, values } = buffers;
        // The kernel's position between calls (a bucket number for hash maps; 8 bytes hold it).
        let (mut position, mut next) = ([0u8; 8], [0u8; 8]);
        let mut taken = 0;
        let mut first = true;
        while taken < max {
            let mut attr = BpfAttr::new();
            attr.put_u64(0, if first { 0 } else { position.as_ptr() as u64 })
                .put_u64(8, next.as_mut_ptr() as u64)
                .put_u64(16, keys.as_mut_ptr() as u64)
                .put_u64(24, values.as_mut_ptr() as u64)
                .put_u32(32, room as u32)
                .put_u32(36, self.as_raw_fd() as u32);
            // SAFETY: `position` and `next` are 8 bytes each, more than the kernel's position
            // token; `keys` and `values` hold `room` keys and values of the map's sizes, the
            // count passed; all outlive the call, and the kernel writes only `next`, `keys`,
            // `values` and the count.
            let result = unsafe { bpf(BPF_MAP_LOOKUP_AND_DELETE_BATCH, &mut attr) };
            // The kernel writes the count back on success and when the walk is done (ENOENT);
            // other errors can leave the count passed in, over buffers it never filled.
            let written = match &result {
                Ok(_) => true,
                Err(e) => e.raw_os_error() == Some(ENOENT),
            };
            let count = if written {
                (attr.get_u32(32) as usize).min(room)
            } else {
                0
            };
            for i in 0..count {
                let key = keys.get(i * self.key_size..(i + 1) * self.key_size);
                let value = values.get(i * self.value_size..(i + 1) * self.value_size);
                if let (Some(key), Some(value)) = (key, value) {
                    each(key, value);
                }
            }
            taken += count;
            match result {
                Ok(_) => {}
                // The whole map was walked.
                Err(e) if e.raw_os_error() == Some(ENOENT) => return Ok(taken),
                Err(e) => return Err(e),
            }
            position = next;
            first = false;
        }
        Ok(taken)
    }

    /// Buffers for batches of up to `entries` of this map's entries (at least one).
    pub(crate) fn batch_buffers(&self, entries: usize) -> BatchBuffers {
        let entries = entries.max(1);
        BatchBuffers {
            keys: vec![0u8; entries * self.key_size],
            values: vec![0u8; entries * self.value_size],
        }
    }

    /// `BPF_MAP_DELETE_ELEM`; `Ok(false)` when the key was not there.
    pub(crate) fn delete(&self, key: &[u8]) -> io::Result<bool> {
        self.check(key, None)?;
        let mut attr = BpfAttr::new();
        attr.put_u32(0, self.as_raw_fd() as u32)
            .put_u64(8, key.as_ptr() as u64);
        // SAFETY: key has the map's key size (checked above) and outlives the call.
        match unsafe { bpf(BPF_MAP_DELETE_ELEM, &mut attr) } {
            Ok(_) => Ok(true),
            Err(e) if e.raw_os_error() == Some(ENOENT) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

/// `BPF_PROG_LOAD` of `instructions` (each `struct bpf_insn` as the u64 of its bytes). The
/// verifier's complaint, if any, is written into `log` and returned in the error.
pub(crate) fn prog_load(
    prog_type: u32,
    expected_attach_type: u32,
    instructions: &[u64],
    log: &mut [u8],
) -> io::Result<OwnedFd> {
    // The project's licence; the helpers the programs call are not restricted to GPL ones.
    let license: &[u8] = b"MIT\0";
    // Without a log first: with one, the verifier writes every state it went through and
    // fails with ENOSPC when that does not fit, however good the program. The log is asked for
    // only to say why a load failed.
    match load_once(
        prog_type,
        expected_attach_type,
        instructions,
        license,
        &mut [],
    ) {
        Ok(loaded) => Ok(loaded),
        Err(_) if !log.is_empty() => {
            load_once(prog_type, expected_attach_type, instructions, license, log)
        }
        Err(e) => Err(e),
    }
}

fn load_once(
    prog_type: u32,
    expected_attach_type: u32,
    instructions: &[u64],
    license: &[u8],
    log: &mut [u8],
) -> io::Result<OwnedFd> {
    let log_pointer = if log.is_empty() {
        0
    } else {
        log.as_mut_ptr() as u64
    };
    let mut attr = BpfAttr::new();
    attr.put_u32(0, prog_type)
        .put_u32(
            4,
            u32::try_from(instructions.len()).map_err(io::Error::other)?,
        )
        .put_u64(8, instructions.as_ptr() as u64)
        .put_u64(16, license.as_ptr() as u64)
        .put_u32(24, u32::from(!log.is_empty()))
        .put_u32(28, u32::try_from(log.len()).map_err(io::Error::other)?)
        .put_u64(32, log_pointer)
        .put_u32(68, expected_attach_type);
    // SAFETY: the instructions (insn_cnt of them), the NUL-terminated licence and the log
    // (log_size bytes, or none) are borrowed for the whole call.
    let loaded = retry_interrupted(|| unsafe { bpf(BPF_PROG_LOAD, &mut attr) });
    loaded.and_then(owned_descriptor).map_err(|e| {
        if log.is_empty() {
            return e;
        }
        let said = String::from_utf8_lossy(log.split(|&b| b == 0).next().unwrap_or_default());
        match said.trim() {
            // Refused before the verifier ran (no rights, say): nothing more to tell.
            "" => e,
            said => io::Error::new(e.kind(), format!("{e}: {said}")),
        }
    })
}

/// `BPF_LINK_CREATE`: attaches `program` to `target` (a cgroup directory) for `attach_type`
/// until the returned link is closed, which the kernel also does when this process ends.
pub(crate) fn link_create(
    program: &OwnedFd,
    target: &impl AsRawFd,
    attach_type: u32,
) -> io::Result<OwnedFd> {
    let mut attr = BpfAttr::new();
    attr.put_u32(0, program.as_raw_fd() as u32)
        .put_u32(4, target.as_raw_fd() as u32)
        .put_u32(8, attach_type);
    // SAFETY: no pointers in this command's fields.
    let rc = retry_interrupted(|| unsafe { bpf(BPF_LINK_CREATE, &mut attr) })?;
    owned_descriptor(rc)
}

/// `BPF_RAW_TRACEPOINT_OPEN`: runs `program` at the tracepoint `name` until the returned
/// descriptor is closed (as [`link_create`]'s link).
pub(crate) fn raw_tracepoint_open(name: &CStr, program: &OwnedFd) -> io::Result<OwnedFd> {
    let mut attr = BpfAttr::new();
    attr.put_u64(0, name.as_ptr() as u64)
        .put_u32(8, program.as_raw_fd() as u32);
    // SAFETY: name is NUL-terminated and borrowed for the call.
    let rc = retry_interrupted(|| unsafe { bpf(BPF_RAW_TRACEPOINT_OPEN, &mut attr) })?;
    owned_descriptor(rc)
}

/// Where [`BpfMap::take_batch`] has the kernel write keys and values.
pub(crate) struct BatchBuffers {
    keys: Vec<u8>,
    values: Vec<u8>,
}

impl BatchBuffers {
    /// How many entries of these sizes fit (0 for a size of 0, which no map has).
    fn room(&self, key_size: usize, value_size: usize) -> usize {
        let fits = |bytes: usize, size: usize| bytes.checked_div(size).unwrap_or(0);
        fits(self.keys.len(), key_size).min(fits(self.values.len(), value_size))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn buffers_of_other_sizes_are_refused_before_any_call() {
        // No map needed: the check comes first, so a closed descriptor is never reached.
        let map = BpfMap {
            fd: std::fs::File::open("/dev/null").unwrap().into(),
            key_size: 8,
            value_size: 16,
        };
        let mut small = [0u8; 8];
        for error in [
            map.lookup(&[0; 4], &mut [0; 16]).unwrap_err(),
            map.lookup(&[0; 8], &mut small).unwrap_err(),
            map.insert(&[0; 8], &[0; 17]).unwrap_err(),
            map.delete(&[0; 9]).unwrap_err(),
        ] {
            assert_eq!(error.kind(), io::ErrorKind::InvalidInput, "{error}");
        }
    }
}
