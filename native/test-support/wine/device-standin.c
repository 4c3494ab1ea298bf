/*
 * The ZenithFence device, played by a small kernel driver that Wine loads (winedevice.exe), so
 * the Windows transport in native/src/windows runs against real IRPs: CreateFileW reaches
 * IRP_MJ_CREATE, ReadFile pends until an info is queued and CancelIoEx cancels it, a wrong-length
 * WriteFile fails with ERROR_INVALID_PARAMETER, DeviceIoControl answers the version.
 *
 * It is a TEST STAND-IN, not the product's driver (driver/windows is, and needs a real Windows
 * kernel). It plays only the device semantics of driver/protocol/README.md:
 * - one client session: it starts afresh when the last open handle closes (the transport opens
 *   a reader and a writer). It does not refuse a second process: Wine 8 completes an open
 *   without waiting for the driver's IRP_MJ_CREATE status (measured: a stand-in that failed
 *   every create with STATUS_ACCESS_DENIED still opened), so that refusal is host-tested in
 *   driver/windows instead;
 * - one write is one command, checked for its id's length (else STATUS_INVALID_PARAMETER);
 * - one read returns as many whole infos as fit (an info larger than the buffer is split);
 * - Hello gets a HelloReply, then the infos of the "Script" file are queued once per client;
 * - Shutdown (command 0 or the shutdown IOCTL) ends the info stream.
 *
 * Configuration, from the service's registry key (the test writes it before starting):
 *   Script   REG_SZ    NT path of the infos to queue after the first Hello (optional)
 *   Log      REG_SZ    NT path; every accepted command is appended as u32 length + bytes
 *   Features REG_DWORD the extension features it grants (ANDed with the Hello's)
 *   Major    REG_DWORD the major version the version IOCTL reports (default 2)
 * The device is \Device\<service name>, reachable as \\.\<service name>.
 */
#include <ntddk.h>

#define STANDIN_TAG 0x6e53465a /* 'ZFSn' */
#define QUEUE_CAPACITY (1024 * 1024)
#define INFO_HEADER 5
#define MAX_POLICY_DATA 8192
/* CTL_CODE(0x9c40, fn, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA), as ctl-code.ts. */
#define IOCTL_VERSION CTL_CODE(0x9c40, 0x800, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA)
#define IOCTL_SHUTDOWN CTL_CODE(0x9c40, 0x801, METHOD_BUFFERED, FILE_READ_DATA | FILE_WRITE_DATA)

typedef struct {
  KSPIN_LOCK lock; /* guards everything below it */
  UCHAR *queue;
  ULONG queued;
  ULONG split_left; /* bytes of an info already partly read, still at the queue's head */
  PIRP pending_read;
  ULONG handles;
  BOOLEAN ended;
  BOOLEAN script_sent;
  /* Set once in DriverEntry, read-only afterwards. */
  PDEVICE_OBJECT device;
  UNICODE_STRING link;
  WCHAR script[512];
  WCHAR log[512];
  ULONG features;
  ULONG major;
} STANDIN;

static STANDIN g;

static NTSTATUS finish(PIRP irp, NTSTATUS status, ULONG_PTR information) {
  irp->IoStatus.Status = status;
  irp->IoStatus.Information = information;
  IoCompleteRequest(irp, IO_NO_INCREMENT);
  return status;
}

static UCHAR *irp_buffer(PIRP irp) {
  if (irp->MdlAddress != NULL) return MmGetSystemAddressForMdlSafe(irp->MdlAddress, NormalPagePriority);
  return irp->AssociatedIrp.SystemBuffer;
}

/* The length a command with this id must have, or 0 when the id is unknown. PolicyPart: its own. */
static ULONG command_length(const UCHAR *command, ULONG length) {
  switch (command[0]) {
  case 0: case 4: case 5: case 6: case 7: case 8: case 129: return 1;
  case 1: return 10;
  case 2: return 15;
  case 3: return 39;
  case 128: return 7;
  case 131: return 5; /* NetworkSeen: taken (the driver counts it as rejected: it never grants NETWORK) */
  case 130: {
    ULONG data;
    if (length < 19) return 19;
    data = (ULONG)command[17] | ((ULONG)command[18] << 8);
    return (data >= 1 && data <= MAX_POLICY_DATA) ? 19 + data : 0;
  }
  default: return 0;
  }
}

