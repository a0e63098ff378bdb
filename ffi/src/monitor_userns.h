/* The id maps of a new user namespace (a rootless container's, or `skiff unshare`'s). */
#ifndef SKIFF_MONITOR_USERNS_H
#define SKIFF_MONITOR_USERNS_H
#include "skiff.h"

#include <sys/types.h>

/* Writes the maps ("container host size" lines) for pid's user namespace. As root they are
 * written directly. Otherwise a map of only the caller's own id (one line) is written directly,
 * with "deny" in setgroups first (the kernel's rule for an unprivileged gid_map); any other
 * map goes through the set-uid newuidmap/newgidmap (Debian's uidmap), which check that the
 * host ids are the caller's own ranges in /etc/subuid and /etc/subgid. */
int monitor_write_maps(pid_t pid, char **uidmaps, size_t nuid, char **gidmaps, size_t ngid,
                       struct skiff_err *err);

/* Runs fn(arg) in a child that is root of a new user namespace with those maps (a rootless
 * monitor removing a --rm container's files, which belong to the container's ids), and waits;
 * fn's error comes back in err. */
int monitor_userns_run(char **uidmaps, size_t nuid, char **gidmaps, size_t ngid,
                       int (*fn)(void *arg, struct skiff_err *err), void *arg,
                       struct skiff_err *err);

/* skiff-monitor unshare UIDMAP GIDMAP CMD...: runs CMD as root of a new user and mount
 * namespace with those maps (lines joined by ','). Returns only on failure (125). */
int monitor_cmd_unshare(int argc, char **argv);

#endif
