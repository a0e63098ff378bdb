/**
 * Network links, addresses and routes through the C library's netlink calls
 * (`ffi/src/netlink*.c`: raw NETLINK_ROUTE sockets, no `ip` command). A
 * `Netlink` handle works in one network namespace, chosen when it is opened;
 * errors become skiff's error kinds with a message naming the link (and the
 * namespace, when it is not the caller's).
 */
import { FailedPreconditionError, InvalidArgumentError } from "../errors.ts";
import { cstr, lib } from "./ffi.ts";
import { call } from "./netlink_call.ts";

/** sizeof(struct skiff_link_info): index, master, mtu, flags, mac[24], kind[24]. */
const LINK_INFO_SIZE = 16 + 24 + 24;
const IFF_UP = 1;
const ADDR_NODAD = 1;
const utf8 = new TextDecoder();

/** A C string argument; a NUL inside would silently cut the name short in C. */
function arg(value: string, what: string): Uint8Array<ArrayBuffer> {
  if (value.includes("\0")) {
    throw new InvalidArgumentError(`Invalid ${what} ${JSON.stringify(value)}: it holds a NUL`);
  }
  return cstr(value);
}

/** Checks an MTU (0 or absent: the kernel's default). */
function mtuOf(mtu: number | undefined): number {
  if (mtu === undefined) return 0;
  if (!Number.isInteger(mtu) || mtu < 0 || mtu > 0xffffffff) {
    throw new InvalidArgumentError(`Invalid MTU ${mtu}: expected a positive integer`);
  }
  return mtu;
}

/** Splits "10.88.0.2/16" into address and prefix length. */
function splitCidr(cidr: string): [string, number] {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr);
  if (!m) {
    throw new InvalidArgumentError(
      `Invalid address "${cidr}": expected ADDRESS/PREFIX such as 10.88.0.2/16`,
    );
  }
  return [m[1], Number(m[2])];
}

/**
 * A network namespace file held open (`/proc/PID/ns/net`, `/run/netns/NAME`
 * or any bind mount of one), to open a `Netlink` in or move links into.
 *
 * @example
 * ```ts ignore
 * using ns = NetNamespace.open("/run/netns/skiff-abc");
 * ```
 */
export class NetNamespace {
  #fd: number;

  private constructor(fd: number, readonly path: string) {
    this.#fd = fd;
  }

  /** Opens `path`; InvalidArgumentError when it is not a network namespace, NotFoundError when missing. */
  static open(path: string): NetNamespace {
    const fd = call(undefined, (err) => lib().skiff_netns_open(arg(path, "path"), err));
    return new NetNamespace(fd, path);
  }

  /**
   * Creates a new network namespace held by a bind mount on `path` (a new file;
   * AlreadyExistsError when it exists). Nothing is left when it fails.
   */
  static create(path: string): void {
    call(undefined, (err) => lib().skiff_netns_create(arg(path, "path"), err));
  }

  /** Unmounts and removes a namespace file made by `create`; one already gone is no error. */
  static remove(path: string): void {
    call(undefined, (err) => lib().skiff_netns_remove(arg(path, "path"), err));
  }

