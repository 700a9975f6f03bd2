import type { MinidumpException, MinidumpSystem } from "./read-minidump";
import { pickDefined, type JsonRecord } from "../../untrusted-json";

/**
 * Names a minidump's crash the way Sentry shows one (EXCEPTION_ACCESS_VIOLATION_READ, SIGSEGV /
 * SEGV_MAPERR, EXC_BAD_ACCESS / KERN_INVALID_ADDRESS). The exception code means something else on
 * each platform, so the system info stream's platform decides how it is read: a Windows exception
 * code, a Linux signal number with its si_code, or a Mach exception type with its code. A code
 * with no name is shown in hex.
 */
export interface CrashName {
  /** The crash reason: EXCEPTION_ACCESS_VIOLATION_READ, SIGSEGV... */
  type: string;
  /** What the platform adds to it: SEGV_MAPERR, KERN_INVALID_ADDRESS... */
  detail: string | null;
  /** Sentry's mechanism.meta for a signal (https://develop.sentry.dev/sdk/data-model/event-payloads/exception/#meta-information). */
  meta: JsonRecord | null;
}

type Family = "windows" | "linux" | "mach" | "other";

function familyOf(system: MinidumpSystem | null): Family | null {
  if (system === null) return null;
  const id = system.platformId;
  // VER_PLATFORM_WIN32s, WIN32_WINDOWS, WIN32_NT, WIN32_CE; the rest are Breakpad's additions.
  if (id <= 3) return "windows";
  if (id === 0x8000 || id === 0x8201 || id === 0x8203) return "linux";
  if (id === 0x8101 || id === 0x8102) return "mach";
  return "other";
}

export function nameCrash(exception: MinidumpException, system: MinidumpSystem | null): CrashName {
  const family = familyOf(system);
  const { code, flags } = exception;
  // Without system info a Windows code still tells itself apart: signals and Mach types are small numbers.
  if (family === "windows" || (family === null && WINDOWS_EXCEPTIONS[code] !== undefined)) {
    const name = WINDOWS_EXCEPTIONS[code];
    if (name === undefined) return { type: hex(code), detail: null, meta: null };
    // For these two the first parameter says what the access was.
    const access = code === 0xc0000005 || code === 0xc0000006 ? ACCESS_KINDS[Number(exception.parameters[0] ?? -1n)] : undefined;
    return { type: access === undefined ? name : `${name}_${access}`, detail: null, meta: null };
  }
  if (family === "linux") {
    const name = LINUX_SIGNALS[code];
    // si_code is a signed int: SI_TKILL (-6) arrives as 0xfffffffa.
    const siCode = flags | 0;
    const codeName = (siCode > 0 ? SIGNAL_CODES[name ?? ""]?.[siCode - 1] : undefined) ?? GENERIC_SIGNAL_CODES[siCode];
    return {
      type: name ?? `signal ${code}`,
      detail: codeName ?? null,
      meta: {
        signal: pickDefined([
          ["number", code],
          ["code", siCode],
          ["name", name],
          ["code_name", codeName],
        ]),
      },
    };
  }
  if (family === "mach") {
    const name = MACH_EXCEPTIONS[code - 1];
    const detail = name === "EXC_BAD_ACCESS" ? KERN_RETURNS[flags] : name === "EXC_SOFTWARE" ? SOFTWARE_CODES[flags] : undefined;
    return { type: name ?? hex(code), detail: detail ?? null, meta: null };
  }
  return { type: hex(code), detail: null, meta: null };
}

/** The OS context Sentry derives from the system info stream, for events whose SDK sent none. */
export function osContext(system: MinidumpSystem): JsonRecord | null {
  const name = OS_NAMES[system.platformId];
  if (name === undefined) return null;
  const parts = [system.majorVersion, system.minorVersion, system.buildNumber];
  const version = parts.every((p) => p === 0) ? undefined : parts.join(".");
  // Linux and Android record the kernel's version there, not the distribution's.
  const linux = familyOf(system) === "linux";
  return pickDefined([
    ["type", "os"],
    ["name", name],
    [linux ? "kernel_version" : "version", version],
  ]);
}

function hex(code: number): string {
  return `0x${code.toString(16).padStart(8, "0")}`;
}

