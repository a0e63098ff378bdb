/**
 * Published ports on a network with IPv6, as root: busybox httpd published with `-p` answers
 * on 127.0.0.1, on [::1] (through skiff-portproxy, which the kernel's NAT cannot replace) and
 * on a host IPv6 address (the bridge's gateway, DNAT in the `ip6 skiff` table); `port`, `ps`
 * and `inspect` show the "::" bindings as Docker does; `-p [::1]:P:80` publishes on IPv6
 * loopback only; the proxy ends with the container's process (stop) and comes back with it
 * (start), and nothing answers or stays after `rm -f`; IPv6 host addresses are refused on a
 * network without IPv6 and where the host has no such address. Traffic goes only to loopback,
 * the host's own addresses and the test's containers. Each test has its own network (subnets
 * under 10.232.0.0/16 and fd00:5e::/32, bridge skp6*), removed afterwards.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ok, type Sk, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { rand, run } from "../helpers/networks.ts";

const opts = { ignore: skipUnless(IS_ROOT), sanitizeOps: false, sanitizeResources: false };

const HTTPD = "mkdir -p /www && echo hello-six > /www/index.html && exec httpd -f -p 80 -h /www";

/** A TCP port nothing listens on now, on IPv4 or IPv6 (from a range apart from the ephemeral one). */
function freePort(): number {
  for (;;) {
    const port = 20000 + (crypto.getRandomValues(new Uint16Array(1))[0] % 10000);
    try {
      Deno.listen({ hostname: "0.0.0.0", port }).close();
      Deno.listen({ hostname: "::1", port }).close();
      return port;
    } catch {
      // taken: another one
    }
  }
}

/** The body at `url`, or undefined when nothing answers within 3 s. */
async function fetchText(url: string): Promise<string | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return (await res.text()).trim();
  } catch {
    return undefined;
  }
}

/** The pids of skiff-portproxy processes serving host port `port`. */
async function proxiesOf(port: number): Promise<number[]> {
  const out: number[] = [];
  for await (const e of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const cmd = await Deno.readTextFile(`/proc/${e.name}/cmdline`).catch(() => "");
    const args = cmd.split("\0");
    if (args[0].endsWith("/skiff-portproxy") && args.includes(String(port))) {
      out.push(Number(e.name));
    }
  }
  return out;
}

/** Waits (up to 5 s) until `check` is true. */
async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert(await check(), what);
}

/** A user network with IPv6 of the test's own; its gateways; removed after. */
async function withIPv6Network(
  sk: Sk,
  fn: (name: string, gw6: string) => Promise<void>,
): Promise<void> {
  const name = `p6-${rand()}`;
  const n = 1 + (crypto.getRandomValues(new Uint8Array(1))[0] % 250);
  const hex = n.toString(16);
  await ok(sk, [
    "network",
    "create",
    "--ipv6",
    "--subnet",
    `10.232.${n}.0/24`,
    "--subnet",
    `fd00:5e:${hex}::/64`,
    "-o",
    `com.docker.network.bridge.name=skp6${rand()}`,
    name,
  ]);
  try {
    await fn(name, `fd00:5e:${hex}::1`);
  } finally {
    const ids = (await sk(["ps", "-aq", "--no-trunc"])).stdout.trim().split("\n").filter(Boolean);
    if (ids.length > 0) await sk(["rm", "-f", ...ids]);
    await sk(["network", "rm", name]);
  }
}

