//! The classify trampolines and everything they do with packets: copying bytes out of a
//! NET_BUFFER_LIST, cloning, pending ALE classifies, completing them and injecting clones.
//!
//! Rules kept here (research report, section 7):
//! - Every classify with a packet first asks `FwpsQueryPacketInjectionState0` with both of our
//!   injection handles and permits our own injections (loop prevention on every layer we
//!   inject into: ALE connect/recv-accept, datagram data, the IP packet layers).
//! - Everything an asynchronous injection uses (the clone, the remote address, a copy of the
//!   control data, the send parameters) lives in one heap allocation owned by the injection and
//!   freed only by its completion routine.
//! - Pends, completions and injections never run under the driver's lock.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::ffi::c_void;
use core::ptr::{null_mut, NonNull};
use core::sync::atomic::Ordering;

use zenithfence_core::decision::Action;
use zenithfence_core::flow::IpAddress;

use super::{
    kernel, now_ms, wall_ms, with_driver, Kernel, KernelIrp, ACTIVE_CLASSIFIES,
    OUTSTANDING_INJECTIONS,
};
use crate::bindings::{
    injection_state, FwpsAllocateCloneNetBufferList0, FwpsCompleteOperation0,
    FwpsFreeCloneNetBufferList0, FwpsInjectNetworkReceiveAsync0, FwpsInjectNetworkSendAsync0,
    FwpsInjectTransportReceiveAsync0, FwpsInjectTransportSendAsync1, FwpsPendOperation0,
    FwpsQueryPacketInjectionState0, NdisAdvanceNetBufferDataStart, NdisGetDataBuffer,
    NdisRetreatNetBufferDataStart, ADDRESS_FAMILY, AF_INET, AF_INET6, FWPS_CLASSIFY_OUT0,
    FWPS_FILTER0, FWPS_INCOMING_METADATA_VALUES0, FWPS_INCOMING_VALUES0, FWPS_RIGHT_ACTION_WRITE,
    FWPS_TRANSPORT_SEND_PARAMS1, GUID, HANDLE, NET_BUFFER, NET_BUFFER_LIST, NTSTATUS,
};
use crate::boot_guard::GUARD_CALLOUTS;
use crate::callouts::{self as logic, AleLayer, Clock};
use crate::classify::{apply, ClassifyAction};
use crate::device::{Effects, HoldKind, Release};
use crate::fields::{self, Metadata, Values};
use crate::layers::{CalloutKind, CALLOUTS};

/// Bytes read from a packet for the IP packet layers (headers only: IPv4 options and a few
/// IPv6 extension headers fit).
const PACKET_HEADER_BYTES: u32 = 256;

/// Where and how a clone is injected back.
enum Route {
    /// Outbound transport data of an ALE connect (`FwpsInjectTransportSendAsync1`).
    TransportSend {
        endpoint: u64,
        remote: [u8; 16],
        family: ADDRESS_FAMILY,
        scope: u32,
        compartment: u32,
        control: Vec<u8>,
    },
    /// Inbound data of an ALE recv-accept, from its IP header
    /// (`FwpsInjectTransportReceiveAsync0`).
    TransportReceive {
        family: ADDRESS_FAMILY,
        compartment: u32,
        interface: u32,
        sub_interface: u32,
    },
    /// An outbound IP packet (`FwpsInjectNetworkSendAsync0`).
    NetworkSend { compartment: u32 },
    /// An inbound IP packet, from its IP header (`FwpsInjectNetworkReceiveAsync0`).
    NetworkReceive {
        compartment: u32,
        interface: u32,
        sub_interface: u32,
    },
}

/// A cloned NET_BUFFER_LIST and its way back.
pub struct Cloned {
    nbl: NonNull<NET_BUFFER_LIST>,
    route: Route,
}

/// A packet the driver holds.
pub enum HeldPacket {
    /// A pended ALE classify; completed with the verdict. For a recv-accept, the clone is the
    /// absorbed inbound packet (re-injected on Accept); for a connect, a UDP/ICMP first packet.
    Ale {
        /// The context of `FwpsPendOperation0` (none when the classify could not be pended).
        completion: Option<HANDLE>,
        /// The packet, if the classify had one.
        clone: Option<Cloned>,
        /// A recv-accept (else a connect).
        inbound: bool,
    },
    /// A clone of a further packet of a waiting flow.
    Packet(Cloned),
}

