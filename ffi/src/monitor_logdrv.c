/* The log drivers and size rotation. Records are formatted line by line from the chunk the
 * container wrote, through one small buffer, so memory use stays flat whatever the line. */
#include "monitor_logdrv.h"

#include "monitor_log.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

enum { DRIVER_K8S = 0, DRIVER_JSON = 1, DRIVER_JOURNALD = 2 };

/* Records of one chunk are gathered and written with few system calls: k8s-file lines as
 * iovecs pointing into the chunk, json-file records copied into rec_buf. Both are flushed
 * before a rotation and at the end of the chunk. */
static char rec_buf[8192];
static size_t rec_len;
static struct iovec batch[512];
static int nbatch;

int monitor_log_open(struct monitor *m, struct skiff_err *err) {
  const struct skiff_plan *p = m->plan;
  m->journal_fd = -1;
  if (p->log_driver == DRIVER_JOURNALD) {
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(p->journal_socket) >= sizeof addr.sun_path)
      return skiff_error(err, ENAMETOOLONG, "journald socket %s", p->journal_socket);
    strcpy(addr.sun_path, p->journal_socket);
    m->journal_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (m->journal_fd < 0) return skiff_error(err, errno, "journald socket");
    if (connect(m->journal_fd, (struct sockaddr *)&addr, sizeof addr) < 0)
      return skiff_error(err, errno, "connect to journald at %s", p->journal_socket);
    return 0;
  }
  if (p->log_driver == DRIVER_JSON) log_json_tag(p->log_tag);
  if (!p->log_path) return 0;
  m->log_fd = open(p->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (m->log_fd < 0) return skiff_error(err, errno, "open log %s", p->log_path);
  struct stat st;
  m->log_size = fstat(m->log_fd, &st) == 0 ? (long long)st.st_size : 0;
  return 0;
}

/* Escapes as much of in as fits in room bytes of out; *used gets the input consumed.
 * Returns the bytes written (out NULL: counts, room is ignored). */
static size_t escape_into(char *out, size_t room, const unsigned char *in, size_t len,
                          size_t *used) {
  static const char hex[] = "0123456789abcdef";
  size_t o = 0, i = 0;
  for (; i < len; i++) {
    unsigned char c = in[i];
    char tmp[6];
    size_t k = 0;
    if (c == '"' || c == '\\') tmp[k++] = '\\', tmp[k++] = (char)c;
    else if (c == '\n') tmp[k++] = '\\', tmp[k++] = 'n';
    else if (c == '\r') tmp[k++] = '\\', tmp[k++] = 'r';
    else if (c == '\t') tmp[k++] = '\\', tmp[k++] = 't';
    else if (c < 0x20 || c == 0x7f) {
      memcpy(tmp, "\\u00", 4);
      tmp[4] = hex[c >> 4], tmp[5] = hex[c & 15];
      k = 6;
    } else tmp[k++] = (char)c;
    if (out) {
      if (o + k > room) break;
      memcpy(out + o, tmp, k);
    }
    o += k;
  }
  if (used) *used = i;
  return o;
}

/* json-file's `attrs` tag (JSON-escaped by the plan's writer), or NULL. */
static const char *json_tag;

void log_json_tag(const char *escaped) { json_tag = escaped && *escaped ? escaped : NULL; }

/* The parts of a json-file record around the escaped text (with the tag, Docker's attrs). */
static void json_parts(char *tail, size_t size, const char *stream, const char *ts, int *tl) {
  if (json_tag)
    *tl = snprintf(tail, size, "\",\"stream\":\"%s\",\"attrs\":{\"tag\":\"%s\"},\"time\":\"%s\"}\n",
                   stream, json_tag, ts);
  else
    *tl = snprintf(tail, size, "\",\"stream\":\"%s\",\"time\":\"%s\"}\n", stream, ts);
  if (*tl >= (int)size) *tl = (int)size - 1;
}

