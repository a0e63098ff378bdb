/**
 * `network create`'s IPAM flags as root: `--aux-address` keeps an address from containers (the
 * next container gets the one after it, asking for it is refused), `--ipam-opt` and
 * `--attachable` show in inspect, `--ipam-driver default` and `--scope local` are accepted and
 * other values refused with one line and no network made.
 */
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { ignore: skipUnless(IS_ROOT), sanitizeOps: false, sanitizeResources: false };

Deno.test("network create --aux-address, --ipam-opt, --attachable, --scope", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const net = `aux-${crypto.randomUUID().slice(0, 6)}`;
    await ok(sk, [
      "network",
      "create",
      "--subnet",
      "10.237.9.0/24",
      "--aux-address",
      "router=10.237.9.2",
      "--ipam-driver",
      "default",
      "--ipam-opt",
      "k=v",
      "--attachable",
      "--scope",
      "local",
      net,
    ]);
    try {
      assertEquals(
        (await ok(sk, [
          "network",
          "inspect",
          "-f",
          "{{json .IPAM}} {{.Attachable}} {{.Scope}}",
          net,
        ])).trim(),
        '{"Driver":"default","Options":{"k":"v"},"Config":[{"Subnet":"10.237.9.0/24",' +
          '"Gateway":"10.237.9.1","AuxiliaryAddresses":{"router":"10.237.9.2"}}]} true local',
      );
      // .1 is the gateway, .2 the aux address: the first container gets .3
      const ip = await sk([
        "run",
        "--rm",
        "--network",
        net,
        "busybox",
        "sh",
        "-c",
        "busybox ip -o -4 addr show eth0 | awk '{print $4}'",
      ]);
      assertEquals(ip.stdout.trim(), "10.237.9.3/24", ip.stderr);
      const taken = await sk([
        "run",
        "--rm",
        "--network",
        net,
        "--ip",
        "10.237.9.2",
        "busybox",
        "true",
      ]);
      assertEquals(taken.code, 125);
      assertStringIncludes(taken.stderr, "Address already in use: 10.237.9.2");

      const refused: [string[], string][] = [
        [["--ipam-driver", "infoblox"], 'plugin "infoblox" not found'],
        [["--scope", "swarm"], 'invalid scope "swarm"'],
        [["--ingress"], "skiff has no swarm"],
        [
          ["--subnet", "10.237.10.0/24", "--aux-address", "x=10.9.9.9"],
          "no matching subnet for aux-address x=10.9.9.9",
        ],
        [["--subnet", "10.237.10.0/24", "--aux-address", "10.237.10.5"], "invalid aux-address"],
      ];
      for (const [flags, message] of refused) {
        const r = await sk(["network", "create", ...flags, "never"]);
        assertEquals(r.code, 125, flags.join(" "));
        assertEquals(r.stderr.split("\n").length, 2, r.stderr);
        assertStringIncludes(r.stderr, message);
      }
      assertEquals((await sk(["network", "inspect", "never"])).code, 1);
    } finally {
      await sk(["network", "rm", net]);
    }
  });
});