// SAFETY: the completion context and the clone are owned by this value and may be completed
// or injected from any thread at ≤ DISPATCH_LEVEL.
unsafe impl Send for HeldPacket {}

fn free(clone: Cloned) {
    // SAFETY: the clone was allocated by FwpsAllocateCloneNetBufferList0 and is owned here.
    unsafe { FwpsFreeCloneNetBufferList0(clone.nbl.as_ptr(), 0) };
}

/// Answers a held packet (outside the lock).
pub fn answer(kernel: &Kernel, release: Release<HeldPacket>) {
    let accept = release.action == Action::Accept;
    match release.packet {
        HeldPacket::Ale {
            completion,
            clone,
            inbound: true,
        } => {
            // Completing a recv-accept pend takes the clone to indicate on Accept (WDK inspect
            // sample); it does not re-authorise.
            match (accept, clone) {
                (true, Some(clone)) => {
                    if let Some(context) = completion {
                        // SAFETY: a context from FwpsPendOperation0, completed exactly once.
                        unsafe { FwpsCompleteOperation0(context, clone.nbl.as_ptr()) };
                    }
                    inject(kernel, clone);
                }
                (_, clone) => {
                    if let Some(context) = completion {
                        // SAFETY: as above.
                        unsafe { FwpsCompleteOperation0(context, null_mut()) };
                    }
                    if let Some(clone) = clone {
                        free(clone);
                    }
                }
            }
        }
        HeldPacket::Ale {
            completion,
            clone,
            inbound: false,
        } => {
            if let Some(context) = completion {
                // SAFETY: as above. WFP re-authorises the connect; the verdict is in the cache.
                unsafe { FwpsCompleteOperation0(context, null_mut()) };
            }
            match (accept, clone) {
                (true, Some(clone)) => inject(kernel, clone),
                (_, clone) => {
                    if let Some(clone) = clone {
                        free(clone);
                    }
                }
            }
        }
        HeldPacket::Packet(clone) => {
            if accept {
                inject(kernel, clone);
            } else {
                free(clone);
            }
        }
    }
}

/// Executes the effects of a driver call (outside the lock).
pub fn execute(effects: Effects<HeldPacket, KernelIrp>) {
    if let Some(kernel) = kernel() {
        for release in effects.releases {
            answer(kernel, release);
        }
    } else {
        // No injection handles any more (unload): drop the clones, complete the pends.
        for release in effects.releases {
            match release.packet {
                HeldPacket::Ale {
                    completion, clone, ..
                } => {
                    if let Some(context) = completion {
                        // SAFETY: a pend context, completed exactly once.
                        unsafe { FwpsCompleteOperation0(context, null_mut()) };
                    }
                    if let Some(clone) = clone {
                        free(clone);
                    }
                }
                HeldPacket::Packet(clone) => free(clone),
            }
        }
    }
    for completion in effects.completions {
        completion.finish();
    }
}

/// The state an injection owns until its completion routine runs.
struct Injection {
    clone: NonNull<NET_BUFFER_LIST>,
    route: Route,
    params: FWPS_TRANSPORT_SEND_PARAMS1,
}

unsafe extern "system" fn inject_complete(
    context: *mut c_void,
    nbl: *mut NET_BUFFER_LIST,
    _dispatch: u8,
) {
    if !context.is_null() {
        // SAFETY: `context` is the Box leaked by `inject` for this injection; it is reclaimed
        // exactly once, here.
        drop(unsafe { Box::from_raw(context.cast::<Injection>()) });
    }
    if !nbl.is_null() {
        // SAFETY: the clone we injected, given back by WFP.
        unsafe { FwpsFreeCloneNetBufferList0(nbl, 0) };
    }
    OUTSTANDING_INJECTIONS.fetch_sub(1, Ordering::AcqRel);
}

