//! Reading the arguments the filter engine passes to `classifyFn`: the incoming values (indexed
//! by the layer's `FWPS_FIELD_*` identifiers), the metadata, and the stream `layerData`.
//!
//! Every read checks the index against `valueCount` and the `FWP_DATA_TYPE` against what the
//! field must hold, so a layer that delivers something unexpected gives an error, never an
//! out-of-bounds read. The unit tests build the same structures the engine builds and run the
//! readers on them.

use alloc::string::String;
use core::ffi::c_void;

use zenithfence_core::flow::{FlowKey, IpAddress};
use zenithfence_protocol::Direction;

use crate::bindings::{
    data_type, metadata_field, FWPS_INCOMING_METADATA_VALUES0, FWPS_INCOMING_VALUE0,
    FWPS_INCOMING_VALUES0, FWPS_STREAM_CALLOUT_IO_PACKET0, FWPS_STREAM_FLAG_RECEIVE,
    FWP_DIRECTION_INBOUND, HANDLE,
};
use crate::device::MAX_PROCESS_PATH_BYTES;
use crate::layers::field;

/// Why a value could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldError {
    /// The incoming values were NULL.
    NoValues,
    /// The index is past `valueCount`.
    Missing(usize),
    /// The value has another `FWP_DATA_TYPE` than the field must have.
    WrongType {
        /// The field index.
        index: usize,
        /// The type found.
        found: u32,
    },
    /// A by-pointer value (an IPv6 address) was NULL.
    NullPointer(usize),
}

/// The incoming values of one classify.
#[derive(Clone, Copy)]
pub struct Values<'a> {
    values: &'a [FWPS_INCOMING_VALUE0],
    layer_id: u16,
}

impl<'a> Values<'a> {
    /// Wraps the `inFixedValues` argument.
    ///
    /// # Safety
    /// `raw` is NULL or points to an `FWPS_INCOMING_VALUES0` whose `incomingValue` points to
    /// `valueCount` initialised entries; the entries, every `FWP_BYTE_ARRAY16` and
    /// `FWP_BYTE_BLOB` they point to, and the blobs' `size` bytes of data, stay valid and
    /// unchanged for `'a` (the engine guarantees this for the duration of the classify).
    pub unsafe fn from_raw(raw: *const FWPS_INCOMING_VALUES0) -> Result<Values<'a>, FieldError> {
        // SAFETY: the caller guarantees `raw` is NULL or valid for 'a.
        let header = unsafe { raw.as_ref() }.ok_or(FieldError::NoValues)?;
        if header.incomingValue.is_null() {
            return Err(FieldError::NoValues);
        }
        let count = usize::try_from(header.valueCount).map_err(|_| FieldError::NoValues)?;
        // SAFETY: the caller guarantees `incomingValue` points to `valueCount` entries valid
        // for 'a; it is non-NULL (checked above).
        let values = unsafe { core::slice::from_raw_parts(header.incomingValue, count) };
        Ok(Values {
            values,
            layer_id: header.layerId,
        })
    }

    /// Wraps a slice (the tests build values this way).
    pub fn from_slice(values: &'a [FWPS_INCOMING_VALUE0], layer_id: u16) -> Values<'a> {
        Values { values, layer_id }
    }

    /// The run-time layer id.
    pub fn layer_id(&self) -> u16 {
        self.layer_id
    }

    fn typed(&self, index: usize, expected: u32) -> Result<&'a FWPS_INCOMING_VALUE0, FieldError> {
        let value = self.values.get(index).ok_or(FieldError::Missing(index))?;
        if value.value.type_ != expected {
            return Err(FieldError::WrongType {
                index,
                found: value.value.type_,
            });
        }
        Ok(value)
    }

    /// An `FWP_UINT8` value.
    pub fn u8(&self, index: usize) -> Result<u8, FieldError> {
        let value = self.typed(index, data_type::UINT8)?;
        // SAFETY: the type tag says `uint8` is the member written; any bit pattern is a u8.
        Ok(unsafe { value.value.value.uint8 })
    }

    /// An `FWP_UINT16` value.
    pub fn u16(&self, index: usize) -> Result<u16, FieldError> {
        let value = self.typed(index, data_type::UINT16)?;
        // SAFETY: the type tag says `uint16` is the member written.
        Ok(unsafe { value.value.value.uint16 })
    }

    /// An `FWP_UINT32` value.
    pub fn u32(&self, index: usize) -> Result<u32, FieldError> {
        let value = self.typed(index, data_type::UINT32)?;
        // SAFETY: the type tag says `uint32` is the member written.
        Ok(unsafe { value.value.value.uint32 })
    }

    /// An IP address field: IPv4 is an `FWP_UINT32` in host order, IPv6 an
    /// `FWP_BYTE_ARRAY16_TYPE` pointer to the 16 network-order bytes.
    pub fn address(&self, index: usize, v6: bool) -> Result<IpAddress, FieldError> {
        if !v6 {
            return Ok(IpAddress::V4(self.u32(index)?.to_be_bytes()));
        }
        let value = self.typed(index, data_type::BYTE_ARRAY16)?;
        // SAFETY: the type tag says `byteArray16` is the member written.
        let pointer = unsafe { value.value.value.byteArray16 };
        // SAFETY: `from_raw`'s contract keeps every pointed-to FWP_BYTE_ARRAY16 valid for 'a.
        let bytes = unsafe { pointer.as_ref() }.ok_or(FieldError::NullPointer(index))?;
        Ok(IpAddress::V6(bytes.byteArray16))
    }
}

