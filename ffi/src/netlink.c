/* netlink.c: network links through rtnetlink (RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK), the
 * way `ip link` does it but without libnl or the ip command: bridges and veth pairs, moving
 * a link to another network namespace, renaming it, up/down, MAC address and bridge master.
 * Each function takes a NETLINK_ROUTE socket from skiff_nl_open, which decides the network
 * namespace the links are in, and fills a skiff_err naming the link on failure. */
#include "netlink_msg.h"

#include <errno.h>
#include <linux/if.h>
#include <linux/if_link.h>
#include <linux/veth.h>
#include <stdio.h>
#include <string.h>

#define EXT_SIZE 256

int nl_check_name(const char *name, struct skiff_err *err) {
  if (!name || !*name) return nl_invalid(err, "invalid link name: it is empty");
  if (strlen(name) >= IFNAMSIZ)
    return nl_invalid(err, "invalid link name \"%.64s\": longer than %d bytes", name,
                      IFNAMSIZ - 1);
  if (!strcmp(name, ".") || !strcmp(name, "..") || strpbrk(name, "/: \t\n\r\v\f"))
    return nl_invalid(err, "invalid link name \"%s\"", name);
  return 0;
}

/* Formats a 6-byte hardware address as "02:42:ac:11:00:02". */
static void format_mac(const unsigned char *b, char *out, size_t size) {
  snprintf(out, size, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
}

/* Copies a string attribute into a fixed field (NUL-terminated, truncated to fit). */
static void copy_str(const struct rtattr *a, char *out, size_t size) {
  size_t n = RTA_PAYLOAD(a);
  if (n >= size) n = size - 1;
  memcpy(out, RTA_DATA(a), n);
  out[n] = 0;
}

static uint32_t attr_u32(const struct rtattr *a) {
  uint32_t v = 0;
  if (RTA_PAYLOAD(a) >= sizeof v) memcpy(&v, RTA_DATA(a), sizeof v);
  return v;
}

/* The kind ("bridge", "veth") from IFLA_LINKINFO. */
static void link_kind(const struct rtattr *info, char *out, size_t size) {
  int len = (int)RTA_PAYLOAD(info);
  for (const struct rtattr *a = RTA_DATA(info); RTA_OK(a, len); a = RTA_NEXT(a, len))
    if (a->rta_type == IFLA_INFO_KIND) copy_str(a, out, size);
}

/* Fills a skiff_link_info from an RTM_NEWLINK reply. */
static void on_link(const struct nlmsghdr *msg, void *arg) {
  struct skiff_link_info *info = arg;
  if (msg->nlmsg_type != RTM_NEWLINK || msg->nlmsg_len < NLMSG_LENGTH(sizeof(struct ifinfomsg)))
    return;
  const struct ifinfomsg *ifi = NLMSG_DATA(msg);
  info->index = ifi->ifi_index;
  info->flags = ifi->ifi_flags;
  int len = (int)IFLA_PAYLOAD(msg);
  for (const struct rtattr *a = IFLA_RTA(ifi); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == IFLA_MTU) info->mtu = attr_u32(a);
    else if (a->rta_type == IFLA_MASTER) info->master = (int32_t)attr_u32(a);
    else if (a->rta_type == IFLA_ADDRESS && RTA_PAYLOAD(a) == 6)
      format_mac(RTA_DATA(a), info->mac, sizeof info->mac);
    else if (a->rta_type == IFLA_LINKINFO) link_kind(a, info->kind, sizeof info->kind);
  }
}

