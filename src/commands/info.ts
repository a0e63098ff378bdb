/** `skiff info`: store locations, counts, cgroup mode and kernel, as `docker info` shows. */
import type { CommandContext } from "../cli/spec.ts";
import { storeLayout } from "../store/store.ts";
import { resolveStorePaths } from "../store/paths.ts";
import { listImages } from "../store/images.ts";
import { VERSION } from "../version.ts";

async function countDirs(path: string): Promise<number> {
  let n = 0;
  try {
    for await (const e of Deno.readDir(path)) if (e.isDirectory) n++;
  } catch {
    // a fresh store has none
  }
  return n;
}

async function cgroupVersion(): Promise<string> {
  try {
    const mounts = await Deno.readTextFile("/proc/self/mountinfo");
    const root = mounts.split("\n").find((l) => l.split(" ")[4] === "/sys/fs/cgroup");
    return root?.includes(" - cgroup2 ") ? "2" : "1";
  } catch {
    return "unknown";
  }
}

/** Runs `skiff info [--format F]`. */
export default async function info(ctx: CommandContext): Promise<number> {
  const store = storeLayout(resolveStorePaths(ctx.global));
  const kernel = Deno.osRelease();
  const data = {
    ID: "",
    Containers: await countDirs(store.containers),
    Images: (await listImages(store)).length,
    Driver: "overlay",
    DockerRootDir: store.root,
    RunRoot: store.runroot,
    CgroupDriver: "cgroupfs",
    CgroupVersion: await cgroupVersion(),
    KernelVersion: kernel,
    OperatingSystem: Deno.build.os,
    OSType: Deno.build.os,
    Architecture: Deno.build.arch,
    NCPU: navigator.hardwareConcurrency,
    MemTotal: Deno.systemMemoryInfo().total,
    ServerVersion: VERSION,
    Rootless: Deno.uid() !== 0,
    SecurityOptions: [
      "name=seccomp,profile=builtin",
      ...(Deno.uid() !== 0 ? ["name=rootless"] : []),
    ],
  };
  const fmt = ctx.flags.format as string | undefined;
  if (fmt) {
    const { renderInspect } = await import("../cli/format.ts");
    await Deno.stdout.write(new TextEncoder().encode(renderInspect([data], fmt)));
    return 0;
  }
  console.log([
    "Client: skiff " + VERSION,
    "",
    "Server: none (daemonless)",
    ` Containers: ${data.Containers}`,
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
  ].join("\n"));
  return 0;
}