impl<'a> Values<'a> {
    /// An `FWP_BYTE_BLOB_TYPE` value's bytes (empty for a NULL data pointer of size 0).
    pub fn blob(&self, index: usize) -> Result<&'a [u8], FieldError> {
        let value = self.typed(index, data_type::BYTE_BLOB)?;
        // SAFETY: the type tag says `byteBlob` is the member written.
        let pointer = unsafe { value.value.value.byteBlob };
        // SAFETY: `from_raw`'s contract keeps every pointed-to FWP_BYTE_BLOB valid for 'a.
        let blob = unsafe { pointer.as_ref() }.ok_or(FieldError::NullPointer(index))?;
        let len = usize::try_from(blob.size).map_err(|_| FieldError::NullPointer(index))?;
        if len == 0 {
            return Ok(&[]);
        }
        if blob.data.is_null() {
            return Err(FieldError::NullPointer(index));
        }
        // SAFETY: `from_raw`'s contract: a blob's `size` bytes at `data` are valid for 'a; the
        // pointer is non-NULL (checked above).
        Ok(unsafe { core::slice::from_raw_parts(blob.data, len) })
    }
}

/// The text of an ALE_APP_ID blob: UTF-16LE up to its terminating NUL (an odd last byte is
/// ignored, unpaired surrogates become U+FFFD). `None` when it is empty.
pub fn app_path_of(blob: &[u8]) -> Option<String> {
    path_of(blob, usize::MAX)
}

/// As [`app_path_of`], reading at most `max_units` UTF-16 code units: a path with more decodes
/// to more than `max_units` bytes of UTF-8 (every unit gives at least one byte, a pair cut in
/// two gives U+FFFD), so a caller that refuses paths longer than `max_units - 1` bytes sees it
/// as too long without decoding all of it.
pub fn bounded_path_of(blob: &[u8], max_units: usize) -> Option<String> {
    path_of(blob, max_units)
}

fn path_of(blob: &[u8], max_units: usize) -> Option<String> {
    let units = blob
        .chunks_exact(2)
        .take(max_units)
        .map(|pair| {
            u16::from_le_bytes([
                pair.first().copied().unwrap_or(0),
                pair.get(1).copied().unwrap_or(0),
            ])
        })
        .take_while(|&unit| unit != 0);
    let path: String = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    (!path.is_empty()).then_some(path)
}

/// The application's NT path of an ALE connect or recv-accept classify
/// (`\device\harddiskvolume3\windows\system32\curl.exe`); `None` when the layer gave none.
pub fn ale_app_id(values: &Values<'_>) -> Option<String> {
    // The field has the same index at both layers (asserted in the tests).
    let blob = values.blob(field::ale_auth_connect::ALE_APP_ID).ok()?;
    app_path_of(blob)
}

/// The executable's NT path for a Process info, in the case the engine gives it: the
/// metadata's `processPath` (`FWPS_METADATA_FIELD_PROCESS_PATH`), else the ALE app id. At most
/// [`MAX_PROCESS_PATH_BYTES`] + 1 code units are decoded (a longer path is refused by the
/// driver, see [`bounded_path_of`]). `None` when the classify carries neither.
pub fn process_path(values: &Values<'_>, meta: &Metadata<'_>) -> Option<String> {
    let max_units = MAX_PROCESS_PATH_BYTES + 1;
    meta.process_path()
        .and_then(|blob| bounded_path_of(blob, max_units))
        .or_else(|| {
            let blob = values.blob(field::ale_auth_connect::ALE_APP_ID).ok()?;
            bounded_path_of(blob, max_units)
        })
}

/// The metadata of one classify.
#[derive(Clone, Copy)]
pub struct Metadata<'a> {
    raw: &'a FWPS_INCOMING_METADATA_VALUES0,
}

