/* The netlink layer: the request layout and the reading of the kernel's answers against a
 * socketpair standing in for the kernel, input refused before anything is sent, and (as
 * root) the real calls in a network namespace of the test's own. */
#include "netlink_msg.h"
#include "tap.h"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/veth.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static struct skiff_err err;

static void test_layout(void) {
  struct nl_req r;
  struct ifinfomsg *ifi = nl_req_init(&r, RTM_NEWLINK, NLM_F_CREATE, sizeof *ifi);
  ok((char *)ifi == r.u.buf + NLMSG_HDRLEN && r.u.hdr.nlmsg_len == NLMSG_LENGTH(sizeof *ifi),
     "the fixed part follows the header");
  ok(r.u.hdr.nlmsg_flags == (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE), "flags ask for an ack");
  nl_attr_str(&r, IFLA_IFNAME, "abc"); /* 4 + 4 bytes */
  struct rtattr *info = nl_nest(&r, IFLA_LINKINFO);
  nl_attr_str(&r, IFLA_INFO_KIND, "veth"); /* 4 + 5 -> 12 */
  struct rtattr *peer = nl_nest(&r, VETH_INFO_PEER);
  struct ifinfomsg pi = {0};
  nl_put(&r, &pi, sizeof pi);
  nl_attr_u32(&r, IFLA_MTU, 1400);
  nl_nest_end(&r, peer);
  nl_nest_end(&r, info);
  ok(info->rta_len == 4 + 12 + 4 + sizeof pi + 8, "a nest covers its children");
  ok(peer->rta_len == 4 + sizeof pi + 8, "the veth peer holds an ifinfomsg and attributes");
  ok(r.u.hdr.nlmsg_len == NLMSG_LENGTH(sizeof *ifi) + 8 + info->rta_len, "the length adds up");
  ok(r.u.hdr.nlmsg_len % 4 == 0, "everything stays aligned");
  struct nl_req big;
  nl_req_init(&big, RTM_NEWLINK, 0, sizeof *ifi);
  char blob[1000] = {0};
  for (int i = 0; i < 5; i++) nl_attr(&big, IFLA_IFALIAS, blob, sizeof blob);
  ok(big.overflow && nl_talk(-1, &big, NULL, NULL, NULL, 0) == -EMSGSIZE,
     "a request that does not fit is refused, not truncated");
}

/* Queues a message for the side under test: type, seq, payload. */
static void queue(int fd, uint16_t type, uint16_t flags, uint32_t seq, const void *data,
                  size_t len) {
  char buf[512] __attribute__((aligned(4))) = {0};
  struct nlmsghdr *h = (struct nlmsghdr *)buf;
  h->nlmsg_len = NLMSG_LENGTH(len);
  h->nlmsg_type = type;
  h->nlmsg_flags = flags;
  h->nlmsg_seq = seq;
  memcpy(NLMSG_DATA(h), data, len);
  send(fd, buf, h->nlmsg_len, 0);
}

static void count_reply(const struct nlmsghdr *msg, void *arg) {
  if (msg->nlmsg_type == RTM_NEWLINK) ++*(int *)arg;
}

static void test_answers(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv);
  struct nl_req r;
  nl_req_init(&r, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
  uint32_t seq = r.u.hdr.nlmsg_seq;
  struct ifinfomsg ifi = {.ifi_index = 7};
  struct nlmsgerr ack = {0};
  queue(sv[1], NLMSG_ERROR, 0, seq - 1, &(struct nlmsgerr){.error = -EPERM}, sizeof ack);
  queue(sv[1], RTM_NEWLINK, 0, seq, &ifi, sizeof ifi);
  queue(sv[1], NLMSG_ERROR, 0, seq, &ack, sizeof ack);
  int replies = 0;
  char ext[64];
  ok(nl_talk(sv[0], &r, count_reply, &replies, ext, sizeof ext) == 0 && replies == 1,
     "replies are passed on, a stale error skipped, the ack ends the exchange");

  /* an error with the kernel's extended message (NETLINK_CAP_ACK: the request not echoed) */
  nl_req_init(&r, RTM_NEWLINK, 0, sizeof(struct ifinfomsg));
  char payload[sizeof(struct nlmsgerr) + 32] __attribute__((aligned(4))) = {0};
  ((struct nlmsgerr *)payload)->error = -EINVAL;
  struct nlattr *a = (struct nlattr *)(payload + sizeof(struct nlmsgerr));
  a->nla_type = NLMSGERR_ATTR_MSG;
  a->nla_len = NLA_HDRLEN + sizeof "MTU too large";
  memcpy(a + 1, "MTU too large", sizeof "MTU too large");
  queue(sv[1], NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, r.u.hdr.nlmsg_seq, payload,
        sizeof(struct nlmsgerr) + NLA_ALIGN(a->nla_len));
  ok(nl_talk(sv[0], &r, NULL, NULL, ext, sizeof ext) == -EINVAL, "the errno comes back");
  ok(!strcmp(ext, "MTU too large"), "with the kernel's message");
  nl_error(&err, EINVAL, ext, "create bridge %s", "br0");
  ok(!strcmp(err.msg, "create bridge br0: Invalid argument (MTU too large)") &&
         err.code == EINVAL,
     "the message names the operation, the link and what the kernel said");
  memset(&err, 0, sizeof err);
  close(sv[0]);
  close(sv[1]);
}