  /** The open file descriptor (valid until `close`). */
  get fd(): number {
    if (this.#fd < 0) throw new FailedPreconditionError(`Network namespace ${this.path} is closed`);
    return this.#fd;
  }

  /** Closes the file; a second call does nothing. */
  close(): void {
    if (this.#fd >= 0) lib().skiff_close_fd(this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Runs `fn` with `ns` open: a path is opened and closed around it. */
function withNamespace<T>(ns: string | NetNamespace, fn: (ns: NetNamespace) => T): T {
  if (ns instanceof NetNamespace) return fn(ns);
  const opened = NetNamespace.open(ns);
  try {
    return fn(opened);
  } finally {
    opened.close();
  }
}

/** What `Netlink.linkInfo` reads of a link. */
export interface LinkInfo {
  index: number;
  /** Index of the bridge the link is attached to, or 0. */
  master: number;
  mtu: number;
  /** Administratively up. */
  up: boolean;
  /** "02:42:ac:11:00:02" (lo: all zero), or "" for a link without a 6-byte address. */
  mac: string;
  /** "bridge", "veth"..., or "" for a physical link or lo. */
  kind: string;
}

/** A NUL-terminated string field of `size` bytes at `offset`. */
function field(bytes: Uint8Array, offset: number, size: number): string {
  const part = bytes.subarray(offset, offset + size);
  const end = part.indexOf(0);
  return utf8.decode(end < 0 ? part : part.subarray(0, end));
}

/** Options of `Netlink.createVeth`. */
export interface VethOptions {
  /** MTU of both ends (default: the kernel's, 1500). */
  mtu?: number;
  /** Creates the peer directly in this namespace, where it may take a name such as `eth0`. */
  peerNamespace?: string | NetNamespace;
}

/** A route for `Netlink.addRoute`: a destination, and a gateway or a link (or both). */
export interface Route {
  /** "10.89.0.0/16" or "fd00::/64"; absent: the default route. */
  destination?: string;
  /** The next hop; absent: the destination is on `device`'s link. */
  gateway?: string;
  /** The outgoing link. */
  device?: string;
}

/**
 * A NETLINK_ROUTE socket in one network namespace. Every method acts on links
 * of that namespace, named by their names (1 to 15 bytes); each throws
 * NotFoundError for a missing link, AlreadyExistsError for a name or address
 * taken, InvalidArgumentError for bad input, naming the link.
 *
 * @example
 * ```ts ignore
 * using nl = Netlink.open("/run/netns/skiff-abc");
 * nl.addAddress("eth0", "10.88.0.2/16");
 * nl.setLinkUp("eth0");
 * nl.addRoute({ gateway: "10.88.0.1" });
 * ```
 */
export class Netlink {
  #fd: number;
  readonly #context: string | undefined;

  private constructor(fd: number, namespace: string | undefined) {
    this.#fd = fd;
    this.#context = namespace && `Network namespace ${namespace}`;
  }

  /**
   * Opens a socket in `namespace` (a path or an open NetNamespace; absent: the
   * caller's). The namespace is entered only while the socket is made.
   */
  static open(namespace?: string | NetNamespace): Netlink {
    if (namespace === undefined) {
      return new Netlink(call(undefined, (err) => lib().skiff_nl_open(-1, err)), undefined);
    }
    return withNamespace(namespace, (ns) => {
      const context = `Network namespace ${ns.path}`;
      const fd = call(context, (err) => lib().skiff_nl_open(ns.fd, err));
      return new Netlink(fd, ns.path);
    });
  }

  /** Closes the socket; a second call does nothing. */
  close(): void {
    if (this.#fd >= 0) lib().skiff_close_fd(this.#fd);
    this.#fd = -1;
  }

  [Symbol.dispose](): void {
    this.close();
  }

  #call(fn: (fd: number, err: Uint8Array<ArrayBuffer>) => number): number {
    if (this.#fd < 0) throw new FailedPreconditionError("The netlink socket is closed");
    return call(this.#context, (err) => fn(this.#fd, err));
  }

  /** The link's interface index, or 0 when there is no link of that name. */
  linkIndex(name: string): number {
    const n = arg(name, "link name");
    return this.#call((fd, err) => lib().skiff_nl_link_index(fd, n, err));
  }

  /** The link's index, master, MTU, state, MAC address and kind; undefined when there is none. */
  linkInfo(name: string): LinkInfo | undefined {
    const n = arg(name, "link name");
    const out = new Uint8Array(LINK_INFO_SIZE);
    if (this.#call((fd, err) => lib().skiff_nl_link_info(fd, n, out, err)) === 0) return undefined;
    const view = new DataView(out.buffer);
    return {
      index: view.getInt32(0, true),
      master: view.getInt32(4, true),
      mtu: view.getUint32(8, true),
      up: (view.getUint32(12, true) & IFF_UP) !== 0,
      mac: field(out, 16, 24),
      kind: field(out, 40, 24),
    };
  }

  /** Whether a link of that name exists. */
  linkExists(name: string): boolean {
    return this.linkIndex(name) > 0;
  }

  /** Creates a bridge (down). */
  createBridge(name: string, opts: { mtu?: number } = {}): void {
    const n = arg(name, "link name");
    const mtu = mtuOf(opts.mtu);
    this.#call((fd, err) => lib().skiff_nl_bridge_add(fd, n, mtu, err));
  }

  /** Creates a veth pair `name` / `peer` (both down); nothing is left when it fails. */
  createVeth(name: string, peer: string, opts: VethOptions = {}): void {
    const n = arg(name, "link name");
    const p = arg(peer, "link name");
    const mtu = mtuOf(opts.mtu);
    const create = (peerFd: number) =>
      this.#call((fd, err) => lib().skiff_nl_veth_add(fd, n, p, mtu, peerFd, err));
    if (opts.peerNamespace === undefined) create(-1);
    else withNamespace(opts.peerNamespace, (ns) => create(ns.fd));
  }

  /** Moves the link into another network namespace, where it keeps its name and is down. */
  moveLink(name: string, to: string | NetNamespace): void {
    const n = arg(name, "link name");
    withNamespace(
      to,
      (ns) => this.#call((fd, err) => lib().skiff_nl_link_netns(fd, n, ns.fd, err)),
    );
  }

  /** Renames a link. */
  renameLink(name: string, newName: string): void {
    const n = arg(name, "link name");
    const to = arg(newName, "link name");
    this.#call((fd, err) => lib().skiff_nl_link_rename(fd, n, to, err));
  }

  /** Sets the link up (or down with `up` false). */
  setLinkUp(name: string, up = true): void {
    const n = arg(name, "link name");
    this.#call((fd, err) => lib().skiff_nl_link_up(fd, n, up ? 1 : 0, err));
  }

  /** Sets the link's MAC address ("02:42:ac:11:00:02", unicast). */
  setMacAddress(name: string, mac: string): void {
    const n = arg(name, "link name");
    const m = arg(mac, "MAC address");
    this.#call((fd, err) => lib().skiff_nl_link_mac(fd, n, m, err));
  }

  /** Attaches the link to the bridge `master`, or detaches it with null. */
  setMaster(name: string, master: string | null): void {
    const n = arg(name, "link name");
    const m = master === null ? null : arg(master, "link name");
    this.#call((fd, err) => lib().skiff_nl_link_master(fd, n, m, err));
  }

  /**
   * Adds an address with its prefix ("10.88.0.2/16", "fd00::2/64") to the link.
   * `nodad`: an IPv6 address is usable at once (no duplicate address detection).
   */
  addAddress(name: string, cidr: string, opts: { nodad?: boolean } = {}): void {
    const n = arg(name, "link name");
    const [address, prefix] = splitCidr(cidr);
    const a = arg(address, "address");
    const flags = opts.nodad ? ADDR_NODAD : 0;
    this.#call((fd, err) => lib().skiff_nl_addr_add(fd, n, a, prefix, flags, err));
  }

  /** Adds a route to the main table (without `destination`: the default route). */
  addRoute(route: Route): void {
    const [dst, prefix] = route.destination === undefined ? ["", 0] : splitCidr(route.destination);
    const d = arg(dst, "route destination");
    const gw = arg(route.gateway ?? "", "gateway");
    const dev = arg(route.device ?? "", "link name");
    this.#call((fd, err) => lib().skiff_nl_route_add(fd, d, prefix, gw, dev, err));
  }

  /** Deletes the link (a veth pair goes with either end, addresses and routes with it). */
  deleteLink(name: string): void {
    const n = arg(name, "link name");
    this.#call((fd, err) => lib().skiff_nl_link_del(fd, n, err));
  }
}