impl<'a> Metadata<'a> {
    /// Wraps the `inMetaValues` argument.
    ///
    /// # Safety
    /// `raw` is NULL or points to the engine's metadata, valid for `'a`; `controlData`, when
    /// flagged present, points to `controlDataLength` readable bytes for `'a`; `processPath`,
    /// when flagged present, is NULL or points to an `FWP_BYTE_BLOB` whose `size` bytes at
    /// `data` are readable for `'a`.
    pub unsafe fn from_raw(raw: *const FWPS_INCOMING_METADATA_VALUES0) -> Option<Metadata<'a>> {
        // SAFETY: the caller guarantees `raw` is NULL or valid for 'a.
        unsafe { raw.as_ref() }.map(|raw| Metadata { raw })
    }

    /// Wraps a structure the tests built.
    pub fn from_ref(raw: &'a FWPS_INCOMING_METADATA_VALUES0) -> Metadata<'a> {
        Metadata { raw }
    }

    fn has(&self, flag: u32) -> bool {
        self.raw.currentMetadataValues & flag != 0
    }

    /// The process id, when present.
    pub fn process_id(&self) -> Option<u64> {
        self.has(metadata_field::PROCESS_ID)
            .then_some(self.raw.processId)
    }

    /// The `processPath` blob's bytes (UTF-16LE with a NUL), when present.
    pub fn process_path(&self) -> Option<&'a [u8]> {
        if !self.has(metadata_field::PROCESS_PATH) {
            return None;
        }
        // SAFETY: `from_raw`'s contract: a present `processPath` is NULL or a valid blob for 'a.
        let blob = unsafe { self.raw.processPath.as_ref() }?;
        let len = usize::try_from(blob.size).ok()?;
        if len == 0 {
            return Some(&[]);
        }
        if blob.data.is_null() {
            return None;
        }
        // SAFETY: `from_raw`'s contract: `size` bytes at `data` are readable for 'a; the pointer
        // is non-NULL (checked above).
        Some(unsafe { core::slice::from_raw_parts(blob.data, len) })
    }

    /// The completion handle that allows pending this classify.
    pub fn completion_handle(&self) -> Option<HANDLE> {
        (self.has(metadata_field::COMPLETION_HANDLE) && !self.raw.completionHandle.is_null())
            .then_some(self.raw.completionHandle)
    }

    /// The IP header size.
    pub fn ip_header_size(&self) -> Option<u32> {
        self.has(metadata_field::IP_HEADER_SIZE)
            .then_some(self.raw.ipHeaderSize)
    }

    /// The transport header size.
    pub fn transport_header_size(&self) -> Option<u32> {
        self.has(metadata_field::TRANSPORT_HEADER_SIZE)
            .then_some(self.raw.transportHeaderSize)
    }

    /// The routing compartment (`UNSPECIFIED_COMPARTMENT_ID` when absent).
    pub fn compartment_id(&self) -> u32 {
        if self.has(metadata_field::COMPARTMENT_ID) {
            self.raw.compartmentId
        } else {
            crate::bindings::UNSPECIFIED_COMPARTMENT_ID
        }
    }

    /// The transport endpoint handle (for transport send injection).
    pub fn endpoint_handle(&self) -> Option<u64> {
        self.has(metadata_field::TRANSPORT_ENDPOINT_HANDLE)
            .then_some(self.raw.transportEndpointHandle)
    }

    /// The remote scope id (0 when absent).
    pub fn remote_scope_id(&self) -> u32 {
        if self.has(metadata_field::REMOTE_SCOPE_ID) {
            self.raw.remoteScopeId
        } else {
            0
        }
    }

    /// The socket control data, when present (to be copied: it dies with the classify).
    pub fn control_data(&self) -> Option<&'a [u8]> {
        if !self.has(metadata_field::TRANSPORT_CONTROL_DATA) || self.raw.controlData.is_null() {
            return None;
        }
        let len = usize::try_from(self.raw.controlDataLength).ok()?;
        // SAFETY: `from_raw`'s contract: present control data is `controlDataLength` readable
        // bytes for 'a; the pointer is non-NULL (checked above).
        Some(unsafe { core::slice::from_raw_parts(self.raw.controlData.cast::<u8>(), len) })
    }

    /// Whether the packet is a fragment other than the first (its offset is not 0).
    pub fn is_non_first_fragment(&self) -> bool {
        self.has(metadata_field::FRAGMENT_DATA) && self.raw.fragmentMetadata.fragmentOffset != 0
    }
}

/// The ALE authorization values of a connect or recv-accept classify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AleFields {
    /// The flow seen from this host (ports 0 for protocols other than TCP and UDP).
    pub flow: FlowKey,
    /// `FWP_CONDITION_FLAG_*` bits.
    pub flags: u32,
    /// The interface index (for receive injection).
    pub interface_index: u32,
    /// The sub-interface index.
    pub sub_interface_index: u32,
}

/// Whether the protocol has ports (else the ALE port fields carry ICMP type and code).
fn has_ports(protocol: u8) -> bool {
    matches!(protocol, 6 | 17)
}

