/* netlink_batch.c: a container's whole network set-up in one call (one FFI symbol to bind and
 * one crossing from the caller, where a call per step costs the caller more than the kernel
 * work). The batch is text, one operation a line, fields separated by tabs:
 *
 *   netns-remove PATH         unmount and remove a namespace file (gone already: done)
 *   netns-create PATH         a new namespace held by a bind mount on PATH
 *   ns PATH                   the following operations act in that namespace ("-": the caller's)
 *   bridge NAME MTU           a bridge, unless a link of that name exists (MTU 0: the kernel's)
 *   veth NAME PEER MTU PATH   a veth pair, the peer created in the namespace file PATH
 *   del NAME                  delete a link (none of that name: done)
 *   master NAME BRIDGE        attach a link to a bridge
 *   mac NAME MAC              set a link's MAC address
 *   addr NAME ADDR PREFIX     add an address without duplicate detection (present: done)
 *   up NAME                   set a link up
 *   route GATEWAY             the default route through GATEWAY (present: done)
 *
 * Operations run in order; the first failure stops the batch and is returned with its error
 * (what ran before it stays: every caller's clean-up treats that as a partial set-up). */
#include "netlink_msg.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FIELDS 6

/* Splits line in place at tabs; returns the number of fields. */
static int split(char *line, char *fields[MAX_FIELDS]) {
  int n = 0;
  char *p = line;
  while (n < MAX_FIELDS) {
    fields[n++] = p;
    char *tab = strchr(p, '\t');
    if (!tab) break;
    *tab = '\0';
    p = tab + 1;
  }
  return n;
}

/* The netlink socket for namespace `path` ("-" or NULL: the caller's). */
static int socket_in(const char *path, struct skiff_err *err) {
  if (!path || strcmp(path, "-") == 0) return skiff_nl_open(-1, err);
  int fd = skiff_netns_open(path, err);
  if (fd < 0) return fd;
  int nl = skiff_nl_open(fd, err);
  close(fd);
  return nl;
}

/* Runs one operation on the socket *nl (replaced by `ns`). */
static int run_op(int *nl, char **f, int n, struct skiff_err *err) {
  const char *op = f[0];
  uint32_t mtu;
  int rc;
#define NEED(k)                                                                                   \
  if (n != (k)) return nl_invalid(err, "network batch: %s takes %d fields, got %d", op, (k) - 1, n - 1)
  if (strcmp(op, "netns-remove") == 0) {
    NEED(2);
    return skiff_netns_remove(f[1], err);
  }
  if (strcmp(op, "netns-create") == 0) {
    NEED(2);
    return skiff_netns_create(f[1], err);
  }
  if (strcmp(op, "ns") == 0) {
    NEED(2);
    int fresh = socket_in(f[1], err);
    if (fresh < 0) return fresh;
    close(*nl);
    *nl = fresh;
    return 0;
  }
  if (strcmp(op, "bridge") == 0) {
    NEED(3);
    rc = skiff_nl_link_index(*nl, f[1], err);
    if (rc != 0) return rc < 0 ? rc : 0;
    rc = skiff_nl_bridge_add(*nl, f[1], (uint32_t)strtoul(f[2], NULL, 10), err);
    return rc == -EEXIST ? 0 : rc; /* made by a concurrent start */
  }
  if (strcmp(op, "veth") == 0) {
    NEED(5);
    mtu = (uint32_t)strtoul(f[3], NULL, 10);
    int ns = skiff_netns_open(f[4], err);
    if (ns < 0) return ns;
    rc = skiff_nl_veth_add(*nl, f[1], f[2], mtu, ns, err);
    close(ns);
    return rc;
  }
  if (strcmp(op, "del") == 0) {
    NEED(2);
    rc = skiff_nl_link_del(*nl, f[1], err);
    return rc == -ENODEV || rc == -ENOENT ? 0 : rc;
  }
  if (strcmp(op, "master") == 0) {
    NEED(3);
    return skiff_nl_link_master(*nl, f[1], f[2], err);
  }
  if (strcmp(op, "mac") == 0) {
    NEED(3);
    return skiff_nl_link_mac(*nl, f[1], f[2], err);
  }
  if (strcmp(op, "addr") == 0) {
    NEED(4);
    rc = skiff_nl_addr_add(*nl, f[1], f[2], (uint32_t)strtoul(f[3], NULL, 10), SKIFF_ADDR_NODAD,
                           err);
    return rc == -EEXIST ? 0 : rc;
  }
  if (strcmp(op, "up") == 0) {
    NEED(2);
    return skiff_nl_link_up(*nl, f[1], 1, err);
  }
  if (strcmp(op, "route") == 0) {
    NEED(2);
    rc = skiff_nl_route_add(*nl, NULL, 0, f[1], NULL, err);
    return rc == -EEXIST ? 0 : rc;
  }
#undef NEED
  return nl_invalid(err, "network batch: unknown operation \"%.32s\"", op);
}

int skiff_net_batch(const char *batch, struct skiff_err *err) {
  char *copy = strdup(batch ? batch : "");
  if (!copy) return skiff_error(err, ENOMEM, "network batch");
  int nl = skiff_nl_open(-1, err);
  if (nl < 0) {
    free(copy);
    return nl;
  }
  int rc = 0;
  char *save = NULL;
  for (char *line = strtok_r(copy, "\n", &save); line && rc >= 0;
       line = strtok_r(NULL, "\n", &save)) {
    char *f[MAX_FIELDS];
    int n = split(line, f);
    rc = run_op(&nl, f, n, err);
  }
  close(nl);
  free(copy);
  return rc < 0 ? rc : 0;
}
