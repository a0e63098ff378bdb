/* netlink_ns.c: network namespaces for the netlink calls. A NETLINK_ROUTE socket belongs to
 * the network namespace it was created in, whichever thread uses it later; so a socket for
 * another namespace is made by entering that namespace on the calling thread just for the
 * socket() call and returning at once (a network namespace is per thread, so the rest of
 * the process never sees it). */
#include "netlink_msg.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

int skiff_netns_open(const char *path, struct skiff_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return skiff_error(err, errno, "open network namespace %s", path);
  int type = ioctl(fd, NS_GET_NSTYPE);
  if (type != CLONE_NEWNET) {
    close(fd);
    return nl_invalid(err, "%s is not a network namespace", path);
  }
  return fd;
}

/* A NETLINK_ROUTE socket in the caller's namespace, asking for extended error messages. */
static int route_socket(struct skiff_err *err) {
  int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (nl < 0) return skiff_error(err, errno, "open a netlink socket");
  int one = 1;
  /* both are optional: older kernels only give the errno */
  setsockopt(nl, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
  setsockopt(nl, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof one);
  struct sockaddr_nl addr = {.nl_family = AF_NETLINK};
  if (bind(nl, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int e = errno;
    close(nl);
    return skiff_error(err, e, "bind a netlink socket");
  }
  return nl;
}

int skiff_nl_open(int netns_fd, struct skiff_err *err) {
  if (netns_fd < 0) return route_socket(err);
  int home = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (home < 0) return skiff_error(err, errno, "open /proc/thread-self/ns/net");
  if (setns(netns_fd, CLONE_NEWNET) < 0) {
    int e = errno;
    close(home);
    return skiff_error(err, e, "enter network namespace (fd %d)", netns_fd);
  }
  int nl = route_socket(err);
  if (setns(home, CLONE_NEWNET) < 0) {
    /* the thread stays in the other namespace: fail loudly rather than go on there */
    int e = errno;
    if (nl >= 0) close(nl);
    close(home);
    return skiff_error(err, e, "return to the caller's network namespace");
  }
  close(home);
  return nl;
}