static const char JSON_HEAD[] = "{\"log\":\"";
/* room for the tail: stream, a tag of up to 256 characters escaped (logs_plan.ts), the time */
#define JSON_TAIL_MAX 1800

size_t log_json_record(char *buf, size_t size, const char *stream, const char *ts,
                       const unsigned char *text, size_t len) {
  char tail[JSON_TAIL_MAX];
  int tl;
  json_parts(tail, sizeof tail, stream, ts, &tl);
  size_t hl = sizeof JSON_HEAD - 1, el = escape_into(NULL, 0, text, len, NULL);
  size_t total = hl + el + (size_t)tl, o = 0, used;
  if (!buf || size == 0) return total;
  size_t room = size - 1;
  size_t k = hl < room ? hl : room;
  memcpy(buf, JSON_HEAD, k);
  o = k;
  o += escape_into(buf + o, room - o, text, len, &used);
  k = (size_t)tl < room - o ? (size_t)tl : room - o;
  memcpy(buf + o, tail, k);
  buf[o + k] = 0;
  return total;
}

static int write_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return -errno;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

/* Starts a new file: log → log.1 → ... → log.<max-file - 1> (the oldest dropped), or with
 * max-file 1 the file is emptied. The new file takes the old descriptor's number. */
static void rotate(struct monitor *m) {
  const struct skiff_plan *p = m->plan;
  m->log_size = 0;
  if (p->log_max_file <= 1) {
    if (ftruncate(m->log_fd, 0) < 0) { /* lines keep going to the end of the file */
    }
    return;
  }
  char from[4200], to[4200];
  for (int i = p->log_max_file - 1; i >= 1; i--) {
    if (i == 1) snprintf(from, sizeof from, "%s", p->log_path);
    else snprintf(from, sizeof from, "%s.%d", p->log_path, i - 1);
    snprintf(to, sizeof to, "%s.%d", p->log_path, i);
    rename(from, to); /* a file that is not there yet is nothing to move */
  }
  int fd = open(p->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return; /* lines keep going to the renamed file */
  if (dup3(fd, m->log_fd, O_CLOEXEC) < 0) {
    close(m->log_fd);
    m->log_fd = fd;
    return;
  }
  close(fd);
}

static void writev_all(int fd, struct iovec *v, int cnt) {
  while (cnt > 0) {
    ssize_t w = writev(fd, v, cnt > IOV_MAX ? IOV_MAX : cnt);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) return; /* those lines are lost, the next ones are tried */
    while (cnt > 0 && (size_t)w >= v->iov_len) w -= (ssize_t)v->iov_len, v++, cnt--;
    if (cnt > 0) v->iov_base = (char *)v->iov_base + w, v->iov_len -= (size_t)w;
  }
}

/* Writes what was gathered. */
static void flush(struct monitor *m) {
  if (nbatch > 0) writev_all(m->log_fd, batch, nbatch);
  if (rec_len > 0) write_all(m->log_fd, rec_buf, rec_len);
  nbatch = 0;
  rec_len = 0;
}

/* Makes room for a record of len bytes in the current file, writing what was gathered for
 * the file about to be rotated first. */
static void room_for(struct monitor *m, size_t len) {
  const struct skiff_plan *p = m->plan;
  if (p->log_max_size > 0 && m->log_size > 0 && m->log_size + (long long)len > p->log_max_size) {
    flush(m);
    rotate(m);
  }
  m->log_size += (long long)len;
}

/* One k8s-file record: "<ts> <stream> F|P <text>\n"; head is "<ts> <stream> F|P ". The text
 * of a full line is followed by its newline in the chunk, so it is one iovec. */
static void write_k8s(struct monitor *m, const char *head, size_t hl, int full,
                      const unsigned char *text, size_t len) {
  room_for(m, hl + len + 1);
  if (nbatch + 3 > (int)(sizeof batch / sizeof *batch)) flush(m);
  batch[nbatch++] = (struct iovec){(void *)head, hl};
  batch[nbatch++] = (struct iovec){(void *)text, full ? len + 1 : len};
  if (!full) batch[nbatch++] = (struct iovec){"\n", 1};
}

