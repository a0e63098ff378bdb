/**
 * `network connect` / `network disconnect` and several networks per container, as root, on user
 * networks made with `network create` (subnets under 10.241.0.0/16, bridges named skcn*,
 * removed afterwards): a container on A connected to B reaches B's container by name and
 * address (ping, an HTTP fetch from busybox httpd) through a new eth1, and B's container
 * reaches it; after disconnect it cannot, eth1 is gone and its address is free again (a /30
 * network's only address goes to another container); Docker's errors change nothing; a
 * restart keeps every network and the `--ip` asked for; `run` with several `--network`s;
 * `kill -9` of the monitor and `rm -f` leave no veth and no address. Traffic goes only to the
 * test's containers.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ok, type Sk, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import type { TempStore } from "../helpers/skiff.ts";
import { rand, run } from "../helpers/networks.ts";
import { openStore } from "../../src/store/store.ts";
import { findNetwork, type NetworkRecord, removeNetwork } from "../../src/network/network_store.ts";
import { readAllocations } from "../../src/network/allocations.ts";
import { tearDownNetwork } from "../../src/network/bridge.ts";

const opts = { ignore: skipUnless(IS_ROOT), sanitizeOps: false, sanitizeResources: false };

/** Makes user networks with the given prefix lengths; removes them and their devices after. */
async function withNetworks(
  store: TempStore,
  sk: Sk,
  prefixes: number[],
  fn: (nets: NetworkRecord[]) => Promise<void>,
): Promise<void> {
  const s = await openStore(store);
  const nets: NetworkRecord[] = [];
  try {
    const base = crypto.getRandomValues(new Uint8Array(1))[0];
    for (const [i, prefix] of prefixes.entries()) {
      const name = `cn-${rand()}`;
      await ok(sk, [
        "network",
        "create",
        "--subnet",
        `10.241.${1 + ((base + i) % 250)}.0/${prefix}`,
        "-o",
        `com.docker.network.bridge.name=skcn${rand()}`,
        name,
      ]);
      nets.push(await findNetwork(s, name));
    }
    await fn(nets);
  } finally {
    const ids = (await sk(["ps", "-aq", "--no-trunc"])).stdout.trim().split("\n").filter(Boolean);
    if (ids.length > 0) await sk(["rm", "-f", ...ids]);
    for (const net of nets) {
      await removeNetwork(s, net.Name).catch(() => {});
      await tearDownNetwork(s, net);
    }
  }
}

const HTTPD =
  "mkdir -p /www && echo hello-connect > /www/index.html && exec httpd -f -p 80 -h /www";

/** Names of the links attached to bridge `device`. */
async function linksOn(device: string): Promise<string[]> {
  return (await run("ip", "-o", "link", "show", "master", device)).split("\n").filter(Boolean)
    .map((l) => l.split(": ")[1].split("@")[0]);
}

/** The container's networks and addresses as `inspect` shows them. */
async function networksOf(sk: Sk, name: string): Promise<Record<string, string>> {
  const out = await ok(sk, ["inspect", "-f", "{{json .NetworkSettings.Networks}}", name]);
  const nets = JSON.parse(out) as Record<string, { IPAddress: string }>;
  return Object.fromEntries(Object.entries(nets).map(([k, v]) => [k, v.IPAddress]));
}

/** Runs a shell script in running container `name`; its exit code and output. */
async function execIn(sk: Sk, name: string, script: string) {
  return await sk(["exec", name, "sh", "-c", script]);
}

/** Expects a refusal: non-zero exit, one `Error: ...` line containing `text`. */
async function refused(sk: Sk, args: string[], text: string): Promise<void> {
  const r = await sk(args);
  assert(r.code !== 0, `${args.join(" ")} succeeded`);
  const lines = r.stderr.trim().split("\n");
  assertEquals(lines.length, 1, r.stderr);
  assert(lines[0].startsWith("Error") && lines[0].includes(text), r.stderr);
}

