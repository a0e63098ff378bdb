/**
 * Published ports as root: busybox httpd published with `-p` answers on 127.0.0.1, on a host
 * address and from a second container (hairpin through the host); `-P` publishes `--expose`d
 * ports on free ephemeral ports; `port`, `ps` and `inspect` show the mappings in Docker's
 * format; a host port taken by a program or by another container is a one-line error before
 * the container starts, leaving no link, rule, address or namespace behind; the forwards are
 * gone once the container exits, and after a SIGKILL of its monitor once `rm` runs. Traffic
 * goes only to loopback, the host's own addresses and the test's containers. Each test has
 * its own network (subnet under 10.234.0.0/16, bridge skpt*), removed afterwards.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ok, type Sk, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import type { TempStore } from "../helpers/skiff.ts";
import { until } from "../helpers/wait.ts";
import { rand, run, withTestNetworks } from "../helpers/networks.ts";
import { openStore } from "../../src/store/store.ts";
import type { NetworkRecord } from "../../src/network/network_store.ts";
import { readAllocations } from "../../src/network/allocations.ts";

const opts = { ignore: skipUnless(IS_ROOT), sanitizeOps: false, sanitizeResources: false };
const utf8 = new TextDecoder();

/** A user network in the test's store, removed (with its bridge and rules) afterwards. */
function withNetwork(
  store: TempStore,
  fn: (net: NetworkRecord) => Promise<void>,
): Promise<void> {
  return withTestNetworks(store, { tag: "pt", subnet16: "10.234" }, [{}], ([net]) => fn(net));
}

/** A TCP port nothing listens on now (from a range apart from the ephemeral one). */
function freePort(): number {
  for (;;) {
    const port = 20000 + (crypto.getRandomValues(new Uint16Array(1))[0] % 10000);
    try {
      Deno.listen({ hostname: "0.0.0.0", port }).close();
      return port;
    } catch {
      // taken: another one
    }
  }
}

/** The host's first global IPv4 address. */
async function hostAddress(): Promise<string> {
  const links = JSON.parse(await run("ip", "-j", "-4", "addr", "show", "scope", "global")) as {
    ifname: string;
    addr_info: { local: string }[];
  }[];
  const addr = links.filter((l) => !l.ifname.startsWith("sk")).flatMap((l) => l.addr_info)[0];
  assert(addr !== undefined, "the host has no global IPv4 address");
  return addr.local;
}

/** The skiff table's port-map elements forwarding to `subnetPrefix` ("10.234.7."). */
async function forwardsTo(subnetPrefix: string): Promise<number> {
  let n = 0;
  for (const map of ["ports", "ports_any"]) {
    const out = await new Deno.Command("nft", {
      args: ["-j", "list", "map", "ip", "skiff", map],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!out.success) continue;
    n +=
      (utf8.decode(out.stdout).match(new RegExp(`"${subnetPrefix.replaceAll(".", "\\.")}`, "g")) ??
        [])
        .length;
  }
  return n;
}

/** What containers' networks leave on the host, to compare before and after. */
async function footprint(store: TempStore, net: NetworkRecord): Promise<string> {
  // only this network's: other tests may run at the same time
  const links = (JSON.parse(await run("ip", "-j", "link", "show", "master", net.Bridge)) as {
    ifname: string;
  }[]).length;
  const rules = (await run("nft", "list", "table", "ip", "skiff")).split("\n")
    .filter((l) => l.includes(`"skiff network ${net.Name}"`) || l.includes('"skiff ports"'))
    .length;
  const held = Object.keys(await readAllocations(await openStore(store), net.Id)).length;
  let files = 0;
  const dir = `${store.runroot}/containers`;
  for (const c of await Array.fromAsync(Deno.readDir(dir)).catch(() => [])) {
    if (await Deno.lstat(`${dir}/${c.name}/netns`).then(() => true, () => false)) files++;
  }
  const forwards = await forwardsTo(subnetPrefix(net));
  return JSON.stringify({ links, rules, held, files, forwards });
}

function subnetPrefix(net: NetworkRecord): string {
  return net.IPAM.Config[0].Subnet.replace(/0\/24$/, "");
}

const HTTPD = (port: number) =>
  `mkdir -p /www && echo hello-ports > /www/index.html && exec httpd -f -p ${port} -h /www`;

/** Fetches `url` from the host, retrying while the server starts. */
async function fetchText(url: string): Promise<string> {
  let last = "";
  for (let i = 0; i < 40; i++) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      return (await res.text()).trim();
    } catch (err) {
      last = String(err);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`fetch ${url}: ${last}`);
}

