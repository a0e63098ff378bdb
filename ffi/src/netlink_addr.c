/* netlink_addr.c: IPv4 and IPv6 addresses and routes through rtnetlink (RTM_NEWADDR,
 * RTM_NEWROUTE), as `ip addr add` and `ip route add` do. Addresses come as text
 * ("10.88.0.2", "fd00::2") and are parsed here, so that errors quote what the caller gave. */
#include "netlink_msg.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#define EXT_SIZE 256

/* An address parsed from text: family, bytes, and its length. */
struct ip {
  int family;
  unsigned char bytes[16];
  size_t len;
};

static int parse_ip(const char *text, struct ip *ip) {
  memset(ip, 0, sizeof *ip);
  if (!text) return -1;
  if (inet_pton(AF_INET, text, ip->bytes) == 1) {
    ip->family = AF_INET;
    ip->len = 4;
  } else if (inet_pton(AF_INET6, text, ip->bytes) == 1) {
    ip->family = AF_INET6;
    ip->len = 16;
  } else {
    return -1;
  }
  return 0;
}

/* The IPv4 broadcast address of addr/prefix, as Docker's bridges show it. */
static void broadcast(const struct ip *addr, unsigned prefix, unsigned char out[4]) {
  uint32_t a;
  memcpy(&a, addr->bytes, 4);
  uint32_t host = prefix >= 32 ? 0 : 0xffffffffu >> prefix;
  a = htonl(ntohl(a) | host);
  memcpy(out, &a, 4);
}

int skiff_nl_addr_add(int nl, const char *name, const char *addr, uint32_t prefix,
                      uint32_t flags, struct skiff_err *err) {
  struct ip ip;
  if (parse_ip(addr, &ip) < 0)
    return nl_invalid(err, "invalid IP address \"%.64s\" for link %s", addr ? addr : "", name);
  if (prefix > ip.len * 8)
    return nl_invalid(err, "invalid prefix length %u for %s", prefix, addr);
  int index = nl_index(nl, name, "add an address to link", err);
  if (index < 0) return index;
  struct nl_req r;
  struct ifaddrmsg *ifa = nl_req_init(&r, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, sizeof *ifa);
  ifa->ifa_family = (unsigned char)ip.family;
  ifa->ifa_prefixlen = (unsigned char)prefix;
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = (unsigned)index;
  if (ip.family == AF_INET6 && (flags & SKIFF_ADDR_NODAD)) ifa->ifa_flags = IFA_F_NODAD;
  nl_attr(&r, IFA_LOCAL, ip.bytes, ip.len);
  nl_attr(&r, IFA_ADDRESS, ip.bytes, ip.len);
  if (ip.family == AF_INET && prefix < 31) {
    unsigned char brd[4];
    broadcast(&ip, prefix, brd);
    nl_attr(&r, IFA_BROADCAST, brd, sizeof brd);
  }
  char ext[EXT_SIZE];
  int rc = nl_talk(nl, &r, NULL, NULL, ext, sizeof ext);
  return rc < 0 ? nl_error(err, -rc, ext, "add address %s/%u to link %s", addr, prefix, name)
                : 0;
}

/* "default" or "10.1.0.0/16", for messages. */
static void route_text(const char *dst, uint32_t prefix, char *out, size_t size) {
  if (dst && *dst) snprintf(out, size, "%.64s/%u", dst, prefix);
  else snprintf(out, size, "default");
}

/* Parses the route's destination and gateway; 0 or -EINVAL with a message. */
static int route_parse(const char *dst, uint32_t prefix, const char *gateway, const char *dev,
                       struct ip *d, struct ip *gw, const char *text, struct skiff_err *err) {
  memset(d, 0, sizeof *d);
  memset(gw, 0, sizeof *gw);
  if (dst && *dst && parse_ip(dst, d) < 0)
    return nl_invalid(err, "invalid route destination \"%.64s\"", dst);
  if (gateway && *gateway && parse_ip(gateway, gw) < 0)
    return nl_invalid(err, "invalid gateway \"%.64s\" for route %s", gateway, text);
  if (!gw->family && !(dev && *dev))
    return nl_invalid(err, "route %s needs a gateway or a link", text);
  if (d->family && gw->family && d->family != gw->family)
    return nl_invalid(err, "route %s: gateway %s is not of the same IP version", text, gateway);
  if (!d->family) {
    if (prefix) return nl_invalid(err, "route %s: a prefix length needs a destination", text);
    d->family = gw->family ? gw->family : AF_INET;
    d->len = d->family == AF_INET ? 4 : 16;
  } else if (prefix > d->len * 8) {
    return nl_invalid(err, "invalid prefix length %u for route %s", prefix, text);
  }
  return 0;
}

int skiff_nl_route_add(int nl, const char *dst, uint32_t prefix, const char *gateway,
                       const char *dev, struct skiff_err *err) {
  char text[96];
  route_text(dst, prefix, text, sizeof text);
  struct ip d, gw;
  int rc = route_parse(dst, prefix, gateway, dev, &d, &gw, text, err);
  if (rc < 0) return rc;
  int index = 0;
  if (dev && *dev) {
    index = nl_index(nl, dev, "add a route through link", err);
    if (index < 0) return index;
  }
  struct nl_req r;
  struct rtmsg *rt = nl_req_init(&r, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, sizeof *rt);
  rt->rtm_family = (unsigned char)d.family;
  rt->rtm_dst_len = (unsigned char)prefix;
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_BOOT;
  rt->rtm_scope = gw.family ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
  rt->rtm_type = RTN_UNICAST;
  if (prefix) nl_attr(&r, RTA_DST, d.bytes, d.len);
  if (gw.family) nl_attr(&r, RTA_GATEWAY, gw.bytes, gw.len);
  if (index) nl_attr_u32(&r, RTA_OIF, (uint32_t)index);
  char ext[EXT_SIZE];
  rc = nl_talk(nl, &r, NULL, NULL, ext, sizeof ext);
  if (rc == 0) return 0;
  return nl_error(err, -rc, ext, "add route %s%s%s%s%s", text, gw.family ? " via " : "",
                  gw.family ? gateway : "", index ? " dev " : "", index ? dev : "");
}