/*
 * Copies as many whole infos as fit into `out`. An info larger than `capacity` is split: this
 * read returns its first `capacity` bytes and the next reads its rest. Lock held.
 */
static ULONG take_infos(UCHAR *out, ULONG capacity) {
  ULONG copied = 0;
  if (g.split_left > 0) {
    copied = g.split_left < capacity ? g.split_left : capacity;
    g.split_left -= copied;
  } else {
    while (copied < g.queued) {
      const UCHAR *h = g.queue + copied;
      ULONG left = g.queued - copied;
      ULONG size = left < INFO_HEADER
                       ? left
                       : INFO_HEADER + ((ULONG)h[1] | ((ULONG)h[2] << 8) | ((ULONG)h[3] << 16) | ((ULONG)h[4] << 24));
      if (size > left) size = left; /* a Script that lies about a length: hand out what there is */
      if (copied + size <= capacity) {
        copied += size;
        continue;
      }
      if (copied == 0) {
        copied = capacity;
        g.split_left = size - capacity;
      }
      break;
    }
  }
  RtlCopyMemory(out, g.queue, copied);
  RtlMoveMemory(g.queue, g.queue + copied, g.queued - copied);
  g.queued -= copied;
  return copied;
}

static VOID NTAPI cancel_read(PDEVICE_OBJECT device, PIRP irp) {
  KIRQL irql;
  (void)device;
  IoReleaseCancelSpinLock(irp->CancelIrql);
  KeAcquireSpinLock(&g.lock, &irql);
  if (g.pending_read == irp) g.pending_read = NULL;
  KeReleaseSpinLock(&g.lock, irql);
  finish(irp, STATUS_CANCELLED, 0);
}

/* Completes the pending read if there is something to return (or the stream ended). */
static void deliver(void) {
  KIRQL irql;
  PIRP irp;
  ULONG n = 0;
  KeAcquireSpinLock(&g.lock, &irql);
  irp = g.pending_read;
  if (irp == NULL || (g.queued == 0 && !g.ended) || IoSetCancelRoutine(irp, NULL) == NULL) {
    /* Nothing to say yet, or the cancel routine owns the IRP now. */
    KeReleaseSpinLock(&g.lock, irql);
    return;
  }
  g.pending_read = NULL;
  if (g.queued > 0) n = take_infos(irp_buffer(irp), IoGetCurrentIrpStackLocation(irp)->Parameters.Read.Length);
  KeReleaseSpinLock(&g.lock, irql);
  finish(irp, STATUS_SUCCESS, n);
}

static void enqueue(const UCHAR *bytes, ULONG length) {
  KIRQL irql;
  KeAcquireSpinLock(&g.lock, &irql);
  if (length <= QUEUE_CAPACITY - g.queued) {
    RtlCopyMemory(g.queue + g.queued, bytes, length);
    g.queued += length;
  }
  KeReleaseSpinLock(&g.lock, irql);
}

