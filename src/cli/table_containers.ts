/**
 * The container commands of skiff's command table (run, create, start, ps,
 * logs, exec...). Implementations load lazily.
 */
import type { CommandSpec } from "./spec.ts";
import { command, existsCommand, flag, formatFlag, lazy } from "./flags.ts";

const format = formatFlag;

/** Flags shared by `run` and `create`. */
export const createFlags = [
  flag("add-host", undefined, "list", "Add a custom host-to-IP mapping (host:ip)"),
  flag("cap-add", undefined, "list", "Add Linux capabilities"),
  flag("cap-drop", undefined, "list", "Drop Linux capabilities"),
  flag("cgroup-parent", undefined, "string", "Optional parent cgroup for the container"),
  flag("cidfile", undefined, "string", "Write the container ID to the file"),
  flag("group-add", undefined, "list", "Add additional groups to join"),
  // resources (src/commands/run_flags.ts, resourceOptionsFromFlags)
  flag(
    "blkio-weight",
    undefined,
    "int",
    "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)",
  ),
  flag("blkio-weight-device", undefined, "list", "Block IO weight (relative device weight)"),
  flag("cgroupns", undefined, "string", "Cgroup namespace to use (host|private)"),
  flag("cpu-period", undefined, "int", "Limit CPU CFS (Completely Fair Scheduler) period"),
  flag("cpu-quota", undefined, "int", "Limit CPU CFS (Completely Fair Scheduler) quota"),
  flag("cpu-rt-period", undefined, "int", "Limit CPU real-time period in microseconds"),
  flag("cpu-rt-runtime", undefined, "int", "Limit CPU real-time runtime in microseconds"),
  flag("cpuset-cpus", undefined, "string", "CPUs in which to allow execution (0-3, 0,1)"),
  flag("cpuset-mems", undefined, "string", "MEMs in which to allow execution (0-3, 0,1)"),
  flag("device-read-bps", undefined, "list", "Limit read rate (bytes per second) from a device"),
  flag("device-read-iops", undefined, "list", "Limit read rate (IO per second) from a device"),
  flag("device-write-bps", undefined, "list", "Limit write rate (bytes per second) to a device"),
  flag("device-write-iops", undefined, "list", "Limit write rate (IO per second) to a device"),
  flag("kernel-memory", undefined, "string", "Kernel memory limit (ignored)", {
    valueName: "bytes",
  }),
  flag("memory-reservation", undefined, "string", "Memory soft limit", { valueName: "bytes" }),
  flag(
    "memory-swappiness",
    undefined,
    "int",
    "Tune container memory swappiness (0 to 100) (default -1)",
  ),
  flag("oom-kill-disable", undefined, "bool", "Disable OOM Killer"),
  flag("oom-score-adj", undefined, "int", "Tune host's OOM preferences (-1000 to 1000)"),
  flag("shm-size", undefined, "string", "Size of /dev/shm", { valueName: "bytes" }),
  // end of resources
  // namespaces, devices, sysctls (src/commands/run_flags.ts, isolationOptionsFromFlags)
  flag("device", undefined, "list", "Add a host device to the container"),
  flag("gpus", undefined, "string", "GPU devices to add to the container ('all' to pass all GPUs)"),
  flag("device-cgroup-rule", undefined, "list", "Add a rule to the cgroup allowed devices list"),
  flag("ipc", undefined, "string", "IPC mode to use"),
  flag("pid", undefined, "string", "PID namespace to use"),
  flag("sysctl", undefined, "list", "Sysctl options"),
  flag("uts", undefined, "string", "UTS namespace to use"),
  flag("userns", undefined, "string", "User namespace to use (host, keep-id: rootless)"),
  flag("volumes-from", undefined, "list", "Mount volumes from the specified container(s)"),
  flag("label-file", undefined, "list", "Read in a line delimited file of labels"),
  flag("link", undefined, "list", "Add link to another container (NAME[:ALIAS])"),
  flag("link-local-ip", undefined, "list", "Container IPv4/IPv6 link-local addresses"),
  flag("volume-driver", undefined, "string", 'Optional volume driver for the container ("local")'),
  flag("runtime", undefined, "string", "Runtime to use for this container (runc only)"),
  flag("isolation", undefined, "string", "Container isolation technology (default only)"),
  flag("storage-opt", undefined, "list", "Storage driver options for the container"),
  flag("disable-content-trust", undefined, "bool", "Skip image verification (always skipped)", {
    default: true,
  }),
  // end of namespaces, devices, sysctls
  // health checks and logging (src/commands/run_flags.ts, healthAndLogFromFlags)
  flag("health-cmd", undefined, "string", "Command to run to check health"),
  flag(
    "health-interval",
    undefined,
    "string",
    "Time between running the check (ms|s|m|h) (default 0s)",
    {
      valueName: "duration",
    },
  ),
  flag(
    "health-on-failure",
    undefined,
    "string",
    "Action to take once the container turns unhealthy (none, kill, restart, stop)",
  ),
  flag("health-retries", undefined, "int", "Consecutive failures needed to report unhealthy"),
  flag(
    "health-start-interval",
    undefined,
    "string",
    "Time between running the check during the start period (ms|s|m|h) (default 0s)",
    {
      valueName: "duration",
    },
  ),
  flag(
    "health-start-period",
    undefined,
    "string",
    "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)",
    {
      valueName: "duration",
    },
  ),
  flag(
    "health-timeout",
    undefined,
    "string",
    "Maximum time to allow one check to run (ms|s|m|h) (default 0s)",
    {
      valueName: "duration",
    },
  ),
  flag("no-healthcheck", undefined, "bool", "Disable any container-specified HEALTHCHECK"),
  flag(
    "log-driver",
    undefined,
    "string",
    "Logging driver for the container (k8s-file, json-file, journald, none)",
  ),
  flag("log-opt", undefined, "list", "Log driver options (max-size, max-file, tag)"),
  // end of health checks and logging
  flag("cpu-shares", "c", "int", "CPU shares (relative weight)"),
  flag("cpus", undefined, "string", "Number of CPUs", { valueName: "decimal" }),
  flag("dns", undefined, "list", "Set custom DNS servers"),
  flag("dns-option", undefined, "list", "Set DNS options", { aliases: ["dns-opt"] }),
  flag("dns-search", undefined, "list", "Set custom DNS search domains"),
  flag("domainname", undefined, "string", "Container NIS domain name"),
  flag("entrypoint", undefined, "string", "Overwrite the default ENTRYPOINT of the image"),
  flag("env", "e", "list", "Set environment variables"),
  flag("env-file", undefined, "list", "Read in a file of environment variables"),
  flag("expose", undefined, "list", "Expose a port or a range of ports"),
  flag("hostname", "h", "string", "Container host name"),
  flag(
    "init",
    undefined,
    "bool",
    "Run an init inside the container that forwards signals and reaps processes",
  ),
  flag("interactive", "i", "bool", "Keep STDIN open even if not attached"),
  flag("ip", undefined, "string", "IPv4 address (e.g., 172.30.100.104)"),
  flag("ip6", undefined, "string", "IPv6 address (e.g., 2001:db8::33)"),
  flag("label", "l", "list", "Set meta data on a container"),
  flag("mac-address", undefined, "string", "Container MAC address (e.g., 92:d0:c6:0a:29:33)"),
  flag("memory", "m", "string", "Memory limit", { valueName: "bytes" }),
  flag(
    "memory-swap",
    undefined,
    "string",
    "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
    { valueName: "bytes" },
  ),
  flag("mount", undefined, "list", "Attach a filesystem mount to the container"),
  flag("name", undefined, "string", "Assign a name to the container"),
  flag("network", undefined, "list", "Connect a container to a network (none, host)", {
    aliases: ["net"],
  }),
  flag("network-alias", undefined, "list", "Add network-scoped alias for the container"),
  flag("pids-limit", undefined, "int", "Tune container pids limit (set -1 for unlimited)"),
  flag("platform", undefined, "string", "Set platform if server is multi-platform capable"),
  flag("privileged", undefined, "bool", "Give extended privileges to this container"),
  flag("publish", "p", "list", "Publish a container's port(s) to the host"),
  flag("publish-all", "P", "bool", "Publish all exposed ports to random ports"),
  flag(
    "pull",
    undefined,
    "string",
    'Pull image before running ("always", "missing", "never", "newer")',
    {
      default: "missing",
    },
  ),
  flag("quiet", "q", "bool", "Suppress the pull output"),
  flag("read-only", undefined, "bool", "Mount the container's root filesystem as read only"),
  flag("replace", undefined, "bool", "Replace a container with the same name (Podman)"),
  flag("restart", undefined, "string", "Restart policy to apply when a container exits", {
    default: "no",
  }),
  flag("rm", undefined, "bool", "Automatically remove the container when it exits"),
  flag("security-opt", undefined, "list", "Security Options"),
  flag("stop-signal", undefined, "string", "Signal to stop the container"),
  flag("stop-timeout", undefined, "int", "Timeout (in seconds) to stop a container"),
  flag("tls-verify", undefined, "bool", "Require HTTPS and verify certificates when pulling", {
    default: true,
  }),
  flag("tmpfs", undefined, "list", "Mount a tmpfs directory"),
  flag("tty", "t", "bool", "Allocate a pseudo-TTY"),
  flag("ulimit", undefined, "list", "Ulimit options"),
  flag("user", "u", "string", "Username or UID (format: <name|uid>[:<group|gid>])"),
  flag("volume", "v", "list", "Bind mount a volume"),
  flag("workdir", "w", "string", "Working directory inside the container"),
];

