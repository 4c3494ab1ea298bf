//! The WDK/WFP surface this driver uses, declared by hand (no bindgen, no `windows-sys`): types,
//! constants and `extern` functions, for Windows x64.
//!
//! Rules for this module:
//! - Every struct is `#[repr(C)]` with the members of the documented C definition, in order.
//!   Where the driver only reads a structure the engine owns (it is passed by pointer and never
//!   allocated here), a documented *prefix* is declared and the doc comment says so.
//! - Every size and offset asserted in the tests below is either printed in the cited page or
//!   derived from the documented member list with the x64 C layout rules (pointers and
//!   `SIZE_T` 8 bytes, `ULONG`/`UINT32` 4, natural alignment). The citation is on the item.
//! - The `#[link]` attributes exist only for Windows builds with the `kernel` feature; on other
//!   hosts the declarations compile (so the layout tests run) but nothing links them.
#![allow(non_camel_case_types, non_snake_case)]

use core::ffi::c_void;

pub mod guard;
pub mod storage;
pub use guard::*;
pub use storage::*;

/// `NTSTATUS` (ntdef.h).
pub type NTSTATUS = i32;
/// `HANDLE`.
pub type HANDLE = *mut c_void;
/// `KIRQL` (wdm.h).
pub type KIRQL = u8;
/// `APC_LEVEL` (wdm.h).
pub const APC_LEVEL: KIRQL = 1;
/// `PEPROCESS` (wdm.h): an opaque process object.
pub type PEPROCESS = *mut c_void;
/// `KSPIN_LOCK` is a `ULONG_PTR` (wdm.h).
pub type KSPIN_LOCK = usize;
/// `ADDRESS_FAMILY` is a `USHORT` (ws2def.h).
pub type ADDRESS_FAMILY = u16;
/// `COMPARTMENT_ID` is a `UINT32` enum (ifdef.h).
pub type COMPARTMENT_ID = u32;
/// `IF_INDEX` is a `ULONG` (ifdef.h).
pub type IF_INDEX = u32;
/// `FWP_ACTION_TYPE` is a `UINT32` (fwptypes.h).
pub type FWP_ACTION_TYPE = u32;

/// NTSTATUS values (ntstatus.h; [MS-ERREF] 2.3.1).
pub mod status {
    use super::NTSTATUS;
    /// STATUS_SUCCESS.
    pub const SUCCESS: NTSTATUS = 0;
    /// STATUS_PENDING.
    pub const PENDING: NTSTATUS = 0x0000_0103;
    /// STATUS_DEVICE_BUSY (a warning status).
    pub const DEVICE_BUSY: NTSTATUS = 0x8000_0011_u32 as NTSTATUS;
    /// STATUS_UNSUCCESSFUL.
    pub const UNSUCCESSFUL: NTSTATUS = 0xC000_0001_u32 as NTSTATUS;
    /// STATUS_INVALID_PARAMETER.
    pub const INVALID_PARAMETER: NTSTATUS = 0xC000_000D_u32 as NTSTATUS;
    /// STATUS_INVALID_DEVICE_REQUEST.
    pub const INVALID_DEVICE_REQUEST: NTSTATUS = 0xC000_0010_u32 as NTSTATUS;
    /// STATUS_BUFFER_OVERFLOW (a warning: the data did not all fit).
    pub const BUFFER_OVERFLOW: NTSTATUS = 0x8000_0005_u32 as NTSTATUS;
    /// STATUS_NO_SUCH_FILE.
    pub const NO_SUCH_FILE: NTSTATUS = 0xC000_000F_u32 as NTSTATUS;
    /// STATUS_END_OF_FILE.
    pub const END_OF_FILE: NTSTATUS = 0xC000_0011_u32 as NTSTATUS;
    /// STATUS_ACCESS_DENIED.
    pub const ACCESS_DENIED: NTSTATUS = 0xC000_0022_u32 as NTSTATUS;
    /// STATUS_OBJECT_NAME_NOT_FOUND.
    pub const OBJECT_NAME_NOT_FOUND: NTSTATUS = 0xC000_0034_u32 as NTSTATUS;
    /// STATUS_OBJECT_PATH_NOT_FOUND.
    pub const OBJECT_PATH_NOT_FOUND: NTSTATUS = 0xC000_003A_u32 as NTSTATUS;
    /// STATUS_BUFFER_TOO_SMALL.
    pub const BUFFER_TOO_SMALL: NTSTATUS = 0xC000_0023_u32 as NTSTATUS;
    /// STATUS_SHARING_VIOLATION.
    pub const SHARING_VIOLATION: NTSTATUS = 0xC000_0043_u32 as NTSTATUS;
    /// STATUS_REVISION_MISMATCH.
    pub const REVISION_MISMATCH: NTSTATUS = 0xC000_0059_u32 as NTSTATUS;
    /// STATUS_INSUFFICIENT_RESOURCES.
    pub const INSUFFICIENT_RESOURCES: NTSTATUS = 0xC000_009A_u32 as NTSTATUS;
    /// STATUS_TOO_MANY_OPENED_FILES (Win32 `ERROR_TOO_MANY_OPEN_FILES`).
    pub const TOO_MANY_OPENED_FILES: NTSTATUS = 0xC000_011F_u32 as NTSTATUS;
    /// STATUS_CANCELLED.
    pub const CANCELLED: NTSTATUS = 0xC000_0120_u32 as NTSTATUS;
    /// STATUS_INVALID_DEVICE_STATE.
    pub const INVALID_DEVICE_STATE: NTSTATUS = 0xC000_0184_u32 as NTSTATUS;

    /// `NT_SUCCESS`: success and informational codes are non-negative.
    pub const fn is_success(status: NTSTATUS) -> bool {
        status >= 0
    }
}

// --------------------------------------------------------------------------------------------
// Basic kernel structures (wdm.h, ntdef.h)
// --------------------------------------------------------------------------------------------

/// `GUID` (guiddef.h): 16 bytes, alignment 4.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GUID {
    /// Data1.
    pub Data1: u32,
    /// Data2.
    pub Data2: u16,
    /// Data3.
    pub Data3: u16,
    /// Data4.
    pub Data4: [u8; 8],
}

impl GUID {
    /// The GUID `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` written as one `u128`, as the
    /// `DEFINE_GUID` comments in fwpmu.h print it.
    pub const fn from_u128(v: u128) -> GUID {
        GUID {
            Data1: (v >> 96) as u32,
            Data2: (v >> 80) as u16,
            Data3: (v >> 64) as u16,
            Data4: (v as u64).to_be_bytes(),
        }
    }

    /// The all-zero GUID.
    pub const ZERO: GUID = GUID::from_u128(0);
}

/// `UNICODE_STRING` (ntdef.h): lengths in bytes, buffer not necessarily NUL-terminated.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct UNICODE_STRING {
    /// Length in bytes, without a terminator.
    pub Length: u16,
    /// Capacity in bytes.
    pub MaximumLength: u16,
    /// UTF-16 characters.
    pub Buffer: *mut u16,
}

/// `LIST_ENTRY` (ntdef.h).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct LIST_ENTRY {
    /// Forward link.
    pub Flink: *mut LIST_ENTRY,
    /// Backward link.
    pub Blink: *mut LIST_ENTRY,
}

/// `IO_STATUS_BLOCK` (wdm.h): a `Status`/`Pointer` union, then `Information`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct IO_STATUS_BLOCK {
    /// The union of `NTSTATUS Status` and `PVOID Pointer`; the driver writes `Status` as the low
    /// 32 bits (little-endian) of this pointer-sized slot.
    pub Status: usize,
    /// Bytes transferred (or request-specific information).
    pub Information: usize,
}

/// `IRP` (wdm.h). The structure is partially opaque; the members are declared in full so the
/// offsets of the ones a driver may touch (`AssociatedIrp.SystemBuffer`, `IoStatus`, `Cancel`,
/// `CancelIrql`, `CancelRoutine`, `Tail.Overlay.CurrentStackLocation`) follow the wdm.h
/// definition. Unions are declared as their largest member.
#[repr(C)]
pub struct IRP {
    /// Type (CSHORT).
    pub Type: i16,
    /// Size.
    pub Size: u16,
    /// MdlAddress.
    pub MdlAddress: *mut c_void,
    /// Flags.
    pub Flags: u32,
    /// `AssociatedIrp` union; `SystemBuffer` for buffered I/O.
    pub SystemBuffer: *mut c_void,
    /// ThreadListEntry.
    pub ThreadListEntry: LIST_ENTRY,
    /// IoStatus.
    pub IoStatus: IO_STATUS_BLOCK,
    /// RequestorMode.
    pub RequestorMode: i8,
    /// PendingReturned.
    pub PendingReturned: u8,
    /// StackCount.
    pub StackCount: i8,
    /// CurrentLocation.
    pub CurrentLocation: i8,
    /// Cancel (BOOLEAN, written by `IoCancelIrp`).
    pub Cancel: u8,
    /// CancelIrql.
    pub CancelIrql: KIRQL,
    /// ApcEnvironment.
    pub ApcEnvironment: i8,
    /// AllocationFlags.
    pub AllocationFlags: u8,
    /// UserIosb (union with IoRingContext).
    pub UserIosb: *mut IO_STATUS_BLOCK,
    /// UserEvent.
    pub UserEvent: *mut c_void,
    /// `Overlay` union: AsynchronousParameters (two pointers) or AllocationSize.
    pub Overlay: [usize; 2],
    /// CancelRoutine (`volatile PDRIVER_CANCEL`).
    pub CancelRoutine: *mut c_void,
    /// UserBuffer.
    pub UserBuffer: *mut c_void,
    /// `Tail.Overlay`, the view of the `Tail` union a driver uses (the union's other members,
    /// `KAPC Apc` and `CompletionKey`, start at the same offset).
    pub Tail: IRP_TAIL_OVERLAY,
    /// The rest of the `Tail` union: `KAPC` is 88 bytes on x64, `Overlay` 80.
    pub TailRest: u64,
}