/* One json-file record, gathered in rec_buf, or written in pieces when it does not fit. */
static void write_json(struct monitor *m, const char *stream, const char *ts,
                       const unsigned char *text, size_t len) {
  size_t total = log_json_record(NULL, 0, stream, ts, text, len);
  room_for(m, total);
  if (total < sizeof rec_buf) {
    if (rec_len + total >= sizeof rec_buf) flush(m);
    log_json_record(rec_buf + rec_len, sizeof rec_buf - rec_len, stream, ts, text, len);
    rec_len += total;
    return;
  }
  flush(m);
  char tail[JSON_TAIL_MAX];
  int tl;
  json_parts(tail, sizeof tail, stream, ts, &tl);
  if (write_all(m->log_fd, JSON_HEAD, sizeof JSON_HEAD - 1) < 0) return;
  while (len > 0) {
    size_t used;
    size_t o = escape_into(rec_buf, sizeof rec_buf, text, len, &used);
    if (write_all(m->log_fd, rec_buf, o) < 0) return;
    text += used;
    len -= used;
  }
  write_all(m->log_fd, tail, (size_t)tl);
}

/* One journald datagram: MESSAGE (binary-safe form), PRIORITY and the container's fields. */
static void write_journal(struct monitor *m, const char *stream, int full,
                          const unsigned char *text, size_t len) {
  const struct skiff_plan *p = m->plan;
  uint64_t le = 0;
  for (int i = 0; i < 8; i++) ((unsigned char *)&le)[i] = (unsigned char)((uint64_t)len >> (8 * i));
  char meta[1024];
  const char *id = p->id ? p->id : "";
  const char *tag = p->log_tag ? p->log_tag : "";
  int ml = snprintf(meta, sizeof meta,
                    "\nPRIORITY=%d\nCONTAINER_ID=%.12s\nCONTAINER_ID_FULL=%s\n"
                    "CONTAINER_TAG=%s\nSYSLOG_IDENTIFIER=%s\n%s",
                    strcmp(stream, "stderr") ? 6 : 3, id, id, tag, tag,
                    full ? "" : "CONTAINER_PARTIAL_MESSAGE=true\n");
  if (ml >= (int)sizeof meta) ml = sizeof meta - 1;
  struct iovec iov[4] = {{"MESSAGE\n", 8}, {&le, 8}, {(void *)text, len}, {meta, (size_t)ml}};
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 4};
  while (sendmsg(m->journal_fd, &msg, MSG_NOSIGNAL) < 0 && errno == EINTR) {
  }
}

void monitor_log_output(struct monitor *m, const char *stream, const unsigned char *data,
                        size_t n) {
  if (n == 0 || (m->log_fd < 0 && m->journal_fd < 0)) return;
  char ts[64], full[80], partial[80];
  format_time(ts, sizeof ts);
  int fl = snprintf(full, sizeof full, "%s %s F ", ts, stream);
  int pl = snprintf(partial, sizeof partial, "%s %s P ", ts, stream);
  while (n > 0) {
    const unsigned char *nl = memchr(data, '\n', n);
    size_t len = nl ? (size_t)(nl - data) : n;
    if (m->journal_fd >= 0) write_journal(m, stream, nl != NULL, data, len);
    else if (m->plan->log_driver == DRIVER_JSON) write_json(m, stream, ts, data, nl ? len + 1 : len);
    else if (nl) write_k8s(m, full, (size_t)fl, 1, data, len);
    else write_k8s(m, partial, (size_t)pl, 0, data, len);
    if (!nl) break;
    data += len + 1;
    n -= len + 1;
  }
  if (m->log_fd >= 0) flush(m);
}
