/* netlink_msg.c: the wire format of rtnetlink requests (header, fixed part, attributes
 * aligned to 4 bytes, nests whose length covers their children) and the exchange with the
 * kernel: send one request, read replies until the acknowledgement with our sequence
 * number, and take the error and the kernel's extended message from it. */
#include "netlink_msg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static uint32_t next_seq;

static char *tail(struct nl_req *r) { return r->u.buf + NLMSG_ALIGN(r->u.hdr.nlmsg_len); }

void *nl_req_init(struct nl_req *r, uint16_t type, uint16_t flags, size_t fixed) {
  memset(r, 0, sizeof *r);
  r->u.hdr.nlmsg_len = NLMSG_LENGTH(fixed);
  r->u.hdr.nlmsg_type = type;
  r->u.hdr.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
  r->u.hdr.nlmsg_seq = __atomic_add_fetch(&next_seq, 1, __ATOMIC_RELAXED);
  return NLMSG_DATA(&r->u.hdr);
}

/* Reserves len bytes (aligned, zeroed) at the end; their offset in the buffer, or 0. */
static size_t reserve(struct nl_req *r, size_t len) {
  size_t at = NLMSG_ALIGN(r->u.hdr.nlmsg_len);
  if (r->overflow || at + NLMSG_ALIGN(len) > sizeof r->u.buf) {
    r->overflow = 1;
    return 0;
  }
  memset(r->u.buf + at, 0, NLMSG_ALIGN(len));
  r->u.hdr.nlmsg_len = at + NLMSG_ALIGN(len);
  return at;
}

void *nl_put(struct nl_req *r, const void *data, size_t len) {
  size_t at = reserve(r, len);
  if (!at) return NULL;
  if (data) memcpy(r->u.buf + at, data, len);
  return r->u.buf + at;
}

struct rtattr *nl_attr(struct nl_req *r, uint16_t type, const void *data, size_t len) {
  size_t at = reserve(r, RTA_LENGTH(len));
  if (!at) return NULL;
  struct rtattr head = {.rta_len = RTA_LENGTH(len), .rta_type = type};
  memcpy(r->u.buf + at, &head, sizeof head);
  if (len) memcpy(r->u.buf + at + RTA_LENGTH(0), data, len);
  return (struct rtattr *)(r->u.buf + at);
}

void nl_attr_u32(struct nl_req *r, uint16_t type, uint32_t value) {
  nl_attr(r, type, &value, sizeof value);
}

void nl_attr_str(struct nl_req *r, uint16_t type, const char *s) {
  nl_attr(r, type, s, strlen(s) + 1);
}

struct rtattr *nl_nest(struct nl_req *r, uint16_t type) { return nl_attr(r, type, NULL, 0); }

void nl_nest_end(struct nl_req *r, struct rtattr *nest) {
  if (nest) nest->rta_len = (unsigned short)(tail(r) - (char *)nest);
}

/* The extended ack's message attribute (NLMSGERR_ATTR_MSG) of an error, if any. */
static void ext_message(const struct nlmsghdr *h, char *ext, size_t ext_size) {
  if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || !ext || !ext_size) return;
  const struct nlmsgerr *e = NLMSG_DATA(h);
  size_t off = NLMSG_ALIGN(sizeof *e); /* NETLINK_CAP_ACK: the request is not echoed */
  if (!(h->nlmsg_flags & NLM_F_CAPPED)) off += e->msg.nlmsg_len - NLMSG_HDRLEN;
  const char *p = (const char *)NLMSG_DATA(h) + off;
  const char *end = (const char *)h + h->nlmsg_len;
  while (p + sizeof(struct nlattr) <= end) {
    const struct nlattr *a = (const struct nlattr *)p;
    if (a->nla_len < sizeof *a || p + a->nla_len > end) return;
    if ((a->nla_type & NLA_TYPE_MASK) == NLMSGERR_ATTR_MSG) {
      size_t n = a->nla_len - NLA_HDRLEN;
      if (n >= ext_size) n = ext_size - 1;
      memcpy(ext, p + NLA_HDRLEN, n);
      ext[n] = 0;
      ext[strcspn(ext, "\n")] = 0;
      return;
    }
    p += NLA_ALIGN(a->nla_len);
  }
}

/* Handles one datagram; returns 1 when the acknowledgement came (*result set), else 0. */
static int on_datagram(const char *buf, int len, uint32_t seq, nl_reply_fn on_reply,
                       void *arg, char *ext, size_t ext_size, int *result) {
  for (const struct nlmsghdr *h = (const void *)buf; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
    if (h->nlmsg_seq != seq) continue; /* a stale answer to an earlier request */
    if (h->nlmsg_type == NLMSG_ERROR) {
      if (h->nlmsg_len < NLMSG_LENGTH(sizeof(struct nlmsgerr))) {
        *result = -EBADMSG;
        return 1;
      }
      const struct nlmsgerr *e = NLMSG_DATA(h);
      *result = e->error > 0 ? -e->error : e->error;
      if (*result) ext_message(h, ext, ext_size);
      return 1;
    }
    if (h->nlmsg_type == NLMSG_DONE) {
      *result = 0;
      return 1;
    }
    if (on_reply) on_reply(h, arg);
  }
  return 0;
}

int nl_talk(int nl, struct nl_req *r, nl_reply_fn on_reply, void *arg, char *ext,
            size_t ext_size) {
  if (ext && ext_size) ext[0] = 0;
  if (r->overflow) return -EMSGSIZE;
  ssize_t n;
  do n = send(nl, r->u.buf, r->u.hdr.nlmsg_len, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  union {
    struct nlmsghdr hdr;
    char buf[32768];
  } in;
  for (;;) {
    do n = recv(nl, in.buf, sizeof in.buf, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) return -errno;
    if (n == 0) return -ECONNRESET;
    int result;
    if (on_datagram(in.buf, (int)n, r->u.hdr.nlmsg_seq, on_reply, arg, ext, ext_size,
                    &result))
      return result;
  }
}

int nl_error(struct skiff_err *err, int code, const char *ext, const char *fmt, ...) {
  char op[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(op, sizeof op, fmt, ap);
  va_end(ap);
  int rc = skiff_error(err, code, "%s", op);
  if (err && ext && *ext) {
    size_t n = strlen(err->msg);
    snprintf(err->msg + n, sizeof err->msg - n, " (%s)", ext);
  }
  return rc;
}

int nl_plain(struct skiff_err *err, int code, const char *fmt, ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->code = code;
    if (err->exit_code == 0) err->exit_code = 1;
  }
  return -code;
}
