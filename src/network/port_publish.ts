/**
 * Publishing a bridge container's ports on the host. Under the firewall lock: the host ports
 * are chosen (port_alloc.ts) against the ports other live skiff containers hold and the
 * sockets programs have bound, a record of the container's forwards is written to the run
 * root (`ports/<id>.json`), then the forwards go into the firewall (nft: elements of the
 * skiff table's port maps; iptables: DNAT rules tagged with the container). Tear-down is the
 * reverse, idempotent, and also given as shell commands for the monitor to run after the
 * container's last exit. A record whose container's monitor is gone (killed) is stale: its
 * forwards are removed by the next publish that sees it, and by `rm` and the next start.
 */
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { type Host, procStartTime, readJsonFile } from "../sys/host.ts";
import { type ContainerRecord, getState } from "../runtime/container_store.ts";
import { iptablesPortRules, isIPv6Forward, nftPortElements, type PortForward } from "./firewall.ts";
import {
  ensurePortRules,
  ensurePorts6Rules,
  type FirewallTool,
  firewallTool,
  runFirewall,
  withFirewallLock,
} from "./firewall_apply.ts";
import {
  chooseHostPorts,
  ephemeralRange,
  hostSockets,
  isLocalAddress,
  localPrefixes,
  type TakenPort,
} from "./port_alloc.ts";
import { parseAddress } from "./address.ts";
import { portsDir, type PublishedRecord, recordFile, wantedBindings } from "./port_record.ts";

/**
 * Whether a record is in use: the monitor recorded for its container is alive, or the skiff
 * process that wrote it is (a start in progress, before its monitor runs).
 */
async function recordAlive(store: Store, rec: PublishedRecord, host: Host): Promise<boolean> {
  const owner = rec.owner;
  if (owner?.startTime !== undefined && await procStartTime(host, owner.pid) === owner.startTime) {
    return true;
  }
  const state = await getState(store, rec.id, host).catch(() => undefined);
  if (!state || state.MonitorPid <= 0 || state.MonitorStartTime === undefined) return false;
  return await procStartTime(host, state.MonitorPid) === state.MonitorStartTime;
}

async function records(store: Store, host: Host): Promise<PublishedRecord[]> {
  const out: PublishedRecord[] = [];
  const entries = await host.readDir(portsDir(store)).catch(() => []);
  for (const e of entries) {
    if (!/^[a-f0-9]{64}\.json$/.test(e.name)) continue;
    const rec = await readJsonFile<PublishedRecord>(host, `${portsDir(store)}/${e.name}`)
      .catch(() => undefined);
    if (rec) out.push(rec);
  }
  return out;
}

/** The firewall commands deleting a record's forwards, one command each (argument lists). */
function deleteCommands(rec: PublishedRecord): string[][] {
  if (rec.tool === "nft") return nftPortElements(rec.forwards).delete.map((c) => [c]);
  return iptablesPortRules(rec.id, rec.bridge, rec.forwards).map((args) =>
    args.map((a) => a === "-A" ? "-D" : a)
  );
}

/** Removes a record's forwards (each command on its own: what is gone is no error). */
async function removeRecord(
  store: Store,
  host: Host,
  fw: FirewallTool,
  rec: PublishedRecord,
): Promise<void> {
  for (const args of deleteCommands(rec)) {
    await runFirewall(host, fw, [args]).catch(() => {});
  }
  await host.remove(recordFile(store, rec.id)).catch(() => {});
}

/**
 * The host ports in use: those other live containers hold and those programs have bound.
 * With `stale`, records that are no longer in use (and this container's own) are passed to
 * it (to be removed); without, they are only skipped.
 */
