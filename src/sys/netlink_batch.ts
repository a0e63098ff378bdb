/**
 * A container's network set-up in one call into the C library (`ffi/src/netlink_batch.c`):
 * one symbol to bind and one crossing, where `Netlink`'s call per step costs more than the
 * kernel's work. The bridge driver's common path uses this module only.
 */
import { InvalidArgumentError } from "../errors.ts";
import { cstr, lib } from "./ffi.ts";
import { call } from "./netlink_call.ts";

/**
 * One operation of a network batch: its name and fields (see ffi/src/netlink_batch.c):
 * `["netns-create", path]`, `["ns", path | "-"]`, `["bridge", name, mtu]`,
 * `["veth", name, peer, mtu, nsPath]`, `["del", name]`, `["master", name, bridge]`,
 * `["mac", name, mac]`, `["addr", name, address, prefix]`, `["up", name]`, `["route", gateway]`,
 * `["netns-remove", path]`.
 */
export type NetOp = readonly string[];

/**
 * Runs network operations in order in one call into the C library (one symbol bound, one
 * crossing), stopping at the first failure, which is thrown as with `Netlink`'s methods.
 * "Already there" (a bridge, an address, the default route) and "already gone" (`del`,
 * `netns-remove`) count as done.
 *
 * @example
 * ```ts ignore
 * netBatch([["netns-create", ns], ["veth", "vsk1", "eth0", "0", ns], ["up", "vsk1"]]);
 * ```
 */
export function netBatch(ops: readonly NetOp[]): void {
  const text = ops.map((op) => {
    for (const f of op) {
      if (/[\t\n\0]/.test(f) || f === "") {
        throw new InvalidArgumentError(`Invalid network operation field ${JSON.stringify(f)}`);
      }
    }
    return op.join("\t");
  }).join("\n");
  call(undefined, (err) => lib().skiff_net_batch(cstr(text), err));
}
