/**
 * `run --cgroup-parent` on this machine's real cgroups (root only): the container's process is
 * in `<hierarchy root>/<parent>/<id>` whether the parent is absolute or relative, its limits
 * apply there, `stats`, `pause`, `exec`, `top` and `rm` find it there; a parent that is not a
 * clean path is refused before anything is written. Compared with podman's cgroupfs manager,
 * which places a container under the same absolute parent directory.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { ok, withBusyboxStore } from "../helpers/busybox_store.ts";
import { cgroupOf } from "../helpers/cgroups.ts";
import { fixturePaths } from "../helpers/fixtures.ts";
import { IS_ROOT, skipUnless } from "../helpers/requires.ts";
import { until } from "../helpers/wait.ts";
import { CgroupManager } from "../../src/runtime/cgroups.ts";
import { parseMountinfo } from "../../src/sys/mountinfo.ts";

const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
const read = (p: string) => Deno.readTextFile(p).then((s) => s.trim());
const HAS_PODMAN = await new Deno.Command("podman", { args: ["--version"], stdout: "null" })
  .output().then((o) => o.success, () => false);

/** A parent name of this test's own. */
function uniqueParent(): string {
  return `skiff-cgp-${crypto.randomUUID().slice(0, 8)}`;
}

/**
 * Removes `parent` (and the levels below it, deepest first) from every cgroup hierarchy mounted,
 * the named (systemd) and hybrid ones too, where runc also places podman's containers.
 */
async function removeParent(parent: string): Promise<void> {
  const levels = parent.replace(/^\/+/, "").split("/");
  const roots = parseMountinfo(await Deno.readTextFile("/proc/self/mountinfo"))
    .filter((m) => m.fsType === "cgroup" || m.fsType === "cgroup2").map((m) => m.mountPoint);
  for (let n = levels.length; n > 0; n--) {
    for (const root of roots) {
      await Deno.remove(`${root}/${levels.slice(0, n).join("/")}`).catch(() => {});
    }
  }
}

/** The container's state in the freezer: "FROZEN"/"THAWED" (v1) or "1"/"0" (v2, cgroup.events). */
async function freezerState(mgr: CgroupManager, id: string): Promise<string> {
  if (mgr.mode.version === 1) {
    return await read(`${mgr.mode.controllers.freezer}/${mgr.parent}/${id}/freezer.state`);
  }
  const events = await read(`${mgr.mode.mountpoint}/${mgr.parent}/${id}/cgroup.events`);
  return /^frozen (\d)$/m.exec(events)?.[1] ?? "";
}

Deno.test({
  name: "run --cgroup-parent: the container lives, is limited, measured, paused and removed there",
  ignore: skipUnless(IS_ROOT),
  fn: () =>
    withBusyboxStore(async (_store, sk) => {
      const top = uniqueParent();
      const parent = `/${top}/ci`;
      const mgr = await CgroupManager.detect(undefined, { parent });
      try {
        const id = (await ok(sk, [
          "run",
          "-d",
          "--cgroup-parent",
          parent,
          "--memory",
          "32m",
          "--pids-limit",
          "30",
          "busybox",
          "sleep",
          "60",
        ])).trim();
        assertEquals(
          (await ok(sk, ["inspect", "-f", "{{.HostConfig.CgroupParent}}", id])).trim(),
          parent,
        );
        const pid = Number((await ok(sk, ["inspect", "-f", "{{.State.Pid}}", id])).trim());
        // The process is in <root>/<parent>/<id> in every hierarchy, limits written there.
        for (const c of ["memory", "pids", "freezer", "cpu"]) {
          assertEquals(
            await cgroupOf(mgr, pid, c),
            mgr.paths(id).find((p) =>
              mgr.mode.version === 2 ||
              p.startsWith(
                `${(mgr.mode as { controllers: Record<string, string> }).controllers[c]}/`,
              )
            ),
          );
        }
        const [mem, pids] = mgr.mode.version === 1
          ? [
            `${mgr.mode.controllers.memory}/${top}/ci/${id}/memory.limit_in_bytes`,
            `${mgr.mode.controllers.pids}/${top}/ci/${id}/pids.max`,
          ]
          : [
            `${mgr.mode.mountpoint}/${top}/ci/${id}/memory.max`,
            `${mgr.mode.mountpoint}/${top}/ci/${id}/pids.max`,
          ];
        assertEquals(await read(mem), String(32 << 20));
        assertEquals(await read(pids), "30");
        // Nothing of it under skiff's default parent.
        assertEquals(await new CgroupManager(mgr.host, mgr.mode).pids(id), []);

        const stats = await ok(sk, ["stats", "--no-stream", "--format", "{{.MemUsage}}", id]);
        assert(stats.trim().endsWith("/ 32MiB"), stats);

        await ok(sk, ["pause", id]);
        assertEquals(await freezerState(mgr, id), mgr.version === 1 ? "FROZEN" : "1");
        assertEquals((await ok(sk, ["inspect", "-f", "{{.State.Status}}", id])).trim(), "paused");
        await ok(sk, ["unpause", id]);
        assertEquals(await freezerState(mgr, id), mgr.version === 1 ? "THAWED" : "0");
        assertEquals((await ok(sk, ["inspect", "-f", "{{.State.Status}}", id])).trim(), "running");

        // exec joins the container's cgroups under the parent; top lists both processes.
        await ok(sk, ["exec", "-d", id, "sleep", "61"]);
        await until("the exec'd process in the container's cgroup", async () => {
          return (await mgr.pids(id)).length === 2;
        });
        const ps = await ok(sk, ["top", id]);
        assert(ps.includes("sleep 60") && ps.includes("sleep 61"), ps);

        await ok(sk, ["rm", "-f", id]);
        for (const p of mgr.paths(id)) assertEquals(await exists(p), false, p);
        // The parent stays, as with podman: other containers may use it.
        assertEquals(await exists(mgr.paths(id)[0].slice(0, -id.length - 1)), true);
      } finally {
        await removeParent(parent);
      }
    }),
});

