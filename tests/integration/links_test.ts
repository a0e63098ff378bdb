/**
 * Docker's legacy links and the other create flags with one accepted value, as root on the
 * default bridge network of a temporary store: `--link NAME[:ALIAS]` puts the target's address
 * in the linking container's /etc/hosts (alias, hostname, name) and in inspect's
 * HostConfig.Links, and is refused where Docker refuses it (a missing or stopped target, host,
 * none and container networks); `--link-local-ip` (on run and on network connect) adds an
 * address on a user network, also after a restart, and is refused on the default one; `--userns host`, `--volume-driver local` and `create -a` show in
 * inspect, other values are one clear line with nothing created.
 */
import { assert, assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";

const opts = { ignore: skipUnless(IS_ROOT), sanitizeOps: false, sanitizeResources: false };

Deno.test("--link: the target in /etc/hosts on the default bridge; refusals", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    try {
      const dbId = (await ok(sk, [
        "run",
        "-d",
        "--name",
        "db",
        "--hostname",
        "dbhost",
        "--network",
        "bridge",
        "busybox",
        "sleep",
        "60",
      ])).trim();
      const dbIp = (await ok(sk, ["inspect", "-f", "{{.NetworkSettings.IPAddress}}", "db"])).trim();
      assert(/^\d+\.\d+\.\d+\.\d+$/.test(dbIp), dbIp);

      // no --network: the default bridge, as Docker's default
      const hosts = await sk([
        "run",
        "--name",
        "web",
        "--link",
        "db:database",
        "busybox",
        "sh",
        "-c",
        "grep database /etc/hosts && ping -c 1 -W 2 database >/dev/null && echo reached",
      ]);
      assertEquals(hosts.code, 0, hosts.stderr);
      assertEquals(hosts.stdout, `${dbIp}\tdatabase dbhost db\nreached\n`);
      assertEquals(
        (await ok(sk, ["inspect", "-f", "{{json .HostConfig.Links}}", "web"])).trim(),
        '["/db:/web/database"]',
      );
      const plain = await sk([
        "run",
        "--rm",
        "--link",
        dbId.slice(0, 12),
        "busybox",
        "grep",
        dbIp,
        "/etc/hosts",
      ]);
      // the alias is the name as given (here the short id), then the hostname and the name
      assertEquals(plain.stdout, `${dbIp}\t${dbId.slice(0, 12)} dbhost db\n`, plain.stderr);

      const missing = await sk(["run", "--rm", "--link", "nosuch:x", "busybox", "true"]);
      assertEquals(missing.code, 125);
      assertEquals(
        missing.stderr,
        "Error: could not get container for nosuch: No such container: nosuch\n",
      );
      for (
        const [net, kind] of [["host", "host type networking"], ["none", "none type networking"]]
      ) {
        const r = await sk(["create", "--network", net, "--link", "db", "busybox"]);
        assertEquals(r.code, 125, net);
        assertStringIncludes(
          r.stderr,
          `Error: conflicting options: ${kind} can't be used with links`,
        );
      }
      const joined = await sk(["create", "--network", "container:db", "--link", "db", "busybox"]);
      assertStringIncludes(joined.stderr, "container type network can't be used with links");
      const bad = await sk(["create", "--link", "db:a:b", "busybox"]);
      assertEquals(bad.code, 125);
      assertStringIncludes(bad.stderr, 'invalid value "db:a:b" for --link');

      // a stopped target: the start is refused, Docker's words
      await ok(sk, ["stop", "-t", "0", "db"]);
      const stopped = await sk(["run", "--rm", "--link", "db", "busybox", "true"]);
      assert(stopped.code !== 0);
      assertStringIncludes(stopped.stderr, "Cannot link to a non running container: /db AS /");
      const names = (await ok(sk, ["ps", "-a", "--format", "{{.Names}}"])).trim().split("\n");
      assertEquals(names.sort(), ["db", "web"]);
    } finally {
      await sk(["rm", "-f", "web", "db"]);
    }
  });
});

