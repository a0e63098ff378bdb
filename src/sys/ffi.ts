/**
 * The only module that calls `Deno.dlopen`: it loads `ffi/build/libskiff.so`
 * lazily, on first use, so commands that make no system call of their own
 * never pay for it. Everything else uses the typed wrappers in `src/sys/`.
 * Binding a symbol costs Deno about as much as a small system call's worth of
 * set-up each (a third of a millisecond, more on a busy machine), so the symbols
 * come in groups bound on the first use of one of their members: a container
 * start on a bridge binds the network group only, a pull the unpacking one.
 */
import { SkiffError } from "../errors.ts";
import { assetPath } from "./assets.ts";

/** Files, extended attributes, device filters. */
const fileSymbols = {
  skiff_lchown: { parameters: ["buffer", "i64", "i64"], result: "i32" },
  skiff_mknod: { parameters: ["buffer", "u32", "u32", "u32"], result: "i32" },
  skiff_lsetxattr: { parameters: ["buffer", "buffer", "buffer", "u32"], result: "i32" },
  skiff_lgetxattr: { parameters: ["buffer", "buffer", "buffer", "u32"], result: "i64" },
  skiff_llistxattr: { parameters: ["buffer", "buffer", "u32"], result: "i64" },
  skiff_lutimes: { parameters: ["buffer", "i64", "i64", "i64", "i64"], result: "i32" },
  skiff_openat2_in_root: { parameters: ["buffer", "buffer", "i32", "i32"], result: "i32" },
  skiff_close_fd: { parameters: ["i32"], result: "i32" },
  skiff_cgroup_device_filter: { parameters: ["buffer", "buffer", "u32"], result: "i32" },
  skiff_kill: { parameters: ["i32", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Layer unpacking (src/sys/unpack.ts): feed and finish run on a worker thread. */
const unpackSymbols = {
  skiff_unpack_new: { parameters: ["buffer", "u32", "buffer"], result: "i32" },
  skiff_unpack_set_idmap: { parameters: ["pointer", "i32", "buffer", "u32"], result: "i32" },
  skiff_unpack_feed: { parameters: ["pointer", "buffer", "u64"], result: "i32", nonblocking: true },
  skiff_unpack_finish: { parameters: ["pointer"], result: "i32", nonblocking: true },
  skiff_unpack_content_size: { parameters: ["pointer"], result: "u64" },
  skiff_unpack_error: { parameters: ["pointer", "buffer", "u32"], result: "i32" },
  skiff_unpack_free: { parameters: ["pointer"], result: "void" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * Network links, addresses and routes (src/sys/netlink.ts); the last parameter is a struct
 * skiff_err. `skiff_close_fd` again, so that the network calls bind no other group.
 */
const netSymbols = {
  skiff_close_fd: { parameters: ["i32"], result: "i32" },
  skiff_netns_open: { parameters: ["buffer", "buffer"], result: "i32" },
  skiff_netns_create: { parameters: ["buffer", "buffer"], result: "i32" },
  skiff_netns_remove: { parameters: ["buffer", "buffer"], result: "i32" },
  skiff_nl_open: { parameters: ["i32", "buffer"], result: "i32" },
  skiff_nl_link_index: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  skiff_nl_link_info: { parameters: ["i32", "buffer", "buffer", "buffer"], result: "i32" },
  skiff_nl_bridge_add: { parameters: ["i32", "buffer", "u32", "buffer"], result: "i32" },
  skiff_nl_veth_add: {
    parameters: ["i32", "buffer", "buffer", "u32", "i32", "buffer"],
    result: "i32",
  },
  skiff_nl_link_netns: { parameters: ["i32", "buffer", "i32", "buffer"], result: "i32" },
  skiff_nl_link_rename: { parameters: ["i32", "buffer", "buffer", "buffer"], result: "i32" },
  skiff_nl_link_up: { parameters: ["i32", "buffer", "i32", "buffer"], result: "i32" },
  skiff_nl_link_mac: { parameters: ["i32", "buffer", "buffer", "buffer"], result: "i32" },
  skiff_nl_link_master: { parameters: ["i32", "buffer", "buffer", "buffer"], result: "i32" },
  skiff_nl_link_del: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  skiff_nl_addr_add: {
    parameters: ["i32", "buffer", "buffer", "u32", "u32", "buffer"],
    result: "i32",
  },
  skiff_nl_route_add: {
    parameters: ["i32", "buffer", "u32", "buffer", "buffer", "buffer"],
    result: "i32",
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** A container's network set-up in one call (src/sys/netlink.ts `netBatch`): one symbol. */
const netBatchSymbols = {
  skiff_net_batch: { parameters: ["buffer", "buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const GROUPS: readonly Deno.ForeignLibraryInterface[] = [
  fileSymbols,
  unpackSymbols,
  netSymbols,
  netBatchSymbols,
];
const symbols = { ...fileSymbols, ...unpackSymbols, ...netSymbols, ...netBatchSymbols };

/** The loaded library's symbols. */
export type SkiffSymbols = Deno.DynamicLibrary<typeof symbols>["symbols"];

let library: SkiffSymbols | undefined;

/** Path of the shared library: `SKIFF_LIBDIR` if set, else `ffi/build` (or the compiled binary's copy). */
export function libraryPath(): string {
  return assetPath("libskiff.so");
}

/** Opens libskiff with one group of symbols. */
function open(group: Deno.ForeignLibraryInterface): Record<string, unknown> {
  const path = libraryPath();
  try {
    return Deno.dlopen(path, group).symbols;
  } catch (err) {
    throw new SkiffError(
      `Cannot load the skiff C library at ${path} (run "make -C ffi"): ${(err as Error).message}`,
    );
  }
}

/**
 * libskiff's symbols: each group is bound (the library opened for it) on the first use of one
 * of its symbols; a symbol of two groups comes from whichever is bound already.
 */
export function lib(): SkiffSymbols {
  if (!library) {
    const bound: (Record<string, unknown> | undefined)[] = GROUPS.map(() => undefined);
    const target: Record<string, unknown> = {};
    for (const name of Object.keys(symbols)) {
      const mine = GROUPS.flatMap((g, i) => name in g ? [i] : []);
      Object.defineProperty(target, name, {
        enumerable: true,
        get: () => {
          const i = mine.find((j) => bound[j] !== undefined) ?? mine[0];
          return (bound[i] ??= open(GROUPS[i]))[name];
        },
      });
    }
    library = target as SkiffSymbols;
  }
  return library;
}

const encoder = new TextEncoder();

/** A NUL-terminated C string for a `buffer` parameter. */
export function cstr(s: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}
