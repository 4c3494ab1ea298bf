//! The classify logic of every callout, from the engine's arguments to the classify action,
//! without OS calls. The kernel trampolines (`kernel::callouts`) check the write right and the
//! injection state, copy packet bytes, take the lock, call these functions with a closure that
//! pends and clones, release the lock, execute the effects and write the action with
//! [`crate::classify::apply`].
//!
//! | Callout | Layers | Action |
//! |---|---|---|
//! | ALE connect | ALE_AUTH_CONNECT_V4/V6 | cached verdict, a policy rule, the no-app action, or pend the first authorization and ask |
//! | ALE recv-accept | ALE_AUTH_RECV_ACCEPT_V4/V6 | the same, inbound |
//! | Endpoint closure | ALE_ENDPOINT_CLOSURE_V4/V6 | mark the connection ended (ConnectionEnd info) |
//! | Resource assignment | ALE_RESOURCE_ASSIGNMENT_V4/V6 | log the bind |
//! | Resource release | ALE_RESOURCE_RELEASE_V4/V6 | end every connection of the endpoint |
//! | Stream | STREAM_V4/V6 | count TCP bytes (switchable) |
//! | Datagram | DATAGRAM_DATA_V4/V6 | count UDP bytes (switchable) |
//! | IP packet | INBOUND/OUTBOUND_IPPACKET_V4/V6 | per-packet verdict from the cache |

use core::ffi::c_void;

use zenithfence_core::flow::FlowKey;
use zenithfence_core::packet::{parse_ip_packet, Transport};
use zenithfence_protocol::Direction;

use crate::bindings::{FWP_CONDITION_FLAG_IS_LOOPBACK, FWP_CONDITION_FLAG_IS_REAUTHORIZE};
use crate::classify::ClassifyAction;
use crate::device::{AleRequest, Driver, Effects, HoldKind, Outcome, PacketRequest};
use crate::fields::{self, FieldError, Metadata, Values};
use crate::irp::Irp;
use crate::log::severity;

/// The classify action of an outcome.
pub fn action_of(outcome: Outcome) -> ClassifyAction {
    match outcome {
        Outcome::Permit => ClassifyAction::Permit { harden: false },
        Outcome::PermitOwn => ClassifyAction::Permit { harden: true },
        Outcome::Block => ClassifyAction::Block,
        Outcome::Drop | Outcome::Held => ClassifyAction::Absorb,
    }
}

/// Which ALE authorization layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AleLayer {
    /// ALE_AUTH_CONNECT: outbound.
    Connect,
    /// ALE_AUTH_RECV_ACCEPT: inbound.
    RecvAccept,
}

/// The clocks a classify is decided at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Monotonic milliseconds (timeouts, the cache).
    pub now_ms: u64,
    /// Milliseconds since the Unix epoch (rule expiry).
    pub wall_ms: u64,
}

/// ALE connect / recv-accept. `payload` is the packet from its transport header (empty when the
/// classify has none, as for an outbound TCP connect). `start_time` is the process's creation
/// time when the kernel could read it (0: unknown).
#[allow(clippy::too_many_arguments)]
pub fn ale<P, I: Irp>(
    driver: &mut Driver<P, I>,
    layer: AleLayer,
    v6: bool,
    values: &Values<'_>,
    meta: &Metadata<'_>,
    payload: &[u8],
    clock: Clock,
    start_time: u64,
    hold: impl FnOnce(HoldKind) -> Option<P>,
) -> (ClassifyAction, Effects<P, I>) {
    let read = match layer {
        AleLayer::Connect => fields::ale_connect(values, v6),
        AleLayer::RecvAccept => fields::ale_recv_accept(values, v6),
    };
    let fields = match read {
        Ok(fields) => fields,
        Err(error) => return unreadable(driver, error),
    };
    // The app id is copied into a string only when a rule of the policy names an app.
    let app = if driver.policy_needs_app() {
        fields::ale_app_id(values)
    } else {
        None
    };
    let pid = meta.process_id().unwrap_or(0);
    // The path for a Process info is copied only for a process the client does not know yet.
    let process_path = if driver.describes_process(pid, start_time) {
        fields::process_path(values, meta)
    } else {
        None
    };
    let request = AleRequest {
        flow: fields.flow,
        direction: match layer {
            AleLayer::Connect => Direction::Outbound,
            AleLayer::RecvAccept => Direction::Inbound,
        },
        pid,
        start_time,
        process_path: process_path.as_deref(),
        app: app.as_deref(),
        wall_ms: clock.wall_ms,
        reauthorize: fields.flags & FWP_CONDITION_FLAG_IS_REAUTHORIZE != 0,
        loopback: fields.flags & FWP_CONDITION_FLAG_IS_LOOPBACK != 0,
        payload,
    };
    let (outcome, effects) = driver.on_ale(&request, clock.now_ms, hold);
    (action_of(outcome), effects)
}

fn unreadable<P, I: Irp>(
    driver: &mut Driver<P, I>,
    error: FieldError,
) -> (ClassifyAction, Effects<P, I>) {
    let verdict = driver.options().default_verdict;
    driver.log(
        severity::ERROR,
        alloc::format!("unreadable ALE classify ({error:?}): {verdict:?}"),
    );
    (
        action_of(crate::device::outcome_of(verdict)),
        Effects::new(),
    )
}