Deno.test(
  "connect: a container on A joins B, reaches B's container by name and address; disconnect undoes it",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetworks(store, sk, [24, 24, 30], async ([a, b, tiny]) => {
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "srv",
          "--network",
          b.Name,
          "busybox",
          "sh",
          "-c",
          HTTPD,
        ]);
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "cli",
          "--network",
          a.Name,
          "busybox",
          "sleep",
          "300",
        ]);
        const srvIp = (await networksOf(sk, "srv"))[b.Name];
        assert((await execIn(sk, "cli", "ping -c 1 -W 1 srv")).code !== 0, "srv resolved on A");

        await ok(sk, ["network", "connect", "--alias", "client", b.Name, "cli"]);
        const nets = await networksOf(sk, "cli");
        assertEquals(Object.keys(nets).sort(), [a.Name, b.Name].sort());
        assert(nets[a.Name].startsWith(a.IPAM.Config[0].Subnet.split(".0/")[0]), nets[a.Name]);
        assert(nets[b.Name].startsWith(b.IPAM.Config[0].Subnet.split(".0/")[0]), nets[b.Name]);
        const links = await execIn(sk, "cli", "ls /sys/class/net");
        assertEquals(links.stdout.trim().split(/\s+/).sort(), ["eth0", "eth1", "lo"]);
        assertEquals((await execIn(sk, "cli", "ping -c 1 -W 2 srv")).code, 0);
        assertEquals((await execIn(sk, "cli", `ping -c 1 -W 2 ${srvIp}`)).code, 0);
        const page = await execIn(sk, "cli", "wget -q -O - http://srv/");
        assertEquals(page.stdout.trim(), "hello-connect", page.stderr);
        // B's container finds it by name and by alias
        assertEquals((await execIn(sk, "srv", "ping -c 1 -W 2 cli")).code, 0);
        assertEquals((await execIn(sk, "srv", "ping -c 1 -W 2 client")).code, 0);
        const cliId = (await ok(sk, ["inspect", "-f", "{{.Id}}", "cli"])).trim();
        const listed = JSON.parse(
          await ok(sk, ["network", "inspect", "-f", "{{json .Containers}}", b.Name]),
        );
        assertEquals(listed[cliId].Name, "cli");
        assertEquals(listed[cliId].IPv4Address.split("/")[0], nets[b.Name]);

        // Docker's refusals, one line each, nothing changed
        await refused(
          sk,
          ["network", "connect", b.Name, "cli"],
          `endpoint with name cli already exists in network ${b.Name}`,
        );
        await refused(
          sk,
          ["network", "disconnect", tiny.Name, "cli"],
          `container ${cliId} is not connected to network ${tiny.Name}`,
        );
        await refused(
          sk,
          ["network", "connect", "nosuch-net", "cli"],
          "network nosuch-net not found",
        );
        await refused(
          sk,
          ["network", "connect", b.Name, "nosuch-ctr"],
          "No such container: nosuch-ctr",
        );
        await refused(
          sk,
          ["network", "connect", "--ip", "10.9.9.9", tiny.Name, "cli"],
          "no configured subnet or ip-range contain the IP address 10.9.9.9",
        );
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "hosty",
          "--network",
          "host",
          "busybox",
          "sleep",
          "300",
        ]);
        await refused(
          sk,
          ["network", "connect", b.Name, "hosty"],
          "container sharing network namespace with another container or host cannot be connected to any other network",
        );
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "nonet",
          "--network",
          "none",
          "busybox",
          "sleep",
          "300",
        ]);
        await refused(
          sk,
          ["network", "connect", b.Name, "nonet"],
          "container cannot be connected to multiple networks with one of the networks in private (none) mode",
        );
        await ok(sk, [
          "create",
          "--name",
          "joiner",
          "--network",
          "container:cli",
          "busybox",
          "true",
        ]);
        await refused(
          sk,
          ["network", "connect", b.Name, "joiner"],
          "container sharing network namespace",
        );
        assertEquals(await networksOf(sk, "cli"), nets);
        assertEquals(Object.keys(await readAllocations(await openStore(store), tiny.Id)), []);
        // a network in use is not removed
        await refused(sk, ["network", "rm", b.Name], "has active endpoints");

        await ok(sk, ["network", "disconnect", b.Name, "cli"]);
        assertEquals(Object.keys(await networksOf(sk, "cli")), [a.Name]);
        assertEquals(
          (await execIn(sk, "cli", "ls /sys/class/net")).stdout.trim().split(/\s+/).sort(),
          [
            "eth0",
            "lo",
          ],
        );
        assert((await execIn(sk, "cli", "ping -c 1 -W 1 srv")).code !== 0, "srv still resolves");
        assert((await execIn(sk, "cli", `ping -c 1 -W 1 ${srvIp}`)).code !== 0, "srv reachable");
        assert((await execIn(sk, "srv", "ping -c 1 -W 1 cli")).code !== 0, "cli still resolves");
        assertEquals(await linksOn(b.Bridge), [
          `vsk${(await ok(sk, ["inspect", "-f", "{{.Id}}", "srv"])).trim().slice(0, 12)}`,
        ]);
        const s = await openStore(store);
        assert(!(cliId in await readAllocations(s, b.Id)), "cli's address on B kept");

        // the /30's only address: taken, refused to another, free again after disconnect
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "other",
          "--network",
          a.Name,
          "busybox",
          "sleep",
          "300",
        ]);
        await ok(sk, ["network", "connect", tiny.Name, "cli"]);
        const only = (await networksOf(sk, "cli"))[tiny.Name];
        await refused(
          sk,
          ["network", "connect", tiny.Name, "other"],
          "no available IPv4 addresses",
        );
        await ok(sk, ["network", "disconnect", tiny.Name, "cli"]);
        await ok(sk, ["network", "connect", tiny.Name, "other"]);
        assertEquals((await networksOf(sk, "other"))[tiny.Name], only);
      });
    });
  },
);

