/**
 * The only module that calls `Deno.dlopen`: it loads `ffi/build/libskiff.so`
 * lazily, on first use, so commands that make no system call of their own
 * never pay for it. Everything else uses the typed wrappers in `src/sys/`.
 */
import { SkiffError } from "../errors.ts";
import { assetPath } from "./assets.ts";

const symbols = {
  skiff_lchown: { parameters: ["buffer", "i64", "i64"], result: "i32" },
  skiff_mknod: { parameters: ["buffer", "u32", "u32", "u32"], result: "i32" },
  skiff_lsetxattr: { parameters: ["buffer", "buffer", "buffer", "u32"], result: "i32" },
  skiff_lgetxattr: { parameters: ["buffer", "buffer", "buffer", "u32"], result: "i64" },
  skiff_llistxattr: { parameters: ["buffer", "buffer", "u32"], result: "i64" },
  skiff_lutimes: { parameters: ["buffer", "i64", "i64", "i64", "i64"], result: "i32" },
  skiff_openat2_in_root: { parameters: ["buffer", "buffer", "i32", "i32"], result: "i32" },
  skiff_close_fd: { parameters: ["i32"], result: "i32" },
  skiff_cgroup_device_filter: { parameters: ["buffer", "buffer", "u32"], result: "i32" },
  // Layer unpacking (src/sys/unpack.ts): feed and finish run on a worker thread.
  skiff_unpack_new: { parameters: ["buffer", "u32", "buffer"], result: "i32" },
  skiff_unpack_set_idmap: { parameters: ["pointer", "i32", "buffer", "u32"], result: "i32" },
  skiff_unpack_feed: { parameters: ["pointer", "buffer", "u64"], result: "i32", nonblocking: true },
  skiff_unpack_finish: { parameters: ["pointer"], result: "i32", nonblocking: true },
  skiff_unpack_error: { parameters: ["pointer", "buffer", "u32"], result: "i32" },
  skiff_unpack_free: { parameters: ["pointer"], result: "void" },
  // Network links, addresses and routes (src/sys/netlink.ts); the last parameter is a
  // struct skiff_err.
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

/** The loaded library's symbols. */
export type SkiffSymbols = Deno.DynamicLibrary<typeof symbols>["symbols"];

let library: Deno.DynamicLibrary<typeof symbols> | undefined;

/** Path of the shared library: `SKIFF_LIBDIR` if set, else `ffi/build` (or the compiled binary's copy). */
export function libraryPath(): string {
  return assetPath("libskiff.so");
}

/** Opens libskiff once and returns its symbols. */
export function lib(): SkiffSymbols {
  if (!library) {
    const path = libraryPath();
    try {
      library = Deno.dlopen(path, symbols);
    } catch (err) {
      throw new SkiffError(
        `Cannot load the skiff C library at ${path} (run "make -C ffi"): ${(err as Error).message}`,
      );
    }
  }
  return library.symbols;
}

const encoder = new TextEncoder();

/** A NUL-terminated C string for a `buffer` parameter. */
export function cstr(s: string): Uint8Array<ArrayBuffer> {
  const bytes = encoder.encode(s);
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  return out;
}
