/*
 * bcryptprimitives.dll for Wine 8: ffi-rs' Windows build imports ProcessPrng from it, which Wine 8
 * does not export, so the .node file would not load. This DLL, placed beside the .node file,
 * exports ProcessPrng on top of RtlGenRandom (advapi32's SystemFunction036). Test support only:
 * real Windows 10+ has the export and never loads this.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length) {
  while (length > 0) {
    ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
    if (!SystemFunction036(data, chunk)) return FALSE;
    data += chunk;
    length -= chunk;
  }
  return TRUE;
}