async function publish(sk: Sk, net: NetworkRecord, name: string, ...flags: string[]) {
  return await ok(sk, [
    "run",
    "-d",
    "--name",
    name,
    "--network",
    net.Name,
    ...flags,
    "busybox",
    "sh",
    "-c",
    HTTPD(80),
  ]);
}

Deno.test(
  "ports: -p answers on 127.0.0.1, a host address and from another container; shown as Docker does",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetwork(store, async (net) => {
        const port = freePort();
        await publish(sk, net, "web", "-p", `${port}:80`, "-p", "127.0.0.1::80/udp");
        assertEquals(await fetchText(`http://127.0.0.1:${port}/`), "hello-ports");
        const addr = await hostAddress();
        assertEquals(await fetchText(`http://${addr}:${port}/`), "hello-ports");
        // a second container on the network, through the host's address (hairpin)
        const page = await ok(sk, [
          "run",
          "--rm",
          "--network",
          net.Name,
          "busybox",
          "sh",
          "-c",
          `for i in 1 2 3 4 5; do timeout 3 wget -q -O- http://${addr}:${port}/ && exit 0; sleep 0.3; done; exit 1`,
        ]);
        assertEquals(page.trim(), "hello-ports");
        // port, ps and inspect
        const lines = (await ok(sk, ["port", "web"])).trim().split("\n");
        assertEquals(lines[0], `80/tcp -> 0.0.0.0:${port}`);
        assert(/^80\/udp -> 127\.0\.0\.1:\d+$/.test(lines[1]), lines.join("|"));
        const udpPort = Number(lines[1].split(":")[1]);
        assertEquals((await ok(sk, ["port", "web", "80/tcp"])).trim(), `0.0.0.0:${port}`);
        const missing = await sk(["port", "web", "81"]);
        assertEquals([missing.code, missing.stderr], [
          1,
          "Error: No public port '81/tcp' published for web\n",
        ]);
        assertEquals(
          (await ok(sk, ["ps", "--format", "{{.Ports}}"])).trim(),
          `0.0.0.0:${port}->80/tcp, 127.0.0.1:${udpPort}->80/udp`,
        );
        const [obj] = JSON.parse(await ok(sk, ["inspect", "web"]));
        assertEquals(obj.HostConfig.PortBindings, {
          "80/tcp": [{ HostIp: "", HostPort: String(port) }],
          "80/udp": [{ HostIp: "127.0.0.1", HostPort: "" }],
        });
        assertEquals(obj.Config.ExposedPorts, { "80/tcp": {}, "80/udp": {} });
        assertEquals(obj.NetworkSettings.Ports, {
          "80/tcp": [{ HostIp: "0.0.0.0", HostPort: String(port) }],
          "80/udp": [{ HostIp: "127.0.0.1", HostPort: String(udpPort) }],
        });
        // gone once the container exits (the monitor's tear-down), with no skiff running
        assertEquals(await forwardsTo(subnetPrefix(net)), 2);
        const monitor = Number(
          (await Deno.readTextFile(
            `${store.runroot}/containers/${obj.Id}/monitor.pid`,
          )).trim(),
        );
        await ok(sk, ["kill", "web"]);
        await until("the monitor to finish", () => {
          try {
            Deno.kill(monitor, "SIGCONT");
            return false;
          } catch {
            return true;
          }
        });
        assertEquals(await forwardsTo(subnetPrefix(net)), 0);
        const cleanupError = await Deno.readTextFile(
          `${store.runroot}/containers/${obj.Id}/cleanup-error`,
        ).catch(() => "");
        assertEquals(cleanupError, "");
        assertEquals((await ok(sk, ["port", "web"])).trim(), "");
        const [stopped] = JSON.parse(await ok(sk, ["inspect", "web"]));
        assertEquals(stopped.NetworkSettings.Ports, {});
        assertEquals(stopped.HostConfig.PortBindings["80/tcp"], [{
          HostIp: "",
          HostPort: String(port),
        }]);
        const refused = await fetch(`http://127.0.0.1:${port}/`, {
          signal: AbortSignal.timeout(3000),
        }).then((r) => r.text(), () => "refused");
        assertEquals(refused, "refused");
      });
    });
  },
);