/// `IRP.Tail.Overlay` (wdm.h): DriverContext[4], Thread, AuxiliaryBuffer, ListEntry,
/// CurrentStackLocation, OriginalFileObject.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct IRP_TAIL_OVERLAY {
    /// DriverContext (union with DeviceQueueEntry).
    pub DriverContext: [*mut c_void; 4],
    /// Thread.
    pub Thread: *mut c_void,
    /// AuxiliaryBuffer.
    pub AuxiliaryBuffer: *mut c_void,
    /// ListEntry.
    pub ListEntry: LIST_ENTRY,
    /// CurrentStackLocation (union with PacketType).
    pub CurrentStackLocation: *mut IO_STACK_LOCATION,
    /// OriginalFileObject.
    pub OriginalFileObject: *mut c_void,
}

/// `IO_STACK_LOCATION` (wdm.h). `Parameters` is a union of 32 bytes on x64; the three views the
/// driver reads are provided by [`IO_STACK_LOCATION::read_length`] and friends through
/// [`IO_STACK_PARAMETERS`].
#[repr(C)]
pub struct IO_STACK_LOCATION {
    /// MajorFunction (`IRP_MJ_*`).
    pub MajorFunction: u8,
    /// MinorFunction.
    pub MinorFunction: u8,
    /// Flags.
    pub Flags: u8,
    /// Control (`SL_PENDING_RETURNED` lives here).
    pub Control: u8,
    /// Parameters union.
    pub Parameters: IO_STACK_PARAMETERS,
    /// DeviceObject.
    pub DeviceObject: *mut c_void,
    /// FileObject.
    pub FileObject: *mut c_void,
    /// CompletionRoutine.
    pub CompletionRoutine: *mut c_void,
    /// Context.
    pub Context: *mut c_void,
}

/// The `IO_STACK_LOCATION.Parameters` union, 32 bytes. `Read`/`Write` are
/// `{ ULONG Length; ULONG POINTER_ALIGNMENT Key; ULONG Flags; LARGE_INTEGER ByteOffset; }` and
/// `DeviceIoControl` is `{ ULONG OutputBufferLength; ULONG POINTER_ALIGNMENT InputBufferLength;
/// ULONG POINTER_ALIGNMENT IoControlCode; PVOID Type3InputBuffer; }`: `POINTER_ALIGNMENT` puts
/// each of those members on an 8-byte boundary on x64 (the padding windows-rs issue 2805 missed).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct IO_STACK_PARAMETERS {
    /// The four pointer-sized words of the union (`Others.Argument1..4`).
    pub Words: [u64; 4],
}

impl IO_STACK_LOCATION {
    /// `Parameters.Read.Length` / `Parameters.Write.Length` (offset 0 of the union).
    pub fn read_length(&self) -> u32 {
        self.Parameters.Words[0] as u32
    }
    /// `Parameters.DeviceIoControl.OutputBufferLength` (offset 0).
    pub fn output_buffer_length(&self) -> u32 {
        self.Parameters.Words[0] as u32
    }
    /// `Parameters.DeviceIoControl.InputBufferLength` (offset 8).
    pub fn input_buffer_length(&self) -> u32 {
        self.Parameters.Words[1] as u32
    }
    /// `Parameters.DeviceIoControl.IoControlCode` (offset 16).
    pub fn io_control_code(&self) -> u32 {
        self.Parameters.Words[2] as u32
    }
}

/// Number of `MajorFunction` slots: `IRP_MJ_MAXIMUM_FUNCTION + 1` (wdm.h).
pub const IRP_MJ_COUNT: usize = 0x1b + 1;
/// `IRP_MJ_CREATE`.
pub const IRP_MJ_CREATE: u8 = 0x00;
/// `IRP_MJ_CLOSE`.
pub const IRP_MJ_CLOSE: u8 = 0x02;
/// `IRP_MJ_READ`.
pub const IRP_MJ_READ: u8 = 0x03;
/// `IRP_MJ_WRITE`.
pub const IRP_MJ_WRITE: u8 = 0x04;
/// `IRP_MJ_DEVICE_CONTROL`.
pub const IRP_MJ_DEVICE_CONTROL: u8 = 0x0e;
/// `IRP_MJ_CLEANUP`.
pub const IRP_MJ_CLEANUP: u8 = 0x12;
/// `SL_PENDING_RETURNED` in `IO_STACK_LOCATION.Control` (`IoMarkIrpPending`).
pub const SL_PENDING_RETURNED: u8 = 0x01;
/// `IO_NO_INCREMENT`.
pub const IO_NO_INCREMENT: i8 = 0;

/// A `DRIVER_DISPATCH` routine.
pub type DriverDispatch = unsafe extern "system" fn(*mut DEVICE_OBJECT, *mut IRP) -> NTSTATUS;
/// A `DRIVER_UNLOAD` routine.
pub type DriverUnload = unsafe extern "system" fn(*mut DRIVER_OBJECT);
/// A `DRIVER_CANCEL` routine.
pub type DriverCancel = unsafe extern "system" fn(*mut DEVICE_OBJECT, *mut IRP);

/// `DRIVER_OBJECT` (wdm.h); 0x150 bytes on x64.
#[repr(C)]
pub struct DRIVER_OBJECT {
    /// Type.
    pub Type: i16,
    /// Size.
    pub Size: i16,
    /// DeviceObject.
    pub DeviceObject: *mut DEVICE_OBJECT,
    /// Flags.
    pub Flags: u32,
    /// DriverStart.
    pub DriverStart: *mut c_void,
    /// DriverSize.
    pub DriverSize: u32,
    /// DriverSection.
    pub DriverSection: *mut c_void,
    /// DriverExtension.
    pub DriverExtension: *mut c_void,
    /// DriverName.
    pub DriverName: UNICODE_STRING,
    /// HardwareDatabase.
    pub HardwareDatabase: *mut UNICODE_STRING,
    /// FastIoDispatch.
    pub FastIoDispatch: *mut c_void,
    /// DriverInit.
    pub DriverInit: *mut c_void,
    /// DriverStartIo.
    pub DriverStartIo: *mut c_void,
    /// DriverUnload.
    pub DriverUnload: Option<DriverUnload>,
    /// MajorFunction.
    pub MajorFunction: [Option<DriverDispatch>; IRP_MJ_COUNT],
}

/// The documented prefix of `DEVICE_OBJECT` (wdm.h) up to `Characteristics`; the object is
/// allocated by the I/O manager and only touched through a pointer.
#[repr(C)]
pub struct DEVICE_OBJECT {
    /// Type.
    pub Type: i16,
    /// Size.
    pub Size: u16,
    /// ReferenceCount.
    pub ReferenceCount: i32,
    /// DriverObject.
    pub DriverObject: *mut DRIVER_OBJECT,
    /// NextDevice.
    pub NextDevice: *mut DEVICE_OBJECT,
    /// AttachedDevice.
    pub AttachedDevice: *mut DEVICE_OBJECT,
    /// CurrentIrp.
    pub CurrentIrp: *mut IRP,
    /// Timer.
    pub Timer: *mut c_void,
    /// Flags (`DO_BUFFERED_IO`, ...).
    pub Flags: u32,
    /// Characteristics.
    pub Characteristics: u32,
}

/// `DO_BUFFERED_IO` (wdm.h): reads and writes use `AssociatedIrp.SystemBuffer`.
pub const DO_BUFFERED_IO: u32 = 0x0000_0004;
/// `FILE_DEVICE_NETWORK` (devioctl.h).
pub const FILE_DEVICE_NETWORK: u32 = 0x0000_0012;
/// `FILE_DEVICE_SECURE_OPEN` (wdm.h).
pub const FILE_DEVICE_SECURE_OPEN: u32 = 0x0000_0100;

/// Opaque storage for a `KTIMER` or `KDPC` (both 64 bytes on x64 per wdm.h). The storage is
/// deliberately larger and 16-byte aligned; the kernel initialises and owns its contents.
#[repr(C, align(16))]
pub struct KernelObjectStorage(pub [u8; 128]);