async function takenPorts(
  store: Store,
  host: Host,
  id: string,
  stale?: (rec: PublishedRecord) => Promise<void>,
): Promise<TakenPort[]> {
  const taken: TakenPort[] = [];
  for (const rec of await records(store, host)) {
    if (rec.id === id || !(await recordAlive(store, rec, host))) {
      await stale?.(rec);
      continue;
    }
    for (const f of rec.forwards) {
      taken.push({ ip: f.hostIp, port: f.hostPort, proto: f.proto, by: "skiff" });
    }
  }
  const read = (p: string) => host.readTextFile(p).catch(() => "");
  taken.push(...hostSockets({
    tcp: await read("/proc/net/tcp"),
    tcp6: await read("/proc/net/tcp6"),
    udp: await read("/proc/net/udp"),
    udp6: await read("/proc/net/udp6"),
  }));
  return taken;
}

/** A random start inside the ephemeral range, so that concurrent choices rarely meet. */
function randomStart(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

/**
 * Checks, without changing anything, that the container's fixed host ports are free (the
 * early refusal, before any of its network is made); `publishPorts` checks again under the
 * lock. `ipv6`: the container's first network has IPv6.
 *
 * @example
 * ```ts ignore
 * await checkPorts(store, rec, realHost); // throws "Bind for 0.0.0.0:8080 failed: port is already allocated"
 * ```
 */
export async function checkPorts(
  store: Store,
  rec: ContainerRecord,
  host: Host,
  ipv6 = false,
): Promise<void> {
  const wanted = wantedBindings(rec);
  if (!wanted.length) return;
  const taken = await takenPorts(store, host, rec.Id);
  chooseHostPorts(wanted, taken, [1, 65535], 0, ipv6);
  // an address the host does not have: nothing would ever reach the forward
  const local = localPrefixes(await host.readTextFile("/proc/net/fib_trie").catch(() => ""));
  const local6 = wanted.some((w) => w.hostIp.includes(":"))
    ? await host.readTextFile("/proc/net/if_inet6").catch(() => "")
    : "";
  for (const w of wanted) {
    if (w.hostIp.includes(":")) {
      if (w.hostIp === "::" || hasIPv6Address(local6, w.hostIp)) continue;
      throw new FailedPreconditionError(
        `failed to bind host port [${w.hostIp}]:${
          w.hostPort || "0"
        }/${w.proto}: cannot assign requested address`,
      );
    }
    if (local.length && w.hostIp !== "" && !isLocalAddress(w.hostIp, local)) {
      throw new FailedPreconditionError(
        `failed to bind host port ${w.hostIp}:${
          w.hostPort || "0"
        }/${w.proto}: cannot assign requested address`,
      );
    }
  }
}

/** Whether /proc/net/if_inet6 (32 hex digits an address, in network order) lists `ip`. */
function hasIPv6Address(ifInet6: string, ip: string): boolean {
  const want = parseAddress(ip).value;
  return ifInet6.split("\n").some((line) => {
    const hex = line.trim().split(/\s+/)[0] ?? "";
    return /^[0-9a-f]{32}$/i.test(hex) && BigInt(`0x${hex}`) === want;
  });
}

/** Single-quotes `s` for sh. */
function shq(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * Publishes the container's ports to `containerIp` on `bridge`; returns the shell commands
 * (each idempotent) that remove them again, for the monitor's tear-down (none when nothing
 * is published). With `containerIp6` (the network has IPv6; nft only) a port published on
 * no particular address is published on "::" as well, and IPv6 host addresses are taken;
 * those go to the container's IPv6 address (`[::1]` and "::" also through skiff-portproxy,
 * see `loopbackProxy`).
 *
 * @example
 * ```ts ignore
 * const undo = await publishPorts(store, rec, { bridge: "skiff0", containerIp: "172.17.0.2" }, realHost);
 * ```
 */