Deno.test(
  "ports: a client on another machine (a namespace behind a veth) reaches the port through prerouting",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetwork(store, async (net) => {
        const port = freePort();
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "web",
          "--network",
          net.Name,
          "-p",
          `${port}:80`,
          "busybox",
          "sh",
          "-c",
          HTTPD(80).replace("httpd -f", "httpd -f -vv"), // logs each client's address
        ]);
        // the "machine": a network namespace with a veth to the host, 10.235.N.0/30
        const ns = `skpt-client-${rand()}`, link = `skptc${rand()}`;
        const n = 1 + (crypto.getRandomValues(new Uint8Array(1))[0] % 250);
        const [hostSide, clientSide] = [`10.235.${n}.1`, `10.235.${n}.2`];
        await run("ip", "netns", "add", ns);
        try {
          await run("ip", "link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", ns);
          await run("ip", "addr", "add", `${hostSide}/30`, "dev", link);
          await run("ip", "link", "set", link, "up");
          await run("ip", "-n", ns, "addr", "add", `${clientSide}/30`, "dev", "eth0");
          await run("ip", "-n", ns, "link", "set", "eth0", "up");
          let page = "";
          for (let i = 0; i < 20 && page === ""; i++) {
            const out = await new Deno.Command("ip", {
              args: ["netns", "exec", ns, "curl", "-s", "-m", "3", `http://${hostSide}:${port}/`],
              stdout: "piped",
              stderr: "null",
            }).output();
            page = utf8.decode(out.stdout).trim();
            if (page === "") await new Promise((r) => setTimeout(r, 200));
          }
          assertEquals(page, "hello-ports");
          // the container sees the client's own address (no masquerade from outside)
          const logs = await sk(["logs", "web"]);
          assert(logs.stderr.includes(`${clientSide}]:`), logs.stderr);
          await ok(sk, ["rm", "-f", "web"]);
          const refused = await new Deno.Command("ip", {
            args: ["netns", "exec", ns, "curl", "-s", "-m", "3", `http://${hostSide}:${port}/`],
            stdout: "piped",
            stderr: "null",
          }).output();
          assert(!refused.success, "the port still answers after rm");
        } finally {
          await run("ip", "link", "del", link).catch(() => {});
          await run("ip", "netns", "del", ns).catch(() => {});
        }
      });
    });
  },
);

Deno.test("ports: -P publishes --expose'd ports on free ephemeral ports", opts, async () => {
  await withBusyboxStore(async (store, sk) => {
    await withNetwork(store, async (net) => {
      await ok(sk, [
        "run",
        "-d",
        "--name",
        "web",
        "--network",
        net.Name,
        "-P",
        "--expose",
        "8081",
        "--expose",
        "7000-7001/udp",
        "busybox",
        "sh",
        "-c",
        HTTPD(8081),
      ]);
      const [lo, hi] = (await Deno.readTextFile("/proc/sys/net/ipv4/ip_local_port_range"))
        .trim().split(/\s+/).map(Number);
      const hostPort = (await ok(sk, ["port", "web", "8081/tcp"])).trim();
      assert(/^0\.0\.0\.0:\d+$/.test(hostPort), hostPort);
      const port = Number(hostPort.split(":")[1]);
      assert(port >= lo && port <= hi, `${port} outside ${lo}-${hi}`);
      assertEquals(await fetchText(`http://127.0.0.1:${port}/`), "hello-ports");
      const lines = (await ok(sk, ["port", "web"])).trim().split("\n");
      assertEquals(lines.length, 3, lines.join("|"));
      assert(lines.some((l) => l.startsWith("7000/udp -> 0.0.0.0:")), lines.join("|"));
      const [obj] = JSON.parse(await ok(sk, ["inspect", "web"]));
      assertEquals(obj.HostConfig.PublishAllPorts, true);
      assertEquals(Object.keys(obj.Config.ExposedPorts), ["7000/udp", "7001/udp", "8081/tcp"]);
      await ok(sk, ["rm", "-f", "web"]);
      assertEquals(await forwardsTo(subnetPrefix(net)), 0);
    });
  });
});