fn inject(kernel: &Kernel, clone: Cloned) {
    let nbl = clone.nbl;
    let injection = Box::into_raw(Box::new(Injection {
        clone: clone.nbl,
        route: clone.route,
        params: FWPS_TRANSPORT_SEND_PARAMS1 {
            remoteAddress: null_mut(),
            remoteScopeId: 0,
            controlData: null_mut(),
            controlDataLength: 0,
            headerIncludeHeader: null_mut(),
            headerIncludeHeaderLength: 0,
        },
    }));
    OUTSTANDING_INJECTIONS.fetch_add(1, Ordering::AcqRel);
    // SAFETY: `injection` is the live allocation created above; nothing else refers to it yet.
    let state = unsafe { &mut *injection };
    let code: NTSTATUS = match &mut state.route {
        Route::TransportSend {
            endpoint,
            remote,
            family,
            scope,
            compartment,
            control,
        } => {
            state.params.remoteAddress = remote.as_mut_ptr();
            state.params.remoteScopeId = *scope;
            if !control.is_empty() {
                state.params.controlData = control.as_mut_ptr().cast();
                state.params.controlDataLength = u32::try_from(control.len()).unwrap_or(0);
            }
            // SAFETY: the handle is live while the driver is loaded; the params, address and
            // control data live in `injection` until `inject_complete` frees it.
            unsafe {
                FwpsInjectTransportSendAsync1(
                    kernel.transport_injection,
                    null_mut(),
                    *endpoint,
                    0,
                    &mut state.params,
                    *family,
                    *compartment,
                    nbl.as_ptr(),
                    inject_complete,
                    injection.cast(),
                )
            }
        }
        Route::TransportReceive {
            family,
            compartment,
            interface,
            sub_interface,
        } => {
            // SAFETY: as above; the clone starts at its IP header.
            unsafe {
                FwpsInjectTransportReceiveAsync0(
                    kernel.transport_injection,
                    null_mut(),
                    null_mut(),
                    0,
                    *family,
                    *compartment,
                    *interface,
                    *sub_interface,
                    nbl.as_ptr(),
                    inject_complete,
                    injection.cast(),
                )
            }
        }
        Route::NetworkSend { compartment } => {
            // SAFETY: as above; the clone starts at its IP header.
            unsafe {
                FwpsInjectNetworkSendAsync0(
                    kernel.network_injection,
                    null_mut(),
                    0,
                    *compartment,
                    nbl.as_ptr(),
                    inject_complete,
                    injection.cast(),
                )
            }
        }
        Route::NetworkReceive {
            compartment,
            interface,
            sub_interface,
        } => {
            // SAFETY: as above; the clone starts at its IP header.
            unsafe {
                FwpsInjectNetworkReceiveAsync0(
                    kernel.network_injection,
                    null_mut(),
                    0,
                    *compartment,
                    *interface,
                    *sub_interface,
                    nbl.as_ptr(),
                    inject_complete,
                    injection.cast(),
                )
            }
        }
    };
    if !super::ok(code) {
        // The completion routine will not run: free everything here.
        // SAFETY: the injection failed, so `inject_complete` never receives this context.
        unsafe { inject_complete(injection.cast(), state_nbl(injection), 0) };
    }
}

fn state_nbl(injection: *mut Injection) -> *mut NET_BUFFER_LIST {
    // SAFETY: `injection` is live until `inject_complete` frees it (called right after).
    unsafe { (*injection).clone.as_ptr() }
}

// --------------------------------------------------------------------------------------------
// Packet bytes
// --------------------------------------------------------------------------------------------

fn first_nb(nbl: *mut NET_BUFFER_LIST) -> Option<NonNull<NET_BUFFER>> {
    let nbl = NonNull::new(nbl)?;
    // SAFETY: a live NBL from the engine; FirstNetBuffer is its documented first member view.
    NonNull::new(unsafe { (*nbl.as_ptr()).FirstNetBuffer })
}

fn data_length(nb: NonNull<NET_BUFFER>) -> u32 {
    // SAFETY: a live NET_BUFFER; NbDataLength is the NET_BUFFER_DATA member.
    let length = unsafe { (*nb.as_ptr()).NbDataLength };
    // SAFETY: `DataLength` (ULONG) is the member NDIS maintains (NET_BUFFER_DATA_LENGTH).
    unsafe { length.DataLength }
}