Deno.test({
  name: "run --cgroup-parent: relative is from the root too; a bad parent writes nothing",
  ignore: skipUnless(IS_ROOT),
  fn: () =>
    withBusyboxStore(async (_store, sk) => {
      const parent = uniqueParent();
      const mgr = await CgroupManager.detect(undefined, { parent });
      try {
        const id = (await ok(sk, [
          "run",
          "-d",
          "--cgroup-parent",
          parent,
          "busybox",
          "sleep",
          "60",
        ])).trim();
        const pid = Number((await ok(sk, ["inspect", "-f", "{{.State.Pid}}", id])).trim());
        const root = mgr.mode.version === 2 ? mgr.mode.mountpoint : mgr.mode.controllers.pids;
        assertEquals(await cgroupOf(mgr, pid, "pids"), `${root}/${parent}/${id}`);
        await ok(sk, ["rm", "-f", id]);
        assertEquals(await exists(`${root}/${parent}/${id}`), false);

        // A container that ends on its own: its monitor removes the cgroup under the parent.
        const short = (await ok(sk, [
          "run",
          "-d",
          "--cgroup-parent",
          parent,
          "busybox",
          "cat",
          "/proc/self/cgroup",
        ])).trim();
        assertEquals((await ok(sk, ["wait", short])).trim(), "0");
        await until("the monitor's clean-up", async () => {
          return !(await exists(`${root}/${parent}/${short}`));
        });
        assertEquals((await ok(sk, ["ps", "-aq", "--no-trunc"])).trim(), short);
        if (mgr.mode.version === 1) {
          // No cgroup namespace on v1: the process saw where it ran.
          const seen = await ok(sk, ["logs", short]);
          assert(seen.includes(`:pids:/${parent}/${short}\n`), seen);
        }
        await ok(sk, ["rm", short]);

        for (const bad of ["a/../b", "../../escape", "a//b", "/a/"]) {
          const r = await sk(["create", "--cgroup-parent", bad, "busybox", "true"]);
          assertEquals(r.code, 125, bad);
          assertEquals(
            r.stderr,
            `Error: invalid cgroup parent "${bad}": it must be a clean path of names, without "." or ".."\n`,
          );
        }
        assertEquals((await ok(sk, ["ps", "-aq"])).trim(), "");
      } finally {
        await removeParent(parent);
      }
    }),
});

/** Runs podman with a store of its own and the cgroupfs manager; returns stdout. */
async function podman(dir: string, args: string[]): Promise<string> {
  const out = await new Deno.Command("podman", {
    args: [
      "--root",
      `${dir}/root`,
      "--runroot",
      `${dir}/run`,
      "--cgroup-manager",
      "cgroupfs",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const td = new TextDecoder();
  assertEquals(out.code, 0, `podman ${args.join(" ")}: ${td.decode(out.stderr)}`);
  return td.decode(out.stdout);
}

Deno.test({
  name: "run --cgroup-parent: the same parent directory as podman's cgroupfs manager",
  ignore: skipUnless(IS_ROOT, HAS_PODMAN),
  fn: () =>
    withBusyboxStore(async (_store, sk) => {
      const dir = await Deno.makeTempDir({ prefix: "skiff-podman-" });
      // Absolute parents only: podman resolves a relative one against the cgroup of conmon, the
      // process that starts runc (`<parent>/conmon/<parent>/libpod-<id>`), as Docker does against
      // its daemon's cgroup; skiff has no daemon and takes a relative parent from the root.
      const parents = [`/${uniqueParent()}`, `/${uniqueParent()}/nested`];
      const mgr = await CgroupManager.detect();
      const podIds: string[] = [];
      try {
        await podman(dir, ["load", "-q", "-i", `${fixturePaths().busybox}.docker.tar`]);
        for (const parent of parents) {
          const podId = (await podman(dir, [
            "run",
            "-d",
            "--network",
            "none",
            "--cgroup-parent",
            parent,
            "busybox",
            "sleep",
            "60",
          ])).trim();
          podIds.push(podId);
          const ours = (await ok(sk, [
            "run",
            "-d",
            "--cgroup-parent",
            parent,
            "busybox",
            "sleep",
            "60",
          ])).trim();
          const ourPid = Number((await ok(sk, ["inspect", "-f", "{{.State.Pid}}", ours])).trim());
          const name = parent.replace(/^\//, "");
          for (const c of ["memory", "pids"]) {
            const root = mgr.mode.version === 2 ? mgr.mode.mountpoint : mgr.mode.controllers[c];
            // podman names its directory libpod-<id>, skiff <id>; the parent is the same.
            assertEquals(await exists(`${root}/${name}/libpod-${podId}`), true, `podman in ${c}`);
            assertEquals(await cgroupOf(mgr, ourPid, c), `${root}/${name}/${ours}`);
          }
          await ok(sk, ["rm", "-f", ours]);
          await podman(dir, ["rm", "-f", "-t", "0", podId]);
          podIds.pop();
        }
      } finally {
        for (const id of podIds) await podman(dir, ["rm", "-f", "-t", "0", id]).catch(() => {});
        await podman(dir, ["rmi", "-a", "-f"]).catch(() => {});
        for (const parent of parents) {
          // podman leaves its parent behind, with a conmon cgroup in it.
          await removeParent(`${parent}/conmon`);
          await removeParent(parent);
        }
        await Deno.remove(dir, { recursive: true }).catch(() => {});
      }
    }),
});
