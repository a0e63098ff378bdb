import { assert, assertEquals } from "../helpers/assert.ts";
import { containerResolvConf, writeEtcFiles } from "../../src/runtime/etc_files.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";

Deno.test("resolv.conf: loopback name servers dropped, Docker's defaults when none are left", () => {
  assertEquals(
    containerResolvConf("nameserver 127.0.0.53\nsearch lan\n", false),
    "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n",
  );
  assertEquals(
    containerResolvConf("nameserver ::1\nnameserver 10.0.0.1\n", false),
    "nameserver 10.0.0.1\n",
  );
  assertEquals(containerResolvConf("", false), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
});

Deno.test("resolv.conf: the host's as it is with --network host", () => {
  assertEquals(containerResolvConf("nameserver 127.0.0.53\n", true), "nameserver 127.0.0.53\n");
});

Deno.test("etc files outside a bridge: --add-host (host-gateway: 127.0.0.1 with host) and --dns", async () => {
  const host = new FakeHost();
  host.addDir("/c");
  host.addFile("/etc/hosts", "127.0.0.1 localhost\n10.0.0.1 nas\n");
  host.addFile("/etc/resolv.conf", "nameserver 127.0.0.53\nsearch lan\n");
  const files = await writeEtcFiles("/c", "box", "host", host, {
    extraHosts: ["gw:host-gateway", "db=192.0.2.10"],
    dns: ["192.0.2.53"],
    dnsOptions: ["ndots:2"],
  });
  assertEquals(
    host.files.get(files.hosts),
    "127.0.0.1 localhost\n10.0.0.1 nas\n127.0.0.1\tgw\n192.0.2.10\tdb\n",
  );
  assertEquals(
    host.files.get(files.resolvConf),
    "nameserver 192.0.2.53\nsearch lan\noptions ndots:2\n",
  );
  // a private namespace: Docker's lines, the add-host after them; --dns-search . drops search
  await writeEtcFiles("/c", "box", "none", host, { extraHosts: ["x:1.2.3.4"], dnsSearch: ["."] });
  const hosts = host.files.get(files.hosts) ?? "";
  assert(hosts.startsWith("127.0.0.1\tlocalhost\n::1\t"), hosts);
  assert(hosts.endsWith("ff02::2\tip6-allrouters\n1.2.3.4\tx\n"), hosts);
  assertEquals(host.files.get(files.resolvConf), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
});