Deno.test(
  "connect: several --network at run, a restart keeps every network and --ip; kill -9 and rm -f leave nothing",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetworks(store, sk, [24, 24, 24], async ([a, b, c]) => {
        const s = await openStore(store);
        // Docker's repeated --network and Podman's comma list
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "multi",
          "--network",
          a.Name,
          "--network",
          b.Name,
          "busybox",
          "sleep",
          "300",
        ]);
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "pair",
          "--network",
          `${b.Name},${c.Name}`,
          "busybox",
          "sleep",
          "300",
        ]);
        assertEquals(Object.keys(await networksOf(sk, "multi")), [a.Name, b.Name]);
        assertEquals(Object.keys(await networksOf(sk, "pair")), [b.Name, c.Name]);
        // ps lists every network, sorted and comma-separated, as docker does
        const listed = await ok(sk, [
          "ps",
          "--filter",
          "name=^/multi$",
          "--format",
          "{{.Networks}}",
        ]);
        assertEquals(listed.trim(), [a.Name, b.Name].sort().join(","));
        assertEquals((await execIn(sk, "multi", "ping -c 1 -W 2 pair")).code, 0);
        assertEquals((await execIn(sk, "pair", "ping -c 1 -W 2 multi")).code, 0);

        // a connected network with --ip survives a restart, with its address
        const third = c.IPAM.Config[0].Subnet.replace(/\.0\/24$/, ".77");
        await ok(sk, ["network", "connect", "--ip", third, c.Name, "multi"]);
        await ok(sk, ["restart", "-t", "1", "multi"]);
        const after = await networksOf(sk, "multi");
        assertEquals(Object.keys(after), [a.Name, b.Name, c.Name]);
        assertEquals(after[c.Name], third);
        const ipam = await ok(sk, [
          "inspect",
          "-f",
          `{{json (index .NetworkSettings.Networks "${c.Name}").IPAMConfig}}`,
          "multi",
        ]);
        assertEquals(JSON.parse(ipam), { IPv4Address: third });
        assertEquals(
          (await execIn(sk, "multi", "ls /sys/class/net")).stdout.trim().split(/\s+/).sort(),
          ["eth0", "eth1", "eth2", "lo"],
        );
        assertEquals((await execIn(sk, "pair", `ping -c 1 -W 2 ${third}`)).code, 0);
        assertEquals((await execIn(sk, "pair", "ping -c 1 -W 2 multi")).code, 0);

        // kill -9 of the monitor: after the next command no veth on any of its bridges
        const multiId = (await ok(sk, ["inspect", "-f", "{{.Id}}", "multi"])).trim();
        const monitor = Number(
          (await Deno.readTextFile(`${store.runroot}/containers/${multiId}/monitor.pid`)).trim(),
        );
        Deno.kill(monitor, "SIGKILL");
        for (let i = 0; i < 100 && await exists(`/proc/${monitor}/stat`); i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        await ok(sk, ["ps", "-a"]);
        const pairId = (await ok(sk, ["inspect", "-f", "{{.Id}}", "pair"])).trim();
        const pairVeths = async () => [...await linksOn(b.Bridge), ...await linksOn(c.Bridge)];
        for (let i = 0; i < 100 && (await linksOn(a.Bridge)).length > 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        assertEquals(await linksOn(a.Bridge), []);
        assertEquals((await pairVeths()).length, 2); // only pair's
        await ok(sk, ["rm", "multi"]);
        for (const net of [a, b, c]) {
          assert(!(multiId in await readAllocations(s, net.Id)), `multi's address on ${net.Name}`);
        }
        // rm -f of a running container on two networks
        await ok(sk, ["rm", "-f", "pair"]);
        for (let i = 0; i < 100 && (await pairVeths()).length > 0; i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        assertEquals(await pairVeths(), []);
        for (const net of [a, b, c]) {
          assertEquals(Object.keys(await readAllocations(s, net.Id)), [], net.Name);
        }
        assert(!pairId.includes("x"));
        // nothing left: the networks can go
        await ok(sk, ["network", "rm", a.Name, b.Name, c.Name]);
      });
    });
  },
);