Deno.test(
  "ports: a taken host port is refused before the start, leaving nothing behind",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetwork(store, async (net) => {
        await ok(sk, ["run", "--rm", "--network", net.Name, "busybox", "true"]); // bridge, rules
        // taken by a program on the host
        const port = freePort();
        const listener = Deno.listen({ hostname: "127.0.0.1", port });
        try {
          const before = await footprint(store, net);
          const r = await sk([
            "run",
            "--name",
            "late",
            "--network",
            net.Name,
            "-p",
            `127.0.0.1:${port}:80`,
            "busybox",
            "true",
          ]);
          assertEquals(r.code, 125);
          assertEquals(
            r.stderr,
            `Error: failed to bind host port 127.0.0.1:${port}/tcp: address already in use\n`,
          );
          assertEquals(await footprint(store, net), before);
          assertEquals(
            (await ok(sk, ["inspect", "-f", "{{.State.Status}}", "late"])).trim(),
            "created",
          );
        } finally {
          listener.close();
        }
        // an address the host does not have
        const away = await sk([
          "run",
          "--network",
          net.Name,
          "-p",
          "203.0.113.254:8080:80",
          "busybox",
          "true",
        ]);
        assertEquals([away.code, away.stderr], [
          125,
          "Error: failed to bind host port 203.0.113.254:8080/tcp: cannot assign requested address\n",
        ]);
        // taken by another skiff container
        const other = freePort();
        await publish(sk, net, "first", "-p", `${other}:80`);
        const before = await footprint(store, net);
        const r = await sk([
          "run",
          "-d",
          "--network",
          net.Name,
          "-p",
          `127.0.0.1:${other}:80`,
          "busybox",
          "true",
        ]);
        assertEquals(r.code, 125);
        assertEquals(
          r.stderr,
          `Error: Bind for 127.0.0.1:${other} failed: port is already allocated\n`,
        );
        assertEquals(await footprint(store, net), before);
        // the first still answers
        assertEquals(await fetchText(`http://127.0.0.1:${other}/`), "hello-ports");
        // two starts racing for one port: one gets it, the other is refused
        const raced = freePort();
        const racers = await Promise.all(
          [1, 2].map(() =>
            sk(["run", "-d", "--network", net.Name, "-p", `${raced}:80`, "busybox", "sleep", "60"])
          ),
        );
        assertEquals(
          racers.map((r) => r.code).sort(),
          [0, 125],
          racers.map((r) => r.stderr).join(),
        );
        assertEquals(
          racers.find((r) => r.code === 125)?.stderr,
          `Error: Bind for 0.0.0.0:${raced} failed: port is already allocated\n`,
        );
        assertEquals(await forwardsTo(subnetPrefix(net)), 2); // first's and the winner's
      });
    });
  },
);

Deno.test(
  "ports: after a SIGKILL of the monitor, rm removes the forwards and the port is free again",
  opts,
  async () => {
    await withBusyboxStore(async (store, sk) => {
      await withNetwork(store, async (net) => {
        await ok(sk, ["run", "--rm", "--network", net.Name, "busybox", "true"]); // bridge, rules
        const before = await footprint(store, net);
        const port = freePort();
        // run --rm: the monitor's tear-down leaves nothing
        await ok(sk, ["run", "--rm", "--network", net.Name, "-p", `${port}:80`, "busybox", "true"]);
        await until("the footprint to return", async () => await footprint(store, net) === before)
          .catch(() => {});
        assertEquals(await footprint(store, net), before);
        const id = (await publish(sk, net, "web", "-p", `${port}:80`)).trim();
        assertEquals(await fetchText(`http://127.0.0.1:${port}/`), "hello-ports");
        const monitor = Number(
          (await Deno.readTextFile(`${store.runroot}/containers/${id}/monitor.pid`)).trim(),
        );
        Deno.kill(monitor, "SIGKILL");
        // a new container takes the port over from the dead one, and only its own goes at rm
        await publish(sk, net, "web2", "-p", `${port}:80`);
        assertEquals(await fetchText(`http://127.0.0.1:${port}/`), "hello-ports");
        await ok(sk, ["rm", "-f", "web"]);
        assertEquals(await forwardsTo(subnetPrefix(net)), 1);
        assertEquals(await fetchText(`http://127.0.0.1:${port}/`), "hello-ports");
        const monitor2 = Number((await Deno.readTextFile(
          `${store.runroot}/containers/${
            (await ok(sk, ["inspect", "-f", "{{.Id}}", "web2"])).trim()
          }/monitor.pid`,
        )).trim());
        Deno.kill(monitor2, "SIGKILL");
        await ok(sk, ["rm", "-f", "web2"]);
        await until("the footprint to return", async () => await footprint(store, net) === before)
          .catch(() => {});
        assertEquals(await footprint(store, net), before);
      });
    });
  },
);

Deno.test("ports: -p with --network host or none is discarded with a warning", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    for (const mode of ["host", "none"]) {
      const r = await sk(["run", "--rm", "--network", mode, "-p", "8080:80", "busybox", "true"]);
      assertEquals(r.code, 0, r.stderr);
      assertEquals(
        r.stderr,
        `WARNING: Published ports are discarded when using ${mode} network mode\n`,
      );
    }
    const bad = await sk(["run", "--rm", "-p", "8080:80/icmp", "busybox", "true"]);
    assertEquals([bad.code, bad.stderr], [125, "Error: invalid proto: icmp\n"]);
  });
});
