/*
 * A stand-in for bcryptprimitives.dll, for running Hato's Windows build under Wine 8.0 (Debian 12) only.
 *
 * Go 1.22 and later take their random numbers from ProcessPrng in bcryptprimitives.dll, which every
 * Windows that Go supports has (Windows 10 and later) and Wine has only since 8.13: under Wine 8.0 the
 * runtime stops at start with "bcryptprimitives.dll not found". This DLL exports ProcessPrng and answers it
 * with RtlGenRandom (advapi32's SystemFunction036, the system's CSPRNG, which Wine 8.0 has). The Wine test
 * (interop/wine_test.go) builds it with mingw into its private Wine prefix's system32 when the prefix has
 * none; it is never shipped or put into a Windows build.
 *
 *   x86_64-w64-mingw32-gcc -shared -O2 -s -o bcryptprimitives.dll bcryptprimitives.c -ladvapi32
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length); /* RtlGenRandom */

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, n))
            return FALSE;
        data += n;
        length -= n;
    }
    return TRUE;
}
