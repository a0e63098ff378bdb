/**
 * What `network create` asks for, checked before anything is written: the network's name,
 * its driver and options, and the `--subnet`, `--gateway` and `--ip-range` flags paired up
 * the way Docker's CLI pairs them (each gateway and range with the one subnet holding it).
 */
import { InvalidArgumentError } from "../errors.ts";
import { formatAddress, parseAddress } from "./address.ts";
import {
  checkBridgeSubnet,
  checkGateway,
  checkIpRange,
  containsAddress,
  formatSubnet,
  overlaps,
  parseSubnet,
  type Subnet,
} from "./subnet.ts";

/** The option naming a network's bridge device. */
export const BRIDGE_NAME_OPTION = "com.docker.network.bridge.name";
/** The option setting a network's MTU. */
export const MTU_OPTION = "com.docker.network.driver.mtu";

/** One subnet of a network as `network inspect` shows it (IPAM.Config[]). */
export interface IpamConfig {
  Subnet: string;
  Gateway: string;
  /** The part of the subnet containers get addresses from when they ask for none. */
  IPRange?: string;
  /** `--aux-address`: addresses by name that no container gets. */
  AuxiliaryAddresses?: Record<string, string>;
}

const NETWORK_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const PREDEFINED = new Set(["bridge", "host", "none"]);

/**
 * Checks a network name as Docker does (`[a-zA-Z0-9][a-zA-Z0-9_.-]*`). `bridge`, `host` and
 * `none` are taken by the predefined networks unless `predefined` is set.
 *
 * @example
 * ```ts ignore
 * checkNetworkName("my-net"); // ok
 * checkNetworkName("-x"); // throws: invalid network name
 * ```
 */
export function checkNetworkName(name: string, predefined = false): void {
  if (!NETWORK_NAME.test(name)) {
    throw new InvalidArgumentError(
      `invalid network name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`,
    );
  }
  if (!predefined && PREDEFINED.has(name)) {
    throw new InvalidArgumentError(`network with name ${name} already exists`);
  }
}

/**
 * Checks a bridge device name: 1 to 15 bytes (the kernel's IFNAMSIZ), no `/`, `:`,
 * whitespace, and neither `.` nor `..`.
 *
 * @example
 * ```ts ignore
 * checkBridgeName("skiff0"); // ok
 * ```
 */
export function checkBridgeName(name: string): void {
  const bad = name.length === 0 || new TextEncoder().encode(name).length > 15 ||
    /[/:\s]/.test(name) || name === "." || name === "..";
  if (bad) {
    throw new InvalidArgumentError(
      `invalid bridge name ${JSON.stringify(name)}: 1 to 15 characters without / : or spaces`,
    );
  }
}

/**
 * Checks the driver options skiff understands (the bridge's name, the MTU); others are kept
 * as given, as Docker keeps them.
 *
 * @example
 * ```ts ignore
 * checkOptions({ "com.docker.network.driver.mtu": "9000" }); // ok
 * ```
 */
export function checkOptions(options: Record<string, string>): void {
  const bridge = options[BRIDGE_NAME_OPTION];
  if (bridge !== undefined) checkBridgeName(bridge);
  const mtu = options[MTU_OPTION];
  if (mtu !== undefined && (!/^[0-9]{1,5}$/.test(mtu) || +mtu < 68 || +mtu > 65535)) {
    throw new InvalidArgumentError(`invalid mtu ${JSON.stringify(mtu)}: between 68 and 65535`);
  }
}

/** Flags of one `network create` describing its addresses. */
export interface AddressFlags {
  subnets?: string[];
  gateways?: string[];
  ipRanges?: string[];
  /** `--aux-address name=ip`: addresses kept from containers. */
  auxAddresses?: string[];
}

/** A checked subnet with its gateway and range, parsed. */
export interface PlannedSubnet {
  subnet: Subnet;
  /** Given with `--gateway`; undefined means the first host address. */
  gateway?: string;
  ipRange?: string;
  /** `--aux-address` entries in this subnet, by name. */
  aux?: Record<string, string>;
}

/**
 * Pairs `--subnet`, `--gateway` and `--ip-range` flags: every subnet is valid and big enough,
 * no two overlap, each gateway and range lies in exactly one subnet and no subnet gets two
 * of either. Errors are one line in Docker's words ("no matching subnet for gateway X").
 *
 * @example
 * ```ts ignore
 * planSubnets({ subnets: ["10.1.0.0/16"], gateways: ["10.1.0.254"] });
 * ```
 */
export function planSubnets(flags: AddressFlags): PlannedSubnet[] {
  const planned: PlannedSubnet[] = (flags.subnets ?? []).map((text) => {
    const subnet = parseSubnet(text);
    checkBridgeSubnet(subnet);
    return { subnet };
  });
  for (let i = 0; i < planned.length; i++) {
    for (let j = i + 1; j < planned.length; j++) {
      if (overlaps(planned[i].subnet, planned[j].subnet)) {
        throw new InvalidArgumentError(
          `subnets ${formatSubnet(planned[i].subnet)} and ${
            formatSubnet(planned[j].subnet)
          } overlap: multiple overlapping subnet configuration is not supported`,
        );
      }
    }
  }
  for (const range of flags.ipRanges ?? []) {
    const r = parseSubnet(range, "ip-range");
    const owner = planned.find((p) => overlaps(p.subnet, r));
    if (!owner) throw new InvalidArgumentError(`no matching subnet for range ${range}`);
    checkIpRange(owner.subnet, range);
    if (owner.ipRange !== undefined) {
      throw new InvalidArgumentError(
        `cannot configure multiple ranges (${owner.ipRange}, ${range}) on the same subnet (${
          formatSubnet(owner.subnet)
        })`,
      );
    }
    owner.ipRange = formatSubnet(r);
  }
  for (const gateway of flags.gateways ?? []) {
    const addr = parseAddress(gateway, "gateway");
    const owner = planned.find((p) => containsAddress(p.subnet, addr));
    if (!owner) throw new InvalidArgumentError(`no matching subnet for gateway ${gateway}`);
    const gw = checkGateway(owner.subnet, gateway);
    if (owner.gateway !== undefined) {
      throw new InvalidArgumentError(
        `cannot configure multiple gateways (${owner.gateway}, ${gateway}) for the same subnet (${
          formatSubnet(owner.subnet)
        })`,
      );
    }
    owner.gateway = formatAddress(gw);
  }
  for (const entry of flags.auxAddresses ?? []) {
    const eq = entry.indexOf("=");
    if (eq <= 0) {
      throw new InvalidArgumentError(`invalid aux-address ${entry}: expected name=ip`);
    }
    const addr = parseAddress(entry.slice(eq + 1), "aux-address");
    const owner = planned.find((p) => containsAddress(p.subnet, addr));
    if (!owner) throw new InvalidArgumentError(`no matching subnet for aux-address ${entry}`);
    (owner.aux ??= {})[entry.slice(0, eq)] = formatAddress(addr);
  }
  return planned;
}
