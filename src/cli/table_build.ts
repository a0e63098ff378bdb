/**
 * The `build` flags beyond the basic ones: secrets and other build contexts, outputs, and
 * the resource and run flags docker 20.10's `build` applies to the containers of RUN steps
 * (src/commands/build_flags.ts turns them into options).
 */
import { flag } from "./flags.ts";

/** `build`'s mount, context and output flags (BuildKit's). */
export const buildSourceFlags = [
  flag(
    "build-context",
    undefined,
    "list",
    "Additional build contexts (e.g., name=path or name=docker-image://ref)",
  ),
  flag("no-cache-filter", undefined, "list", "Do not cache specified stages"),
  flag("output", "o", "list", 'Output destination (format: "type=local,dest=path")'),
  flag(
    "secret",
    undefined,
    "list",
    'Secret to expose to the build (format: "id=mysecret[,src=/local/secret]")',
  ),
  flag("ssh", undefined, "list", "SSH agent socket or keys to expose to the build (unsupported)"),
];

/** `build`'s resource and run flags (docker 20.10's), applied to each RUN step's container. */
export const buildRunFlags = [
  flag("add-host", undefined, "list", "Add a custom host-to-IP mapping (host:ip)"),
  flag("cgroup-parent", undefined, "string", "Optional parent cgroup for the container"),
  flag("compress", undefined, "bool", "Compress the build context using gzip (no effect)"),
  flag("cpu-period", undefined, "int", "Limit the CPU CFS (Completely Fair Scheduler) period"),
  flag("cpu-quota", undefined, "int", "Limit the CPU CFS (Completely Fair Scheduler) quota"),
  flag("cpu-shares", "c", "int", "CPU shares (relative weight)"),
  flag("cpuset-cpus", undefined, "string", "CPUs in which to allow execution (0-3, 0,1)"),
  flag("cpuset-mems", undefined, "string", "MEMs in which to allow execution (0-3, 0,1)"),
  flag("disable-content-trust", undefined, "bool", "Skip image verification (always skipped)", {
    default: true,
  }),
  flag("force-rm", undefined, "bool", "Always remove intermediate containers (always done)"),
  flag("isolation", undefined, "string", "Container isolation technology (default only)"),
  flag("memory", "m", "string", "Memory limit", { valueName: "bytes" }),
  flag(
    "memory-swap",
    undefined,
    "string",
    "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
    { valueName: "bytes" },
  ),
  flag(
    "rm",
    undefined,
    "bool",
    "Remove intermediate containers after a successful build (always done)",
    { default: true },
  ),
  flag("security-opt", undefined, "list", "Security options"),
  flag("shm-size", undefined, "string", "Size of /dev/shm", { valueName: "bytes" }),
  flag("squash", undefined, "bool", "Squash newly built layers into a single new layer"),
  flag("stream", undefined, "bool", "Stream attaches to server to negotiate build context"),
  flag("ulimit", undefined, "list", "Ulimit options"),
];