export const run = command({
  name: "run",
  summary: "Create and run a new container from an image",
  usage: "[OPTIONS] IMAGE [COMMAND] [ARG...]",
  minArgs: 1,
  positionalStop: 1,
  complete: "images",
  flags: [
    flag("attach", "a", "list", "Attach to STDIN, STDOUT or STDERR"),
    flag("detach", "d", "bool", "Run container in background and print container ID"),
    flag("detach-keys", undefined, "string", "Override the key sequence for detaching a container"),
    flag("sig-proxy", undefined, "bool", "Proxy received signals to the process", {
      default: true,
    }),
    ...createFlags,
  ],
  load: lazy("run"),
});

export const create = command({
  name: "create",
  summary: "Create a new container",
  usage: "[OPTIONS] IMAGE [COMMAND] [ARG...]",
  minArgs: 1,
  positionalStop: 1,
  complete: "images",
  flags: [flag("attach", "a", "list", "Attach to STDIN, STDOUT or STDERR"), ...createFlags],
  load: lazy("create"),
});

export const start = command({
  name: "start",
  summary: "Start one or more stopped containers",
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  minArgs: 1,
  complete: "containers",
  minArgsUnless: "all",
  flags: [
    flag("all", undefined, "bool", "Start all containers that are not running (Podman)"),
    flag("attach", "a", "bool", "Attach STDOUT/STDERR and forward signals"),
    flag("interactive", "i", "bool", "Attach container's STDIN"),
    flag("detach-keys", undefined, "string", "Override the key sequence for detaching a container"),
  ],
  load: lazy("start"),
});

