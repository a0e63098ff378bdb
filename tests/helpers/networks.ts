/**
 * User networks for integration tests (root only), made directly in a test's store on
 * subnets apart from the host's, with bridge devices named by the test, and removed with
 * their bridges and firewall rules afterwards; and the small host commands the network
 * tests share.
 */
import type { TempStore } from "./skiff.ts";
import { openStore } from "../../src/store/store.ts";
import {
  createNetwork,
  type NetworkRecord,
  removeNetwork,
} from "../../src/network/network_store.ts";
import { tearDownNetwork } from "../../src/network/bridge.ts";

const utf8 = new TextDecoder();

/** Six random base-36 characters, for names that must not collide between test runs. */
export function rand(): string {
  return crypto.getRandomValues(new Uint32Array(1))[0].toString(36).padStart(6, "0").slice(-6);
}

/** Runs a host command; resolves with its stdout, or throws with its stderr. */
export async function run(cmd: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")}: ${utf8.decode(out.stderr)}`);
  return utf8.decode(out.stdout);
}

/** How a test names its networks: `tag` prefixes names and devices, `subnet16` is `10.X`. */
export interface TestNetworkNames {
  /** Two letters: networks `<tag>-xxxxxx`, devices `sk<tag>xxxxxx`. */
  tag: string;
  /** The /16 the networks' /24 subnets come from ("10.231"). */
  subnet16: string;
}

/**
 * Makes one user network per spec in the test's store (distinct /24 subnets of
 * `names.subnet16`), runs `fn`, and removes them with their bridges and rules.
 *
 * @example
 * ```ts ignore
 * await withTestNetworks(store, { tag: "bt", subnet16: "10.231" }, [{}, { internal: true }],
 *   async ([a, b]) => { ... });
 * ```
 */
export async function withTestNetworks(
  store: TempStore,
  names: TestNetworkNames,
  specs: { internal?: boolean }[],
  fn: (nets: NetworkRecord[]) => Promise<void>,
): Promise<void> {
  const s = await openStore(store);
  const nets: NetworkRecord[] = [];
  try {
    // distinct subnets: a random start, then the next ones
    const base = crypto.getRandomValues(new Uint8Array(1))[0];
    for (const [i, spec] of specs.entries()) {
      const third = 1 + ((base + i) % 250);
      nets.push(
        await createNetwork(s, {
          name: `${names.tag}-${rand()}`,
          subnets: [`${names.subnet16}.${third}.0/24`],
          internal: spec.internal,
          options: { "com.docker.network.bridge.name": `sk${names.tag}${rand()}` },
        }, { routes: [] }),
      );
    }
    await fn(nets);
  } finally {
    for (const net of nets) {
      await removeNetwork(s, net.Name).catch(() => {});
      await tearDownNetwork(s, net);
    }
  }
}