/// `TIMER_TYPE::NotificationTimer` (wdm.h).
pub const NOTIFICATION_TIMER: u32 = 0;
/// A `KDEFERRED_ROUTINE`.
pub type DeferredRoutine =
    unsafe extern "system" fn(*mut KernelObjectStorage, *mut c_void, *mut c_void, *mut c_void);

/// `POOL_FLAG_NON_PAGED` for `ExAllocatePool2` (wdm.h).
pub const POOL_FLAG_NON_PAGED: u64 = 0x0000_0000_0000_0040;
/// `KernelMode` (`KPROCESSOR_MODE`).
pub const KERNEL_MODE: i8 = 0;
/// `DPFLTR_IHVNETWORK_ID` (dpfilter.h) for `DbgPrintEx`.
pub const DPFLTR_IHVNETWORK_ID: u32 = 83;
/// `DPFLTR_ERROR_LEVEL`.
pub const DPFLTR_ERROR_LEVEL: u32 = 0;

// --------------------------------------------------------------------------------------------
// WFP types (fwptypes.h, fwpstypes.h, fwpsk.h, fwpmtypes.h)
// --------------------------------------------------------------------------------------------

/// `FWP_DATA_TYPE` values (fwptypes.h; learn.microsoft.com "FWP_DATA_TYPE enumeration").
pub mod data_type {
    /// FWP_EMPTY.
    pub const EMPTY: u32 = 0;
    /// FWP_UINT8.
    pub const UINT8: u32 = 1;
    /// FWP_UINT16.
    pub const UINT16: u32 = 2;
    /// FWP_UINT32.
    pub const UINT32: u32 = 3;
    /// FWP_UINT64.
    pub const UINT64: u32 = 4;
    /// FWP_BYTE_ARRAY16_TYPE.
    pub const BYTE_ARRAY16: u32 = 11;
    /// FWP_BYTE_BLOB_TYPE.
    pub const BYTE_BLOB: u32 = 12;
}

/// `FWP_BYTE_ARRAY16` (fwptypes.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FWP_BYTE_ARRAY16 {
    /// The 16 bytes (an IPv6 address in network order).
    pub byteArray16: [u8; 16],
}

/// `FWP_BYTE_BLOB` (fwptypes.h): `{ UINT32 size; UINT8 *data; }`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct FWP_BYTE_BLOB {
    /// Bytes at `data`.
    pub size: u32,
    /// The data.
    pub data: *mut u8,
}

/// The union of `FWP_VALUE0` (fwptypes.h). On x64 `uint64` is a pointer, as the page says
/// ("A pointer to an unsigned 64-bit integer").
#[repr(C)]
#[derive(Clone, Copy)]
pub union FWP_VALUE0_UNION {
    /// case FWP_UINT8.
    pub uint8: u8,
    /// case FWP_UINT16.
    pub uint16: u16,
    /// case FWP_UINT32.
    pub uint32: u32,
    /// case FWP_UINT64.
    pub uint64: *mut u64,
    /// case FWP_BYTE_ARRAY16_TYPE.
    pub byteArray16: *mut FWP_BYTE_ARRAY16,
    /// case FWP_BYTE_BLOB_TYPE.
    pub byteBlob: *mut FWP_BYTE_BLOB,
    /// case FWP_UNICODE_STRING_TYPE.
    pub unicodeString: *mut u16,
}

/// `FWP_VALUE0` (fwptypes.h; learn.microsoft.com "FWP_VALUE0 structure"): `FWP_DATA_TYPE type`
/// then the union. 16 bytes on x64.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWP_VALUE0 {
    /// `FWP_DATA_TYPE` (see [`data_type`]).
    pub type_: u32,
    /// The value.
    pub value: FWP_VALUE0_UNION,
}

/// `FWPS_INCOMING_VALUE0` (fwpstypes.h): `{ FWP_VALUE0 value; }`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPS_INCOMING_VALUE0 {
    /// The value.
    pub value: FWP_VALUE0,
}

/// `FWPS_INCOMING_VALUES0` (fwpstypes.h; learn.microsoft.com "FWPS_INCOMING_VALUES0
/// structure"): `{ UINT16 layerId; UINT32 valueCount; FWPS_INCOMING_VALUE0 *incomingValue; }`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPS_INCOMING_VALUES0 {
    /// Run-time layer id.
    pub layerId: u16,
    /// Entries at `incomingValue`.
    pub valueCount: u32,
    /// The values, indexed by the layer's `FWPS_FIELD_*` identifiers.
    pub incomingValue: *mut FWPS_INCOMING_VALUE0,
}

/// `FWPS_DISCARD_METADATA0` (fwpstypes.h): `{ FWPS_DISCARD_MODULE0 discardModule; UINT32
/// discardReason; UINT64 filterId; }`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct FWPS_DISCARD_METADATA0 {
    /// discardModule (enum).
    pub discardModule: u32,
    /// discardReason.
    pub discardReason: u32,
    /// filterId.
    pub filterId: u64,
}

/// `FWPS_INBOUND_FRAGMENT_METADATA0` (fwpstypes.h): `{ UINT32 fragmentIdentification; UINT16
/// fragmentOffset; ULONG fragmentLength; }`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct FWPS_INBOUND_FRAGMENT_METADATA0 {
    /// fragmentIdentification.
    pub fragmentIdentification: u32,
    /// fragmentOffset (bytes).
    pub fragmentOffset: u16,
    /// fragmentLength.
    pub fragmentLength: u32,
}

/// The documented prefix of `FWPS_INCOMING_METADATA_VALUES0` (fwpsk.h; learn.microsoft.com
/// "FWPS_INCOMING_METADATA_VALUES0 structure"), from `currentMetadataValues` through
/// `headerIncludeHeaderLength`. The engine's structure continues (`destinationPrefix`, ...,
/// `reserved1`); it is only ever read through a pointer, so the prefix is enough.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPS_INCOMING_METADATA_VALUES0 {
    /// Which members are valid (`FWPS_METADATA_FIELD_*`, see [`metadata_field`]).
    pub currentMetadataValues: u32,
    /// Internal.
    pub flags: u32,
    /// Internal.
    pub reserved: u64,
    /// discardMetadata.
    pub discardMetadata: FWPS_DISCARD_METADATA0,
    /// flowHandle.
    pub flowHandle: u64,
    /// ipHeaderSize.
    pub ipHeaderSize: u32,
    /// transportHeaderSize.
    pub transportHeaderSize: u32,
    /// processPath (`FWP_BYTE_BLOB*`).
    pub processPath: *mut FWP_BYTE_BLOB,
    /// token.
    pub token: u64,
    /// processId.
    pub processId: u64,
    /// sourceInterfaceIndex.
    pub sourceInterfaceIndex: u32,
    /// destinationInterfaceIndex.
    pub destinationInterfaceIndex: u32,
    /// compartmentId (ULONG).
    pub compartmentId: u32,
    /// fragmentMetadata.
    pub fragmentMetadata: FWPS_INBOUND_FRAGMENT_METADATA0,
    /// pathMtu.
    pub pathMtu: u32,
    /// completionHandle (for `FwpsPendOperation0`).
    pub completionHandle: HANDLE,
    /// transportEndpointHandle.
    pub transportEndpointHandle: u64,
    /// remoteScopeId (`SCOPE_ID`, a ULONG union).
    pub remoteScopeId: u32,
    /// controlData (`WSACMSGHDR*`).
    pub controlData: *mut c_void,
    /// controlDataLength.
    pub controlDataLength: u32,
    /// packetDirection (`FWP_DIRECTION`).
    pub packetDirection: u32,
    /// headerIncludeHeader.
    pub headerIncludeHeader: *mut c_void,
    /// headerIncludeHeaderLength.
    pub headerIncludeHeaderLength: u32,
}

/// `FWPS_METADATA_FIELD_*` bits of `currentMetadataValues` (fwpsk.h; learn.microsoft.com
/// "Metadata field identifiers"; values as in the header, cross-checked with the Windows SDK
/// metadata scrape).
pub mod metadata_field {
    /// FWPS_METADATA_FIELD_IP_HEADER_SIZE.
    pub const IP_HEADER_SIZE: u32 = 0x0000_0004;
    /// FWPS_METADATA_FIELD_PROCESS_PATH (`processPath` is set).
    pub const PROCESS_PATH: u32 = 0x0000_0008;
    /// FWPS_METADATA_FIELD_PROCESS_ID.
    pub const PROCESS_ID: u32 = 0x0000_0020;
    /// FWPS_METADATA_FIELD_TRANSPORT_HEADER_SIZE.
    pub const TRANSPORT_HEADER_SIZE: u32 = 0x0000_0400;
    /// FWPS_METADATA_FIELD_COMPARTMENT_ID.
    pub const COMPARTMENT_ID: u32 = 0x0000_0800;
    /// FWPS_METADATA_FIELD_FRAGMENT_DATA.
    pub const FRAGMENT_DATA: u32 = 0x0000_1000;
    /// FWPS_METADATA_FIELD_COMPLETION_HANDLE.
    pub const COMPLETION_HANDLE: u32 = 0x0000_4000;
    /// FWPS_METADATA_FIELD_TRANSPORT_ENDPOINT_HANDLE.
    pub const TRANSPORT_ENDPOINT_HANDLE: u32 = 0x0000_8000;
    /// FWPS_METADATA_FIELD_TRANSPORT_CONTROL_DATA.
    pub const TRANSPORT_CONTROL_DATA: u32 = 0x0001_0000;
    /// FWPS_METADATA_FIELD_REMOTE_SCOPE_ID.
    pub const REMOTE_SCOPE_ID: u32 = 0x0002_0000;
    /// FWPS_METADATA_FIELD_PACKET_DIRECTION.
    pub const PACKET_DIRECTION: u32 = 0x0004_0000;
}