const allFlag = (help: string) => flag("all", "a", "bool", help);
const timeFlag = flag("time", "t", "int", "Seconds to wait before killing the container", {
  aliases: ["timeout"],
});

export const stop = command({
  name: "stop",
  summary: "Stop one or more running containers",
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  minArgs: 1,
  minArgsUnless: "all",
  complete: "containers",
  flags: [
    allFlag("Stop all running containers (Podman)"),
    flag("ignore", "i", "bool", "Ignore errors when a specified container is missing"),
    timeFlag,
    flag("signal", "s", "string", "Signal to send to the container"),
  ],
  load: lazy("stop"),
});

export const restart = command({
  name: "restart",
  summary: "Restart one or more containers",
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  minArgs: 1,
  minArgsUnless: "all",
  complete: "containers",
  flags: [
    allFlag("Restart all containers (Podman)"),
    timeFlag,
    flag("signal", "s", "string", "Signal to send to the container"),
  ],
  load: lazy("restart"),
});

export const kill = command({
  name: "kill",
  summary: "Kill one or more running containers",
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  minArgs: 1,
  minArgsUnless: "all",
  complete: "containers",
  flags: [
    allFlag("Signal all running containers (Podman)"),
    flag("signal", "s", "string", "Signal to send to the container", { default: "KILL" }),
  ],
  load: lazy("kill"),
});

