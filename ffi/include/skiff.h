/* skiff's C library: the system calls Deno has no API for.
 * Convention (after crun): a function that can fail returns a negative
 * value, -errno, and never prints; callers add context. */
#ifndef SKIFF_H
#define SKIFF_H
#include <stdint.h>
#include <sys/types.h>

/* fsops.c: file operations that must not follow symlinks */
int skiff_lchown(const char *path, int64_t uid, int64_t gid);
int skiff_mknod(const char *path, uint32_t mode, uint32_t major, uint32_t minor);
int skiff_lsetxattr(const char *path, const char *name, const void *value, uint32_t size);
int64_t skiff_lgetxattr(const char *path, const char *name, void *buf, uint32_t size);
int64_t skiff_llistxattr(const char *path, char *buf, uint32_t size);
int skiff_lutimes(const char *path, int64_t atime_sec, int64_t atime_nsec, int64_t mtime_sec,
                  int64_t mtime_nsec);

/* ---- container runtime (plan.c, mounts.c, caps.c, seccomp.c, process.c, pty.c, namespaces.c) ----
 * Used by the static monitor (monitor*.c). Functions that can fail return -errno and fill a
 * struct skiff_err with a one-line message naming the operation and path. */

/* An error: errno plus a message such as "mount overlay on /x: Invalid argument". */
struct skiff_err {
  int code;      /* errno, or 0 */
  int exit_code; /* process exit code a caller should use: 126/127 for exec errors, else 1 */
  char msg[1024];
};
/* Formats msg (printf-style) and appends ": strerror(code)" when code != 0; returns -code (or -1). */
int skiff_error(struct skiff_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

struct skiff_mount {
  char *source, *destination, *type, *data;
  unsigned long flags;     /* MS_* flags from the option words */
  unsigned long propagation; /* MS_PRIVATE, MS_SHARED... (with MS_REC) or 0 */
  int bind;                /* bind or rbind */
  char *subpath;           /* bind what this names beneath source (a volume subpath), or NULL */
};
struct skiff_device {
  char *path;
  char type; /* 'c' or 'b' */
  unsigned major, minor, mode;
  unsigned uid, gid;
};
struct skiff_rlimit {
  int resource;
  unsigned long long soft, hard;
};
struct skiff_seccomp_cond {
  unsigned nr, arg;
  int masked;
  unsigned long long value, mask;
};
struct skiff_seccomp_errno {
  unsigned nr, errno_value;
};
struct skiff_seccomp {
  int enabled;
  void *prog; /* built BPF program (struct sock_filter[]), set by skiff_seccomp_prepare */
  unsigned short prog_len;
  unsigned default_errno;
  unsigned *allow;
  size_t nallow;
  struct skiff_seccomp_cond *cond;
  size_t ncond;
  /* syscalls answered with their own errno (clone3 -> ENOSYS, so libc falls back to clone) */
  struct skiff_seccomp_errno *errnos;
  size_t nerrnos;
};
/* How one process runs (container init or exec). */
struct skiff_process {
  char **args; /* NULL-terminated */
  char **env;  /* NULL-terminated */
  char *cwd;
  unsigned uid, gid;
  gid_t *gids;
  size_t ngids;
  int terminal, open_stdin, no_new_privs;
  uint64_t caps; /* bit mask of kept capabilities */
  struct skiff_seccomp seccomp;
  struct skiff_rlimit *rlimits;
  size_t nrlimits;
  int has_oom_score_adj, oom_score_adj;
};
enum { SKIFF_NS_USER, SKIFF_NS_MNT, SKIFF_NS_PID, SKIFF_NS_NET, SKIFF_NS_IPC, SKIFF_NS_UTS,
       SKIFF_NS_CGROUP, SKIFF_NS_COUNT };
struct skiff_plan {
  char *id;
  char **lowerdirs;
  size_t nlower;
  char *upperdir, *workdir, *target;
  int readonly_root;
  char *hostname;
  char *domainname; /* UTS NIS domain name, NULL: none */
  struct skiff_process proc;
  int ns_new[SKIFF_NS_COUNT];   /* namespace is created */
  char *ns_path[SKIFF_NS_COUNT]; /* namespace is joined from this path */
  struct skiff_mount *mounts;
  size_t nmounts;
  struct skiff_device *devices;
  size_t ndevices;
  char **sysctl_paths, **sysctl_values; /* under /proc/sys, written in the container */
  size_t nsysctls;
  char **masked, **readonly;
  size_t nmasked, nreadonly;
  char **cgroups;
  size_t ncgroups;
  char **uidmaps, **gidmaps; /* "container host size" */
  size_t nuidmaps, ngidmaps;
  char *state_dir, *log_path, *stop_signal;
  int restart_policy; /* 0 no, 1 on-failure, 2 always, 3 unless-stopped */
  int restart_max;
  char **network_hook, **cleanup; /* NULL-terminated, may be empty */
  /* health check (monitor_health.c): health_cmd (NULL-terminated, may be empty) is run every
   * health_interval_ms while the container runs, every health_start_interval_ms (when not 0)
   * during the first health_start_period_ms */
  char **health_cmd;
  long long health_interval_ms, health_start_period_ms, health_start_interval_ms;
  long long health_deadline_ms; /* a check still running after this is killed (0: never) */
  /* log driver (monitor_logdrv.c): 0 k8s-file, 1 json-file, 2 journald; with log_max_size > 0
   * the file is rotated before it would pass that size, keeping log_max_file files */
  int log_driver;
  long long log_max_size;
  int log_max_file;
  char *log_tag, *journal_socket;
  int wait_for_attach;
  /* filled before clone by skiff_rootfs_prepare, so that the child only reads */
  char *overlay_data;
  struct skiff_cgroup_fs {
    char dir[64];   /* name under /sys/fs/cgroup */
    char data[256]; /* mount data (controllers, name=...) */
    int v2;
  } cgfs[24];
  int ncgfs, cgroup2_root;
  /* exec plans only */
  int exec_pid, detach;
  /* after the last exit (no restart follows), done by the monitor itself */
  int remove_cgroups;          /* rmdir each of cgroups, killing leftovers first */
  char *exit_record;           /* persistent copy of the exit file, or NULL */
  char **netns_release;        /* namespace files (skiff_netns_create) unmounted and removed
                                  first, NULL-terminated, may be empty */
  struct skiff_removal {
    char *path; /* removed recursively, never following symlinks */
    char *lock; /* flock(LOCK_EX) held meanwhile, or NULL */
    char *if_content; /* remove only a file holding exactly this (a name reservation), or NULL */
  } *removals;
  size_t nremovals;
  /* the die and destroy events (monitor_event.c): event log path, template file path */
  char *event_log, *event_template;
};
/* Reads a plan file ("skiff-plan 1" then one directive a line, tab-separated escaped fields). */
int skiff_plan_load(const char *path, struct skiff_plan *plan, struct skiff_err *err);
/* Parses a plan from memory; buf is modified (fields point into it). */
int skiff_plan_parse(char *buf, struct skiff_plan *plan, struct skiff_err *err);

/* caps.c */
int skiff_cap_from_name(const char *name); /* "CAP_CHOWN" or "chown" -> number, -1 if unknown */
int skiff_cap_last(void); /* highest capability of the kernel; read once and cached */
/* Drops every capability not in `caps` from the bounding set (needs CAP_SETPCAP). */
int skiff_caps_bounding(uint64_t caps, struct skiff_err *err);
/* Keeps only `caps` in bounding, effective, permitted, inheritable; clears ambient. */
int skiff_caps_apply(uint64_t caps, struct skiff_err *err);

/* seccomp.c: builds and installs the BPF filter. */
int skiff_seccomp_install(const struct skiff_seccomp *sc, struct skiff_err *err);
/* Builds the program once, before clone (install then only calls the kernel). */
int skiff_seccomp_prepare(struct skiff_seccomp *sc, struct skiff_err *err);
/* Builds the filter program into prog (capacity cap instructions); returns the length or -errno. */
int skiff_seccomp_build(const struct skiff_seccomp *sc, void *prog, size_t cap,
                        struct skiff_err *err);

/* mounts.c: prepares, before clone, what the child needs (overlay options, cgroup file
 * systems of the host, the capability count). */
int skiff_rootfs_prepare(struct skiff_plan *plan, struct skiff_err *err);
/* mounts.c: everything from the overlay mount to pivot_root, masking and read-only paths.
 * Runs in the cloned child. console: pty slave path to bind on /dev/console, or NULL. */
int skiff_rootfs_setup(const struct skiff_plan *plan, const char *console, struct skiff_err *err);
/* Opens path inside the directory rootfd, never leaving it (openat2 RESOLVE_IN_ROOT);
 * with mkdirs, creates missing directories (and the last one as a file when last_file). */
int skiff_open_in_root(int rootfd, const char *path, int flags, int mkdirs, int last_file,
                       struct skiff_err *err);
/* Parses one mount option word into flags; returns 0 when it is not a flag word. */
int skiff_mount_flag(const char *word, unsigned long *flags, unsigned long *propagation,
                     int *bind);

/* process.c: credentials, capabilities, seccomp, cwd, fds, then exec (PATH lookup).
 * Finds the executable and fills path; error exit_code 127 (not found) or 126. */
int skiff_lookup_exec(const struct skiff_process *proc, char *path, size_t size,
                      struct skiff_err *err);
/* Applies rlimits, oom_score_adj, ids, caps, no_new_privs, seccomp and cwd. */
int skiff_process_prepare(const struct skiff_process *proc, struct skiff_err *err);
/* Closes every fd above 2 on exec and execs path; returns only on failure. */
int skiff_process_exec(const struct skiff_process *proc, const char *path, struct skiff_err *err);

/* pty.c */
/* Opens a new pty pair from /dev/ptmx; *slave_path receives the slave's name. */
int skiff_pty_open(int *master, char *slave_path, size_t size, struct skiff_err *err);
int skiff_pty_resize(int fd, unsigned rows, unsigned cols);

/* namespaces.c */
int skiff_ns_clone_flag(int ns);
const char *skiff_ns_proc_name(int ns); /* "mnt", "pid"... as in /proc/<pid>/ns */

/* resolve.c: opens path inside the directory root (openat2 RESOLVE_IN_ROOT and
 * RESOLVE_NO_MAGICLINKS); follow = 0 adds O_NOFOLLOW for the last component.
 * Returns the fd (O_CLOEXEC) or -errno. */
int skiff_openat2_in_root(const char *root, const char *path, int flags, int follow);
/* Opens path beneath the directory dirfd (openat2 RESOLVE_BENEATH and RESOLVE_NO_MAGICLINKS):
 * symlinks are followed only while they stay beneath it. Returns the fd (O_CLOEXEC) or -errno
 * (EXDEV for a path that leads out). */
int skiff_open_beneath(int dirfd, const char *path, int flags);
/* Closes an fd returned by skiff_openat2_in_root; 0 or -errno. */
int skiff_close_fd(int fd);
/* kill(2) by number (the real-time signals Deno cannot name); -errno on failure. */
int skiff_kill(int pid, int sig);

/* Writes data to path through a temporary file and rename. */
int skiff_write_atomic(const char *path, const char *data, size_t len, struct skiff_err *err);
/* Writes data to an existing file (cgroup.procs, uid_map...). */
int skiff_write_file(const char *path, const char *data, struct skiff_err *err);

/* unpack.c, unpack_fs.c: streaming extraction of a (decompressed) layer tar into a directory,
 * the way an overlay lower directory must look. Every entry is created relative to directory
 * fds opened with O_NOFOLLOW, so nothing outside dest is ever created, followed or linked.
 * Functions return 0 or a negative value: -errno for a system call that failed, or one of the
 * codes below; skiff_unpack_error then gives the entry and a one-line message. */
#define SKIFF_UNPACK_CHOWN 1u      /* apply the owners in the headers (mapped by the id maps) */
#define SKIFF_UNPACK_USER_XATTR 2u /* opaque dirs get user.overlay.opaque, not trusted. */
#define SKIFF_UNPACK_EINVALID (-10000) /* an unsafe or invalid entry refuses the layer */
#define SKIFF_UNPACK_ETAR (-10001)     /* the tar itself is malformed or truncated */
struct skiff_unpack;
/* Opens dest (an existing directory) and returns a new unpacker in *out. */
int skiff_unpack_new(const char *dest, uint32_t flags, struct skiff_unpack **out);
/* Sets the uid (gid = 0) or gid (gid = 1) map: n triples of container id, host id, count.
 * Without a map, ids are used as they are. */
int skiff_unpack_set_idmap(struct skiff_unpack *u, int gid, const uint32_t *triples, uint32_t n);
/* Parses the next bytes of the tar and creates the entries they complete. */
int skiff_unpack_feed(struct skiff_unpack *u, const void *buf, uint64_t len);
/* Checks the tar ended on an entry boundary and applies directory times. */
int skiff_unpack_finish(struct skiff_unpack *u);
/* The sizes of the regular files and symlinks unpacked so far, added up as a walk of the
 * directory would (Docker's layer size): hard links, whiteouts and directories count 0. */
uint64_t skiff_unpack_content_size(const struct skiff_unpack *u);
/* Copies "entry\0message\0" of the last error into buf (truncated to size). */
int skiff_unpack_error(const struct skiff_unpack *u, char *buf, uint32_t size);
/* Closes the unpacker's fds and frees it. */
void skiff_unpack_free(struct skiff_unpack *u);

/* netlink_ns.c, netlink.c, netlink_addr.c: network links, addresses and routes through
 * NETLINK_ROUTE sockets (no libnl, no ip command). A socket works in the network namespace it
 * was opened in. Link names are 1 to 15 bytes. Functions return 0 (or an fd, an index) or
 * -errno and fill err with a message naming the link: EINVAL for bad input, ENODEV for a
 * missing link, EEXIST for a name taken, or what the kernel said. */
/* Opens a network namespace file (/proc/PID/ns/net, /run/netns/NAME); EINVAL when path is
 * not one. Returns the fd (O_CLOEXEC); close it with skiff_close_fd. */
int skiff_netns_open(const char *path, struct skiff_err *err);
/* Creates a new network namespace held by a bind mount on path (a new file; EEXIST when
 * path exists). Nothing is left when it fails. */
int skiff_netns_create(const char *path, struct skiff_err *err);
/* Unmounts and removes a namespace file made by skiff_netns_create; done already is no error. */
int skiff_netns_remove(const char *path, struct skiff_err *err);
/* A NETLINK_ROUTE socket in the namespace netns_fd (-1: the caller's). The calling thread
 * enters the namespace only for the socket() call and is back in its own on every path. */
int skiff_nl_open(int netns_fd, struct skiff_err *err);
/* The link's index, or 0 when there is no such link. */
int skiff_nl_link_index(int nl, const char *name, struct skiff_err *err);
/* What skiff reads of a link (all zero when there is no such link). */
struct skiff_link_info {
  int32_t index;  /* 0: no such link */
  int32_t master; /* index of the bridge it is attached to, or 0 */
  uint32_t mtu;
  uint32_t flags; /* IFF_UP, IFF_RUNNING... */
  char mac[24];   /* "02:42:ac:11:00:02", or "" without a 6-byte address */
  char kind[24];  /* "bridge", "veth"..., or "" (a physical link, lo) */
};
/* Fills info for the link; returns its index, or 0 when there is no such link. */
int skiff_nl_link_info(int nl, const char *name, struct skiff_link_info *info,
                       struct skiff_err *err);
/* Creates a bridge, down; mtu 0 keeps the kernel's default. */
int skiff_nl_bridge_add(int nl, const char *name, uint32_t mtu, struct skiff_err *err);
/* Creates a veth pair, both ends down; the peer is created in peer_netns_fd (-1: the same
 * namespace as name), so it may take a name used in the socket's namespace (eth0). */
int skiff_nl_veth_add(int nl, const char *name, const char *peer, uint32_t mtu,
                      int peer_netns_fd, struct skiff_err *err);
/* Moves the link into the network namespace netns_fd (it keeps its name, and goes down). */
int skiff_nl_link_netns(int nl, const char *name, int netns_fd, struct skiff_err *err);
/* Renames a link (the kernel wants it down). */
int skiff_nl_link_rename(int nl, const char *name, const char *new_name, struct skiff_err *err);
/* Sets the link up (up != 0) or down. */
int skiff_nl_link_up(int nl, const char *name, int up, struct skiff_err *err);
/* Sets the link's MAC address, given as "02:42:ac:11:00:02" (unicast only). */
int skiff_nl_link_mac(int nl, const char *name, const char *mac, struct skiff_err *err);
/* Attaches the link to the bridge master; NULL or "" detaches it from its master. */
int skiff_nl_link_master(int nl, const char *name, const char *master, struct skiff_err *err);
/* Deletes the link (a veth pair goes with either end; addresses and routes go with it). */
int skiff_nl_link_del(int nl, const char *name, struct skiff_err *err);
#define SKIFF_ADDR_NODAD 1u /* IPv6: usable at once, no duplicate address detection */
/* Adds addr/prefix (IPv4 or IPv6 text) to the link; IPv4 gets the broadcast address. */
int skiff_nl_addr_add(int nl, const char *name, const char *addr, uint32_t prefix,
                      uint32_t flags, struct skiff_err *err);
/* Adds a route in the main table to dst/prefix (dst NULL or "": the default route) via
 * gateway (NULL or "": none, the destination is on the link) through the link dev (NULL or
 * "": the kernel picks it from the gateway). */
int skiff_nl_route_add(int nl, const char *dst, uint32_t prefix, const char *gateway,
                       const char *dev, struct skiff_err *err);
/* netlink_batch.c: runs a batch of network operations (one a line, fields separated by tabs:
 * netns-create, netns-remove, ns, bridge, veth, del, master, mac, addr, up, route; see the
 * file) in order, stopping at the first failure. */
int skiff_net_batch(const char *batch, struct skiff_err *err);

/* util.c: stdin, stdout and stderr on /dev/null. */
void skiff_stdio_devnull(void);

#endif