/// Runs `f` with the first NET_BUFFER's data start moved back by `retreat` bytes, and moves it
/// forward again (the engine's NBL must be left as it was indicated).
fn retreated<R>(nb: NonNull<NET_BUFFER>, retreat: u32, f: impl FnOnce() -> R) -> Option<R> {
    if retreat == 0 {
        return Some(f());
    }
    // SAFETY: retreating into the headers the stack already parsed (the documented way to
    // reach them at these layers); no MDL allocation is needed (handler NULL).
    let ndis_status = unsafe { NdisRetreatNetBufferDataStart(nb.as_ptr(), retreat, 0, null_mut()) };
    if ndis_status != 0 {
        return None;
    }
    let result = f();
    // SAFETY: undoes the retreat above.
    unsafe { NdisAdvanceNetBufferDataStart(nb.as_ptr(), retreat, 0, null_mut()) };
    Some(result)
}

/// Copies up to `max` bytes from the data start of the first NET_BUFFER.
fn copy_bytes(nb: NonNull<NET_BUFFER>, max: u32) -> Vec<u8> {
    let wanted = data_length(nb).min(max);
    if wanted == 0 {
        return Vec::new();
    }
    let mut storage = alloc::vec![0u8; wanted as usize];
    // SAFETY: `storage` has `wanted` bytes; NDIS returns a pointer to `wanted` contiguous bytes
    // (in place or copied into `storage`) or NULL.
    let data = unsafe { NdisGetDataBuffer(nb.as_ptr(), wanted, storage.as_mut_ptr().cast(), 1, 0) };
    if data.is_null() {
        return Vec::new();
    }
    if data.cast::<u8>() != storage.as_mut_ptr() {
        // SAFETY: NDIS returned `wanted` readable bytes at `data`; `storage` is distinct.
        unsafe {
            core::ptr::copy_nonoverlapping(data.cast::<u8>(), storage.as_mut_ptr(), wanted as usize)
        };
    }
    storage
}

fn clone_nbl(nbl: *mut NET_BUFFER_LIST) -> Option<NonNull<NET_BUFFER_LIST>> {
    let mut clone = null_mut();
    // SAFETY: `nbl` is the engine's live NBL; the clone shares its data until freed.
    let code =
        unsafe { FwpsAllocateCloneNetBufferList0(nbl, null_mut(), null_mut(), 0, &mut clone) };
    if super::ok(code) {
        NonNull::new(clone)
    } else {
        None
    }
}

fn injected_by_us(kernel: &Kernel, nbl: *mut NET_BUFFER_LIST) -> bool {
    if nbl.is_null() {
        return false;
    }
    [kernel.transport_injection, kernel.network_injection]
        .into_iter()
        .any(|handle| {
            // SAFETY: a live handle of ours and the engine's live NBL.
            let state = unsafe { FwpsQueryPacketInjectionState0(handle, nbl, null_mut()) };
            state == injection_state::INJECTED_BY_SELF
                || state == injection_state::PREVIOUSLY_INJECTED_BY_SELF
        })
}

fn family(v6: bool) -> ADDRESS_FAMILY {
    if v6 {
        AF_INET6
    } else {
        AF_INET
    }
}

fn address_bytes(address: IpAddress) -> [u8; 16] {
    let mut bytes = [0u8; 16];
    match address {
        IpAddress::V4(v4) => {
            if let Some(head) = bytes.get_mut(..4) {
                head.copy_from_slice(&v4);
            }
        }
        IpAddress::V6(v6) => bytes = v6,
    }
    bytes
}

// --------------------------------------------------------------------------------------------
// Trampolines
// --------------------------------------------------------------------------------------------

/// One classify function per entry of [`CALLOUTS`].
pub const CLASSIFY_FNS: [crate::bindings::ClassifyFn0; CALLOUTS.len()] = [
    classify::<0>,
    classify::<1>,
    classify::<2>,
    classify::<3>,
    classify::<4>,
    classify::<5>,
    classify::<6>,
    classify::<7>,
    classify::<8>,
    classify::<9>,
    classify::<10>,
    classify::<11>,
    classify::<12>,
    classify::<13>,
    classify::<14>,
    classify::<15>,
    classify::<16>,
    classify::<17>,
];

/// One classify function per entry of [`GUARD_CALLOUTS`] (the same layers as the first four
/// entries of [`CALLOUTS`]).
pub const GUARD_CLASSIFY_FNS: [crate::bindings::ClassifyFn0; GUARD_CALLOUTS.len()] = [
    guard_classify::<0>,
    guard_classify::<1>,
    guard_classify::<2>,
    guard_classify::<3>,
];