Deno.test(
  "connect: a created container gets the network at its start; several --network with host refused",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetworks(store, sk, [24, 24], async ([a, b]) => {
        await ok(sk, ["create", "--name", "later", "--network", a.Name, "busybox", "sleep", "300"]);
        await ok(sk, ["network", "connect", "--alias", "late", b.Name, "later"]);
        const before = JSON.parse(
          await ok(sk, ["inspect", "-f", "{{json .NetworkSettings.Networks}}", "later"]),
        );
        assertEquals(Object.keys(before), [a.Name, b.Name]);
        assertEquals([before[b.Name].IPAddress, before[b.Name].Aliases], ["", ["late"]]);
        await ok(sk, ["start", "later"]);
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "peer",
          "--network",
          b.Name,
          "busybox",
          "sleep",
          "300",
        ]);
        assertEquals((await execIn(sk, "peer", "ping -c 1 -W 2 late")).code, 0);
        // a stopped container leaves a network at once; its next start is without it
        await ok(sk, ["stop", "-t", "1", "later"]);
        await ok(sk, ["network", "disconnect", b.Name, "later"]);
        await ok(sk, ["start", "later"]);
        assertEquals(Object.keys(await networksOf(sk, "later")), [a.Name]);
        assertEquals(
          (await execIn(sk, "later", "ls /sys/class/net")).stdout.trim().split(/\s+/).sort(),
          [
            "eth0",
            "lo",
          ],
        );
        // the default private namespace can be connected too (Docker's default is a network)
        await ok(sk, ["run", "-d", "--name", "plain", "busybox", "sleep", "300"]);
        await ok(sk, ["network", "connect", b.Name, "plain"]);
        assertEquals((await execIn(sk, "plain", "ping -c 1 -W 2 peer")).code, 0);
        // a container whose endpoint.json has the single-network shape written before
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "old",
          "--network",
          a.Name,
          "busybox",
          "sleep",
          "300",
        ]);
        const oldId = (await ok(sk, ["inspect", "-f", "{{.Id}}", "old"])).trim();
        const epFile = `${store.root}/containers/${oldId}/endpoint.json`;
        const written = JSON.parse(await Deno.readTextFile(epFile));
        await Deno.writeTextFile(epFile, JSON.stringify(written.endpoints[0]));
        const oldIp = (await networksOf(sk, "old"))[a.Name];
        assert(oldIp !== "", "no address read from the old endpoint.json");
        await ok(sk, ["network", "connect", b.Name, "old"]);
        assertEquals(Object.keys(await networksOf(sk, "old")), [a.Name, b.Name]);
        assertEquals((await networksOf(sk, "old"))[a.Name], oldIp);
        assertEquals((await execIn(sk, "peer", "ping -c 1 -W 2 old")).code, 0);
        await ok(sk, ["restart", "-t", "1", "old"]);
        const restarted = await networksOf(sk, "old");
        assertEquals([Object.keys(restarted), restarted[a.Name]], [[a.Name, b.Name], oldIp]);
        assertEquals((await execIn(sk, "peer", "ping -c 1 -W 2 old")).code, 0);

        // the first network goes: the default route moves to the next one's gateway
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "two",
          "--network",
          `${a.Name},${b.Name}`,
          "busybox",
          "sleep",
          "300",
        ]);
        await ok(sk, ["network", "disconnect", a.Name, "two"]);
        const routes = await execIn(sk, "two", "ip route");
        assert(routes.stdout.includes(`default via ${b.IPAM.Config[0].Gateway} `), routes.stdout);
        assertEquals((await execIn(sk, "two", "ping -c 1 -W 2 peer")).code, 0);
        await refused(
          sk,
          ["run", "--rm", "--network", a.Name, "--network", "host", "busybox", "true"],
          "conflicting options: cannot attach both user-defined and non-user-defined network-modes",
        );
      });
    });
  },
);