/* Checks a call refused with EINVAL and a message holding `want` (before any socket is used,
 * when nl is -1), and clears err. */
static void refused(int rc, const char *want, const char *name) {
  ok(rc == -EINVAL && err.code == EINVAL && strstr(err.msg, want) != NULL, name);
  if (!strstr(err.msg, want)) printf("# got: %s\n", err.msg);
  memset(&err, 0, sizeof err);
}

static void test_bad_input(void) {
  refused(skiff_nl_bridge_add(-1, "sktest-0123456789", 0, &err),
          "invalid link name \"sktest-0123456789\": longer than 15 bytes", "a long name");
  refused(skiff_nl_bridge_add(-1, "", 0, &err), "it is empty", "an empty name");
  refused(skiff_nl_veth_add(-1, "a", "b/c", 0, -1, &err), "invalid link name \"b/c\"",
          "a name with a slash");
  refused(skiff_nl_link_rename(-1, "a", "..", &err), "\"..\"", "the name ..");
  refused(skiff_nl_link_mac(-1, "a", "02:42:ac:11:00", &err), "invalid MAC address",
          "a short MAC address");
  refused(skiff_nl_link_mac(-1, "a", "03:42:ac:11:00:02", &err), "multicast",
          "a multicast MAC address");
  refused(skiff_nl_addr_add(-1, "a", "10.0.0.300", 24, 0, &err),
          "invalid IP address \"10.0.0.300\" for link a", "a bad address");
  refused(skiff_nl_addr_add(-1, "a", "10.0.0.3", 33, 0, &err), "invalid prefix length 33",
          "a prefix too long for IPv4");
  refused(skiff_nl_route_add(-1, NULL, 0, NULL, NULL, &err), "needs a gateway or a link",
          "a route to nowhere");
  refused(skiff_nl_route_add(-1, "10.1.0.0", 16, "fd00::1", NULL, &err), "same IP version",
          "a gateway of the other IP version");
}

static ino_t netns_inode(void) {
  struct stat st;
  return stat("/proc/thread-self/ns/net", &st) == 0 ? st.st_ino : 0;
}