/// A boot guard callout (README "Boot-time protection"): while the driver's own filters are in
/// place it permits softly (their sublayer decides, and a soft permit never overrides a block);
/// otherwise it decides exactly like the driver's ALE callout of its layer.
unsafe extern "system" fn guard_classify<const INDEX: usize>(
    values: *const FWPS_INCOMING_VALUES0,
    meta: *const FWPS_INCOMING_METADATA_VALUES0,
    layer_data: *mut c_void,
    filter: *const FWPS_FILTER0,
    _flow_context: u64,
    out: *mut FWPS_CLASSIFY_OUT0,
) {
    ACTIVE_CLASSIFIES.fetch_add(1, Ordering::AcqRel);
    if super::wfp::OWN_FILTERS_ACTIVE.load(Ordering::Acquire) {
        // SAFETY: the engine's classify-out, valid and exclusively ours during the classify.
        if let Some(out) = unsafe { out.as_mut() } {
            if out.rights & FWPS_RIGHT_ACTION_WRITE != 0 {
                apply(out, ClassifyAction::Permit { harden: false }, 0);
            }
        }
    } else {
        // The ALE callout of the same layer has the same index in CALLOUTS.
        // SAFETY: the engine passes valid arguments for the duration of the classify.
        unsafe { classify_checked(INDEX, values, meta, layer_data, filter, out) };
    }
    ACTIVE_CLASSIFIES.fetch_sub(1, Ordering::AcqRel);
}

/// The notify function of every callout (nothing to track).
///
/// # Safety
/// Called by the filter engine; the arguments are not used.
pub unsafe extern "system" fn notify(
    _kind: u32,
    _filter_key: *const GUID,
    _filter: *const FWPS_FILTER0,
) -> NTSTATUS {
    crate::bindings::status::SUCCESS
}

unsafe extern "system" fn classify<const INDEX: usize>(
    values: *const FWPS_INCOMING_VALUES0,
    meta: *const FWPS_INCOMING_METADATA_VALUES0,
    layer_data: *mut c_void,
    filter: *const FWPS_FILTER0,
    _flow_context: u64,
    out: *mut FWPS_CLASSIFY_OUT0,
) {
    ACTIVE_CLASSIFIES.fetch_add(1, Ordering::AcqRel);
    // SAFETY: the engine passes valid arguments for the duration of the classify.
    unsafe { classify_checked(INDEX, values, meta, layer_data, filter, out) };
    ACTIVE_CLASSIFIES.fetch_sub(1, Ordering::AcqRel);
}

