/**
 * The stored container record: one type derived from what create decides, the JSON format
 * unchanged, so a record written by an older skiff (before the limits were kept) still reads.
 */
import { assertEquals } from "../helpers/assert.ts";
import { InvalidArgumentError } from "../../src/errors.ts";
import { containerDir, getContainer } from "../../src/runtime/container_store.ts";
import { createdContainer, deriveContainer } from "../../src/runtime/create.ts";
import { defaultRunOptions } from "../../src/runtime/run_options.ts";
import { storeLayout } from "../../src/store/store.ts";
import { FakeHost } from "../../src/sys/fake_host.ts";

const store = storeLayout({ root: "/var/lib/skiff", runroot: "/run/skiff" });
const ID = "ab".repeat(32);

Deno.test("a record without limits (an older store) reads, and start derives them as create would", async () => {
  const options = { ...defaultRunOptions(), cmd: ["sh", "-c", "true"], memory: 64 << 20 };
  const old = {
    Id: ID,
    Name: "old",
    Image: "sha256:" + "0".repeat(64),
    ImageName: "busybox",
    Created: "2026-01-01T00:00:00Z",
    Layers: [],
    Path: "sh",
    Args: ["-c", "true"],
    Env: ["PATH=/bin"],
    WorkingDir: "",
    User: "",
    Hostname: "abababababab",
    Labels: { a: "b" },
    StopSignal: "SIGTERM",
    StopTimeout: 10,
    Options: options,
    ImageConfig: {},
  };
  const host = new FakeHost();
  host.addFile(`${containerDir(store, ID)}/container.json`, JSON.stringify(old));
  const rec = (await getContainer(store, ID, host))!;
  assertEquals(rec, old);
  const decided = createdContainer(rec);
  assertEquals(decided, deriveContainer(ID, { Env: ["PATH=/bin"], Labels: { a: "b" } }, options));
  assertEquals([decided.Limits.memory, decided.Limits.memorySwap], [64 << 20, 128 << 20]);
  assertEquals(decided.CgroupParent, "");
});

Deno.test("create keeps --cgroup-parent as given, and refuses one that is not a clean path", () => {
  const base = { ...defaultRunOptions(), cmd: ["true"] };
  assertEquals(deriveContainer(ID, {}, base).CgroupParent, "");
  assertEquals(
    deriveContainer(ID, {}, { ...base, cgroupParent: "/ci/job7" }).CgroupParent,
    "/ci/job7",
  );
  assertEquals(deriveContainer(ID, {}, { ...base, cgroupParent: "ci" }).CgroupParent, "ci");
  for (const bad of ["../escape", "/a/../../b", "a//b", "a/", "/"]) {
    try {
      deriveContainer(ID, {}, { ...base, cgroupParent: bad });
      throw new Error(`expected "${bad}" to be refused`);
    } catch (e) {
      assertEquals(e instanceof InvalidArgumentError, true, bad);
    }
  }
});