int skiff_nl_link_info(int nl, const char *name, struct skiff_link_info *info,
                       struct skiff_err *err) {
  memset(info, 0, sizeof *info);
  int rc = nl_check_name(name, err);
  if (rc < 0) return rc;
  struct nl_req r;
  nl_req_init(&r, RTM_GETLINK, 0, sizeof(struct ifinfomsg));
  nl_attr_str(&r, IFLA_IFNAME, name);
  nl_attr_u32(&r, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
  char ext[EXT_SIZE];
  rc = nl_talk(nl, &r, on_link, info, ext, sizeof ext);
  if (rc == -ENODEV) return 0;
  if (rc < 0) return nl_error(err, -rc, ext, "look up link %s", name);
  return info->index;
}

int skiff_nl_link_index(int nl, const char *name, struct skiff_err *err) {
  struct skiff_link_info info;
  return skiff_nl_link_info(nl, name, &info, err);
}

int nl_index(int nl, const char *name, const char *op, struct skiff_err *err) {
  int index = skiff_nl_link_index(nl, name, err);
  if (index == 0) return nl_plain(err, ENODEV, "%s %s: no such link", op, name);
  return index;
}

/* Sends a request that changes one link and names it in the error. */
static int link_talk(int nl, struct nl_req *r, struct skiff_err *err, const char *op,
                     const char *name) {
  char ext[EXT_SIZE];
  int rc = nl_talk(nl, r, NULL, NULL, ext, sizeof ext);
  return rc < 0 ? nl_error(err, -rc, ext, "%s %s", op, name) : 0;
}

/* Starts an RTM_NEWLINK that changes the existing link with this index. */
static struct ifinfomsg *change_link(struct nl_req *r, int index) {
  struct ifinfomsg *ifi = nl_req_init(r, RTM_NEWLINK, 0, sizeof *ifi);
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = index;
  return ifi;
}

int skiff_nl_bridge_add(int nl, const char *name, uint32_t mtu, struct skiff_err *err) {
  int rc = nl_check_name(name, err);
  if (rc < 0) return rc;
  struct nl_req r;
  nl_req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
  nl_attr_str(&r, IFLA_IFNAME, name);
  if (mtu) nl_attr_u32(&r, IFLA_MTU, mtu);
  struct rtattr *info = nl_nest(&r, IFLA_LINKINFO);
  nl_attr_str(&r, IFLA_INFO_KIND, "bridge");
  nl_nest_end(&r, info);
  return link_talk(nl, &r, err, "create bridge", name);
}

int skiff_nl_veth_add(int nl, const char *name, const char *peer, uint32_t mtu,
                      int peer_netns_fd, struct skiff_err *err) {
  int rc = nl_check_name(name, err);
  if (rc == 0) rc = nl_check_name(peer, err);
  if (rc < 0) return rc;
  struct nl_req r;
  nl_req_init(&r, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, sizeof(struct ifinfomsg));
  nl_attr_str(&r, IFLA_IFNAME, name);
  if (mtu) nl_attr_u32(&r, IFLA_MTU, mtu);
  struct rtattr *info = nl_nest(&r, IFLA_LINKINFO);
  nl_attr_str(&r, IFLA_INFO_KIND, "veth");
  struct rtattr *data = nl_nest(&r, IFLA_INFO_DATA);
  /* the peer: an ifinfomsg and its own attributes */
  struct rtattr *end = nl_nest(&r, VETH_INFO_PEER);
  struct ifinfomsg peer_ifi = {.ifi_family = AF_UNSPEC};
  nl_put(&r, &peer_ifi, sizeof peer_ifi);
  nl_attr_str(&r, IFLA_IFNAME, peer);
  if (mtu) nl_attr_u32(&r, IFLA_MTU, mtu);
  if (peer_netns_fd >= 0) nl_attr_u32(&r, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
  nl_nest_end(&r, end);
  nl_nest_end(&r, data);
  nl_nest_end(&r, info);
  char ext[EXT_SIZE];
  rc = nl_talk(nl, &r, NULL, NULL, ext, sizeof ext);
  return rc < 0 ? nl_error(err, -rc, ext, "create veth pair %s and %s", name, peer) : 0;
}

int skiff_nl_link_netns(int nl, const char *name, int netns_fd, struct skiff_err *err) {
  int index = nl_index(nl, name, "move link", err);
  if (index < 0) return index;
  struct nl_req r;
  change_link(&r, index);
  nl_attr_u32(&r, IFLA_NET_NS_FD, (uint32_t)netns_fd);
  char ext[EXT_SIZE];
  int rc = nl_talk(nl, &r, NULL, NULL, ext, sizeof ext);
  return rc < 0 ? nl_error(err, -rc, ext, "move link %s to another network namespace", name) : 0;
}

int skiff_nl_link_rename(int nl, const char *name, const char *new_name, struct skiff_err *err) {
  int rc = nl_check_name(new_name, err);
  if (rc < 0) return rc;
  int index = nl_index(nl, name, "rename link", err);
  if (index < 0) return index;
  struct nl_req r;
  change_link(&r, index);
  nl_attr_str(&r, IFLA_IFNAME, new_name);
  char ext[EXT_SIZE];
  rc = nl_talk(nl, &r, NULL, NULL, ext, sizeof ext);
  return rc < 0 ? nl_error(err, -rc, ext, "rename link %s to %s", name, new_name) : 0;
}

int skiff_nl_link_up(int nl, const char *name, int up, struct skiff_err *err) {
  const char *op = up ? "set up link" : "set down link";
  int index = nl_index(nl, name, op, err);
  if (index < 0) return index;
  struct nl_req r;
  struct ifinfomsg *ifi = change_link(&r, index);
  ifi->ifi_flags = up ? IFF_UP : 0;
  ifi->ifi_change = IFF_UP;
  return link_talk(nl, &r, err, op, name);
}

/* Parses "02:42:ac:11:00:02" (case-insensitive); 0 or -1. */
static int parse_mac(const char *text, unsigned char mac[6]) {
  unsigned v[6];
  char extra;
  if (!text || strlen(text) != 17 ||
      sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
             &extra) != 6)
    return -1;
  for (int i = 0; i < 6; i++) {
    if (text[i * 3] == ' ' || text[i * 3] == '+' || text[i * 3] == '-') return -1;
    mac[i] = (unsigned char)v[i];
  }
  return 0;
}

int skiff_nl_link_mac(int nl, const char *name, const char *mac, struct skiff_err *err) {
  unsigned char bytes[6];
  if (parse_mac(mac, bytes) < 0)
    return nl_invalid(err, "invalid MAC address \"%.64s\" for link %s: expected six hex pairs "
                      "such as 02:42:ac:11:00:02", mac ? mac : "", name);
  if (bytes[0] & 1)
    return nl_invalid(err, "invalid MAC address %s for link %s: it is a multicast address",
                      mac, name);
  int index = nl_index(nl, name, "set the MAC address of link", err);
  if (index < 0) return index;
  struct nl_req r;
  change_link(&r, index);
  nl_attr(&r, IFLA_ADDRESS, bytes, sizeof bytes);
  char ext[EXT_SIZE];
  int rc = nl_talk(nl, &r, NULL, NULL, ext, sizeof ext);
  return rc < 0 ? nl_error(err, -rc, ext, "set MAC address %s on link %s", mac, name) : 0;
}

int skiff_nl_link_master(int nl, const char *name, const char *master, struct skiff_err *err) {
  int index = nl_index(nl, name, "attach link", err);
  if (index < 0) return index;
  int master_index = 0;
  if (master && *master) {
    master_index = nl_index(nl, master, "attach link to", err);
    if (master_index < 0) return master_index;
  }
  struct nl_req r;
  change_link(&r, index);
  nl_attr_u32(&r, IFLA_MASTER, (uint32_t)master_index);
  char ext[EXT_SIZE];
  int rc = nl_talk(nl, &r, NULL, NULL, ext, sizeof ext);
  if (rc < 0 && master_index)
    return nl_error(err, -rc, ext, "attach link %s to %s", name, master);
  return rc < 0 ? nl_error(err, -rc, ext, "detach link %s from its master", name) : 0;
}

int skiff_nl_link_del(int nl, const char *name, struct skiff_err *err) {
  int index = nl_index(nl, name, "delete link", err);
  if (index < 0) return index;
  struct nl_req r;
  struct ifinfomsg *ifi = nl_req_init(&r, RTM_DELLINK, 0, sizeof *ifi);
  ifi->ifi_index = index;
  return link_talk(nl, &r, err, "delete link", name);
}