/// # Safety
/// The arguments are the engine's classify arguments, valid for the call.
unsafe fn classify_checked(
    index: usize,
    values: *const FWPS_INCOMING_VALUES0,
    meta: *const FWPS_INCOMING_METADATA_VALUES0,
    layer_data: *mut c_void,
    filter: *const FWPS_FILTER0,
    out: *mut FWPS_CLASSIFY_OUT0,
) {
    // SAFETY: the engine's classify-out, valid and exclusively ours during the classify.
    let Some(out) = (unsafe { out.as_mut() }) else {
        return;
    };
    let (Some(spec), Some(kernel)) = (CALLOUTS.get(index), kernel()) else {
        return;
    };
    // SAFETY: the engine's filter, valid during the classify.
    let filter_flags = unsafe { filter.as_ref() }.map_or(0, |f| f.flags);
    // SAFETY: the engine's values, valid during the classify.
    let Ok(values) = (unsafe { Values::from_raw(values) }) else {
        return;
    };
    // SAFETY: the engine's metadata, valid during the classify.
    let Some(meta) = (unsafe { Metadata::from_raw(meta) }) else {
        return;
    };
    let deciding = matches!(
        spec.kind,
        CalloutKind::AleConnect
            | CalloutKind::AleRecvAccept
            | CalloutKind::InboundPacket
            | CalloutKind::OutboundPacket
    );
    if deciding && out.rights & FWPS_RIGHT_ACTION_WRITE == 0 {
        // A higher-weight filter already decided; leave it.
        return;
    }
    let nbl = layer_data.cast::<NET_BUFFER_LIST>();
    let action = match spec.kind {
        CalloutKind::AleConnect | CalloutKind::AleRecvAccept => {
            if injected_by_us(kernel, nbl) {
                ClassifyAction::Permit { harden: false }
            } else {
                ale(spec.kind, spec.v6, &values, &meta, nbl)
            }
        }
        CalloutKind::InboundPacket | CalloutKind::OutboundPacket => {
            if injected_by_us(kernel, nbl) {
                ClassifyAction::Permit { harden: false }
            } else {
                ip_packet(
                    spec.kind == CalloutKind::OutboundPacket,
                    &values,
                    &meta,
                    nbl,
                )
            }
        }
        CalloutKind::AleEndpointClosure => {
            let now = now_ms();
            continue_after(with_driver(|d| {
                logic::endpoint_closure(d, spec.v6, &values, now)
            }))
        }
        CalloutKind::AleResourceAssignment => {
            with_driver(|d| logic::resource_assignment(d, spec.v6, &values, &meta))
                .unwrap_or(ClassifyAction::Continue)
        }
        CalloutKind::AleResourceRelease => {
            let now = now_ms();
            continue_after(with_driver(|d| {
                logic::resource_release(d, spec.v6, &values, now)
            }))
        }
        CalloutKind::Stream => {
            let io = layer_data.cast::<crate::bindings::FWPS_STREAM_CALLOUT_IO_PACKET0>();
            if !io.is_null() {
                // SAFETY: at the stream layers layerData is the engine's stream IO packet; the
                // callout sets its stream action (none: we only count).
                unsafe { (*io).streamAction = crate::bindings::FWPS_STREAM_ACTION_NONE };
            }
            // SAFETY: at the stream layers layerData is the engine's stream IO packet.
            with_driver(|d| unsafe { logic::stream(d, spec.v6, &values, layer_data) })
                .unwrap_or(ClassifyAction::Continue)
        }
        CalloutKind::DatagramData => {
            let bytes = chain_bytes(nbl);
            with_driver(|d| logic::datagram(d, spec.v6, &values, &meta, bytes))
                .unwrap_or(ClassifyAction::Continue)
        }
    };
    apply(out, action, filter_flags);
}

/// Executes the effects of an inspection callout and returns its action.
fn continue_after(
    result: Option<(ClassifyAction, Effects<HeldPacket, KernelIrp>)>,
) -> ClassifyAction {
    match result {
        Some((action, effects)) => {
            execute(effects);
            action
        }
        None => ClassifyAction::Continue,
    }
}

fn chain_bytes(nbl: *mut NET_BUFFER_LIST) -> u64 {
    let mut total = 0u64;
    let mut list = nbl;
    while let Some(current) = NonNull::new(list) {
        let mut nb = first_nb(current.as_ptr());
        while let Some(buffer) = nb {
            total = total.saturating_add(u64::from(data_length(buffer)));
            // SAFETY: a live NET_BUFFER of the chain.
            nb = NonNull::new(unsafe { (*buffer.as_ptr()).Next });
        }
        // SAFETY: a live NBL of the chain.
        list = unsafe { (*current.as_ptr()).Next };
    }
    total
}