// winnt.h's EXCEPTION_* codes (and the two NTSTATUS codes crashes most often end in).
const WINDOWS_EXCEPTIONS: Record<number, string> = {
  0x80000001: "EXCEPTION_GUARD_PAGE",
  0x80000002: "EXCEPTION_DATATYPE_MISALIGNMENT",
  0x80000003: "EXCEPTION_BREAKPOINT",
  0x80000004: "EXCEPTION_SINGLE_STEP",
  0xc0000005: "EXCEPTION_ACCESS_VIOLATION",
  0xc0000006: "EXCEPTION_IN_PAGE_ERROR",
  0xc0000008: "EXCEPTION_INVALID_HANDLE",
  0xc000001d: "EXCEPTION_ILLEGAL_INSTRUCTION",
  0xc0000025: "EXCEPTION_NONCONTINUABLE_EXCEPTION",
  0xc0000026: "EXCEPTION_INVALID_DISPOSITION",
  0xc000008c: "EXCEPTION_ARRAY_BOUNDS_EXCEEDED",
  0xc000008d: "EXCEPTION_FLT_DENORMAL_OPERAND",
  0xc000008e: "EXCEPTION_FLT_DIVIDE_BY_ZERO",
  0xc000008f: "EXCEPTION_FLT_INEXACT_RESULT",
  0xc0000090: "EXCEPTION_FLT_INVALID_OPERATION",
  0xc0000091: "EXCEPTION_FLT_OVERFLOW",
  0xc0000092: "EXCEPTION_FLT_STACK_CHECK",
  0xc0000093: "EXCEPTION_FLT_UNDERFLOW",
  0xc0000094: "EXCEPTION_INT_DIVIDE_BY_ZERO",
  0xc0000095: "EXCEPTION_INT_OVERFLOW",
  0xc0000096: "EXCEPTION_PRIV_INSTRUCTION",
  0xc00000fd: "EXCEPTION_STACK_OVERFLOW",
  0xc0000374: "EXCEPTION_HEAP_CORRUPTION",
  0xc0000409: "EXCEPTION_STACK_BUFFER_OVERRUN",
};

const ACCESS_KINDS: Record<number, string> = { 0: "READ", 1: "WRITE", 8: "EXEC" };

// Linux's numbering (asm-generic/signal.h), which Android shares.
const LINUX_SIGNALS: Record<number, string> = {
  1: "SIGHUP",
  2: "SIGINT",
  3: "SIGQUIT",
  4: "SIGILL",
  5: "SIGTRAP",
  6: "SIGABRT",
  7: "SIGBUS",
  8: "SIGFPE",
  9: "SIGKILL",
  10: "SIGUSR1",
  11: "SIGSEGV",
  12: "SIGUSR2",
  13: "SIGPIPE",
  14: "SIGALRM",
  15: "SIGTERM",
  16: "SIGSTKFLT",
  17: "SIGCHLD",
  18: "SIGCONT",
  19: "SIGSTOP",
  20: "SIGTSTP",
  21: "SIGTTIN",
  22: "SIGTTOU",
  23: "SIGURG",
  24: "SIGXCPU",
  25: "SIGXFSZ",
  26: "SIGVTALRM",
  27: "SIGPROF",
  28: "SIGWINCH",
  29: "SIGIO",
  30: "SIGPWR",
  31: "SIGSYS",
};

// Each signal's own si_codes, from 1 (asm-generic/siginfo.h).
const SIGNAL_CODES: Record<string, readonly string[]> = {
  SIGILL: ["ILL_ILLOPC", "ILL_ILLOPN", "ILL_ILLADR", "ILL_ILLTRP", "ILL_PRVOPC", "ILL_PRVREG", "ILL_COPROC", "ILL_BADSTK"],
  SIGFPE: ["FPE_INTDIV", "FPE_INTOVF", "FPE_FLTDIV", "FPE_FLTOVF", "FPE_FLTUND", "FPE_FLTRES", "FPE_FLTINV", "FPE_FLTSUB"],
  SIGSEGV: ["SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"],
  SIGBUS: ["BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR", "BUS_MCEERR_AR", "BUS_MCEERR_AO"],
  SIGTRAP: ["TRAP_BRKPT", "TRAP_TRACE"],
};

// si_codes any signal may carry: who sent it.
const GENERIC_SIGNAL_CODES: Record<number, string> = {
  0: "SI_USER",
  0x80: "SI_KERNEL",
  [-1]: "SI_QUEUE",
  [-2]: "SI_TIMER",
  [-3]: "SI_MESGQ",
  [-4]: "SI_ASYNCIO",
  [-5]: "SI_SIGIO",
  [-6]: "SI_TKILL",
};

// mach/exception_types.h, from 1.
const MACH_EXCEPTIONS: readonly string[] = [
  "EXC_BAD_ACCESS",
  "EXC_BAD_INSTRUCTION",
  "EXC_ARITHMETIC",
  "EXC_EMULATION",
  "EXC_SOFTWARE",
  "EXC_BREAKPOINT",
  "EXC_SYSCALL",
  "EXC_MACH_SYSCALL",
  "EXC_RPC_ALERT",
  "EXC_CRASH",
  "EXC_RESOURCE",
  "EXC_GUARD",
  "EXC_CORPSE_NOTIFY",
];

const KERN_RETURNS: Record<number, string> = { 1: "KERN_INVALID_ADDRESS", 2: "KERN_PROTECTION_FAILURE" };

// EXC_SOFTWARE codes Breakpad and crashpad write for an abort and an uncaught Objective-C exception.
const SOFTWARE_CODES: Record<number, string> = {
  0x00010002: "SIGABRT",
  0x00010003: "EXC_SOFT_SIGNAL",
  0xdeadc0de: "UNCAUGHT_NS_EXCEPTION",
};

const OS_NAMES: Record<number, string> = {
  0: "Windows",
  1: "Windows",
  2: "Windows",
  3: "Windows CE",
  0x8000: "Unix",
  0x8101: "macOS",
  0x8102: "iOS",
  0x8201: "Linux",
  0x8202: "Solaris",
  0x8203: "Android",
  0x8204: "PS3",
  0x8205: "NaCl",
  0x8206: "Fuchsia",
};
