/**
 * The network commands of skiff's command table (`network connect`, `create`, `disconnect`,
 * `ls`, `inspect`, `rm`, `prune`, `exists`). Implementations load lazily.
 */
import type { CommandSpec } from "./spec.ts";
import { command, flag, formatFlag, lazy } from "./flags.ts";

export const networkCreate = command({
  name: "create",
  summary: "Create a network",
  usage: "[OPTIONS] NETWORK",
  minArgs: 1,
  maxArgs: 1,
  flags: [
    flag("attachable", undefined, "bool", "Enable manual container attachment"),
    flag(
      "aux-address",
      undefined,
      "list",
      "Auxiliary IPv4 or IPv6 addresses used by Network driver",
    ),
    flag("driver", "d", "string", "Driver to manage the Network", { default: "bridge" }),
    flag("gateway", undefined, "list", "IPv4 or IPv6 Gateway for the master subnet"),
    flag("ingress", undefined, "bool", "Create swarm routing-mesh network (refused: no swarm)"),
    flag("internal", undefined, "bool", "Restrict external access to the network"),
    flag("ip-range", undefined, "list", "Allocate container ip from a sub-range"),
    flag("ipam-driver", undefined, "string", 'IP Address Management Driver (only "default")'),
    flag("ipam-opt", undefined, "list", "Set IPAM driver specific options"),
    flag("ipv6", undefined, "bool", "Enable or disable IPv6 networking"),
    flag("label", undefined, "list", "Set metadata on a network"),
    flag("opt", "o", "list", "Set driver specific options"),
    flag("scope", undefined, "string", 'Control the network\'s scope (only "local")'),
    flag("subnet", undefined, "list", "Subnet in CIDR format that represents a network segment"),
  ],
  load: lazy("network_create"),
});

export const networkLs = command({
  name: "ls",
  aliases: ["list"],
  summary: "List networks",
  usage: "[OPTIONS]",
  maxArgs: 0,
  flags: [
    flag("filter", "f", "list", "Provide filter values (e.g. 'driver=bridge')"),
    formatFlag,
    flag("no-trunc", undefined, "bool", "Do not truncate the output"),
    flag("quiet", "q", "bool", "Only display network IDs"),
  ],
  load: lazy("network_ls"),
});

export const networkInspect = command({
  name: "inspect",
  summary: "Display detailed information on one or more networks",
  usage: "[OPTIONS] NETWORK [NETWORK...]",
  minArgs: 1,
  complete: "networks",
  flags: [
    { ...formatFlag, short: "f" },
    flag("verbose", "v", "bool", "Verbose output for diagnostics (swarm services: none here)"),
  ],
  load: lazy("network_inspect"),
});

export const networkRm = command({
  name: "rm",
  aliases: ["remove"],
  summary: "Remove one or more networks",
  usage: "[OPTIONS] NETWORK [NETWORK...]",
  minArgs: 1,
  complete: "networks",
  flags: [flag("force", "f", "bool", "Do not error if the network does not exist")],
  load: lazy("network_rm"),
});

export const networkPrune = command({
  name: "prune",
  summary: "Remove all unused networks",
  usage: "[OPTIONS]",
  maxArgs: 0,
  flags: [
    flag("filter", undefined, "list", "Provide filter values (e.g. 'until=<timestamp>')"),
    flag("force", "f", "bool", "Do not prompt for confirmation"),
  ],
  load: lazy("network_prune"),
});

export const networkExists = command({
  name: "exists",
  summary: "Check if a network exists (exit 0 if it does, 1 if not)",
  usage: "NETWORK",
  minArgs: 1,
  maxArgs: 1,
  complete: "networks",
  load: lazy("network_exists"),
});

export const networkConnect = command({
  name: "connect",
  summary: "Connect a container to a network",
  usage: "[OPTIONS] NETWORK CONTAINER",
  minArgs: 2,
  maxArgs: 2,
  complete: "networks",
  flags: [
    flag("alias", undefined, "list", "Add network-scoped alias for the container"),
    flag("ip", undefined, "string", 'IPv4 address (e.g., "172.30.100.104")'),
    flag("ip6", undefined, "string", 'IPv6 address (e.g., "2001:db8::33")'),
    flag("link-local-ip", undefined, "list", "Add a link-local address for the container"),
  ],
  load: lazy("network_connect"),
});

export const networkDisconnect = command({
  name: "disconnect",
  summary: "Disconnect a container from a network",
  usage: "[OPTIONS] NETWORK CONTAINER",
  minArgs: 2,
  maxArgs: 2,
  complete: "networks",
  flags: [flag("force", "f", "bool", "Force the container to disconnect from a network")],
  load: lazy("network_disconnect"),
});

/** The `network` group. */
export const networkGroup: CommandSpec = {
  name: "network",
  summary: "Manage networks",
  subcommands: [
    networkConnect,
    networkCreate,
    networkDisconnect,
    networkLs,
    networkInspect,
    networkRm,
    networkPrune,
    networkExists,
  ],
};