/// `FWPS_CLASSIFY_OUT0` (fwpstypes.h; learn.microsoft.com "FWPS_CLASSIFY_OUT0 structure"):
/// `{ FWP_ACTION_TYPE actionType; UINT64 outContext; UINT64 filterId; UINT32 rights; UINT32
/// flags; UINT32 reserved; }` — 40 bytes on x64 (not 24: the two UINT64 force 8-byte alignment
/// and the three trailing UINT32 are padded to 40).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FWPS_CLASSIFY_OUT0 {
    /// The suggested action (`FWP_ACTION_*`).
    pub actionType: FWP_ACTION_TYPE,
    /// Reserved for the system.
    pub outContext: u64,
    /// Reserved for the system.
    pub filterId: u64,
    /// `FWPS_RIGHT_ACTION_WRITE`.
    pub rights: u32,
    /// `FWPS_CLASSIFY_OUT_FLAG_*`.
    pub flags: u32,
    /// Reserved.
    pub reserved: u32,
}

/// `FWP_ACTION_*` values (fwptypes.h).
pub mod action {
    use super::FWP_ACTION_TYPE;
    /// FWP_ACTION_FLAG_TERMINATING.
    pub const FLAG_TERMINATING: u32 = 0x0000_1000;
    /// FWP_ACTION_FLAG_NON_TERMINATING.
    pub const FLAG_NON_TERMINATING: u32 = 0x0000_2000;
    /// FWP_ACTION_FLAG_CALLOUT.
    pub const FLAG_CALLOUT: u32 = 0x0000_4000;
    /// FWP_ACTION_BLOCK.
    pub const BLOCK: FWP_ACTION_TYPE = 0x0000_0001 | FLAG_TERMINATING;
    /// FWP_ACTION_PERMIT.
    pub const PERMIT: FWP_ACTION_TYPE = 0x0000_0002 | FLAG_TERMINATING;
    /// FWP_ACTION_CALLOUT_TERMINATING.
    pub const CALLOUT_TERMINATING: FWP_ACTION_TYPE = 0x0000_0003 | FLAG_CALLOUT | FLAG_TERMINATING;
    /// FWP_ACTION_CALLOUT_INSPECTION.
    pub const CALLOUT_INSPECTION: FWP_ACTION_TYPE =
        0x0000_0004 | FLAG_CALLOUT | FLAG_NON_TERMINATING;
    /// FWP_ACTION_CONTINUE.
    pub const CONTINUE: FWP_ACTION_TYPE = 0x0000_0006 | FLAG_NON_TERMINATING;
    /// FWP_ACTION_NONE.
    pub const NONE: FWP_ACTION_TYPE = 0x0000_0007;
}

/// `FWPS_RIGHT_ACTION_WRITE` (fwpstypes.h).
pub const FWPS_RIGHT_ACTION_WRITE: u32 = 0x0000_0001;
/// `FWPS_CLASSIFY_OUT_FLAG_ABSORB` (fwpstypes.h).
pub const FWPS_CLASSIFY_OUT_FLAG_ABSORB: u32 = 0x0000_0001;
/// `FWPS_FILTER_FLAG_CLEAR_ACTION_RIGHT` (fwpstypes.h), in `FWPS_FILTER0.flags`.
pub const FWPS_FILTER_FLAG_CLEAR_ACTION_RIGHT: u16 = 0x0001;
/// `FWP_CONDITION_FLAG_IS_LOOPBACK` (fwptypes.h).
pub const FWP_CONDITION_FLAG_IS_LOOPBACK: u32 = 0x0000_0001;
/// `FWP_CONDITION_FLAG_IS_REAUTHORIZE` (fwptypes.h).
pub const FWP_CONDITION_FLAG_IS_REAUTHORIZE: u32 = 0x0000_0004;
/// `FWP_DIRECTION_OUTBOUND` (`FWP_DIRECTION` enum, fwptypes.h).
pub const FWP_DIRECTION_OUTBOUND: u32 = 0;
/// `FWP_DIRECTION_INBOUND`.
pub const FWP_DIRECTION_INBOUND: u32 = 1;
/// `FWPS_STREAM_FLAG_RECEIVE` (fwpsk.h; the value the upstream kext uses). Outbound stream data
/// carries `FWPS_STREAM_FLAG_SEND` instead.
pub const FWPS_STREAM_FLAG_RECEIVE: u32 = 0x0000_0001;
/// `FWPS_STREAM_ACTION_NONE` (first value of `FWPS_STREAM_ACTION_TYPE`).
pub const FWPS_STREAM_ACTION_NONE: u32 = 0;

/// `FWPS_PACKET_INJECTION_STATE` (fwpsk.h; learn.microsoft.com "FWPS_PACKET_INJECTION_STATE
/// enumeration": a C enum counting from 0).
pub mod injection_state {
    /// FWPS_PACKET_NOT_INJECTED.
    pub const NOT_INJECTED: u32 = 0;
    /// FWPS_PACKET_INJECTED_BY_SELF.
    pub const INJECTED_BY_SELF: u32 = 1;
    /// FWPS_PACKET_INJECTED_BY_OTHER.
    pub const INJECTED_BY_OTHER: u32 = 2;
    /// FWPS_PACKET_PREVIOUSLY_INJECTED_BY_SELF.
    pub const PREVIOUSLY_INJECTED_BY_SELF: u32 = 3;
}

/// `FWPS_INJECTION_TYPE_TRANSPORT` (fwpsk.h).
pub const FWPS_INJECTION_TYPE_TRANSPORT: u32 = 0x0000_0002;
/// `FWPS_INJECTION_TYPE_NETWORK` (fwpsk.h).
pub const FWPS_INJECTION_TYPE_NETWORK: u32 = 0x0000_0004;
/// `AF_UNSPEC`.
pub const AF_UNSPEC: ADDRESS_FAMILY = 0;
/// `AF_INET`.
pub const AF_INET: ADDRESS_FAMILY = 2;
/// `AF_INET6`.
pub const AF_INET6: ADDRESS_FAMILY = 23;
/// `UNSPECIFIED_COMPARTMENT_ID`.
pub const UNSPECIFIED_COMPARTMENT_ID: COMPARTMENT_ID = 0;

/// `FWPS_ACTION0` (fwpstypes.h): `{ FWP_ACTION_TYPE type; UINT32 calloutId; }`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct FWPS_ACTION0 {
    /// type.
    pub type_: FWP_ACTION_TYPE,
    /// calloutId.
    pub calloutId: u32,
}

/// `FWPS_FILTER0` (fwpstypes.h; learn.microsoft.com "FWPS_FILTER0 structure").
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPS_FILTER0 {
    /// filterId.
    pub filterId: u64,
    /// weight.
    pub weight: FWP_VALUE0,
    /// subLayerWeight.
    pub subLayerWeight: u16,
    /// flags (`FWPS_FILTER_FLAG_*`).
    pub flags: u16,
    /// numFilterConditions.
    pub numFilterConditions: u32,
    /// filterCondition.
    pub filterCondition: *mut c_void,
    /// action.
    pub action: FWPS_ACTION0,
    /// context (the `rawContext` of the FWPM filter).
    pub context: u64,
    /// providerContext.
    pub providerContext: *mut c_void,
}

/// `classifyFn0` (fwpsk.h "FWPS_CALLOUT_CLASSIFY_FN0").
pub type ClassifyFn0 = unsafe extern "system" fn(
    *const FWPS_INCOMING_VALUES0,
    *const FWPS_INCOMING_METADATA_VALUES0,
    *mut c_void,
    *const FWPS_FILTER0,
    u64,
    *mut FWPS_CLASSIFY_OUT0,
);
/// `notifyFn0` (fwpsk.h "FWPS_CALLOUT_NOTIFY_FN0").
pub type NotifyFn0 = unsafe extern "system" fn(u32, *const GUID, *const FWPS_FILTER0) -> NTSTATUS;
/// `flowDeleteFn` (fwpsk.h "FWPS_CALLOUT_FLOW_DELETE_NOTIFY_FN0").
pub type FlowDeleteFn0 = unsafe extern "system" fn(u16, u32, u64);
/// `FWPS_INJECT_COMPLETE0` (fwpsk.h).
pub type InjectComplete0 = unsafe extern "system" fn(*mut c_void, *mut NET_BUFFER_LIST, u8);