fn flow_from(
    values: &Values<'_>,
    v6: bool,
    protocol: u8,
    local: (usize, usize),
    remote: (usize, usize),
) -> Result<FlowKey, FieldError> {
    let ports = has_ports(protocol);
    Ok(FlowKey {
        protocol,
        local_ip: values.address(local.0, v6)?,
        local_port: if ports { values.u16(local.1)? } else { 0 },
        remote_ip: values.address(remote.0, v6)?,
        remote_port: if ports { values.u16(remote.1)? } else { 0 },
    })
}

/// Reads an ALE_AUTH_CONNECT_V4/V6 classify.
pub fn ale_connect(values: &Values<'_>, v6: bool) -> Result<AleFields, FieldError> {
    use field::ale_auth_connect as f;
    let protocol = values.u8(f::IP_PROTOCOL)?;
    Ok(AleFields {
        flow: flow_from(
            values,
            v6,
            protocol,
            (f::IP_LOCAL_ADDRESS, f::IP_LOCAL_PORT),
            (f::IP_REMOTE_ADDRESS, f::IP_REMOTE_PORT),
        )?,
        flags: values.u32(f::FLAGS)?,
        interface_index: values.u32(f::INTERFACE_INDEX).unwrap_or(0),
        sub_interface_index: values.u32(f::SUB_INTERFACE_INDEX).unwrap_or(0),
    })
}

/// Reads an ALE_AUTH_RECV_ACCEPT_V4/V6 classify.
pub fn ale_recv_accept(values: &Values<'_>, v6: bool) -> Result<AleFields, FieldError> {
    use field::ale_auth_recv_accept as f;
    let protocol = values.u8(f::IP_PROTOCOL)?;
    Ok(AleFields {
        flow: flow_from(
            values,
            v6,
            protocol,
            (f::IP_LOCAL_ADDRESS, f::IP_LOCAL_PORT),
            (f::IP_REMOTE_ADDRESS, f::IP_REMOTE_PORT),
        )?,
        flags: values.u32(f::FLAGS)?,
        interface_index: values.u32(f::INTERFACE_INDEX).unwrap_or(0),
        sub_interface_index: values.u32(f::SUB_INTERFACE_INDEX).unwrap_or(0),
    })
}

/// Reads an ALE_ENDPOINT_CLOSURE_V4/V6 classify.
pub fn endpoint_closure(values: &Values<'_>, v6: bool) -> Result<FlowKey, FieldError> {
    use field::ale_endpoint_closure as f;
    let protocol = values.u8(f::IP_PROTOCOL)?;
    flow_from(
        values,
        v6,
        protocol,
        (f::IP_LOCAL_ADDRESS, f::IP_LOCAL_PORT),
        (f::IP_REMOTE_ADDRESS, f::IP_REMOTE_PORT),
    )
}

/// A bound or released local endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// IANA protocol.
    pub protocol: u8,
    /// Local address (unspecified for a wildcard bind).
    pub local_ip: IpAddress,
    /// Local port.
    pub local_port: u16,
}

/// Reads an ALE_RESOURCE_ASSIGNMENT or ALE_RESOURCE_RELEASE classify.
pub fn resource(values: &Values<'_>, v6: bool) -> Result<Endpoint, FieldError> {
    use field::ale_resource as f;
    let protocol = values.u8(f::IP_PROTOCOL)?;
    Ok(Endpoint {
        protocol,
        local_ip: values.address(f::IP_LOCAL_ADDRESS, v6)?,
        local_port: if has_ports(protocol) {
            values.u16(f::IP_LOCAL_PORT)?
        } else {
            0
        },
    })
}

/// Reads a STREAM_V4/V6 classify: the TCP flow.
pub fn stream(values: &Values<'_>, v6: bool) -> Result<FlowKey, FieldError> {
    use field::stream as f;
    flow_from(
        values,
        v6,
        6,
        (f::IP_LOCAL_ADDRESS, f::IP_LOCAL_PORT),
        (f::IP_REMOTE_ADDRESS, f::IP_REMOTE_PORT),
    )
}

/// Reads a DATAGRAM_DATA_V4/V6 classify: the flow and the datagram's direction.
pub fn datagram(values: &Values<'_>, v6: bool) -> Result<(FlowKey, Direction), FieldError> {
    use field::datagram_data as f;
    let protocol = values.u8(f::IP_PROTOCOL)?;
    let flow = flow_from(
        values,
        v6,
        protocol,
        (f::IP_LOCAL_ADDRESS, f::IP_LOCAL_PORT),
        (f::IP_REMOTE_ADDRESS, f::IP_REMOTE_PORT),
    )?;
    let direction = if values.u32(f::DIRECTION)? == FWP_DIRECTION_INBOUND {
        Direction::Inbound
    } else {
        Direction::Outbound
    };
    Ok((flow, direction))
}