/// The IP packet layers. `packet` is the packet from its IP header (inbound packets are
/// retreated by the kernel first).
pub fn ip_packet<P, I: Irp>(
    driver: &mut Driver<P, I>,
    outbound: bool,
    packet: &[u8],
    meta: &Metadata<'_>,
    now: u64,
    hold: impl FnOnce(HoldKind) -> Option<P>,
) -> (ClassifyAction, Effects<P, I>) {
    let Ok(parsed) = parse_ip_packet(packet) else {
        // Not an IP packet we can read (a capture too short for its headers): the stack
        // decides, as it would without us.
        return (ClassifyAction::Permit { harden: false }, Effects::new());
    };
    let direction = if outbound {
        Direction::Outbound
    } else {
        Direction::Inbound
    };
    let request = PacketRequest {
        flow: parsed.tuple.flow_key(direction),
        non_first_fragment: meta.is_non_first_fragment()
            || matches!(parsed.transport, Transport::Fragment),
    };
    let (outcome, effects) = driver.on_packet(&request, now, hold);
    (action_of(outcome), effects)
}

/// ALE endpoint closure.
pub fn endpoint_closure<P, I: Irp>(
    driver: &mut Driver<P, I>,
    v6: bool,
    values: &Values<'_>,
    now: u64,
) -> (ClassifyAction, Effects<P, I>) {
    let effects = match fields::endpoint_closure(values, v6) {
        Ok(flow) => driver.on_endpoint_closure(&flow, now),
        Err(_) => Effects::new(),
    };
    (ClassifyAction::Continue, effects)
}

/// ALE resource assignment (a bind).
pub fn resource_assignment<P, I: Irp>(
    driver: &mut Driver<P, I>,
    v6: bool,
    values: &Values<'_>,
    meta: &Metadata<'_>,
) -> ClassifyAction {
    if let Ok(endpoint) = fields::resource(values, v6) {
        driver.on_resource_assignment(
            endpoint.protocol,
            endpoint.local_ip,
            endpoint.local_port,
            meta.process_id().unwrap_or(0),
        );
    }
    ClassifyAction::Continue
}

/// ALE resource release.
pub fn resource_release<P, I: Irp>(
    driver: &mut Driver<P, I>,
    v6: bool,
    values: &Values<'_>,
    now: u64,
) -> (ClassifyAction, Effects<P, I>) {
    let effects = match fields::resource(values, v6) {
        Ok(endpoint) => {
            let (_, effects) = driver.on_resource_release(
                endpoint.protocol,
                endpoint.local_ip,
                endpoint.local_port,
                now,
            );
            effects
        }
        Err(_) => Effects::new(),
    };
    (ClassifyAction::Continue, effects)
}

/// The stream layer: TCP bytes.
///
/// # Safety
/// `layer_data` is NULL or the engine's `FWPS_STREAM_CALLOUT_IO_PACKET0` for this classify.
pub unsafe fn stream<P, I: Irp>(
    driver: &mut Driver<P, I>,
    v6: bool,
    values: &Values<'_>,
    layer_data: *const c_void,
) -> ClassifyAction {
    if !driver.counts_bytes() {
        return ClassifyAction::Continue;
    }
    // SAFETY: forwarded from the caller.
    let Some(bytes) = (unsafe { fields::stream_bytes(layer_data) }) else {
        return ClassifyAction::Continue;
    };
    if let Ok(flow) = fields::stream(values, v6) {
        let (tx, rx) = if bytes.received {
            (0, bytes.bytes)
        } else {
            (bytes.bytes, 0)
        };
        driver.on_bytes(flow, tx, rx);
    }
    ClassifyAction::Continue
}

/// The datagram-data layer: UDP bytes. `datagram_bytes` is the sum of the NET_BUFFERs'
/// `DataLength`; for outbound datagrams the data starts at the UDP header (documented data
/// offset), so its size is taken off to count payload only, as the stream layer does.
pub fn datagram<P, I: Irp>(
    driver: &mut Driver<P, I>,
    v6: bool,
    values: &Values<'_>,
    meta: &Metadata<'_>,
    datagram_bytes: u64,
) -> ClassifyAction {
    if !driver.counts_bytes() {
        return ClassifyAction::Continue;
    }
    if let Ok((flow, direction)) = fields::datagram(values, v6) {
        match direction {
            Direction::Outbound => {
                let header = u64::from(meta.transport_header_size().unwrap_or(8));
                driver.on_bytes(flow, datagram_bytes.saturating_sub(header), 0);
            }
            Direction::Inbound => driver.on_bytes(flow, 0, datagram_bytes),
        }
    }
    ClassifyAction::Continue
}

/// The flow of an IP packet as this host sees it (for the kernel's logging).
pub fn packet_flow(packet: &[u8], outbound: bool) -> Option<FlowKey> {
    let parsed = parse_ip_packet(packet).ok()?;
    Some(parsed.tuple.flow_key(if outbound {
        Direction::Outbound
    } else {
        Direction::Inbound
    }))
}