fn ale(
    kind: CalloutKind,
    v6: bool,
    values: &Values<'_>,
    meta: &Metadata<'_>,
    nbl: *mut NET_BUFFER_LIST,
) -> ClassifyAction {
    let inbound = kind == CalloutKind::AleRecvAccept;
    let (max_payload, wants_processes) =
        with_driver(|d| (d.options().max_payload, d.wants_processes())).unwrap_or((0, false));
    let max_payload = u32::try_from(max_payload).unwrap_or(u32::MAX);
    // The info's payload starts at the transport header: outbound data is there already,
    // inbound (recv-accept) data starts after it.
    let transport_header = if inbound {
        meta.transport_header_size().unwrap_or(0)
    } else {
        0
    };
    let payload = first_nb(nbl)
        .and_then(|nb| retreated(nb, transport_header, || copy_bytes(nb, max_payload)))
        .unwrap_or_default();
    let flow = match kind {
        CalloutKind::AleRecvAccept => fields::ale_recv_accept(values, v6),
        _ => fields::ale_connect(values, v6),
    };
    // Looked up outside the spin lock (it needs IRQL ≤ APC_LEVEL), for a new authorization
    // only, and only while a client wants Process infos; the driver decides under the lock
    // whether the process is described.
    let reauthorize = flow
        .as_ref()
        .is_ok_and(|f| f.flags & crate::bindings::FWP_CONDITION_FLAG_IS_REAUTHORIZE != 0);
    let start_time = if wants_processes && !reauthorize {
        super::process::creation_time(meta.process_id().unwrap_or(0))
    } else {
        0
    };
    let hold = |hold_kind: HoldKind| -> Option<HeldPacket> {
        let flow = flow.ok()?;
        let clone = if inbound {
            let ip_and_transport = meta
                .ip_header_size()
                .unwrap_or(0)
                .saturating_add(transport_header);
            first_nb(nbl)
                .and_then(|nb| retreated(nb, ip_and_transport, || clone_nbl(nbl)))
                .flatten()
                .map(|nbl| Cloned {
                    nbl,
                    route: Route::TransportReceive {
                        family: family(v6),
                        compartment: meta.compartment_id(),
                        interface: flow.interface_index,
                        sub_interface: flow.sub_interface_index,
                    },
                })
        } else {
            NonNull::new(nbl)
                .and_then(|n| clone_nbl(n.as_ptr()))
                .map(|nbl| Cloned {
                    nbl,
                    route: Route::TransportSend {
                        endpoint: meta.endpoint_handle().unwrap_or(0),
                        remote: address_bytes(flow.flow.remote_ip),
                        family: family(v6),
                        scope: meta.remote_scope_id(),
                        compartment: meta.compartment_id(),
                        control: meta.control_data().map(<[u8]>::to_vec).unwrap_or_default(),
                    },
                })
        };
        match hold_kind {
            HoldKind::Join => clone.map(HeldPacket::Packet),
            HoldKind::Pend => {
                let Some(handle) = meta.completion_handle() else {
                    // Not pendable: keep the packet alone if there is one.
                    return clone.map(HeldPacket::Packet);
                };
                let mut context = null_mut();
                // SAFETY: the completion handle of this very classify (pend is only allowed
                // during it); `context` receives the completion context.
                let code = unsafe { FwpsPendOperation0(handle, &mut context) };
                if !super::ok(code) {
                    if let Some(clone) = clone {
                        free(clone);
                    }
                    return None;
                }
                Some(HeldPacket::Ale {
                    completion: Some(context),
                    clone,
                    inbound,
                })
            }
        }
    };
    let clock = Clock {
        now_ms: now_ms(),
        wall_ms: wall_ms(),
    };
    let layer = if inbound {
        AleLayer::RecvAccept
    } else {
        AleLayer::Connect
    };
    let result = with_driver(|d| {
        logic::ale(
            d, layer, v6, values, meta, &payload, clock, start_time, hold,
        )
    });
    let Some((action, effects)) = result else {
        return ClassifyAction::Permit { harden: false };
    };
    execute(effects);
    action
}

fn ip_packet(
    outbound: bool,
    values: &Values<'_>,
    meta: &Metadata<'_>,
    nbl: *mut NET_BUFFER_LIST,
) -> ClassifyAction {
    let Some(nb) = first_nb(nbl) else {
        return ClassifyAction::Permit { harden: false };
    };
    // Inbound packets are indicated from their transport header; outbound from the IP header.
    let retreat = if outbound {
        0
    } else {
        meta.ip_header_size().unwrap_or(0)
    };
    let Some(header) = retreated(nb, retreat, || copy_bytes(nb, PACKET_HEADER_BYTES)) else {
        return ClassifyAction::Permit { harden: false };
    };
    let (interface, sub_interface) = fields::inbound_interface(values);
    let hold = |_kind: HoldKind| -> Option<HeldPacket> {
        let nbl = retreated(nb, retreat, || clone_nbl(nbl)).flatten()?;
        let route = if outbound {
            Route::NetworkSend {
                compartment: meta.compartment_id(),
            }
        } else {
            Route::NetworkReceive {
                compartment: meta.compartment_id(),
                interface,
                sub_interface,
            }
        };
        Some(HeldPacket::Packet(Cloned { nbl, route }))
    };
    let now = now_ms();
    let result = with_driver(|d| logic::ip_packet(d, outbound, &header, meta, now, hold));
    let Some((action, effects)) = result else {
        return ClassifyAction::Permit { harden: false };
    };
    execute(effects);
    action
}