export const rm = command({
  name: "rm",
  summary: "Remove one or more containers",
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  minArgs: 1,
  minArgsUnless: "all",
  complete: "containers",
  flags: [
    allFlag("Remove all containers (Podman)"),
    flag("depend", undefined, "bool", "Remove the containers that depend on it too (Podman)"),
    flag("force", "f", "bool", "Force the removal of a running container (uses SIGKILL)"),
    flag("ignore", "i", "bool", "Ignore errors when a specified container is missing"),
    flag("link", "l", "bool", "Remove the specified link (legacy links: not supported)"),
    flag("volumes", "v", "bool", "Remove anonymous volumes associated with the container"),
  ],
  load: lazy("rm"),
});

export const ps = command({
  name: "ps",
  summary: "List containers",
  usage: "[OPTIONS]",
  maxArgs: 0,
  flags: [
    flag("all", "a", "bool", "Show all containers (default shows just running)"),
    flag("filter", "f", "list", "Filter output based on conditions provided"),
    format,
    flag("last", "n", "int", "Show n last created containers (includes all states)", {
      default: -1,
    }),
    flag("latest", "l", "bool", "Show the latest created container (includes all states)"),
    flag("no-trunc", undefined, "bool", "Don't truncate output"),
    flag(
      "external",
      undefined,
      "bool",
      "Show containers not controlled by skiff too (Podman; skiff has none: same as --all)",
    ),
    flag("quiet", "q", "bool", "Only display container IDs"),
    flag("size", "s", "bool", "Display total file sizes"),
  ],
  load: lazy("ps"),
});

export const logs = command({
  name: "logs",
  summary: "Fetch the logs of a container",
  usage: "[OPTIONS] CONTAINER",
  minArgs: 1,
  maxArgs: 1,
  complete: "containers",
  flags: [
    flag("details", undefined, "bool", "Show extra details provided to logs"),
    flag("follow", "f", "bool", "Follow log output"),
    flag("since", undefined, "string", "Show logs since timestamp or relative (e.g. 42m)"),
    flag("tail", "n", "string", "Number of lines to show from the end of the logs", {
      default: "all",
    }),
    flag("timestamps", "t", "bool", "Show timestamps"),
    flag("until", undefined, "string", "Show logs before a timestamp or relative (e.g. 42m)"),
  ],
  load: lazy("logs"),
});

export const exec = command({
  name: "exec",
  summary: "Execute a command in a running container",
  usage: "[OPTIONS] CONTAINER COMMAND [ARG...]",
  minArgs: 2,
  positionalStop: 1,
  complete: "containers",
  flags: [
    flag("detach", "d", "bool", "Detached mode: run command in the background"),
    flag("detach-keys", undefined, "string", "Override the key sequence for detaching a container"),
    flag("env", "e", "list", "Set environment variables"),
    flag("env-file", undefined, "list", "Read in a file of environment variables"),
    flag("interactive", "i", "bool", "Keep STDIN open even if not attached"),
    flag("privileged", undefined, "bool", "Give extended privileges to the command"),
    flag("tty", "t", "bool", "Allocate a pseudo-TTY"),
    flag("user", "u", "string", "Username or UID (format: <name|uid>[:<group|gid>])"),
    flag("workdir", "w", "string", "Working directory inside the container"),
  ],
  load: lazy("exec"),
});

export const attach = command({
  name: "attach",
  summary: "Attach local standard input, output, and error streams to a running container",
  usage: "[OPTIONS] CONTAINER",
  minArgs: 1,
  maxArgs: 1,
  complete: "containers",
  flags: [
    flag("detach-keys", undefined, "string", "Override the key sequence for detaching a container"),
    flag("no-stdin", undefined, "bool", "Do not attach STDIN"),
    flag("sig-proxy", undefined, "bool", "Proxy all received signals to the process", {
      default: true,
    }),
  ],
  load: lazy("attach"),
});