export async function publishPorts(
  store: Store,
  rec: ContainerRecord,
  target: { bridge: string; containerIp: string; containerIp6?: string },
  host: Host,
): Promise<string[]> {
  const wanted = wantedBindings(rec);
  if (!wanted.length) {
    await unpublishPorts(store, rec.Id, host); // a stale record of a killed monitor
    return [];
  }
  if (!target.containerIp) {
    throw new InvalidArgumentError(
      "cannot publish ports: the container has no IPv4 address on its network",
    );
  }
  return await withFirewallLock(store, host, async () => {
    const fw = await firewallTool(host);
    const taken = await takenPorts(
      store,
      host,
      rec.Id,
      (stale) => removeRecord(store, host, fw, stale),
    );
    const range = ephemeralRange(
      await host.readTextFile("/proc/sys/net/ipv4/ip_local_port_range").catch(() => ""),
    );
    const ipv6 = fw.kind === "nft" && !!target.containerIp6;
    const active = chooseHostPorts(wanted, taken, range, randomStart(), ipv6);
    const record: PublishedRecord = {
      id: rec.Id,
      bridge: target.bridge,
      tool: fw.kind,
      forwards: active.map((b) => ({
        ...b,
        containerIp: b.hostIp.includes(":") ? target.containerIp6! : target.containerIp,
      })),
      owner: { pid: Deno.pid, startTime: await procStartTime(host, Deno.pid) },
    };
    await host.mkdir(portsDir(store), { recursive: true, mode: 0o700 });
    await host.writeFileAtomic(recordFile(store, rec.Id), JSON.stringify(record) + "\n");
    try {
      // 127.0.0.1:PORT is forwarded out of the bridge only with route_localnet on it
      await host.writeTextFile(
        `/proc/sys/net/ipv4/conf/${target.bridge}/route_localnet`,
        "1\n",
        { create: false },
      );
      const add = fw.kind === "nft"
        ? [[nftPortElements(record.forwards).add.join("\n")]]
        : iptablesPortRules(rec.Id, target.bridge, record.forwards);
      const v6 = record.forwards.some(isIPv6Forward);
      await ensurePortRules(store, host, fw);
      if (v6) await ensurePorts6Rules(store, host, fw);
      await runFirewall(host, fw, add).catch(async (err) => {
        if (fw.kind !== "nft") throw err;
        // the maps went away since this boot's marker (a flushed table): once more
        await ensurePortRules(store, host, fw, { force: true });
        if (v6) await ensurePorts6Rules(store, host, fw, { force: true });
        await runFirewall(host, fw, add);
      });
    } catch (err) {
      await removeRecord(store, host, fw, record);
      throw err;
    }
    const cmds = deleteCommands(record).map((args) =>
      [fw.path, ...args].map(shq).join(" ") + " 2>/dev/null"
    );
    return [...cmds, `rm -f ${shq(recordFile(store, rec.Id))}`];
  });
}

/**
 * The TCP forwards the kernel cannot make, served by skiff-portproxy: ports published on
 * "[::1]" or on every IPv6 address ("::", which includes it), forwarded to the container's
 * IPv4 address (present on every bridge network). As its arguments: `tcp ::1 HOSTPORT
 * CONTAINERIP CONTAINERPORT` each (empty: no proxy needed).
 *
 * @example
 * ```ts
 * loopbackProxy([{ hostIp: "::", hostPort: 8080, proto: "tcp", containerPort: 80 }], "10.0.0.2");
 * // ["tcp", "::1", "8080", "10.0.0.2", "80"]
 * ```
 */
export function loopbackProxy(
  forwards: readonly Pick<PortForward, "hostIp" | "hostPort" | "proto" | "containerPort">[],
  containerIp: string,
): string[] {
  return forwards.filter((f) => f.proto === "tcp" && (f.hostIp === "::" || f.hostIp === "::1"))
    .flatMap((f) => ["tcp", "::1", String(f.hostPort), containerIp, String(f.containerPort)]);
}

/**
 * Removes the forwards container `id` published (nothing published is no error).
 *
 * @example
 * ```ts ignore
 * await unpublishPorts(store, rec.Id, realHost);
 * ```
 */
export async function unpublishPorts(store: Store, id: string, host: Host): Promise<void> {
  if (!(await host.exists(recordFile(store, id)))) return;
  await withFirewallLock(store, host, async () => {
    const rec = await readJsonFile<PublishedRecord>(host, recordFile(store, id)).catch(() =>
      undefined
    );
    if (!rec) return;
    await removeRecord(store, host, await firewallTool(host), rec);
  });
}
