import { describe, expect, it } from "vitest";
import { nameCrash, osContext } from "../../../../queue-consumer/digest/items/minidump/name-minidump-crash";
import type { MinidumpException, MinidumpSystem } from "../../../../queue-consumer/digest/items/minidump/read-minidump";
import { LINUX, MACOS, WINDOWS } from "../../../support/crashpad-upload";

const system = (platformId: number, version: [number, number, number] = [0, 0, 0]): MinidumpSystem => ({
  platformId,
  majorVersion: version[0],
  minorVersion: version[1],
  buildNumber: version[2],
});
const exception = (code: number, flags = 0, parameters: bigint[] = []): MinidumpException => ({
  threadId: 1,
  code,
  flags,
  address: 0n,
  parameters,
});

describe("nameCrash", () => {
  it("names a Windows access violation by what the access was", () => {
    expect(nameCrash(exception(0xc0000005, 0, [0n, 0n]), system(WINDOWS)).type).toBe("EXCEPTION_ACCESS_VIOLATION_READ");
    expect(nameCrash(exception(0xc0000005, 0, [1n, 0x10n]), system(WINDOWS)).type).toBe("EXCEPTION_ACCESS_VIOLATION_WRITE");
    expect(nameCrash(exception(0xc0000005, 0, [8n, 0x10n]), system(WINDOWS)).type).toBe("EXCEPTION_ACCESS_VIOLATION_EXEC");
    expect(nameCrash(exception(0xc0000005), system(WINDOWS)).type).toBe("EXCEPTION_ACCESS_VIOLATION");
  });

  it("names other Windows exception codes, and shows an unknown one in hex", () => {
    expect(nameCrash(exception(0xc00000fd), system(WINDOWS))).toEqual({ type: "EXCEPTION_STACK_OVERFLOW", detail: null, meta: null });
    expect(nameCrash(exception(0xc0000409), system(WINDOWS)).type).toBe("EXCEPTION_STACK_BUFFER_OVERRUN");
    expect(nameCrash(exception(0xe06d7363), system(WINDOWS)).type).toBe("0xe06d7363");
  });

  it("names a Linux signal with its si_code, and gives Sentry's signal meta", () => {
    expect(nameCrash(exception(11, 1), system(LINUX))).toEqual({
      type: "SIGSEGV",
      detail: "SEGV_MAPERR",
      meta: { signal: { number: 11, code: 1, name: "SIGSEGV", code_name: "SEGV_MAPERR" } },
    });
    // abort() raises SIGABRT with SI_TKILL (-6), stored as an unsigned 32-bit value.
    expect(nameCrash(exception(6, 0xfffffffa), system(LINUX))).toMatchObject({ type: "SIGABRT", detail: "SI_TKILL" });
    expect(nameCrash(exception(8, 1), system(0x8203))).toMatchObject({ type: "SIGFPE", detail: "FPE_INTDIV" });
    expect(nameCrash(exception(64, 0), system(LINUX))).toMatchObject({ type: "signal 64", detail: "SI_USER" });
  });

  it("names a Mach exception on macOS with its code", () => {
    expect(nameCrash(exception(1, 1), system(MACOS))).toMatchObject({ type: "EXC_BAD_ACCESS", detail: "KERN_INVALID_ADDRESS" });
    expect(nameCrash(exception(5, 0x00010002), system(MACOS))).toMatchObject({ type: "EXC_SOFTWARE", detail: "SIGABRT" });
    expect(nameCrash(exception(6, 1), system(0x8102))).toMatchObject({ type: "EXC_BREAKPOINT", detail: null });
  });

  it("reads the same code by platform: 11 is SIGSEGV on Linux but not on macOS", () => {
    expect(nameCrash(exception(11), system(LINUX)).type).toBe("SIGSEGV");
    expect(nameCrash(exception(11), system(MACOS)).type).toBe("EXC_RESOURCE");
  });

  it("without system info, still names a Windows code and nothing else", () => {
    expect(nameCrash(exception(0xc0000005, 0, [0n]), null).type).toBe("EXCEPTION_ACCESS_VIOLATION_READ");
    expect(nameCrash(exception(11, 1), null)).toEqual({ type: "0x0000000b", detail: null, meta: null });
  });
});

describe("osContext", () => {
  it("names the OS and its version from the system info", () => {
    expect(osContext(system(WINDOWS, [10, 0, 19045]))).toEqual({ type: "os", name: "Windows", version: "10.0.19045" });
    expect(osContext(system(MACOS, [14, 5, 0]))).toEqual({ type: "os", name: "macOS", version: "14.5.0" });
    expect(osContext(system(LINUX, [6, 8, 12]))).toEqual({ type: "os", name: "Linux", kernel_version: "6.8.12" });
    expect(osContext(system(LINUX))).toEqual({ type: "os", name: "Linux" });
    expect(osContext(system(0x1234))).toBeNull();
  });
});
