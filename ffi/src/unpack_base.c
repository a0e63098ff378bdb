/* Layer unpacking, the base the other parts share (unpack_base.h lists the layers): the
 * error record, and the numbers of tar headers and PAX records. */
#include "unpack_base.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

int up_fail(struct skiff_unpack *u, int kind, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(u->err_msg, sizeof u->err_msg, fmt, ap);
  va_end(ap);
  if (n < 0) u->err_msg[0] = 0;
  /* For system errors the message names the operation and path; errno is the return value. */
  snprintf(u->err_entry, sizeof u->err_entry, "%s", u->cur_name ? u->cur_name : "");
  u->err_kind = kind;
  if (kind == UP_ERR_SYS) u->err_rc = -(code > 0 ? code : EIO);
  else u->err_rc = kind == UP_ERR_TAR ? SKIFF_UNPACK_ETAR : SKIFF_UNPACK_EINVALID;
  return u->err_rc;
}

/* A numeric header field: octal text (leading spaces or NULs allowed, ends at the first
 * non-octal byte) or, when the first byte has its high bit set, big-endian base 256. */
int up_num(const unsigned char *f, size_t n, int64_t *out) {
  if (f[0] & 0x80) {
    int neg = f[0] == 0xff;
    uint64_t v = neg ? 0xff : (f[0] & 0x7f);
    for (size_t i = 1; i < n; i++) {
      if (!neg && (v >> 55) != 0) return -1;
      v = (v << 8) | f[i];
    }
    *out = (int64_t)v;
    return 0;
  }
  size_t i = 0;
  while (i < n && (f[i] == ' ' || f[i] == 0)) i++;
  uint64_t v = 0;
  for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
    if (v >> 60) return -1;
    v = v * 8 + (uint64_t)(f[i] - '0');
  }
  *out = (int64_t)v;
  return 0;
}

/* Decimal integer (PAX size, uid, gid); -1 when it is not one. */
int up_dec(const char *s, size_t n, int64_t *out) {
  if (n == 0) return -1;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10) return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (v > INT64_MAX) return -1;
  *out = (int64_t)v;
  return 0;
}
