/**
 * One `skiff run`'s share of IPAM, as a separate process for the concurrency test:
 * `ipam_child.ts ROOT NETWORK-ID alloc|release CONTAINER-ID BARRIER-DIR`. It says it is ready,
 * waits for the barrier's `go` file so that all children race at once, does its one
 * operation and prints the result as JSON.
 */
import { allocateAddresses, releaseAddresses } from "../../src/network/ipam.ts";
import { findNetwork } from "../../src/network/network_store.ts";
import { openStore } from "../../src/store/store.ts";

const [root, networkId, op, cid, barrier] = Deno.args;
const store = await openStore({ root, runroot: `${root}/run` });
const net = await findNetwork(store, networkId);
Deno.writeTextFileSync(`${barrier}/ready-${cid}`, "");
for (;;) {
  try {
    Deno.statSync(`${barrier}/go`);
    break;
  } catch {
    await new Promise((r) => setTimeout(r, 2));
  }
}
if (op === "alloc") {
  const got = await allocateAddresses(store, net, cid);
  console.log(JSON.stringify(got.map((a) => a.address)));
} else {
  console.log(JSON.stringify(await releaseAddresses(store, net, cid)));
}