/// `FWPS_CALLOUT0` (fwpsk.h; learn.microsoft.com "FWPS_CALLOUT0 structure"): `{ GUID
/// calloutKey; UINT32 flags; classifyFn; notifyFn; flowDeleteFn; }`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPS_CALLOUT0 {
    /// calloutKey.
    pub calloutKey: GUID,
    /// flags.
    pub flags: u32,
    /// classifyFn.
    pub classifyFn: Option<ClassifyFn0>,
    /// notifyFn.
    pub notifyFn: Option<NotifyFn0>,
    /// flowDeleteFn (NULL: no flow contexts).
    pub flowDeleteFn: Option<FlowDeleteFn0>,
}

/// `FWPS_STREAM_DATA_OFFSET0` (fwpsk.h): `{ NET_BUFFER_LIST *netBufferList; NET_BUFFER
/// *netBuffer; MDL *mdl; UINT32 mdlOffset; UINT32 netBufferOffset; SIZE_T streamDataOffset; }`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPS_STREAM_DATA_OFFSET0 {
    /// netBufferList.
    pub netBufferList: *mut NET_BUFFER_LIST,
    /// netBuffer.
    pub netBuffer: *mut NET_BUFFER,
    /// mdl.
    pub mdl: *mut c_void,
    /// mdlOffset.
    pub mdlOffset: u32,
    /// netBufferOffset.
    pub netBufferOffset: u32,
    /// streamDataOffset.
    pub streamDataOffset: usize,
}

/// `FWPS_STREAM_DATA0` (fwpsk.h): `{ UINT32 flags; FWPS_STREAM_DATA_OFFSET0 dataOffset; SIZE_T
/// dataLength; NET_BUFFER_LIST *netBufferListChain; }`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPS_STREAM_DATA0 {
    /// `FWPS_STREAM_FLAG_*`.
    pub flags: u32,
    /// dataOffset.
    pub dataOffset: FWPS_STREAM_DATA_OFFSET0,
    /// Bytes of stream data in this indication.
    pub dataLength: usize,
    /// netBufferListChain.
    pub netBufferListChain: *mut NET_BUFFER_LIST,
}

/// `FWPS_STREAM_CALLOUT_IO_PACKET0` (fwpsk.h): `{ FWPS_STREAM_DATA0 *streamData; SIZE_T
/// missedBytes; UINT32 countBytesRequired; SIZE_T countBytesEnforced; FWPS_STREAM_ACTION_TYPE
/// streamAction; }` — the `layerData` of the stream layers.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPS_STREAM_CALLOUT_IO_PACKET0 {
    /// streamData.
    pub streamData: *mut FWPS_STREAM_DATA0,
    /// missedBytes.
    pub missedBytes: usize,
    /// countBytesRequired.
    pub countBytesRequired: u32,
    /// countBytesEnforced.
    pub countBytesEnforced: usize,
    /// streamAction (`FWPS_STREAM_ACTION_TYPE`).
    pub streamAction: u32,
}

/// `FWPS_TRANSPORT_SEND_PARAMS1` (fwpsk.h): `{ UCHAR *remoteAddress; SCOPE_ID remoteScopeId;
/// WSACMSGHDR *controlData; ULONG controlDataLength; UCHAR *headerIncludeHeader; ULONG
/// headerIncludeHeaderLength; }`. The address and the control data must stay valid until the
/// injection completes, so the driver keeps them in the injection's own allocation.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPS_TRANSPORT_SEND_PARAMS1 {
    /// remoteAddress (4 or 16 bytes, network order).
    pub remoteAddress: *mut u8,
    /// remoteScopeId.
    pub remoteScopeId: u32,
    /// controlData.
    pub controlData: *mut c_void,
    /// controlDataLength.
    pub controlDataLength: u32,
    /// headerIncludeHeader.
    pub headerIncludeHeader: *mut u8,
    /// headerIncludeHeaderLength.
    pub headerIncludeHeaderLength: u32,
}

/// `FWPM_DISPLAY_DATA0` (fwptypes.h).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPM_DISPLAY_DATA0 {
    /// name (required).
    pub name: *mut u16,
    /// description.
    pub description: *mut u16,
}

/// `FWPM_SESSION0` (fwpmtypes.h): `{ GUID sessionKey; FWPM_DISPLAY_DATA0 displayData; UINT32
/// flags; UINT32 txnWaitTimeoutInMSec; DWORD processId; SID *sid; wchar_t *username; BOOL
/// kernelMode; }`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPM_SESSION0 {
    /// sessionKey.
    pub sessionKey: GUID,
    /// displayData.
    pub displayData: FWPM_DISPLAY_DATA0,
    /// flags (`FWPM_SESSION_FLAG_DYNAMIC`).
    pub flags: u32,
    /// txnWaitTimeoutInMSec.
    pub txnWaitTimeoutInMSec: u32,
    /// processId.
    pub processId: u32,
    /// sid.
    pub sid: *mut c_void,
    /// username.
    pub username: *mut u16,
    /// kernelMode.
    pub kernelMode: i32,
}

/// `FWPM_SESSION_FLAG_DYNAMIC` (fwpmtypes.h): every object added in the session disappears when
/// the engine handle closes (also if the driver dies).
pub const FWPM_SESSION_FLAG_DYNAMIC: u32 = 0x0000_0001;
/// `FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT` (fwpmtypes.h).
pub const FWPM_FILTER_FLAG_CLEAR_ACTION_RIGHT: u32 = 0x0000_0008;
/// `RPC_C_AUTHN_WINNT`, the authentication service for `FwpmEngineOpen0`.
pub const RPC_C_AUTHN_WINNT: u32 = 10;

/// `FWPM_SUBLAYER0` (fwpmtypes.h): `{ GUID subLayerKey; FWPM_DISPLAY_DATA0 displayData; UINT32
/// flags; GUID *providerKey; FWP_BYTE_BLOB providerData; UINT16 weight; }`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPM_SUBLAYER0 {
    /// subLayerKey.
    pub subLayerKey: GUID,
    /// displayData.
    pub displayData: FWPM_DISPLAY_DATA0,
    /// flags.
    pub flags: u32,
    /// providerKey.
    pub providerKey: *mut GUID,
    /// providerData.
    pub providerData: FWP_BYTE_BLOB,
    /// weight.
    pub weight: u16,
}

/// `FWPM_CALLOUT0` (fwpmtypes.h; learn.microsoft.com "FWPM_CALLOUT0 structure").
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPM_CALLOUT0 {
    /// calloutKey.
    pub calloutKey: GUID,
    /// displayData.
    pub displayData: FWPM_DISPLAY_DATA0,
    /// flags.
    pub flags: u32,
    /// providerKey.
    pub providerKey: *mut GUID,
    /// providerData.
    pub providerData: FWP_BYTE_BLOB,
    /// applicableLayer.
    pub applicableLayer: GUID,
    /// calloutId (output).
    pub calloutId: u32,
}

/// `FWPM_ACTION0` (fwpmtypes.h): `{ FWP_ACTION_TYPE type; union { GUID filterType; GUID
/// calloutKey; }; }`.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPM_ACTION0 {
    /// type.
    pub type_: FWP_ACTION_TYPE,
    /// calloutKey (or filterType).
    pub calloutKey: GUID,
}

/// `FWPM_FILTER0` (fwpmtypes.h; learn.microsoft.com "FWPM_FILTER0 structure"). The
/// `rawContext`/`providerContextKey` union is declared as its 16-byte GUID view with 8-byte
/// alignment ([`FWPM_FILTER_CONTEXT`]).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct FWPM_FILTER0 {
    /// filterKey.
    pub filterKey: GUID,
    /// displayData.
    pub displayData: FWPM_DISPLAY_DATA0,
    /// flags.
    pub flags: u32,
    /// providerKey.
    pub providerKey: *mut GUID,
    /// providerData.
    pub providerData: FWP_BYTE_BLOB,
    /// layerKey.
    pub layerKey: GUID,
    /// subLayerKey.
    pub subLayerKey: GUID,
    /// weight.
    pub weight: FWP_VALUE0,
    /// numFilterConditions.
    pub numFilterConditions: u32,
    /// filterCondition.
    pub filterCondition: *mut c_void,
    /// action.
    pub action: FWPM_ACTION0,
    /// rawContext / providerContextKey.
    pub context: FWPM_FILTER_CONTEXT,
    /// reserved.
    pub reserved: *mut GUID,
    /// filterId (output).
    pub filterId: u64,
    /// effectiveWeight (output).
    pub effectiveWeight: FWP_VALUE0,
}

/// The `{ UINT64 rawContext; GUID providerContextKey; }` union of `FWPM_FILTER0`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union FWPM_FILTER_CONTEXT {
    /// rawContext (copied to `FWPS_FILTER0.context`).
    pub rawContext: u64,
    /// providerContextKey.
    pub providerContextKey: GUID,
}

/// The documented prefix of `NET_BUFFER_LIST` (ndis/nbl.h): the `NET_BUFFER_LIST_HEADER` union's
/// `{ NET_BUFFER_LIST *Next; NET_BUFFER *FirstNetBuffer; }` view. NBLs are only reached through
/// pointers.
#[repr(C)]
pub struct NET_BUFFER_LIST {
    /// Next NBL in a chain.
    pub Next: *mut NET_BUFFER_LIST,
    /// First NET_BUFFER.
    pub FirstNetBuffer: *mut NET_BUFFER,
}

