/* netlink_msg.h: building rtnetlink requests and waiting for the kernel's answer (used by
 * netlink*.c only). A request is one message in a fixed buffer: a header, a fixed part
 * (ifinfomsg, ifaddrmsg, rtmsg) and attributes, some nested. */
#ifndef SKIFF_NETLINK_MSG_H
#define SKIFF_NETLINK_MSG_H
#include "skiff.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stddef.h>
#include <stdint.h>

struct nl_req {
  union {
    struct nlmsghdr hdr;
    char buf[4096];
  } u;
  int overflow; /* an attribute did not fit: the request is not sent */
};

/* Starts a request of `type` (RTM_NEWLINK...) with NLM_F_REQUEST | NLM_F_ACK | flags and a
 * zeroed fixed part of `fixed` bytes; returns that fixed part. */
void *nl_req_init(struct nl_req *r, uint16_t type, uint16_t flags, size_t fixed);
/* Appends an attribute; returns it (NULL and overflow set when it does not fit). */
struct rtattr *nl_attr(struct nl_req *r, uint16_t type, const void *data, size_t len);
void nl_attr_u32(struct nl_req *r, uint16_t type, uint32_t value);
void nl_attr_str(struct nl_req *r, uint16_t type, const char *s); /* with its NUL */
/* Opens a nested attribute; nl_nest_end sets its length to cover what was added since. */
struct rtattr *nl_nest(struct nl_req *r, uint16_t type);
void nl_nest_end(struct nl_req *r, struct rtattr *nest);
/* Appends raw bytes (the ifinfomsg inside a veth peer), aligned; returns them or NULL. */
void *nl_put(struct nl_req *r, const void *data, size_t len);

/* Called for each reply message that is not the final acknowledgement. */
typedef void (*nl_reply_fn)(const struct nlmsghdr *msg, void *arg);

/* Sends the request on the NETLINK_ROUTE socket nl and reads until the kernel acknowledges
 * it. Returns 0 or -errno; on error the kernel's extended message (if any) is copied into
 * ext (always NUL-terminated). */
int nl_talk(int nl, struct nl_req *r, nl_reply_fn on_reply, void *arg, char *ext,
            size_t ext_size);

/* Fills err with "op: strerror(code)" plus " (kernel's message)" when ext is not empty;
 * returns -code. */
int nl_error(struct skiff_err *err, int code, const char *ext, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Fills err with a message and code but no strerror (the message says it all); returns -code. */
int nl_plain(struct skiff_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define nl_invalid(err, ...) nl_plain(err, EINVAL, __VA_ARGS__)

/* netlink.c: checks a link name as the kernel would take it (1 to 15 bytes, no '/', ':' or
 * white space, not "." or ".."); 0 or -EINVAL with a message naming it. */
int nl_check_name(const char *name, struct skiff_err *err);
/* The index of the link `name`, for the operation `op` (named in errors): ENODEV when there
 * is no such link. */
int nl_index(int nl, const char *name, const char *op, struct skiff_err *err);

#endif