/* As root, in a new network namespace of this process (the host's is never touched). */
static void test_kernel(void) {
  int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  ino_t home_ino = netns_inode();
  int other = -1;
  if (unshare(CLONE_NEWNET) < 0 || (other = open("/proc/self/ns/net", O_RDONLY)) < 0 ||
      setns(home, CLONE_NEWNET) < 0) {
    ok(0, "a network namespace for the test");
    return;
  }
  int nsfd = skiff_netns_open("/proc/self/ns/net", &err);
  ok(nsfd >= 0, "a namespace file opens");
  close(nsfd);
  refused(skiff_netns_open("/proc/self/status", &err), "/proc/self/status is not a network "
          "namespace", "a file that is not a network namespace");
  refused(skiff_netns_open("/proc/self/ns/uts", &err), "is not a network namespace",
          "another kind of namespace");
  int nl = skiff_nl_open(other, &err);
  ok(nl >= 0 && netns_inode() == home_ino, "a socket in another namespace, the thread back home");
  ok(skiff_nl_open(home + 1000, &err) < 0 && netns_inode() == home_ino,
     "a bad namespace fd fails and the thread stays home");
  memset(&err, 0, sizeof err);
  ok(skiff_nl_link_index(nl, "lo", &err) == 1, "lo is link 1 in the new namespace");
  ok(skiff_nl_link_index(nl, "sktestbr0", &err) == 0, "a missing link has index 0");
  ok(skiff_nl_bridge_add(nl, "sktestbr0", 1400, &err) == 0, "a bridge is created");
  ok(skiff_nl_bridge_add(nl, "sktestbr0", 0, &err) == -EEXIST &&
         !strcmp(err.msg, "create bridge sktestbr0: File exists"),
     "a second one of the same name: EEXIST naming it");
  memset(&err, 0, sizeof err);
  ok(skiff_nl_veth_add(nl, "sktestv0", "sktestp0", 1400, -1, &err) == 0, "a veth pair");
  ok(skiff_nl_link_master(nl, "sktestv0", "sktestbr0", &err) == 0, "attached to the bridge");
  ok(skiff_nl_link_rename(nl, "sktestp0", "eth0", &err) == 0 &&
         skiff_nl_link_index(nl, "eth0", &err) > 0 && skiff_nl_link_index(nl, "sktestp0", &err) == 0,
     "renamed");
  ok(skiff_nl_link_mac(nl, "eth0", "02:42:AC:11:00:02", &err) == 0, "MAC address set");
  ok(skiff_nl_link_up(nl, "sktestbr0", 1, &err) == 0 && skiff_nl_link_up(nl, "eth0", 1, &err) == 0,
     "links set up");
  struct skiff_link_info eth0, port, bridge;
  ok(skiff_nl_link_info(nl, "eth0", &eth0, &err) > 0 && !strcmp(eth0.mac, "02:42:ac:11:00:02") &&
         !strcmp(eth0.kind, "veth") && (eth0.flags & IFF_UP) && eth0.mtu == 1400,
     "a link's MAC address, kind, flags and MTU are read back");
  ok(skiff_nl_link_info(nl, "sktestv0", &port, &err) > 0 &&
         skiff_nl_link_info(nl, "sktestbr0", &bridge, &err) > 0 && port.master == bridge.index &&
         !strcmp(bridge.kind, "bridge") && bridge.master == 0,
     "and its master");
  ok(skiff_nl_link_info(nl, "nope0", &eth0, &err) == 0 && eth0.index == 0 && !eth0.kind[0],
     "a missing link reads as all zero");
  ok(skiff_nl_addr_add(nl, "sktestbr0", "10.231.0.1", 24, 0, &err) == 0 &&
         skiff_nl_addr_add(nl, "sktestbr0", "fd00:231::1", 64, SKIFF_ADDR_NODAD, &err) == 0,
     "IPv4 and IPv6 addresses");
  ok(skiff_nl_route_add(nl, "10.232.0.0", 16, "10.231.0.2", NULL, &err) == 0 &&
         skiff_nl_route_add(nl, "10.233.0.0", 16, NULL, "sktestbr0", &err) == 0,
     "routes via a gateway and through a link");
  ok(skiff_nl_route_add(nl, "10.232.0.0", 16, "10.231.0.2", NULL, &err) == -EEXIST &&
         strstr(err.msg, "add route 10.232.0.0/16 via 10.231.0.2: File exists"),
     "the same route twice: EEXIST naming it");
  memset(&err, 0, sizeof err);
  ok(skiff_nl_link_rename(nl, "eth0", "sktestv0", &err) == -EEXIST &&
         strstr(err.msg, "rename link eth0 to sktestv0: File exists"),
     "renaming to a name taken: EEXIST naming both names");
  memset(&err, 0, sizeof err);
  ok(skiff_nl_link_del(nl, "nope0", &err) == -ENODEV &&
         !strcmp(err.msg, "delete link nope0: no such link"),
     "deleting a missing link: ENODEV naming it");
  memset(&err, 0, sizeof err);
  ok(skiff_nl_link_del(nl, "sktestv0", &err) == 0 && skiff_nl_link_index(nl, "eth0", &err) == 0,
     "deleting one end of a veth pair removes both");
  ok(skiff_nl_link_del(nl, "sktestbr0", &err) == 0, "the bridge is deleted");
  if (err.msg[0]) printf("# last error: %s\n", err.msg);
  close(nl);
  close(other);
  close(home);
}

int main(void) {
  test_layout();
  test_answers();
  test_bad_input();
  if (geteuid() == 0) test_kernel();
  else printf("# skip: the kernel part needs root\n");
  return tap_done();
}