/// The `NbDataLength` union of `NET_BUFFER_DATA`: `{ ULONG DataLength; SIZE_T stDataLength; }`.
#[repr(C)]
#[derive(Clone, Copy)]
pub union NET_BUFFER_DATA_LENGTH {
    /// DataLength (what `NET_BUFFER_DATA_LENGTH()` reads).
    pub DataLength: u32,
    /// stDataLength.
    pub stDataLength: usize,
}

/// The documented prefix of `NET_BUFFER` (ndis/nbl.h): its `NET_BUFFER_DATA` members `{ Next;
/// CurrentMdl; CurrentMdlOffset; NbDataLength; MdlChain; DataOffset; }`.
#[repr(C)]
pub struct NET_BUFFER {
    /// Next.
    pub Next: *mut NET_BUFFER,
    /// CurrentMdl.
    pub CurrentMdl: *mut c_void,
    /// CurrentMdlOffset.
    pub CurrentMdlOffset: u32,
    /// NbDataLength.
    pub NbDataLength: NET_BUFFER_DATA_LENGTH,
    /// MdlChain.
    pub MdlChain: *mut c_void,
    /// DataOffset.
    pub DataOffset: u32,
}

// --------------------------------------------------------------------------------------------
// Functions (ntoskrnl, wdmsec, fwpkclnt, ndis). Only linked in the Windows kernel build.
// --------------------------------------------------------------------------------------------

#[cfg_attr(
    all(target_os = "windows", feature = "kernel"),
    link(name = "ntoskrnl")
)]
extern "system" {
    /// IoCreateSymbolicLink (wdm.h).
    pub fn IoCreateSymbolicLink(link: *mut UNICODE_STRING, device: *mut UNICODE_STRING)
        -> NTSTATUS;
    /// IoDeleteSymbolicLink (wdm.h).
    pub fn IoDeleteSymbolicLink(link: *mut UNICODE_STRING) -> NTSTATUS;
    /// IoDeleteDevice (wdm.h).
    pub fn IoDeleteDevice(device: *mut DEVICE_OBJECT);
    /// IofCompleteRequest (wdm.h; `IoCompleteRequest` is a macro for it).
    pub fn IofCompleteRequest(irp: *mut IRP, boost: i8);
    /// IoReleaseCancelSpinLock (wdm.h).
    pub fn IoReleaseCancelSpinLock(irql: KIRQL);
    /// KeAcquireSpinLockRaiseToDpc (wdm.h; `KeAcquireSpinLock` on x64).
    pub fn KeAcquireSpinLockRaiseToDpc(lock: *mut KSPIN_LOCK) -> KIRQL;
    /// KeReleaseSpinLock (wdm.h).
    pub fn KeReleaseSpinLock(lock: *mut KSPIN_LOCK, irql: KIRQL);
    /// KeInitializeDpc (wdm.h).
    pub fn KeInitializeDpc(
        dpc: *mut KernelObjectStorage,
        routine: DeferredRoutine,
        context: *mut c_void,
    );
    /// KeInitializeTimerEx (wdm.h).
    pub fn KeInitializeTimerEx(timer: *mut KernelObjectStorage, timer_type: u32);
    /// KeSetTimerEx (wdm.h): `DueTime` negative means relative, in 100 ns.
    pub fn KeSetTimerEx(
        timer: *mut KernelObjectStorage,
        due_time: i64,
        period_ms: i32,
        dpc: *mut KernelObjectStorage,
    ) -> u8;
    /// KeCancelTimer (wdm.h).
    pub fn KeCancelTimer(timer: *mut KernelObjectStorage) -> u8;
    /// KeFlushQueuedDpcs (wdm.h).
    pub fn KeFlushQueuedDpcs();
    /// KeQueryUnbiasedInterruptTime (wdm.h): 100 ns since boot, sleep excluded.
    pub fn KeQueryUnbiasedInterruptTime() -> u64;
    /// KeQuerySystemTimePrecise (wdm.h, Windows 8+): the system time, 100 ns intervals since
    /// 1601-01-01 UTC, any IRQL.
    pub fn KeQuerySystemTimePrecise(current_time: *mut i64);
    /// KeDelayExecutionThread (wdm.h).
    pub fn KeDelayExecutionThread(mode: i8, alertable: u8, interval: *mut i64) -> NTSTATUS;
    /// KeBugCheckEx (wdm.h).
    pub fn KeBugCheckEx(code: u32, p1: usize, p2: usize, p3: usize, p4: usize) -> !;
    /// ExAllocatePool2 (wdm.h, Windows 10 2004+).
    pub fn ExAllocatePool2(flags: u64, size: usize, tag: u32) -> *mut c_void;
    /// ExFreePoolWithTag (wdm.h).
    pub fn ExFreePoolWithTag(pointer: *mut c_void, tag: u32);
    /// PsGetCurrentProcessId (ntddk.h).
    pub fn PsGetCurrentProcessId() -> HANDLE;
    /// PsLookupProcessByProcessId (ntifs.h): a referenced `EPROCESS` for a pid, released with
    /// [`ObfDereferenceObject`]. IRQL ≤ APC_LEVEL (it contains pageable code).
    pub fn PsLookupProcessByProcessId(process_id: HANDLE, process: *mut PEPROCESS) -> NTSTATUS;
    /// PsGetProcessCreateTimeQuadPart: exported by ntoskrnl (and in ntoskrnl.lib) but not
    /// declared in the WDK headers: `LONGLONG PsGetProcessCreateTimeQuadPart(PEPROCESS)`, the
    /// process's creation time in 100 ns intervals since 1601 (what `GetProcessTimes` reports).
    /// It reads the referenced process object only.
    pub fn PsGetProcessCreateTimeQuadPart(process: PEPROCESS) -> i64;
    /// ObfDereferenceObject (wdm.h; `ObDereferenceObject` is a macro for it).
    pub fn ObfDereferenceObject(object: *mut c_void) -> isize;
}

#[cfg_attr(
    all(target_os = "windows", feature = "kernel"),
    link(name = "ntoskrnl")
)]
extern "C" {
    /// DbgPrintEx (wdm.h), a C variadic function.
    pub fn DbgPrintEx(component: u32, level: u32, format: *const u8, ...) -> u32;
}

#[cfg_attr(all(target_os = "windows", feature = "kernel"), link(name = "wdmsec"))]
extern "system" {
    /// WdmlibIoCreateDeviceSecure (wdmsec.h; `IoCreateDeviceSecure`).
    pub fn WdmlibIoCreateDeviceSecure(
        driver: *mut DRIVER_OBJECT,
        extension_size: u32,
        name: *mut UNICODE_STRING,
        device_type: u32,
        characteristics: u32,
        exclusive: u8,
        sddl: *const UNICODE_STRING,
        class_guid: *const GUID,
        device: *mut *mut DEVICE_OBJECT,
    ) -> NTSTATUS;
}

