/**
 * Signals by name or number, as `kill -s`, `--stop-signal` and an image's `STOPSIGNAL` take
 * them: every signal the kernel has (Linux x86_64 numbering), with or without "SIG", in any
 * case, by number, and the real-time ones as `SIGRTMIN+n` / `SIGRTMAX-n`.
 */
import { InvalidArgumentError } from "../errors.ts";

/** Linux x86_64 signal numbers by name (without "SIG"). */
const SIGNALS: Record<string, number> = {
  HUP: 1,
  INT: 2,
  QUIT: 3,
  ILL: 4,
  TRAP: 5,
  ABRT: 6,
  IOT: 6,
  BUS: 7,
  FPE: 8,
  KILL: 9,
  USR1: 10,
  SEGV: 11,
  USR2: 12,
  PIPE: 13,
  ALRM: 14,
  TERM: 15,
  STKFLT: 16,
  CHLD: 17,
  CLD: 17,
  CONT: 18,
  STOP: 19,
  TSTP: 20,
  TTIN: 21,
  TTOU: 22,
  URG: 23,
  XCPU: 24,
  XFSZ: 25,
  VTALRM: 26,
  PROF: 27,
  WINCH: 28,
  IO: 29,
  POLL: 29,
  PWR: 30,
  SYS: 31,
};
const SIGRTMIN = 34;
const SIGRTMAX = 64;
const CANONICAL: Record<number, string> = {};
for (const [name, nr] of Object.entries(SIGNALS)) CANONICAL[nr] ??= name;

/** A signal's canonical name ("SIGTERM") and number (15). */
export interface Signal {
  name: string;
  number: number;
}

/**
 * Parses a signal as Docker does: a name with or without "SIG" (any case),
 * "RTMIN+n"/"RTMAX-n", or a number 1..64 (Linux x86_64 numbering; 32 and 33, which the C
 * library keeps for itself, are "SIG32" and "SIG33").
 *
 * @example
 * ```ts
 * parseSignal("term"); // { name: "SIGTERM", number: 15 }
 * parseSignal("9"); // { name: "SIGKILL", number: 9 }
 * ```
 */
export function parseSignal(value: string): Signal {
  const bad = () => new InvalidArgumentError(`Invalid signal: ${value}`);
  const key = value.toUpperCase().replace(/^SIG/, "");
  if (/^\d+$/.test(key)) {
    const n = Number(key);
    if (n < 1 || n > SIGRTMAX) throw bad();
    return { name: signalName(n), number: n };
  }
  if (Object.hasOwn(SIGNALS, key)) return { name: signalName(SIGNALS[key]), number: SIGNALS[key] };
  const rt = /^RT(MIN|MAX)(?:([+-])(\d+))?$/.exec(key);
  if (rt) {
    const off = rt[3] === undefined ? 0 : Number(rt[3]);
    if (rt[1] === "MIN" && (rt[2] ?? "+") === "+" && off <= 15) {
      return { name: signalName(SIGRTMIN + off), number: SIGRTMIN + off };
    }
    if (rt[1] === "MAX" && (rt[2] ?? "-") === "-" && off <= 14) {
      return { name: signalName(SIGRTMAX - off), number: SIGRTMAX - off };
    }
  }
  throw bad();
}

function signalName(n: number): string {
  if (CANONICAL[n]) return "SIG" + CANONICAL[n];
  if (n === SIGRTMIN) return "SIGRTMIN";
  if (n === SIGRTMAX) return "SIGRTMAX";
  if (n > SIGRTMIN && n <= SIGRTMIN + 15) return `SIGRTMIN+${n - SIGRTMIN}`;
  if (n >= SIGRTMAX - 14 && n < SIGRTMAX) return `SIGRTMAX-${SIGRTMAX - n}`;
  return `SIG${n}`;
}

/**
 * Whether Deno can send the signal by name (the classic ones, 1..31); the real-time ones and
 * 32, 33 go through the C library by number.
 *
 * @example
 * ```ts
 * hasClassicName(parseSignal("TERM")); // true
 * hasClassicName(parseSignal("RTMIN")); // false
 * ```
 */
export function hasClassicName(sig: Signal): boolean {
  return sig.number < 32;
}
