/** The first implementations of the runtime's seams: the cgroup manager without cgroups, the network drivers, the id mapping. */
import { assertEquals, assertRejects } from "../helpers/assert.ts";
import { FailedPreconditionError, InvalidArgumentError } from "../../src/errors.ts";
import { type Cgroups, NoCgroups } from "../../src/runtime/cgroups.ts";
import { hostIds } from "../../src/runtime/idmap.ts";
import { hostNetwork, networkDriver, noNetwork } from "../../src/runtime/network.ts";
import { ID, record } from "./fake_runtime.ts";

Deno.test("NoCgroups: no directories; limits, pause and stats are refused with a reason", async () => {
  const none = new NoCgroups(2);
  assertEquals(none.version, 2);
  assertEquals(none.paths(ID), []);
  assertEquals(await none.create(ID), []);
  assertEquals(await none.create(ID, { devices: "all" }), []);
  for (
    const limits of [{ memory: 64 << 20 }, { cpus: 1e9 }, { cpuShares: 512 }, { pidsLimit: 10 }]
  ) {
    const err = await assertRejects(() => none.create(ID, limits), FailedPreconditionError);
    assertEquals(err.message, "resource limits need cgroups, which this host does not delegate");
  }
  const err = await assertRejects(() => none.freeze(ID), FailedPreconditionError);
  assertEquals(err.message, `cannot pause container ${ID}: it has no cgroup`);
  await assertRejects(() => none.thaw(ID), FailedPreconditionError);
  await assertRejects(() => none.stats(ID), FailedPreconditionError);
  assertEquals([await none.oomKilled(ID), await none.pids(ID)], [false, []]);
  await (none as Cgroups).destroy(ID, { kill: true });
  await assertRejects(() => none.create("../escape"), InvalidArgumentError);
});

Deno.test("network drivers: host joins the host's namespace, anything else a private one", async () => {
  assertEquals(networkDriver("host"), hostNetwork);
  assertEquals(networkDriver("private"), noNetwork);
  assertEquals(networkDriver("none"), noNetwork);
  const rec = record();
  assertEquals(await hostNetwork.setUp(rec), {
    namespace: { kind: "host" },
    hook: [],
    teardown: [],
  });
  assertEquals(await noNetwork.setUp(rec), { namespace: { kind: "own" }, hook: [], teardown: [] });
});

Deno.test("id mapping: as root, none (the host's ids)", async () => {
  assertEquals(await hostIds.mappings(record()), undefined);
});