#[cfg_attr(
    all(target_os = "windows", feature = "kernel"),
    link(name = "fwpkclnt")
)]
extern "system" {
    /// FwpmEngineOpen0 (fwpmk.h).
    pub fn FwpmEngineOpen0(
        server: *const u16,
        authn_service: u32,
        auth_identity: *mut c_void,
        session: *const FWPM_SESSION0,
        engine: *mut HANDLE,
    ) -> NTSTATUS;
    /// FwpmEngineClose0.
    pub fn FwpmEngineClose0(engine: HANDLE) -> NTSTATUS;
    /// FwpmTransactionBegin0.
    pub fn FwpmTransactionBegin0(engine: HANDLE, flags: u32) -> NTSTATUS;
    /// FwpmTransactionCommit0.
    pub fn FwpmTransactionCommit0(engine: HANDLE) -> NTSTATUS;
    /// FwpmTransactionAbort0.
    pub fn FwpmTransactionAbort0(engine: HANDLE) -> NTSTATUS;
    /// FwpmSubLayerAdd0.
    pub fn FwpmSubLayerAdd0(
        engine: HANDLE,
        sublayer: *const FWPM_SUBLAYER0,
        sd: *mut c_void,
    ) -> NTSTATUS;
    /// FwpmCalloutAdd0.
    pub fn FwpmCalloutAdd0(
        engine: HANDLE,
        callout: *const FWPM_CALLOUT0,
        sd: *mut c_void,
        id: *mut u32,
    ) -> NTSTATUS;
    /// FwpmFilterAdd0.
    pub fn FwpmFilterAdd0(
        engine: HANDLE,
        filter: *const FWPM_FILTER0,
        sd: *mut c_void,
        id: *mut u64,
    ) -> NTSTATUS;
    /// FwpsCalloutRegister0 (fwpsk.h).
    pub fn FwpsCalloutRegister0(
        device: *mut c_void,
        callout: *const FWPS_CALLOUT0,
        id: *mut u32,
    ) -> NTSTATUS;
    /// FwpsCalloutUnregisterById0.
    pub fn FwpsCalloutUnregisterById0(id: u32) -> NTSTATUS;
    /// FwpsPendOperation0: only during the classify that received `completionHandle`.
    pub fn FwpsPendOperation0(completion_handle: HANDLE, context: *mut HANDLE) -> NTSTATUS;
    /// FwpsCompleteOperation0: ALE connect re-authorises; recv-accept takes the clone.
    pub fn FwpsCompleteOperation0(context: HANDLE, nbl: *mut NET_BUFFER_LIST);
    /// FwpsAllocateCloneNetBufferList0.
    pub fn FwpsAllocateCloneNetBufferList0(
        original: *mut NET_BUFFER_LIST,
        nbl_pool: HANDLE,
        nb_pool: HANDLE,
        flags: u32,
        clone: *mut *mut NET_BUFFER_LIST,
    ) -> NTSTATUS;
    /// FwpsFreeCloneNetBufferList0.
    pub fn FwpsFreeCloneNetBufferList0(clone: *mut NET_BUFFER_LIST, flags: u32);
    /// FwpsInjectionHandleCreate0.
    pub fn FwpsInjectionHandleCreate0(
        family: ADDRESS_FAMILY,
        flags: u32,
        handle: *mut HANDLE,
    ) -> NTSTATUS;
    /// FwpsInjectionHandleDestroy0.
    pub fn FwpsInjectionHandleDestroy0(handle: HANDLE) -> NTSTATUS;
    /// FwpsQueryPacketInjectionState0 (returns `FWPS_PACKET_INJECTION_STATE`).
    pub fn FwpsQueryPacketInjectionState0(
        handle: HANDLE,
        nbl: *const NET_BUFFER_LIST,
        context: *mut HANDLE,
    ) -> u32;
    /// FwpsInjectTransportSendAsync1 (Windows 7+).
    pub fn FwpsInjectTransportSendAsync1(
        handle: HANDLE,
        context: HANDLE,
        endpoint: u64,
        flags: u32,
        params: *mut FWPS_TRANSPORT_SEND_PARAMS1,
        family: ADDRESS_FAMILY,
        compartment: COMPARTMENT_ID,
        nbl: *mut NET_BUFFER_LIST,
        complete: InjectComplete0,
        complete_context: *mut c_void,
    ) -> NTSTATUS;
    /// FwpsInjectTransportReceiveAsync0.
    pub fn FwpsInjectTransportReceiveAsync0(
        handle: HANDLE,
        context: HANDLE,
        reserved: *mut c_void,
        flags: u32,
        family: ADDRESS_FAMILY,
        compartment: COMPARTMENT_ID,
        interface_index: IF_INDEX,
        sub_interface_index: IF_INDEX,
        nbl: *mut NET_BUFFER_LIST,
        complete: InjectComplete0,
        complete_context: *mut c_void,
    ) -> NTSTATUS;
    /// FwpsInjectNetworkSendAsync0.
    pub fn FwpsInjectNetworkSendAsync0(
        handle: HANDLE,
        context: HANDLE,
        flags: u32,
        compartment: COMPARTMENT_ID,
        nbl: *mut NET_BUFFER_LIST,
        complete: InjectComplete0,
        complete_context: *mut c_void,
    ) -> NTSTATUS;
    /// FwpsInjectNetworkReceiveAsync0.
    pub fn FwpsInjectNetworkReceiveAsync0(
        handle: HANDLE,
        context: HANDLE,
        flags: u32,
        compartment: COMPARTMENT_ID,
        interface_index: IF_INDEX,
        sub_interface_index: IF_INDEX,
        nbl: *mut NET_BUFFER_LIST,
        complete: InjectComplete0,
        complete_context: *mut c_void,
    ) -> NTSTATUS;
}

#[cfg_attr(all(target_os = "windows", feature = "kernel"), link(name = "ndis"))]
extern "system" {
    /// NdisGetDataBuffer (ndis/nblapi.h): a pointer to `bytes` contiguous bytes at the data
    /// start, either in place or copied to `storage`; NULL if the buffer is shorter.
    pub fn NdisGetDataBuffer(
        nb: *mut NET_BUFFER,
        bytes: u32,
        storage: *mut c_void,
        align_multiple: u32,
        align_offset: u32,
    ) -> *mut c_void;
    /// NdisRetreatNetBufferDataStart (returns `NDIS_STATUS`).
    pub fn NdisRetreatNetBufferDataStart(
        nb: *mut NET_BUFFER,
        delta: u32,
        backfill: u32,
        allocate_mdl: *mut c_void,
    ) -> i32;
    /// NdisAdvanceNetBufferDataStart.
    pub fn NdisAdvanceNetBufferDataStart(
        nb: *mut NET_BUFFER,
        delta: u32,
        free_mdl: u8,
        free_mdl_handler: *mut c_void,
    );
}