async function exists(path: string): Promise<boolean> {
  return await Deno.stat(path).then(() => true, () => false);
}

Deno.test(
  "connect: connect and disconnect racing start: the running container has exactly the networks its record lists",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetworks(store, sk, [24, 24], async ([a, b]) => {
        await ok(sk, ["create", "--name", "racer", "--network", a.Name, "busybox", "sleep", "300"]);
        const interfaces = async () =>
          (await execIn(sk, "racer", "ls /sys/class/net")).stdout.trim().split(/\s+/).sort();
        for (let round = 0; round < 3; round++) {
          // connect at the same moment as the start: before it (the start sets B up) or after
          // it (connect plugs B into the running container), never lost in between
          const [started, connected] = await Promise.all([
            sk(["start", "racer"]),
            sk(["network", "connect", b.Name, "racer"]),
          ]);
          assertEquals([started.code, connected.code], [0, 0], started.stderr + connected.stderr);
          assertEquals(Object.keys(await networksOf(sk, "racer")).sort(), [a.Name, b.Name].sort());
          assertEquals(await interfaces(), ["eth0", "eth1", "lo"], `round ${round}`);
          const bAddress = (await networksOf(sk, "racer"))[b.Name];
          assert(bAddress !== "", `no address on ${b.Name}`);
          assertEquals(
            (await execIn(sk, "racer", `ip -o -4 addr show | grep -c ${bAddress}/`))
              .stdout.trim(),
            "1",
          );
          await ok(sk, ["stop", "-t", "0", "racer"]);

          // disconnect at the same moment as the start: B is neither listed nor plugged in
          const [again, disconnected] = await Promise.all([
            sk(["start", "racer"]),
            sk(["network", "disconnect", b.Name, "racer"]),
          ]);
          assertEquals([again.code, disconnected.code], [0, 0], again.stderr + disconnected.stderr);
          assertEquals(Object.keys(await networksOf(sk, "racer")), [a.Name]);
          assertEquals(await interfaces(), ["eth0", "lo"], `round ${round}`);
          await ok(sk, ["stop", "-t", "0", "racer"]);
        }
        await ok(sk, ["rm", "racer"]);
        const s = await openStore(store);
        for (const net of [a, b]) {
          assertEquals(Object.keys(await readAllocations(s, net.Id)), [], net.Name);
        }
      });
    });
  },
);
