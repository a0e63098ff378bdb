/** `skiff info`: store locations, counts, cgroup mode and kernel, as `docker info` shows. */
import type { CommandContext } from "../cli/spec.ts";
import { type Store, storeLayout } from "../store/store.ts";
import { listContainers } from "../runtime/container_store.ts";
import { currentState } from "../runtime/state.ts";
import { resolveStorePaths } from "../store/paths.ts";
import { listImages } from "../store/images.ts";
import { VERSION } from "../version.ts";
import { parseMountinfo } from "../sys/mountinfo.ts";
import { realHost } from "../sys/host.ts";
import { rootlessIds } from "../runtime/userns.ts";

/** Docker's container counts: all, running, paused, stopped. */
async function containerCounts(store: Store) {
  const recs = await listContainers(store);
  const states = await Promise.all(recs.map((r) => currentState(store, r)));
  const running = states.filter((s) => s.Status === "running" || s.Status === "restarting").length;
  const paused = states.filter((s) => s.Status === "paused").length;
  return {
    Containers: recs.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: recs.length - running - paused,
  };
}

async function cgroupVersion(): Promise<string> {
  try {
    const mounts = parseMountinfo(await Deno.readTextFile("/proc/self/mountinfo"));
    const root = mounts.find((m) => m.mountPoint === "/sys/fs/cgroup");
    return root?.fsType === "cgroup2" ? "2" : "1";
  } catch {
    return "unknown";
  }
}

/** Runs `skiff info [--format F]`. */
export default async function info(ctx: CommandContext): Promise<number> {
  const store = storeLayout(resolveStorePaths(ctx.global));
  const kernel = Deno.osRelease();
  const rootless = Deno.uid() !== 0;
  // rootless: the user's mapping, the overlay mounted in the user namespace, no cgroups made
  const ids = rootless ? await rootlessIds(realHost, Deno.uid()!, Deno.gid() ?? 0) : undefined;
  const data = {
    ID: "",
    ...await containerCounts(store),
    Images: (await listImages(store)).length,
    Driver: "overlay",
    DockerRootDir: store.root,
    RunRoot: store.runroot,
    CgroupDriver: rootless ? "none" : "cgroupfs",
    CgroupVersion: await cgroupVersion(),
    KernelVersion: kernel,
    OperatingSystem: Deno.build.os,
    OSType: Deno.build.os,
    Architecture: Deno.build.arch,
    NCPU: navigator.hardwareConcurrency,
    MemTotal: Deno.systemMemoryInfo().total,
    ServerVersion: VERSION,
    Rootless: rootless,
    ...(ids
      ? {
        IDMappings: { UIDMap: ids.uid, GIDMap: ids.gid },
        OverlayKind: "kernel overlay in the user namespace (userxattr)",
      }
      : {}),
    SecurityOptions: [
      "name=seccomp,profile=builtin",
      ...(Deno.uid() !== 0 ? ["name=rootless"] : []),
    ],
  };
  const fmt = ctx.flags.format as string | undefined;
  if (fmt) {
    const { renderInspect }: typeof import("../cli/format.ts") = await import(
      new URL("../cli/format.ts", import.meta.url).href
    );
    await Deno.stdout.write(new TextEncoder().encode(renderInspect([data], fmt)));
    return 0;
  }
  console.log([
    "Client: skiff " + VERSION,
    "",
    "Server: none (daemonless)",
    ` Containers: ${data.Containers}`,
    `  Running: ${data.ContainersRunning}`,
    `  Paused: ${data.ContainersPaused}`,
    `  Stopped: ${data.ContainersStopped}`,
    ` Images: ${data.Images}`,
    ` Storage Driver: ${data.Driver}`,
    ` Cgroup Driver: ${data.CgroupDriver}`,
    ` Cgroup Version: ${data.CgroupVersion}`,
    ` Security Options: ${data.SecurityOptions.join(", ")}`,
    ` Kernel Version: ${data.KernelVersion}`,
    ` Architecture: ${data.Architecture}`,
    ` CPUs: ${data.NCPU}`,
    ` Total Memory: ${(data.MemTotal / 2 ** 30).toFixed(2)}GiB`,
    ` Root Dir: ${data.DockerRootDir}`,
    ` Run Root: ${data.RunRoot}`,
    ` Rootless: ${data.Rootless}`,
    ...(ids
      ? [
        ` ID Mappings: uid ${ids.uid.join(", ")}; gid ${ids.gid.join(", ")}`,
        ` Overlay: ${data.OverlayKind}`,
      ]
      : []),
  ].join("\n"));
  return 0;
}