/// Reads the interface indices of an INBOUND_IPPACKET classify (0 when absent).
pub fn inbound_interface(values: &Values<'_>) -> (u32, u32) {
    use field::inbound_ippacket as f;
    (
        values.u32(f::INTERFACE_INDEX).unwrap_or(0),
        values.u32(f::SUB_INTERFACE_INDEX).unwrap_or(0),
    )
}

/// The bytes and direction of one stream-layer indication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StreamBytes {
    /// Bytes of stream data.
    pub bytes: u64,
    /// Whether the data is received (else sent).
    pub received: bool,
}

/// Reads the stream `layerData` (`FWPS_STREAM_CALLOUT_IO_PACKET0`).
///
/// # Safety
/// `layer_data` is NULL or points to the engine's `FWPS_STREAM_CALLOUT_IO_PACKET0`, whose
/// `streamData` is NULL or valid, for the duration of the call.
pub unsafe fn stream_bytes(layer_data: *const c_void) -> Option<StreamBytes> {
    let packet = layer_data.cast::<FWPS_STREAM_CALLOUT_IO_PACKET0>();
    // SAFETY: the caller guarantees the pointer is NULL or a valid stream IO packet.
    let packet = unsafe { packet.as_ref() }?;
    // SAFETY: the caller guarantees `streamData` is NULL or valid.
    let data = unsafe { packet.streamData.as_ref() }?;
    Some(StreamBytes {
        bytes: u64::try_from(data.dataLength).unwrap_or(u64::MAX),
        received: data.flags & FWPS_STREAM_FLAG_RECEIVE != 0,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;
    use crate::bindings::{
        FWPS_STREAM_DATA0, FWPS_STREAM_DATA_OFFSET0, FWP_BYTE_ARRAY16, FWP_BYTE_BLOB, FWP_VALUE0,
        FWP_VALUE0_UNION,
    };
    use core::ptr::null_mut;

    pub(crate) fn empty() -> FWPS_INCOMING_VALUE0 {
        FWPS_INCOMING_VALUE0 {
            value: FWP_VALUE0 {
                type_: data_type::EMPTY,
                value: FWP_VALUE0_UNION { uint32: 0 },
            },
        }
    }
    pub(crate) fn v8(x: u8) -> FWPS_INCOMING_VALUE0 {
        FWPS_INCOMING_VALUE0 {
            value: FWP_VALUE0 {
                type_: data_type::UINT8,
                value: FWP_VALUE0_UNION { uint8: x },
            },
        }
    }
    pub(crate) fn v16(x: u16) -> FWPS_INCOMING_VALUE0 {
        FWPS_INCOMING_VALUE0 {
            value: FWP_VALUE0 {
                type_: data_type::UINT16,
                value: FWP_VALUE0_UNION { uint16: x },
            },
        }
    }
    pub(crate) fn v32(x: u32) -> FWPS_INCOMING_VALUE0 {
        FWPS_INCOMING_VALUE0 {
            value: FWP_VALUE0 {
                type_: data_type::UINT32,
                value: FWP_VALUE0_UNION { uint32: x },
            },
        }
    }
    pub(crate) fn v6addr(x: &mut FWP_BYTE_ARRAY16) -> FWPS_INCOMING_VALUE0 {
        FWPS_INCOMING_VALUE0 {
            value: FWP_VALUE0 {
                type_: data_type::BYTE_ARRAY16,
                value: FWP_VALUE0_UNION { byteArray16: x },
            },
        }
    }

    /// An ALE_AUTH_CONNECT_V4 value array as the engine fills it (44 fields in current
    /// headers; only the ones we read are set, the rest FWP_EMPTY).
    pub(crate) fn connect_v4(
        protocol: u8,
        local: [u8; 4],
        lport: u16,
        remote: [u8; 4],
        rport: u16,
        flags: u32,
    ) -> Vec<FWPS_INCOMING_VALUE0> {
        use field::ale_auth_connect as f;
        let mut v = vec![empty(); 44];
        v[f::IP_LOCAL_ADDRESS] = v32(u32::from_be_bytes(local));
        v[f::IP_LOCAL_PORT] = v16(lport);
        v[f::IP_PROTOCOL] = v8(protocol);
        v[f::IP_REMOTE_ADDRESS] = v32(u32::from_be_bytes(remote));
        v[f::IP_REMOTE_PORT] = v16(rport);
        v[f::FLAGS] = v32(flags);
        v[f::INTERFACE_INDEX] = v32(7);
        v[f::SUB_INTERFACE_INDEX] = v32(8);
        v
    }

    #[test]
    fn connect_v4_fields_by_index_through_the_raw_struct() {
        let mut array = connect_v4(6, [10, 0, 0, 1], 50_000, [93, 184, 216, 34], 443, 0x4);
        let raw = FWPS_INCOMING_VALUES0 {
            layerId: 48,
            valueCount: array.len() as u32,
            incomingValue: array.as_mut_ptr(),
        };
        // SAFETY: `raw` points to `array`, alive for the whole test.
        let values = unsafe { Values::from_raw(&raw) }.unwrap();
        assert_eq!(values.layer_id(), 48);
        let fields = ale_connect(&values, false).unwrap();
        assert_eq!(
            fields.flow,
            FlowKey {
                protocol: 6,
                local_ip: IpAddress::V4([10, 0, 0, 1]),
                local_port: 50_000,
                remote_ip: IpAddress::V4([93, 184, 216, 34]),
                remote_port: 443,
            }
        );
        assert_eq!(fields.flags, 0x4);
        assert_eq!((fields.interface_index, fields.sub_interface_index), (7, 8));
    }

    #[test]
    fn recv_accept_v6_reads_byte_array_addresses() {
        use field::ale_auth_recv_accept as f;
        let mut local = FWP_BYTE_ARRAY16 {
            byteArray16: [0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
        };
        let mut remote = FWP_BYTE_ARRAY16 {
            byteArray16: [0x20, 0x01, 0xd, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2],
        };
        let mut v = vec![empty(); 40];
        v[f::IP_LOCAL_ADDRESS] = v6addr(&mut local);
        v[f::IP_LOCAL_PORT] = v16(22);
        v[f::IP_PROTOCOL] = v8(6);
        v[f::IP_REMOTE_ADDRESS] = v6addr(&mut remote);
        v[f::IP_REMOTE_PORT] = v16(40_000);
        v[f::FLAGS] = v32(0);
        let values = Values::from_slice(&v, 0);
        let fields = ale_recv_accept(&values, true).unwrap();
        assert_eq!(fields.flow.local_ip, IpAddress::V6(local.byteArray16));
        assert_eq!(fields.flow.remote_ip, IpAddress::V6(remote.byteArray16));
        assert_eq!(
            (fields.flow.local_port, fields.flow.remote_port),
            (22, 40_000)
        );
        // Connect's FLAGS index (12) is not recv-accept's (11).
        assert_eq!(
            ale_connect(&values, true).unwrap_err(),
            FieldError::WrongType {
                index: field::ale_auth_connect::FLAGS,
                found: data_type::EMPTY
            }
        );
    }

    /// An FWP_BYTE_BLOB_TYPE value over `blob`.
    pub(crate) fn vblob(blob: &mut FWP_BYTE_BLOB) -> FWPS_INCOMING_VALUE0 {
        FWPS_INCOMING_VALUE0 {
            value: FWP_VALUE0 {
                type_: data_type::BYTE_BLOB,
                value: FWP_VALUE0_UNION { byteBlob: blob },
            },
        }
    }

    /// The UTF-16LE bytes of `text` with a terminating NUL, as the ALE_APP_ID blob holds them.
    pub(crate) fn utf16z(text: &str) -> Vec<u8> {
        text.encode_utf16()
            .chain(core::iter::once(0))
            .flat_map(u16::to_le_bytes)
            .collect()
    }

    #[test]
    fn the_app_id_is_read_from_the_blob_through_the_raw_struct() {
        assert_eq!(
            field::ale_auth_connect::ALE_APP_ID,
            field::ale_auth_recv_accept::ALE_APP_ID
        );
        let path = "\\device\\harddiskvolume3\\windows\\system32\\curl.exe";
        let mut bytes = utf16z(path);
        let mut blob = FWP_BYTE_BLOB {
            size: bytes.len() as u32,
            data: bytes.as_mut_ptr(),
        };
        let mut array = connect_v4(6, [10, 0, 0, 1], 1, [10, 0, 0, 2], 2, 0);
        array[field::ale_auth_connect::ALE_APP_ID] = vblob(&mut blob);
        let raw = FWPS_INCOMING_VALUES0 {
            layerId: 48,
            valueCount: array.len() as u32,
            incomingValue: array.as_mut_ptr(),
        };
        // SAFETY: `raw` points to `array`, whose blob points to `bytes`, all alive.
        let values = unsafe { Values::from_raw(&raw) }.unwrap();
        assert_eq!(ale_app_id(&values).as_deref(), Some(path));
        // The blob without its NUL, or with bytes after it, reads the same.
        assert_eq!(
            app_path_of(&bytes[..bytes.len() - 2]).as_deref(),
            Some(path)
        );
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[b'x', 0, 0]);
        assert_eq!(app_path_of(&longer).as_deref(), Some(path));
    }

    #[test]
    fn a_missing_empty_or_odd_app_id_is_none_or_replaced_never_a_panic() {
        // FWP_EMPTY (the layer gave no app id), a NULL blob, an empty blob.
        let v = connect_v4(6, [10, 0, 0, 1], 1, [10, 0, 0, 2], 2, 0);
        assert_eq!(ale_app_id(&Values::from_slice(&v, 0)), None);
        let null_blob = [FWPS_INCOMING_VALUE0 {
            value: FWP_VALUE0 {
                type_: data_type::BYTE_BLOB,
                value: FWP_VALUE0_UNION {
                    byteBlob: null_mut(),
                },
            },
        }];
        assert_eq!(
            Values::from_slice(&null_blob, 0).blob(0),
            Err(FieldError::NullPointer(0))
        );
        let mut empty = FWP_BYTE_BLOB {
            size: 0,
            data: null_mut(),
        };
        let v = [vblob(&mut empty)];
        assert_eq!(Values::from_slice(&v, 0).blob(0), Ok(&[][..]));
        assert_eq!(ale_app_id(&Values::from_slice(&v, 0)), None);
        let mut no_data = FWP_BYTE_BLOB {
            size: 4,
            data: null_mut(),
        };
        let v = [vblob(&mut no_data)];
        assert_eq!(
            Values::from_slice(&v, 0).blob(0),
            Err(FieldError::NullPointer(0))
        );
        // An odd byte at the end is ignored; a lone surrogate becomes U+FFFD.
        assert_eq!(app_path_of(&[b'a', 0, b'b']).as_deref(), Some("a"));
        assert_eq!(
            app_path_of(&[0x00, 0xd8, b'c', 0]).as_deref(),
            Some("\u{fffd}c")
        );
        assert_eq!(app_path_of(&[0, 0, b'a', 0]), None);
    }

    #[test]
    fn icmp_port_fields_are_not_ports() {
        let v = connect_v4(1, [10, 0, 0, 1], 8, [10, 0, 0, 2], 0, 0);
        let fields = ale_connect(&Values::from_slice(&v, 0), false).unwrap();
        assert_eq!((fields.flow.local_port, fields.flow.remote_port), (0, 0));
    }

    #[test]
    fn bad_values_are_errors_not_panics() {
        // SAFETY: NULL is allowed by the contract.
        let none = unsafe { Values::from_raw(core::ptr::null()) };
        assert_eq!(none.err(), Some(FieldError::NoValues));
        let raw = FWPS_INCOMING_VALUES0 {
            layerId: 0,
            valueCount: 3,
            incomingValue: null_mut(),
        };
        // SAFETY: a NULL array is rejected before it is read.
        assert!(unsafe { Values::from_raw(&raw) }.is_err());
        let short = [v8(6), v32(1)];
        let values = Values::from_slice(&short, 0);
        assert_eq!(values.u16(5), Err(FieldError::Missing(5)));
        assert_eq!(
            values.u16(1),
            Err(FieldError::WrongType {
                index: 1,
                found: data_type::UINT32
            })
        );
        let null_v6 = [FWPS_INCOMING_VALUE0 {
            value: FWP_VALUE0 {
                type_: data_type::BYTE_ARRAY16,
                value: FWP_VALUE0_UNION {
                    byteArray16: null_mut(),
                },
            },
        }];
        assert_eq!(
            Values::from_slice(&null_v6, 0).address(0, true),
            Err(FieldError::NullPointer(0))
        );
    }

    #[test]
    fn datagram_stream_closure_and_resource_layers() {
        use field::datagram_data as d;
        let mut v = vec![empty(); 14];
        v[d::IP_PROTOCOL] = v8(17);
        v[d::IP_LOCAL_ADDRESS] = v32(0x0a00_0001);
        v[d::IP_REMOTE_ADDRESS] = v32(0x0808_0808);
        v[d::IP_LOCAL_PORT] = v16(5353);
        v[d::IP_REMOTE_PORT] = v16(53);
        v[d::DIRECTION] = v32(FWP_DIRECTION_INBOUND);
        let (flow, direction) = datagram(&Values::from_slice(&v, 0), false).unwrap();
        assert_eq!(flow.remote_ip, IpAddress::V4([8, 8, 8, 8]));
        assert_eq!(flow.local_port, 5353);
        assert_eq!(direction, Direction::Inbound);

        use field::stream as s;
        let mut v = vec![empty(); 8];
        v[s::IP_LOCAL_ADDRESS] = v32(0x7f00_0001);
        v[s::IP_REMOTE_ADDRESS] = v32(0x7f00_0002);
        v[s::IP_LOCAL_PORT] = v16(1);
        v[s::IP_REMOTE_PORT] = v16(2);
        let flow = stream(&Values::from_slice(&v, 0), false).unwrap();
        assert_eq!(
            (flow.protocol, flow.local_port, flow.remote_port),
            (6, 1, 2)
        );

        use field::ale_endpoint_closure as c;
        let mut v = vec![empty(); 13];
        v[c::IP_PROTOCOL] = v8(6);
        v[c::IP_LOCAL_ADDRESS] = v32(1);
        v[c::IP_LOCAL_PORT] = v16(3);
        v[c::IP_REMOTE_ADDRESS] = v32(2);
        v[c::IP_REMOTE_PORT] = v16(4);
        let flow = endpoint_closure(&Values::from_slice(&v, 0), false).unwrap();
        assert_eq!((flow.local_port, flow.remote_port), (3, 4));

        use field::ale_resource as r;
        let mut v = vec![empty(); 11];
        v[r::IP_PROTOCOL] = v8(17);
        v[r::IP_LOCAL_ADDRESS] = v32(0);
        v[r::IP_LOCAL_PORT] = v16(68);
        let endpoint = resource(&Values::from_slice(&v, 0), false).unwrap();
        assert_eq!(endpoint.local_port, 68);
        assert_eq!(endpoint.local_ip, IpAddress::V4([0; 4]));
    }

    #[test]
    fn metadata_members_are_read_only_when_flagged() {
        let mut control = [1u8, 2, 3];
        let mut meta = blank_metadata();
        let m = Metadata::from_ref(&meta);
        assert_eq!(m.process_id(), None);
        assert!(m.completion_handle().is_none());
        assert_eq!(m.control_data(), None);
        assert_eq!(m.compartment_id(), 0);
        meta.currentMetadataValues = metadata_field::PROCESS_ID
            | metadata_field::COMPLETION_HANDLE
            | metadata_field::TRANSPORT_CONTROL_DATA
            | metadata_field::FRAGMENT_DATA
            | metadata_field::IP_HEADER_SIZE;
        meta.processId = 4242;
        meta.completionHandle = 0x1000 as HANDLE;
        meta.controlData = control.as_mut_ptr().cast();
        meta.controlDataLength = 3;
        meta.fragmentMetadata.fragmentOffset = 1480;
        meta.ipHeaderSize = 20;
        // SAFETY: `meta` and `control` outlive `m`.
        let m = unsafe { Metadata::from_raw(&meta) }.unwrap();
        assert_eq!(m.process_id(), Some(4242));
        assert_eq!(m.completion_handle(), Some(0x1000 as HANDLE));
        assert_eq!(m.control_data(), Some(&[1u8, 2, 3][..]));
        assert!(m.is_non_first_fragment());
        assert_eq!(m.ip_header_size(), Some(20));
        assert_eq!(m.transport_header_size(), None);
    }

    #[test]
    fn stream_layer_data_gives_bytes_and_direction() {
        let mut data = FWPS_STREAM_DATA0 {
            flags: FWPS_STREAM_FLAG_RECEIVE,
            dataOffset: FWPS_STREAM_DATA_OFFSET0 {
                netBufferList: null_mut(),
                netBuffer: null_mut(),
                mdl: null_mut(),
                mdlOffset: 0,
                netBufferOffset: 0,
                streamDataOffset: 0,
            },
            dataLength: 1460,
            netBufferListChain: null_mut(),
        };
        let packet = FWPS_STREAM_CALLOUT_IO_PACKET0 {
            streamData: &mut data,
            missedBytes: 0,
            countBytesRequired: 0,
            countBytesEnforced: 0,
            streamAction: 0,
        };
        // SAFETY: `packet` and `data` are alive.
        let bytes =
            unsafe { stream_bytes((&packet as *const FWPS_STREAM_CALLOUT_IO_PACKET0).cast()) };
        assert_eq!(
            bytes,
            Some(StreamBytes {
                bytes: 1460,
                received: true
            })
        );
        // SAFETY: NULL is allowed.
        assert_eq!(unsafe { stream_bytes(core::ptr::null()) }, None);
    }

    pub(crate) fn blank_metadata() -> FWPS_INCOMING_METADATA_VALUES0 {
        FWPS_INCOMING_METADATA_VALUES0 {
            currentMetadataValues: 0,
            flags: 0,
            reserved: 0,
            discardMetadata: Default::default(),
            flowHandle: 0,
            ipHeaderSize: 0,
            transportHeaderSize: 0,
            processPath: null_mut(),
            token: 0,
            processId: 0,
            sourceInterfaceIndex: 0,
            destinationInterfaceIndex: 0,
            compartmentId: 0,
            fragmentMetadata: Default::default(),
            pathMtu: 0,
            completionHandle: null_mut(),
            transportEndpointHandle: 0,
            remoteScopeId: 0,
            controlData: null_mut(),
            controlDataLength: 0,
            packetDirection: 0,
            headerIncludeHeader: null_mut(),
            headerIncludeHeaderLength: 0,
        }
    }
}