#[cfg(all(test, target_pointer_width = "64"))]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    /// learn.microsoft.com "FWPS_CLASSIFY_OUT0 structure (fwpstypes.h)": the member list gives
    /// offsets 0, 8, 16, 24, 28, 32 and a 40-byte struct.
    #[test]
    fn classify_out_is_40_bytes() {
        assert_eq!(size_of::<FWPS_CLASSIFY_OUT0>(), 40);
        assert_eq!(offset_of!(FWPS_CLASSIFY_OUT0, actionType), 0);
        assert_eq!(offset_of!(FWPS_CLASSIFY_OUT0, outContext), 8);
        assert_eq!(offset_of!(FWPS_CLASSIFY_OUT0, filterId), 16);
        assert_eq!(offset_of!(FWPS_CLASSIFY_OUT0, rights), 24);
        assert_eq!(offset_of!(FWPS_CLASSIFY_OUT0, flags), 28);
        assert_eq!(offset_of!(FWPS_CLASSIFY_OUT0, reserved), 32);
    }

    /// fwptypes.h FWP_VALUE0 / fwpstypes.h FWPS_INCOMING_VALUE(S)0.
    #[test]
    fn values_layout() {
        assert_eq!(size_of::<GUID>(), 16);
        assert_eq!(size_of::<FWP_VALUE0>(), 16);
        assert_eq!(offset_of!(FWP_VALUE0, value), 8);
        assert_eq!(size_of::<FWPS_INCOMING_VALUE0>(), 16);
        assert_eq!(size_of::<FWPS_INCOMING_VALUES0>(), 16);
        assert_eq!(offset_of!(FWPS_INCOMING_VALUES0, layerId), 0);
        assert_eq!(offset_of!(FWPS_INCOMING_VALUES0, valueCount), 4);
        assert_eq!(offset_of!(FWPS_INCOMING_VALUES0, incomingValue), 8);
        assert_eq!(size_of::<FWP_BYTE_BLOB>(), 16);
        assert_eq!(size_of::<FWP_BYTE_ARRAY16>(), 16);
    }

    /// fwpsk.h FWPS_INCOMING_METADATA_VALUES0 (prefix) and its two sub-structures.
    #[test]
    fn metadata_layout() {
        assert_eq!(size_of::<FWPS_DISCARD_METADATA0>(), 16);
        assert_eq!(size_of::<FWPS_INBOUND_FRAGMENT_METADATA0>(), 12);
        assert_eq!(
            offset_of!(FWPS_INBOUND_FRAGMENT_METADATA0, fragmentOffset),
            4
        );
        assert_eq!(
            offset_of!(FWPS_INBOUND_FRAGMENT_METADATA0, fragmentLength),
            8
        );
        type M = FWPS_INCOMING_METADATA_VALUES0;
        assert_eq!(offset_of!(M, currentMetadataValues), 0);
        assert_eq!(offset_of!(M, discardMetadata), 16);
        assert_eq!(offset_of!(M, flowHandle), 32);
        assert_eq!(offset_of!(M, ipHeaderSize), 40);
        assert_eq!(offset_of!(M, transportHeaderSize), 44);
        assert_eq!(offset_of!(M, processPath), 48);
        assert_eq!(offset_of!(M, processId), 64);
        assert_eq!(offset_of!(M, compartmentId), 80);
        assert_eq!(offset_of!(M, fragmentMetadata), 84);
        assert_eq!(offset_of!(M, pathMtu), 96);
        assert_eq!(offset_of!(M, completionHandle), 104);
        assert_eq!(offset_of!(M, transportEndpointHandle), 112);
        assert_eq!(offset_of!(M, remoteScopeId), 120);
        assert_eq!(offset_of!(M, controlData), 128);
        assert_eq!(offset_of!(M, controlDataLength), 136);
        assert_eq!(offset_of!(M, packetDirection), 140);
        assert_eq!(offset_of!(M, headerIncludeHeader), 144);
        assert_eq!(offset_of!(M, headerIncludeHeaderLength), 152);
    }

    /// fwpstypes.h FWPS_FILTER0 / FWPS_ACTION0 and fwpsk.h FWPS_CALLOUT0.
    #[test]
    fn filter_and_callout_layout() {
        assert_eq!(size_of::<FWPS_ACTION0>(), 8);
        assert_eq!(offset_of!(FWPS_FILTER0, weight), 8);
        assert_eq!(offset_of!(FWPS_FILTER0, subLayerWeight), 24);
        assert_eq!(offset_of!(FWPS_FILTER0, flags), 26);
        assert_eq!(offset_of!(FWPS_FILTER0, numFilterConditions), 28);
        assert_eq!(offset_of!(FWPS_FILTER0, action), 40);
        assert_eq!(offset_of!(FWPS_FILTER0, context), 48);
        assert_eq!(size_of::<FWPS_FILTER0>(), 64);
        assert_eq!(offset_of!(FWPS_CALLOUT0, flags), 16);
        assert_eq!(offset_of!(FWPS_CALLOUT0, classifyFn), 24);
        assert_eq!(offset_of!(FWPS_CALLOUT0, flowDeleteFn), 40);
        assert_eq!(size_of::<FWPS_CALLOUT0>(), 48);
    }

    /// fwpsk.h stream and transport-send structures.
    #[test]
    fn stream_and_send_layout() {
        assert_eq!(size_of::<FWPS_STREAM_DATA_OFFSET0>(), 40);
        assert_eq!(offset_of!(FWPS_STREAM_DATA_OFFSET0, mdlOffset), 24);
        assert_eq!(offset_of!(FWPS_STREAM_DATA_OFFSET0, streamDataOffset), 32);
        assert_eq!(offset_of!(FWPS_STREAM_DATA0, dataOffset), 8);
        assert_eq!(offset_of!(FWPS_STREAM_DATA0, dataLength), 48);
        assert_eq!(offset_of!(FWPS_STREAM_DATA0, netBufferListChain), 56);
        assert_eq!(size_of::<FWPS_STREAM_DATA0>(), 64);
        type Io = FWPS_STREAM_CALLOUT_IO_PACKET0;
        assert_eq!(offset_of!(Io, countBytesRequired), 16);
        assert_eq!(offset_of!(Io, countBytesEnforced), 24);
        assert_eq!(offset_of!(Io, streamAction), 32);
        assert_eq!(size_of::<Io>(), 40);
        type S = FWPS_TRANSPORT_SEND_PARAMS1;
        assert_eq!(offset_of!(S, remoteScopeId), 8);
        assert_eq!(offset_of!(S, controlData), 16);
        assert_eq!(offset_of!(S, controlDataLength), 24);
        assert_eq!(offset_of!(S, headerIncludeHeader), 32);
        assert_eq!(size_of::<S>(), 48);
    }

    /// fwpmtypes.h management structures passed to FwpmSubLayerAdd0/CalloutAdd0/FilterAdd0.
    #[test]
    fn management_layout() {
        assert_eq!(size_of::<FWPM_DISPLAY_DATA0>(), 16);
        assert_eq!(offset_of!(FWPM_SESSION0, flags), 32);
        assert_eq!(offset_of!(FWPM_SESSION0, sid), 48);
        assert_eq!(offset_of!(FWPM_SESSION0, kernelMode), 64);
        assert_eq!(size_of::<FWPM_SESSION0>(), 72);
        assert_eq!(offset_of!(FWPM_SUBLAYER0, providerKey), 40);
        assert_eq!(offset_of!(FWPM_SUBLAYER0, weight), 64);
        assert_eq!(size_of::<FWPM_SUBLAYER0>(), 72);
        assert_eq!(offset_of!(FWPM_CALLOUT0, applicableLayer), 64);
        assert_eq!(offset_of!(FWPM_CALLOUT0, calloutId), 80);
        assert_eq!(size_of::<FWPM_CALLOUT0>(), 88);
        assert_eq!(size_of::<FWPM_ACTION0>(), 20);
        type F = FWPM_FILTER0;
        assert_eq!(offset_of!(F, layerKey), 64);
        assert_eq!(offset_of!(F, subLayerKey), 80);
        assert_eq!(offset_of!(F, weight), 96);
        assert_eq!(offset_of!(F, numFilterConditions), 112);
        assert_eq!(offset_of!(F, filterCondition), 120);
        assert_eq!(offset_of!(F, action), 128);
        assert_eq!(offset_of!(F, context), 152);
        assert_eq!(offset_of!(F, reserved), 168);
        assert_eq!(offset_of!(F, filterId), 176);
        assert_eq!(offset_of!(F, effectiveWeight), 184);
        assert_eq!(size_of::<F>(), 200);
    }

    /// ndis/nbl.h NET_BUFFER_DATA: Next, CurrentMdl, CurrentMdlOffset, NbDataLength, MdlChain,
    /// DataOffset.
    #[test]
    fn net_buffer_layout() {
        assert_eq!(offset_of!(NET_BUFFER_LIST, FirstNetBuffer), 8);
        assert_eq!(offset_of!(NET_BUFFER, CurrentMdlOffset), 16);
        assert_eq!(offset_of!(NET_BUFFER, NbDataLength), 24);
        assert_eq!(offset_of!(NET_BUFFER, MdlChain), 32);
        assert_eq!(offset_of!(NET_BUFFER, DataOffset), 40);
    }

    /// wdm.h IRP / IO_STACK_LOCATION / DRIVER_OBJECT / DEVICE_OBJECT. The DRIVER_OBJECT size
    /// 0x150 and its MajorFunction offset 0x70 are also printed by the Vergilius x64 dumps.
    #[test]
    fn io_manager_layout() {
        assert_eq!(size_of::<UNICODE_STRING>(), 16);
        assert_eq!(size_of::<IO_STATUS_BLOCK>(), 16);
        assert_eq!(offset_of!(IRP, SystemBuffer), 0x18);
        assert_eq!(offset_of!(IRP, IoStatus), 0x30);
        assert_eq!(offset_of!(IRP, Cancel), 0x44);
        assert_eq!(offset_of!(IRP, CancelIrql), 0x45);
        assert_eq!(offset_of!(IRP, CancelRoutine), 0x68);
        assert_eq!(offset_of!(IRP, UserBuffer), 0x70);
        assert_eq!(
            offset_of!(IRP, Tail) + offset_of!(IRP_TAIL_OVERLAY, CurrentStackLocation),
            0xB8
        );
        assert_eq!(size_of::<IRP>(), 0xD0);
        assert_eq!(offset_of!(IO_STACK_LOCATION, Parameters), 8);
        assert_eq!(offset_of!(IO_STACK_LOCATION, FileObject), 0x30);
        assert_eq!(size_of::<IO_STACK_LOCATION>(), 0x48);
        assert_eq!(offset_of!(DRIVER_OBJECT, DriverName), 0x38);
        assert_eq!(offset_of!(DRIVER_OBJECT, DriverUnload), 0x68);
        assert_eq!(offset_of!(DRIVER_OBJECT, MajorFunction), 0x70);
        assert_eq!(size_of::<DRIVER_OBJECT>(), 0x150);
        assert_eq!(offset_of!(DEVICE_OBJECT, Flags), 0x30);
        assert_eq!(offset_of!(DEVICE_OBJECT, Characteristics), 0x34);
    }

    #[test]
    fn ioctl_parameter_views_follow_pointer_alignment() {
        let mut params = IO_STACK_PARAMETERS { Words: [0; 4] };
        params.Words[0] = 64; // OutputBufferLength (also Read.Length)
        params.Words[1] = 4; // InputBufferLength, POINTER_ALIGNMENT: offset 8
        params.Words[2] = 0x9C40_E000; // IoControlCode, offset 16
        let stack = IO_STACK_LOCATION {
            MajorFunction: IRP_MJ_DEVICE_CONTROL,
            MinorFunction: 0,
            Flags: 0,
            Control: 0,
            Parameters: params,
            DeviceObject: core::ptr::null_mut(),
            FileObject: core::ptr::null_mut(),
            CompletionRoutine: core::ptr::null_mut(),
            Context: core::ptr::null_mut(),
        };
        assert_eq!(stack.output_buffer_length(), 64);
        assert_eq!(stack.read_length(), 64);
        assert_eq!(stack.input_buffer_length(), 4);
        assert_eq!(stack.io_control_code(), 0x9C40_E000);
    }

    #[test]
    fn constants_from_the_headers() {
        assert_eq!(action::BLOCK, 0x1001);
        assert_eq!(action::PERMIT, 0x1002);
        assert_eq!(action::CALLOUT_TERMINATING, 0x5003);
        assert_eq!(action::CALLOUT_INSPECTION, 0x6004);
        assert_eq!(action::CONTINUE, 0x2006);
        let guid = GUID::from_u128(0xc38d57d1_05a7_4c33_904f_7fbceee60e82);
        assert_eq!(guid.Data1, 0xc38d57d1);
        assert_eq!(guid.Data2, 0x05a7);
        assert_eq!(guid.Data3, 0x4c33);
        assert_eq!(guid.Data4, [0x90, 0x4f, 0x7f, 0xbc, 0xee, 0xe6, 0x0e, 0x82]);
        assert!(status::is_success(status::PENDING));
        assert!(!status::is_success(status::CANCELLED));
    }
}