Deno.test(
  "ports on IPv6: -p answers on 127.0.0.1, [::1] and the host's IPv6 address; port, ps and inspect show [::]",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await withIPv6Network(sk, async (net, gw6) => {
        const port = freePort();
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "web6",
          "--network",
          net,
          "-p",
          `${port}:80`,
          "busybox",
          "sh",
          "-c",
          HTTPD,
        ]);
        await eventually(
          async () => await fetchText(`http://127.0.0.1:${port}/`) === "hello-six",
          "127.0.0.1 answers",
        );
        assertEquals(await fetchText(`http://[::1]:${port}/`), "hello-six");
        assertEquals(await fetchText(`http://[${gw6}]:${port}/`), "hello-six");

        assertEquals((await ok(sk, ["port", "web6"])).trim().split("\n"), [
          `80/tcp -> 0.0.0.0:${port}`,
          `80/tcp -> [::]:${port}`,
        ]);
        assertEquals(
          (await ok(sk, ["ps", "--filter", "name=^/web6$", "--format", "{{.Ports}}"])).trim(),
          `0.0.0.0:${port}->80/tcp, [::]:${port}->80/tcp`,
        );
        const ports = JSON.parse(
          await ok(sk, ["inspect", "-f", "{{json .NetworkSettings.Ports}}", "web6"]),
        );
        assertEquals(ports["80/tcp"], [
          { HostIp: "0.0.0.0", HostPort: String(port) },
          { HostIp: "::", HostPort: String(port) },
        ]);
        const nft6 = await run("nft", "list", "table", "ip6", "skiff");
        assert(nft6.includes(`tcp . ${port} : `), nft6);
        assertEquals((await proxiesOf(port)).length, 1);

        // the proxy ends with the container's process and comes back with it
        await ok(sk, ["stop", "-t", "0", "web6"]);
        await eventually(async () => (await proxiesOf(port)).length === 0, "the proxy ended");
        assertEquals(await fetchText(`http://[::1]:${port}/`), undefined);
        await ok(sk, ["start", "web6"]);
        await eventually(
          async () => await fetchText(`http://[::1]:${port}/`) === "hello-six",
          "[::1] answers again after start",
        );

        await ok(sk, ["rm", "-f", "web6"]);
        await eventually(async () => (await proxiesOf(port)).length === 0, "no proxy after rm");
        assertEquals(await fetchText(`http://[::1]:${port}/`), undefined);
        assertEquals(await fetchText(`http://[${gw6}]:${port}/`), undefined);
        assertEquals(await fetchText(`http://127.0.0.1:${port}/`), undefined);
        assert(!(await run("nft", "list", "table", "ip6", "skiff")).includes(`tcp . ${port} : `));
      });
    });
  },
);

Deno.test(
  "ports on IPv6: -p [::1]:P:80 only on IPv6 loopback; IPv6 host addresses refused where they cannot work",
  opts,
  async () => {
    await withBusyboxStore(async (_store, sk) => {
      await withIPv6Network(sk, async (net, gw6) => {
        const port = freePort();
        await ok(sk, [
          "run",
          "-d",
          "--name",
          "lo6",
          "--network",
          net,
          "-p",
          `[::1]:${port}:80`,
          "busybox",
          "sh",
          "-c",
          HTTPD,
        ]);
        await eventually(
          async () => await fetchText(`http://[::1]:${port}/`) === "hello-six",
          "[::1] answers",
        );
        assertEquals(await fetchText(`http://[${gw6}]:${port}/`), undefined);
        assertEquals(await fetchText(`http://127.0.0.1:${port}/`), undefined);
        assertEquals((await ok(sk, ["port", "lo6"])).trim(), `80/tcp -> [::1]:${port}`);
        assertEquals(
          (await ok(sk, ["ps", "--filter", "name=^/lo6$", "--format", "{{.Ports}}"])).trim(),
          `[::1]:${port}->80/tcp`,
        );

        // an address the host does not have: refused before the container starts
        const other = freePort();
        const missing = await sk([
          "run",
          "-d",
          "--name",
          "nohost",
          "--network",
          net,
          "-p",
          `[fd00:5e:ffff::9]:${other}:80`,
          "busybox",
          "true",
        ]);
        assert(missing.code !== 0, "an IPv6 address the host lacks was accepted");
        assertEquals(missing.stderr.trim().split("\n").length, 1, missing.stderr);
        assert(missing.stderr.includes("cannot assign requested address"), missing.stderr);
      });
      // a network without IPv6 cannot publish on an IPv6 address
      const name = `p4-${rand()}`;
      const n = 1 + (crypto.getRandomValues(new Uint8Array(1))[0] % 250);
      await ok(sk, [
        "network",
        "create",
        "--subnet",
        `10.231.${n}.0/24`,
        "-o",
        `com.docker.network.bridge.name=skp4${rand()}`,
        name,
      ]);
      try {
        const port = freePort();
        const r = await sk([
          "run",
          "--rm",
          "--network",
          name,
          "-p",
          `[::1]:${port}:80`,
          "busybox",
          "true",
        ]);
        assert(r.code !== 0, "[::1] accepted on a network without IPv6");
        assertEquals(
          r.stderr.trim(),
          "Error: cannot publish 80/tcp on the IPv6 address [::1]: the container's network has no IPv6 (network create --ipv6)",
        );
        assertEquals((await proxiesOf(port)).length, 0);
      } finally {
        await sk(["network", "rm", name]);
      }
    });
  },
);