const simple = (
  name: string,
  summary: string,
  load: CommandSpec["load"],
  extra: Partial<CommandSpec> = {},
): CommandSpec => ({
  name,
  summary,
  usage: "CONTAINER [CONTAINER...]",
  minArgs: 1,
  complete: "containers",
  load,
  ...extra,
});

export const wait = command({
  name: "wait",
  summary: "Block until one or more containers stop, then print their exit codes",
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  minArgs: 1,
  complete: "containers",
  flags: [
    flag(
      "condition",
      undefined,
      "string",
      "Wait for this condition: not-running (default), next-exit or removed",
    ),
  ],
  load: lazy("wait"),
});

export const pause = command({
  name: "pause",
  summary: "Pause all processes within one or more containers",
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  minArgs: 1,
  minArgsUnless: "all",
  complete: "containers",
  flags: [allFlag("Pause all running containers (Podman)")],
  load: lazy("pause"),
});

export const unpause = command({
  name: "unpause",
  summary: "Unpause all processes within one or more containers",
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  minArgs: 1,
  minArgsUnless: "all",
  complete: "containers",
  flags: [allFlag("Unpause all paused containers (Podman)")],
  load: lazy("unpause"),
});

export const stats = command({
  name: "stats",
  summary: "Display a live stream of container(s) resource usage statistics",
  usage: "[OPTIONS] [CONTAINER...]",
  complete: "containers",
  flags: [
    flag("all", "a", "bool", "Show all containers (default shows just running)"),
    format,
    flag("no-stream", undefined, "bool", "Disable streaming stats and only pull the first result"),
    flag("no-trunc", undefined, "bool", "Do not truncate output"),
  ],
  load: lazy("stats"),
});

export const update = command({
  name: "update",
  summary: "Update configuration of one or more containers",
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  minArgs: 1,
  complete: "containers",
  flags: [
    flag("blkio-weight", undefined, "int", "Block IO (relative weight), between 10 and 1000"),
    flag("cpu-period", undefined, "int", "Limit CPU CFS (Completely Fair Scheduler) period"),
    flag("cpu-quota", undefined, "int", "Limit CPU CFS (Completely Fair Scheduler) quota"),
    flag("cpu-rt-period", undefined, "int", "Limit the CPU real-time period in microseconds"),
    flag("cpu-rt-runtime", undefined, "int", "Limit the CPU real-time runtime in microseconds"),
    flag("cpu-shares", "c", "int", "CPU shares (relative weight)"),
    flag("cpus", undefined, "string", "Number of CPUs", { valueName: "decimal" }),
    flag("cpuset-cpus", undefined, "string", "CPUs in which to allow execution (0-3, 0,1)"),
    flag("cpuset-mems", undefined, "string", "MEMs in which to allow execution (0-3, 0,1)"),
    flag("kernel-memory", undefined, "string", "Kernel memory limit (ignored)", {
      valueName: "bytes",
    }),
    flag("memory", "m", "string", "Memory limit", { valueName: "bytes" }),
    flag("memory-reservation", undefined, "string", "Memory soft limit", { valueName: "bytes" }),
    flag(
      "memory-swap",
      undefined,
      "string",
      "Swap limit equal to memory plus swap: '-1' to enable unlimited swap",
      { valueName: "bytes" },
    ),
    flag("pids-limit", undefined, "int", "Tune container pids limit (set -1 for unlimited)"),
    flag("restart", undefined, "string", "Restart policy to apply when a container exits"),
  ],
  load: lazy("update"),
});