Deno.test("--link-local-ip, --userns, --volume-driver and create -a", opts, async () => {
  await withBusyboxStore(async (_store, sk) => {
    const net = `ll-${crypto.randomUUID().slice(0, 6)}`;
    await ok(sk, ["network", "create", "--subnet", "10.236.7.0/24", net]);
    try {
      const addr = await sk([
        "run",
        "--rm",
        "--network",
        net,
        "--link-local-ip",
        "169.254.7.7",
        "busybox",
        "busybox",
        "ip",
        "-o",
        "addr",
        "show",
        "eth0",
      ]);
      assertEquals(addr.code, 0, addr.stderr);
      assertStringIncludes(addr.stdout, "inet 169.254.7.7/32");
      assertStringIncludes(addr.stdout, "inet 10.236.7.");
      const onDefault = await sk(["create", "--link-local-ip", "169.254.7.7", "busybox"]);
      assertEquals(onDefault.code, 125);
      assertEquals(
        onDefault.stderr,
        "Error: user specified IP address is supported on user defined networks only\n",
      );
      const notIp = await sk(["create", "--network", net, "--link-local-ip", "x", "busybox"]);
      assertEquals(notIp.stderr, "Error: x is not an ip address\n");

      // network connect --link-local-ip: on the new interface, at once and after a restart
      await ok(sk, ["run", "-d", "--name", "nd", "--network", "bridge", "busybox", "sleep", "60"]);
      await ok(sk, ["network", "connect", "--link-local-ip", "169.254.9.9", net, "nd"]);
      assertStringIncludes(
        await ok(sk, ["exec", "nd", "busybox", "ip", "-o", "addr", "show", "eth1"]),
        "inet 169.254.9.9/32",
      );
      await ok(sk, ["restart", "-t", "0", "nd"]);
      assertStringIncludes(
        await ok(sk, ["exec", "nd", "busybox", "ip", "-o", "addr", "show", "eth1"]),
        "inet 169.254.9.9/32",
      );
      const connBridge = await sk([
        "network",
        "connect",
        "--link-local-ip",
        "169.254.9.9",
        "bridge",
        "nd",
      ]);
      assertEquals(connBridge.code, 125);
      assertStringIncludes(connBridge.stderr, "supported on user defined networks only");
      await ok(sk, ["rm", "-f", "nd"]);

      await ok(sk, [
        "create",
        "--name",
        "c",
        "--userns",
        "host",
        "--volume-driver",
        "local",
        "-a",
        "stdout",
        "busybox",
      ]);
      assertEquals(
        (await ok(sk, [
          "inspect",
          "-f",
          "{{.HostConfig.UsernsMode}} {{.HostConfig.VolumeDriver}} {{.Config.AttachStdin}} " +
          "{{.Config.AttachStdout}} {{.Config.AttachStderr}}",
          "c",
        ])).trim(),
        "host local false true false",
      );
      // keep-id is rootless only (as Podman); other modes are not there yet
      const keepId = await sk(["create", "--userns", "keep-id", "busybox"]);
      assertEquals(keepId.code, 125);
      assertStringIncludes(keepId.stderr, "Error: keep-id is only supported in rootless mode");
      const userns = await sk(["create", "--userns", "auto", "busybox"]);
      assertEquals(userns.code, 125);
      assertStringIncludes(
        userns.stderr,
        'Error: invalid --userns "auto": expected host or keep-id',
      );
      const driver = await sk(["create", "--volume-driver", "nfs", "busybox"]);
      assertEquals(driver.code, 125);
      assertStringIncludes(driver.stderr, 'plugin "nfs" not found');
      const attach = await sk(["create", "-a", "stdnothing", "busybox"]);
      assertEquals(attach.code, 125);
      // only "c" was created
      assertEquals((await ok(sk, ["ps", "-a", "--format", "{{.Names}}"])).trim(), "c");
    } finally {
      await sk(["rm", "-f", "c"]);
      await sk(["network", "rm", net]);
    }
  });
});
