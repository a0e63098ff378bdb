/**
 * Nothing of a bridge container's network outlives it: after 200 `run --rm` cycles on a bridge
 * network the links on its bridge, skiff's nft rules for it, its pool entries and the network
 * namespace files and mounts in the store are what they were before; and after a `kill -9` of
 * a bridge container's monitor, the next skiff command that looks at the container (`ps`) takes
 * its namespace mount off, so the veth pair and the container's address go with the namespace,
 * and `rm` gives its pool entry back. The network is the test's own (a user network on a subnet
 * under 10.233.0.0/16, bridge skl*), so other tests' containers on the machine do not count.
 * Traffic: none.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ok, type Sk, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import type { TempStore } from "../helpers/skiff.ts";
import { until } from "../helpers/wait.ts";
import { openStore } from "../../src/store/store.ts";
import { findNetwork } from "../../src/network/network_store.ts";
import { readAllocations } from "../../src/network/allocations.ts";

import { rand, run } from "../helpers/networks.ts";

const opts = { ignore: skipUnless(IS_ROOT), sanitizeOps: false, sanitizeResources: false };
const utf8 = new TextDecoder();
/** run --rm cycles in all, and how many run side by side (a 2-core machine). */
const CYCLES = 200;
const LANES = 4;

/** Names of the links attached to bridge `device` (`ip -o link show master`). */
async function linksOn(device: string): Promise<string[]> {
  return (await run("ip", "-o", "link", "show", "master", device)).split("\n").filter(Boolean)
    .map((l) => l.split(": ")[1].split("@")[0]);
}

/** How many rules of skiff's nft table name network `name` in their comment. */
async function rulesOf(name: string): Promise<number> {
  const out = await new Deno.Command("nft", {
    args: ["-j", "list", "table", "ip", "skiff"],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!out.success) return 0;
  // deno-lint-ignore no-explicit-any
  const items: any[] = JSON.parse(utf8.decode(out.stdout)).nftables;
  return items.filter((i) => i.rule?.comment === `skiff network ${name}`).length;
}

/** The network namespace mounts (nsfs) under the store's run root. */
async function netnsMounts(store: TempStore): Promise<string[]> {
  return (await Deno.readTextFile("/proc/self/mountinfo")).split("\n")
    .filter((l) => l.includes(store.runroot) && l.includes(" - nsfs "))
    .map((l) => l.split(" ")[4]);
}

/** The network namespace files under the store's run root. */
async function netnsFiles(store: TempStore): Promise<number> {
  const dir = `${store.runroot}/containers`;
  let files = 0;
  for (const c of await Array.fromAsync(Deno.readDir(dir)).catch(() => [])) {
    if (await Deno.lstat(`${dir}/${c.name}/netns`).then(() => true, () => false)) files++;
  }
  return files;
}

/** What the network's containers leave on the host and in the store. */
async function footprint(store: TempStore, name: string, device: string) {
  const net = await findNetwork(await openStore(store), name);
  return {
    links: (await linksOn(device)).length,
    rules: await rulesOf(name),
    pool: Object.keys(await readAllocations(await openStore(store), net.Id)).length,
    mounts: (await netnsMounts(store)).length,
    files: await netnsFiles(store),
  };
}

/** Runs `fn` with a user bridge network of the test's own, removed after. */
async function withNetwork(
  sk: Sk,
  fn: (name: string, device: string) => Promise<void>,
): Promise<void> {
  const name = `leak-${rand()}`, device = `skl${rand()}`;
  const third = 1 + (crypto.getRandomValues(new Uint8Array(1))[0] % 250);
  await ok(sk, [
    "network",
    "create",
    "--subnet",
    `10.233.${third}.0/24`,
    "-o",
    `com.docker.network.bridge.name=${device}`,
    name,
  ]);
  try {
    await fn(name, device);
  } finally {
    // after a failed assertion a container may still hold an address: rm it, then the network
    const ids = (await sk(["ps", "-aq", "--no-trunc"])).stdout.trim().split("\n").filter(Boolean);
    if (ids.length > 0) await sk(["rm", "-f", ...ids]);
    await sk(["network", "rm", name]);
  }
}

Deno.test(
  `bridge: ${CYCLES} run --rm cycles leak no link, rule, pool entry or namespace`,
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetwork(sk, async (name, device) => {
        await ok(sk, ["run", "--rm", "--network", name, "busybox", "true"]); // bridge and rules
        const before = await footprint(store, name, device);
        assertEquals([before.links, before.pool, before.mounts, before.files], [0, 0, 0, 0]);
        assert(before.rules > 0, "no nft rules for the network");
        let failures = 0;
        const lane = async (n: number) => {
          for (let i = 0; i < n; i++) {
            const r = await sk(["run", "--rm", "--network", name, "busybox", "true"]);
            if (r.code !== 0) failures++;
          }
        };
        await Promise.all(Array.from({ length: LANES }, () => lane(CYCLES / LANES)));
        assertEquals(failures, 0);
        assertEquals(await footprint(store, name, device), before);
      });
    });
  },
);

Deno.test(
  "bridge: after kill -9 of the monitor the next command takes the namespace, veth and address",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetwork(sk, async (name, device) => {
        const id = (await ok(sk, ["run", "-d", "--network", name, "busybox", "sleep", "300"]))
          .trim();
        const ip = (await ok(sk, ["inspect", "-f", "{{.NetworkSettings.IPAddress}}", id])).trim();
        const veth = `vsk${id.slice(0, 12)}`;
        assertEquals(await linksOn(device), [veth]);
        assertEquals((await netnsMounts(store)).length, 1);
        const ns = `${store.runroot}/containers/${id}/netns`;
        assert(
          (await run("nsenter", `--net=${ns}`, "ip", "-o", "addr", "show", "eth0")).includes(
            ` ${ip}/`,
          ),
        );
        const monitor = Number(
          (await Deno.readTextFile(`${store.runroot}/containers/${id}/monitor.pid`)).trim(),
        );
        Deno.kill(monitor, "SIGKILL");
        await until("the monitor to die", () => !existsSync(`/proc/${monitor}/stat`));
        // any later command that looks at the container: ps
        assert((await ok(sk, ["ps", "-a"])).includes("Exited (137)"));
        assertEquals(await netnsMounts(store), []);
        assertEquals(await netnsFiles(store), 0);
        // the namespace dies with its last process; the veth pair and the address go with it
        await until("the veth pair to go", async () => (await linksOn(device)).length === 0);
        const addrs = await run("ip", "-o", "addr", "show");
        assert(!addrs.includes(` ${ip}/`), addrs);
        // the address stays the container's (a restart gets it again) until rm
        assertEquals((await footprint(store, name, device)).pool, 1);
        await ok(sk, ["rm", id]);
        const after = await footprint(store, name, device);
        assertEquals([after.links, after.pool, after.mounts, after.files], [0, 0, 0, 0]);
      });
    });
  },
);

function existsSync(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