/** Container commands at the top level. */
export const containerCommands: CommandSpec[] = [
  run,
  create,
  start,
  stop,
  restart,
  kill,
  update,
  rm,
  ps,
  logs,
  exec,
  attach,
  wait,
  pause,
  unpause,
  simple(
    "top",
    "Display the running processes of a container",
    lazy("top"),
    {
      usage: "CONTAINER [ps OPTIONS]",
      positionalStop: 1,
    },
  ),
  simple(
    "port",
    "List port mappings or a specific mapping for the container",
    lazy("port"),
    {
      usage: "CONTAINER [PRIVATE_PORT[/PROTO]]",
      maxArgs: 2,
    },
  ),
  simple("rename", "Rename a container", lazy("rename"), {
    usage: "CONTAINER NEW_NAME",
    minArgs: 2,
    maxArgs: 2,
  }),
  stats,
];

/** Commands on a container's file system: cp, diff, export, commit. */
export const cp = command({
  name: "cp",
  summary: "Copy files/folders between a container and the local filesystem",
  usage:
    "[OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n       skiff cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH",
  minArgs: 2,
  maxArgs: 2,
  complete: "containers",
  flags: [
    flag("archive", "a", "bool", "Archive mode (copy all uid/gid information)"),
    flag("follow-link", "L", "bool", "Always follow symbol link in SRC_PATH"),
    flag("quiet", "q", "bool", "Suppress progress output during copy"),
  ],
  load: lazy("cp"),
});

export const diff = command({
  name: "diff",
  summary: "Inspect changes to files or directories on a container's filesystem",
  usage: "CONTAINER",
  minArgs: 1,
  maxArgs: 1,
  complete: "containers",
  load: lazy("diff"),
});

export const exportCmd = command({
  name: "export",
  summary: "Export a container's filesystem as a tar archive",
  usage: "[OPTIONS] CONTAINER",
  minArgs: 1,
  maxArgs: 1,
  complete: "containers",
  flags: [flag("output", "o", "string", "Write to a file, instead of STDOUT")],
  load: lazy("export"),
});

export const commit = command({
  name: "commit",
  summary: "Create a new image from a container's changes",
  usage: "[OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
  minArgs: 1,
  maxArgs: 2,
  complete: "containers",
  flags: [
    flag("author", "a", "string", 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")'),
    flag("change", "c", "list", "Apply Dockerfile instruction to the created image"),
    flag("message", "m", "string", "Commit message"),
    flag("pause", "p", "bool", "Pause container during commit", { default: true }),
  ],
  load: lazy("commit"),
});

export const fileCommands: CommandSpec[] = [
  cp,
  diff,
  exportCmd,
  commit,
];

export const containerInspect = command({
  name: "inspect",
  summary: "Display detailed information on one or more containers",
  usage: "[OPTIONS] CONTAINER [CONTAINER...]",
  minArgs: 1,
  complete: "containers",
  flags: [{ ...format, short: "f" }, flag("size", "s", "bool", "Display total file sizes")],
  load: lazy("container_inspect"),
});

export const containerPrune = command({
  name: "prune",
  summary: "Remove all stopped containers",
  usage: "[OPTIONS]",
  maxArgs: 0,
  flags: [
    flag("force", "f", "bool", "Do not prompt for confirmation"),
    flag("filter", undefined, "list", "Provide filter values (e.g. 'until=<timestamp>')"),
  ],
  load: lazy("container_prune"),
});

export const containerCleanup = command({
  name: "cleanup",
  summary: "Clean up a container after it exited (run by its monitor)",
  usage: "CONTAINER",
  minArgs: 1,
  maxArgs: 1,
  load: lazy("container_cleanup"),
});

/** `skiff healthcheck run`: Podman's verb for one health check now. */
export const healthcheckGroup: CommandSpec = {
  name: "healthcheck",
  summary: "Manage health checks on containers",
  subcommands: [
    command({
      name: "run",
      summary: "Run the health check of a container",
      usage: "CONTAINER",
      minArgs: 1,
      maxArgs: 1,
      complete: "containers",
      load: lazy("healthcheck"),
    }),
  ],
};

/** The `container` management group: the same verbs under `skiff container`. */
export const containerGroup: CommandSpec = {
  name: "container",
  summary: "Manage containers",
  subcommands: [
    ...containerCommands,
    ...fileCommands,
    { ...ps, name: "ls", aliases: ["list", "ps"] },
    containerInspect,
    containerPrune,
    containerCleanup,
    existsCommand("container", "containers"),
  ],
};