static NTSTATUS open_file(const WCHAR *path, ACCESS_MASK access, ULONG disposition, HANDLE *file) {
  UNICODE_STRING name;
  OBJECT_ATTRIBUTES attributes;
  IO_STATUS_BLOCK io;
  RtlInitUnicodeString(&name, path);
  InitializeObjectAttributes(&attributes, &name, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
  return ZwCreateFile(file, access | SYNCHRONIZE, &attributes, &io, NULL, FILE_ATTRIBUTE_NORMAL,
                      FILE_SHARE_READ | FILE_SHARE_WRITE, disposition, FILE_SYNCHRONOUS_IO_NONALERT, NULL, 0);
}

/* Appends one accepted command to the Log file, so the test sees exactly what arrived. */
static void log_command(const UCHAR *command, ULONG length) {
  HANDLE file;
  IO_STATUS_BLOCK io;
  UCHAR prefix[4];
  if (g.log[0] == 0 || !NT_SUCCESS(open_file(g.log, FILE_APPEND_DATA, FILE_OPEN_IF, &file))) return;
  prefix[0] = (UCHAR)length; prefix[1] = (UCHAR)(length >> 8);
  prefix[2] = (UCHAR)(length >> 16); prefix[3] = (UCHAR)(length >> 24);
  ZwWriteFile(file, NULL, NULL, NULL, &io, prefix, 4, NULL, NULL);
  ZwWriteFile(file, NULL, NULL, NULL, &io, (PVOID)command, length, NULL, NULL);
  ZwClose(file);
}

/* Queues the Script file's infos (once per client). */
static void queue_script(void) {
  HANDLE file;
  IO_STATUS_BLOCK io;
  FILE_STANDARD_INFORMATION info;
  UCHAR *bytes;
  ULONG size;
  if (g.script[0] == 0 || !NT_SUCCESS(open_file(g.script, GENERIC_READ, FILE_OPEN, &file))) return;
  if (NT_SUCCESS(ZwQueryInformationFile(file, &io, &info, sizeof info, FileStandardInformation)) &&
      info.EndOfFile.QuadPart > 0 && info.EndOfFile.QuadPart <= QUEUE_CAPACITY) {
    size = (ULONG)info.EndOfFile.QuadPart;
    bytes = ExAllocatePoolWithTag(NonPagedPool, size, STANDIN_TAG);
    if (bytes != NULL) {
      if (NT_SUCCESS(ZwReadFile(file, NULL, NULL, NULL, &io, bytes, size, NULL, NULL)) && io.Information == size) {
        enqueue(bytes, size);
      }
      ExFreePoolWithTag(bytes, STANDIN_TAG);
    }
  }
  ZwClose(file);
}

static void queue_hello_reply(const UCHAR *hello) {
  ULONG asked = (ULONG)hello[3] | ((ULONG)hello[4] << 8) | ((ULONG)hello[5] << 16) | ((ULONG)hello[6] << 24);
  ULONG granted = asked & g.features;
  UCHAR reply[INFO_HEADER + 11] = {128, 11, 0, 0, 0};
  reply[5] = (UCHAR)g.major; reply[6] = 1; reply[7] = 0; reply[8] = 0;
  reply[9] = 1; reply[10] = 0;
  reply[11] = (UCHAR)granted; reply[12] = (UCHAR)(granted >> 8);
  reply[13] = (UCHAR)(granted >> 16); reply[14] = (UCHAR)(granted >> 24);
  reply[15] = 1; /* driver_kind: the Windows kernel driver */
  enqueue(reply, sizeof reply);
}

static void end_stream(void) {
  KIRQL irql;
  KeAcquireSpinLock(&g.lock, &irql);
  g.ended = TRUE;
  KeReleaseSpinLock(&g.lock, irql);
  deliver();
}

static NTSTATUS on_create(PIRP irp) {
  KIRQL irql;
  KeAcquireSpinLock(&g.lock, &irql);
  g.handles += 1;
  KeReleaseSpinLock(&g.lock, irql);
  return finish(irp, STATUS_SUCCESS, 0);
}

/* A handle closes: its pending read ends; the last handle of the client resets the session. */
static NTSTATUS on_cleanup(PIRP irp) {
  KIRQL irql;
  PIRP read = NULL;
  PFILE_OBJECT file = IoGetCurrentIrpStackLocation(irp)->FileObject;
  KeAcquireSpinLock(&g.lock, &irql);
  if (g.pending_read != NULL && IoGetCurrentIrpStackLocation(g.pending_read)->FileObject == file &&
      IoSetCancelRoutine(g.pending_read, NULL) != NULL) {
    read = g.pending_read;
    g.pending_read = NULL;
  }
  if (g.handles > 0) g.handles -= 1;
  if (g.handles == 0) {
    g.queued = 0;
    g.split_left = 0;
    g.ended = FALSE;
    g.script_sent = FALSE;
  }
  KeReleaseSpinLock(&g.lock, irql);
  if (read != NULL) finish(read, STATUS_CANCELLED, 0);
  return finish(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS on_read(PIRP irp) {
  KIRQL irql;
  ULONG n;
  ULONG capacity = IoGetCurrentIrpStackLocation(irp)->Parameters.Read.Length;
  if (capacity == 0) return finish(irp, STATUS_INVALID_PARAMETER, 0);
  KeAcquireSpinLock(&g.lock, &irql);
  if (g.queued > 0 || g.ended) {
    n = g.queued > 0 ? take_infos(irp_buffer(irp), capacity) : 0;
    KeReleaseSpinLock(&g.lock, irql);
    return finish(irp, STATUS_SUCCESS, n);
  }
  if (g.pending_read != NULL) {
    KeReleaseSpinLock(&g.lock, irql);
    return finish(irp, STATUS_DEVICE_BUSY, 0); /* one read at a time, as the real device */
  }
  IoMarkIrpPending(irp);
  IoSetCancelRoutine(irp, cancel_read);
  if (irp->Cancel && IoSetCancelRoutine(irp, NULL) != NULL) {
    KeReleaseSpinLock(&g.lock, irql);
    finish(irp, STATUS_CANCELLED, 0);
    return STATUS_PENDING;
  }
  g.pending_read = irp;
  KeReleaseSpinLock(&g.lock, irql);
  return STATUS_PENDING;
}

static NTSTATUS on_write(PIRP irp) {
  ULONG length = IoGetCurrentIrpStackLocation(irp)->Parameters.Write.Length;
  const UCHAR *command = irp_buffer(irp);
  KIRQL irql;
  BOOLEAN first_hello;
  if (length == 0 || command == NULL || command_length(command, length) != length) {
    return finish(irp, STATUS_INVALID_PARAMETER, 0);
  }
  log_command(command, length);
  if (command[0] == 0) {
    end_stream();
  } else if (command[0] == 128) {
    queue_hello_reply(command);
    KeAcquireSpinLock(&g.lock, &irql);
    first_hello = !g.script_sent;
    g.script_sent = TRUE;
    KeReleaseSpinLock(&g.lock, irql);
    if (first_hello) queue_script();
    deliver();
  }
  return finish(irp, STATUS_SUCCESS, length);
}

static NTSTATUS on_control(PIRP irp) {
  PIO_STACK_LOCATION stack = IoGetCurrentIrpStackLocation(irp);
  UCHAR *out = irp->AssociatedIrp.SystemBuffer;
  switch (stack->Parameters.DeviceIoControl.IoControlCode) {
  case IOCTL_VERSION:
    if (stack->Parameters.DeviceIoControl.OutputBufferLength < 4) return finish(irp, STATUS_BUFFER_TOO_SMALL, 0);
    out[0] = (UCHAR)g.major; out[1] = 1; out[2] = 0; out[3] = 0;
    return finish(irp, STATUS_SUCCESS, 4);
  case IOCTL_SHUTDOWN:
    end_stream();
    return finish(irp, STATUS_SUCCESS, 0);
  default:
    return finish(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
  }
}

static NTSTATUS NTAPI dispatch(PDEVICE_OBJECT device, PIRP irp) {
  (void)device;
  switch (IoGetCurrentIrpStackLocation(irp)->MajorFunction) {
  case IRP_MJ_CREATE: return on_create(irp);
  case IRP_MJ_CLEANUP: return on_cleanup(irp);
  case IRP_MJ_CLOSE: return finish(irp, STATUS_SUCCESS, 0);
  case IRP_MJ_READ: return on_read(irp);
  case IRP_MJ_WRITE: return on_write(irp);
  case IRP_MJ_DEVICE_CONTROL: return on_control(irp);
  default: return finish(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
  }
}

/* Reads one value of the service key: a string into `text`, or a DWORD into `number`. */
static void read_setting(HANDLE key, const WCHAR *name, WCHAR *text, ULONG text_chars, ULONG *number) {
  UNICODE_STRING value_name;
  UCHAR buffer[sizeof(KEY_VALUE_PARTIAL_INFORMATION) + 1100];
  PKEY_VALUE_PARTIAL_INFORMATION value = (PKEY_VALUE_PARTIAL_INFORMATION)buffer;
  ULONG got;
  RtlInitUnicodeString(&value_name, name);
  if (!NT_SUCCESS(ZwQueryValueKey(key, &value_name, KeyValuePartialInformation, value, sizeof buffer, &got))) return;
  if (text != NULL && value->Type == REG_SZ && value->DataLength < text_chars * sizeof(WCHAR)) {
    RtlCopyMemory(text, value->Data, value->DataLength);
    text[value->DataLength / sizeof(WCHAR)] = 0;
  } else if (number != NULL && value->Type == REG_DWORD && value->DataLength == 4) {
    *number = *(ULONG *)value->Data;
  }
}

static VOID NTAPI unload(PDRIVER_OBJECT driver) {
  (void)driver;
  IoDeleteSymbolicLink(&g.link);
  IoDeleteDevice(g.device);
  ExFreePoolWithTag(g.queue, STANDIN_TAG);
}

NTSTATUS NTAPI DriverEntry(PDRIVER_OBJECT driver, PUNICODE_STRING registry_path) {
  static WCHAR device_name[160], link_name[160];
  UNICODE_STRING device_string;
  OBJECT_ATTRIBUTES attributes;
  HANDLE key;
  NTSTATUS status;
  ULONG i, start = 0, chars = registry_path->Length / sizeof(WCHAR), name_chars;
  int m;

  KeInitializeSpinLock(&g.lock);
  g.major = 2;
  InitializeObjectAttributes(&attributes, registry_path, OBJ_CASE_INSENSITIVE | OBJ_KERNEL_HANDLE, NULL, NULL);
  if (NT_SUCCESS(ZwOpenKey(&key, KEY_READ, &attributes))) {
    read_setting(key, L"Script", g.script, 512, NULL);
    read_setting(key, L"Log", g.log, 512, NULL);
    read_setting(key, L"Features", NULL, 0, &g.features);
    read_setting(key, L"Major", NULL, 0, &g.major);
    ZwClose(key);
  }
  /* The device is named after the service: the last component of the registry path. */
  for (i = 0; i < chars; i++) {
    if (registry_path->Buffer[i] == L'\\') start = i + 1;
  }
  name_chars = chars - start;
  if (name_chars == 0 || name_chars > 100) return STATUS_INVALID_PARAMETER;
  RtlCopyMemory(device_name, L"\\Device\\", 8 * sizeof(WCHAR));
  RtlCopyMemory(device_name + 8, registry_path->Buffer + start, name_chars * sizeof(WCHAR));
  device_name[8 + name_chars] = 0;
  RtlCopyMemory(link_name, L"\\??\\", 4 * sizeof(WCHAR));
  RtlCopyMemory(link_name + 4, registry_path->Buffer + start, name_chars * sizeof(WCHAR));
  link_name[4 + name_chars] = 0;

  g.queue = ExAllocatePoolWithTag(NonPagedPool, QUEUE_CAPACITY, STANDIN_TAG);
  if (g.queue == NULL) return STATUS_INSUFFICIENT_RESOURCES;
  RtlInitUnicodeString(&device_string, device_name);
  RtlInitUnicodeString(&g.link, link_name);
  status = IoCreateDevice(driver, 0, &device_string, FILE_DEVICE_UNKNOWN, 0, FALSE, &g.device);
  if (!NT_SUCCESS(status)) {
    ExFreePoolWithTag(g.queue, STANDIN_TAG);
    return status;
  }
  g.device->Flags |= DO_BUFFERED_IO;
  status = IoCreateSymbolicLink(&g.link, &device_string);
  if (!NT_SUCCESS(status)) {
    IoDeleteDevice(g.device);
    ExFreePoolWithTag(g.queue, STANDIN_TAG);
    return status;
  }
  for (m = 0; m <= IRP_MJ_MAXIMUM_FUNCTION; m++) driver->MajorFunction[m] = dispatch;
  driver->DriverUnload = unload;
  return STATUS_SUCCESS;
}
