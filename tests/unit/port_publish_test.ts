/**
 * Publishing on the fake host: the iptables fallback's tagged DNAT rules and their deletes,
 * nft's map elements, `-P` on the ephemeral range, a port held by a live container refused
 * while one held by a container whose monitor is gone is taken over (its forwards removed),
 * and the monitor's tear-down commands.
 */
import { assert, assertEquals, assertRejects } from "../helpers/assert.ts";
import { FailedPreconditionError } from "../../src/errors.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";
import { openStore, type Store } from "../../src/store/store.ts";
import type { ContainerRecord } from "../../src/runtime/container_store.ts";
import { containerDir } from "../../src/runtime/container_store.ts";
import { parsePublish } from "../../src/network/port_spec.ts";
import { publishPorts, unpublishPorts } from "../../src/network/port_publish.ts";
import { activeBindings } from "../../src/network/port_record.ts";

const ID1 = "1".repeat(64), ID2 = "2".repeat(64);

function record(id: string, publish: string[], more: Partial<ContainerRecord["Options"]> = {}) {
  return {
    Id: id,
    Name: id.slice(0, 4),
    Options: { network: "web", publish: publish.flatMap(parsePublish), ...more },
    ImageConfig: { ExposedPorts: { "443/tcp": {} } },
  } as unknown as ContainerRecord;
}

async function withStore(fn: (store: Store) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(await openStore({ root: `${dir}/root`, runroot: `${dir}/run` }));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function fakeHost(tool: "nft" | "iptables"): FakeHost {
  const host = new FakeHost();
  host.addFile(tool === "nft" ? "/usr/sbin/nft" : "/usr/sbin/iptables", "");
  host.addFile("/proc/sys/net/ipv4/ip_local_port_range", "40000\t40001\n");
  host.addFile("/proc/sys/net/ipv4/conf/br-1/route_localnet", "0\n");
  host.addFile("/proc/sys/kernel/random/boot_id", "boot-1\n");
  host.onRun = (_p, c) => c.args.includes("list") ? { code: 1 } : {};
  return host;
}

/** Makes the monitor of container `id` alive on the fake host (pid and start time). */
function liveMonitor(host: FakeHost, store: Store, id: string, pid: number): void {
  host.addDir(containerDir(store, id));
  host.addFile(
    `${containerDir(store, id)}/state.json`,
    JSON.stringify({ Status: "running", MonitorPid: pid, MonitorStartTime: "777" }),
  );
  host.addProcess(pid, { startTime: "777" });
}

Deno.test("publish with iptables: tagged DNAT rules, -P on the ephemeral range, deletes", async () => {
  await withStore(async (store) => {
    const host = fakeHost("iptables");
    const undo = await publishPorts(
      store,
      record(ID1, ["8080:80"], { publishAll: true }),
      { bridge: "br-1", containerIp: "10.0.0.2" },
      host,
    );
    const added = host.runs.map((r) => r.command.args.join(" "));
    assert(
      added.some((a) =>
        a.startsWith("-t nat -A PREROUTING -m addrtype --dst-type LOCAL -p tcp --dport 8080") &&
        a.includes("--to-destination 10.0.0.2:80") &&
        a.includes(`skiff container ${ID1.slice(0, 12)}`)
      ),
      added.join("\n"),
    );
    const bindings = await activeBindings(store, ID1, host);
    assertEquals(bindings.map((b) => [b.hostPort, b.containerPort]).slice(0, 1), [[8080, 80]]);
    assert([40000, 40001].includes(bindings[1].hostPort), JSON.stringify(bindings));
    assertEquals(host.file("/proc/sys/net/ipv4/conf/br-1/route_localnet"), "1\n");
    // the monitor's tear-down deletes the same rules (errors ignored) and the record
    assert(undo.some((c) => c.startsWith("'/usr/sbin/iptables' '-t' 'nat' '-D' 'PREROUTING'")));
    assert(
      undo.every((c) => c.endsWith(" 2>/dev/null") || c.startsWith("rm -f ")),
      undo.join("\n"),
    );
    host.runs = [];
    await unpublishPorts(store, ID1, host);
    assertEquals(host.runs.length, 5);
    assert(host.runs.every((r) => r.command.args[2] === "-D"));
    assertEquals(await activeBindings(store, ID1, host), []);
    host.runs = [];
    await unpublishPorts(store, ID1, host); // twice: nothing left to do
    assertEquals(host.runs.length, 0);
  });
});

Deno.test("publish with nft: a live container's port refused, a dead one's taken over", async () => {
  await withStore(async (store) => {
    const host = fakeHost("nft");
    liveMonitor(host, store, ID1, 4242);
    await publishPorts(store, record(ID1, ["8080:80"]), {
      bridge: "br-1",
      containerIp: "10.0.0.2",
    }, host);
    assert(
      host.runs.some((r) =>
        r.command.args[0] === "add element ip skiff ports_any { tcp . 8080 : 10.0.0.2 . 80 }"
      ),
      JSON.stringify(host.runs),
    );
    host.runs = [];
    const err = await assertRejects(
      () =>
        publishPorts(store, record(ID2, ["8080:80"]), {
          bridge: "br-1",
          containerIp: "10.0.0.3",
        }, host),
      FailedPreconditionError,
    );
    assertEquals(err.message, "Bind for 0.0.0.0:8080 failed: port is already allocated");
    assert(!host.runs.some((r) => r.command.args[0]?.startsWith("add element")));
    // its monitor killed: the next publish removes its forward and takes the port
    host.addProcess(4242, { startTime: "999" }); // the pid now another process's
    await publishPorts(store, record(ID2, ["8080:80"]), {
      bridge: "br-1",
      containerIp: "10.0.0.3",
    }, host);
    const cmds = host.runs.map((r) => r.command.args[0]);
    assert(cmds.includes("delete element ip skiff ports_any { tcp . 8080 }"), cmds.join("\n"));
    assert(cmds.includes("add element ip skiff ports_any { tcp . 8080 : 10.0.0.3 . 80 }"));
    assertEquals(await activeBindings(store, ID1, host), []);
    assertEquals((await activeBindings(store, ID2, host)).length, 1);
  });
});

Deno.test("publish with nft: a table flushed since the marker gets its maps again", async () => {
  await withStore(async (store) => {
    const host = fakeHost("nft");
    await publishPorts(store, record(ID1, ["8080:80"]), {
      bridge: "br-1",
      containerIp: "10.0.0.2",
    }, host);
    await unpublishPorts(store, ID1, host);
    // someone ran `nft flush ruleset`: the first add fails, the maps are made, the add again
    let failed = false;
    host.onRun = (_p, c) => {
      if (c.args.includes("list")) return { code: 1 };
      if (!failed && c.args[0]?.startsWith("add element")) {
        failed = true;
        return { code: 1, stderr: new TextEncoder().encode("Error: No such file or directory") };
      }
      return {};
    };
    host.runs = [];
    await publishPorts(store, record(ID1, ["8080:80"]), {
      bridge: "br-1",
      containerIp: "10.0.0.2",
    }, host);
    const cmds = host.runs.map((r) => r.command.args.join(" "));
    assertEquals(cmds.filter((c) => c.startsWith("add element")).length, 2);
    assert(cmds.some((c) => c.includes("add map ip skiff ports_any")), cmds.join("\n"));
    assertEquals((await activeBindings(store, ID1, host)).length, 1);
  });
});
