/* The launch plan reader. The TypeScript side (src/runtime/plan_format.ts) writes
 * "skiff-plan\t1" and then one directive a line: a word, then tab-separated fields in which
 * backslash, tab and newline are escaped as \\, \t and \n. Everything is parsed here, before
 * any clone, so the child only reads ready-made data. */
#include "skiff.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FIELDS 64

static int push(void *arrp, size_t *n, size_t elem, const void *value) {
  void **arr = arrp;
  /* one spare zeroed slot at the end keeps string arrays NULL-terminated */
  char *grown = realloc(*arr, (*n + 2) * elem);
  if (!grown) return -ENOMEM;
  memcpy(grown + *n * elem, value, elem);
  memset(grown + (*n + 1) * elem, 0, elem);
  *arr = grown;
  (*n)++;
  return 0;
}

static void unescape(char *s) {
  char *o = s;
  for (char *p = s; *p; p++) {
    if (*p == '\\' && p[1]) {
      p++;
      *o++ = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p;
    } else {
      *o++ = *p;
    }
  }
  *o = 0;
}

static int parse_num(const char *s, long long lo, long long hi, long long *out) {
  char *end;
  errno = 0;
  long long v = strtoll(s, &end, 0);
  if (errno || end == s || *end || v < lo || v > hi) return -1;
  *out = v;
  return 0;
}

static int parse_u64(const char *s, unsigned long long *out) {
  char *end;
  errno = 0;
  if (*s == '-') {
    long long v = strtoll(s, &end, 0);
    if (errno || *end) return -1;
    *out = (unsigned long long)v;
    return 0;
  }
  unsigned long long v = strtoull(s, &end, 0);
  if (errno || end == s || *end) return -1;
  *out = v;
  return 0;
}

static const struct {
  const char *name;
  int resource;
} rlimits[] = {
    {"as", RLIMIT_AS},         {"core", RLIMIT_CORE},           {"cpu", RLIMIT_CPU},
    {"data", RLIMIT_DATA},     {"fsize", RLIMIT_FSIZE},         {"locks", RLIMIT_LOCKS},
    {"memlock", RLIMIT_MEMLOCK}, {"msgqueue", RLIMIT_MSGQUEUE}, {"nice", RLIMIT_NICE},
    {"nofile", RLIMIT_NOFILE}, {"nproc", RLIMIT_NPROC},         {"rss", RLIMIT_RSS},
    {"rtprio", RLIMIT_RTPRIO}, {"rttime", RLIMIT_RTTIME},       {"sigpending", RLIMIT_SIGPENDING},
    {"stack", RLIMIT_STACK},
};

static int ns_from_name(const char *s) {
  static const char *names[] = {[SKIFF_NS_USER] = "user", [SKIFF_NS_MNT] = "mount",
                                [SKIFF_NS_PID] = "pid",   [SKIFF_NS_NET] = "net",
                                [SKIFF_NS_IPC] = "ipc",   [SKIFF_NS_UTS] = "uts",
                                [SKIFF_NS_CGROUP] = "cgroup"};
  for (int i = 0; i < SKIFF_NS_COUNT; i++)
    if (strcmp(s, names[i]) == 0) return i;
  if (strcmp(s, "mnt") == 0) return SKIFF_NS_MNT;
  return -1;
}

/* Handles one directive; returns 0, or -1 with err filled (line number added by the caller). */
static int directive(struct skiff_plan *p, char **f, int n, struct skiff_err *err) {
  const char *d = f[0];
  long long v;
  struct skiff_process *pr = &p->proc;
#define NEED(k)                                                                                  \
  do {                                                                                           \
    if (n - 1 < (k)) return skiff_error(err, 0, "%s: expected %d fields, found %d", d, k, n - 1); \
  } while (0)
#define NUM(s, lo, hi, out)                                                                      \
  do {                                                                                           \
    if (parse_num(s, lo, hi, &v) < 0) return skiff_error(err, 0, "%s: bad number \"%s\"", d, s); \
    out = v;                                                                                     \
  } while (0)
#define PUSH(arr, cnt, val)                                                                      \
  do {                                                                                           \
    if (push(&(arr), &(cnt), sizeof *(arr), &(val)) < 0) return skiff_error(err, ENOMEM, "%s", d); \
  } while (0)

  if (!strcmp(d, "id")) {
    NEED(1);
    p->id = f[1];
  } else if (!strcmp(d, "lower")) {
    NEED(1);
    PUSH(p->lowerdirs, p->nlower, f[1]);
  } else if (!strcmp(d, "upper")) {
    NEED(1);
    p->upperdir = f[1];
  } else if (!strcmp(d, "work")) {
    NEED(1);
    p->workdir = f[1];
  } else if (!strcmp(d, "target")) {
    NEED(1);
    p->target = f[1];
  } else if (!strcmp(d, "readonly-root")) {
    NEED(1);
    NUM(f[1], 0, 1, p->readonly_root);
  } else if (!strcmp(d, "hostname")) {
    NEED(1);
    p->hostname = f[1];
  } else if (!strcmp(d, "domainname")) {
    NEED(1);
    p->domainname = f[1];
  } else if (!strcmp(d, "arg")) {
    NEED(1);
    size_t cnt = 0;
    while (pr->args && pr->args[cnt]) cnt++;
    PUSH(pr->args, cnt, f[1]);
  } else if (!strcmp(d, "env")) {
    NEED(1);
    size_t cnt = 0;
    while (pr->env && pr->env[cnt]) cnt++;
    PUSH(pr->env, cnt, f[1]);
  } else if (!strcmp(d, "cwd")) {
    NEED(1);
    pr->cwd = f[1];
  } else if (!strcmp(d, "user")) {
    NEED(2);
    NUM(f[1], 0, 0xffffffffLL, pr->uid);
    NUM(f[2], 0, 0xffffffffLL, pr->gid);
  } else if (!strcmp(d, "group")) {
    NEED(1);
    gid_t g;
    NUM(f[1], 0, 0xffffffffLL, g);
    PUSH(pr->gids, pr->ngids, g);
  } else if (!strcmp(d, "terminal")) {
    NEED(1);
    NUM(f[1], 0, 1, pr->terminal);
  } else if (!strcmp(d, "stdin")) {
    NEED(1);
    NUM(f[1], 0, 1, pr->open_stdin);
  } else if (!strcmp(d, "cap")) {
    NEED(1);
    int c = skiff_cap_from_name(f[1]);
    if (c < 0) return skiff_error(err, 0, "cap: unknown capability \"%s\"", f[1]);
    pr->caps |= 1ULL << c;
  } else if (!strcmp(d, "no-new-privileges")) {
    NEED(1);
    NUM(f[1], 0, 1, pr->no_new_privs);
  } else if (!strcmp(d, "seccomp")) {
    NEED(1);
    pr->seccomp.enabled = 1;
    NUM(f[1], 0, 4095, pr->seccomp.default_errno);
  } else if (!strcmp(d, "seccomp-allow")) {
    for (int i = 1; i < n; i++) {
      unsigned nr;
      NUM(f[i], 0, 0xffffffffLL, nr);
      PUSH(pr->seccomp.allow, pr->seccomp.nallow, nr);
    }
  } else if (!strcmp(d, "seccomp-cond")) {
    NEED(5);
    struct skiff_seccomp_cond c = {0};
    NUM(f[1], 0, 0xffffffffLL, c.nr);
    NUM(f[2], 0, 5, c.arg);
    if (!strcmp(f[3], "eq")) c.masked = 0;
    else if (!strcmp(f[3], "maskedEq")) c.masked = 1;
    else return skiff_error(err, 0, "seccomp-cond: unknown operator \"%s\"", f[3]);
    if (parse_u64(f[4], &c.value) < 0 || parse_u64(f[5], &c.mask) < 0)
      return skiff_error(err, 0, "seccomp-cond: bad value or mask");
    PUSH(pr->seccomp.cond, pr->seccomp.ncond, c);
  } else if (!strcmp(d, "seccomp-errno")) {
    NEED(2);
    struct skiff_seccomp_errno e = {0};
    NUM(f[1], 0, 0xffffffffLL, e.nr);
    NUM(f[2], 0, 4095, e.errno_value);
    PUSH(pr->seccomp.errnos, pr->seccomp.nerrnos, e);
  } else if (!strcmp(d, "rlimit")) {
    NEED(3);
    struct skiff_rlimit r = {.resource = -1};
    for (size_t i = 0; i < sizeof rlimits / sizeof *rlimits; i++)
      if (!strcasecmp(f[1], rlimits[i].name) ||
          (!strncasecmp(f[1], "RLIMIT_", 7) && !strcasecmp(f[1] + 7, rlimits[i].name)))
        r.resource = rlimits[i].resource;
    if (r.resource < 0) return skiff_error(err, 0, "rlimit: unknown limit \"%s\"", f[1]);
    if (parse_u64(f[2], &r.soft) < 0 || parse_u64(f[3], &r.hard) < 0)
      return skiff_error(err, 0, "rlimit: bad value");
    PUSH(pr->rlimits, pr->nrlimits, r);
  } else if (!strcmp(d, "oom-score-adj")) {
    NEED(1);
    pr->has_oom_score_adj = 1;
    NUM(f[1], -1000, 1000, pr->oom_score_adj);
  } else if (!strcmp(d, "namespace")) {
    NEED(1);
    int ns = ns_from_name(f[1]);
    if (ns < 0) return skiff_error(err, 0, "namespace: unknown type \"%s\"", f[1]);
    if (n > 2 && f[2][0]) p->ns_path[ns] = f[2];
    else p->ns_new[ns] = 1;
  } else if (!strcmp(d, "mount")) {
    NEED(5);
    struct skiff_mount m = {.source = f[1], .destination = f[2], .type = f[3]};
    /* option words that are not flags become file-system data, as mount(8) does */
    size_t cap = strlen(f[4]) + strlen(f[5]) + 2, len = 0;
    char *data = malloc(cap);
    if (!data) return skiff_error(err, ENOMEM, "mount");
    data[0] = 0;
    if (f[5][0]) len = (size_t)stpcpy(data, f[5]) - (size_t)data;
    for (char *save = NULL, *w = strtok_r(f[4], ",", &save); w; w = strtok_r(NULL, ",", &save)) {
      if (skiff_mount_flag(w, &m.flags, &m.propagation, &m.bind)) continue;
      if (len) data[len++] = ',';
      len = (size_t)stpcpy(data + len, w) - (size_t)data;
    }
    m.data = data;
    if (n > 6 && f[6][0]) m.subpath = f[6];
    if (!strcmp(m.type, "bind")) m.bind = m.bind ? m.bind : 1;
    PUSH(p->mounts, p->nmounts, m);
  } else if (!strcmp(d, "device")) {
    NEED(7);
    struct skiff_device dev = {.path = f[1], .type = f[2][0]};
    if ((dev.type != 'c' && dev.type != 'b') || f[2][1])
      return skiff_error(err, 0, "device: bad type \"%s\"", f[2]);
    NUM(f[3], 0, 0xfffff, dev.major);
    NUM(f[4], 0, 0xfffff, dev.minor);
    NUM(f[5], 0, 07777, dev.mode);
    NUM(f[6], 0, 0xffffffffLL, dev.uid);
    NUM(f[7], 0, 0xffffffffLL, dev.gid);
    PUSH(p->devices, p->ndevices, dev);
  } else if (!strcmp(d, "sysctl")) {
    NEED(2);
    if (f[1][0] == '/' || strstr(f[1], ".."))
      return skiff_error(err, 0, "sysctl: bad path \"%s\"", f[1]);
    size_t cnt = p->nsysctls;
    PUSH(p->sysctl_values, cnt, f[2]);
    PUSH(p->sysctl_paths, p->nsysctls, f[1]);
  } else if (!strcmp(d, "masked")) {
    NEED(1);
    PUSH(p->masked, p->nmasked, f[1]);
  } else if (!strcmp(d, "readonly-path")) {
    NEED(1);
    PUSH(p->readonly, p->nreadonly, f[1]);
  } else if (!strcmp(d, "cgroup")) {
    NEED(1);
    PUSH(p->cgroups, p->ncgroups, f[1]);
  } else if (!strcmp(d, "uid-map") || !strcmp(d, "gid-map")) {
    NEED(3);
    /* fields are joined back into the "c h s" line written to uid_map */
    size_t l = strlen(f[1]) + strlen(f[2]) + strlen(f[3]) + 4;
    char *line = malloc(l);
    if (!line) return skiff_error(err, ENOMEM, "%s", d);
    snprintf(line, l, "%s %s %s", f[1], f[2], f[3]);
    if (d[0] == 'u') PUSH(p->uidmaps, p->nuidmaps, line);
    else PUSH(p->gidmaps, p->ngidmaps, line);
  } else if (!strcmp(d, "state-dir")) {
    NEED(1);
    p->state_dir = f[1];
  } else if (!strcmp(d, "log-path")) {
    NEED(1);
    p->log_path = f[1];
  } else if (!strcmp(d, "stop-signal")) {
    NEED(1);
    p->stop_signal = f[1];
  } else if (!strcmp(d, "restart")) {
    NEED(2);
    static const char *pol[] = {"no", "on-failure", "always", "unless-stopped"};
    p->restart_policy = -1;
    for (int i = 0; i < 4; i++)
      if (!strcmp(f[1], pol[i])) p->restart_policy = i;
    if (p->restart_policy < 0) return skiff_error(err, 0, "restart: unknown policy \"%s\"", f[1]);
    NUM(f[2], 0, 1 << 30, p->restart_max);
  } else if (!strcmp(d, "network-hook") || !strcmp(d, "cleanup")) {
    char ***arr = d[0] == 'n' ? &p->network_hook : &p->cleanup;
    size_t cnt = 0;
    for (int i = 1; i < n; i++) PUSH(*arr, cnt, f[i]);
  } else if (!strcmp(d, "health")) {
    NEED(4);
    NUM(f[1], 1, 1LL << 40, p->health_interval_ms);
    NUM(f[2], 0, 1LL << 40, p->health_start_period_ms);
    NUM(f[3], 0, 1LL << 40, p->health_start_interval_ms);
    size_t cnt = 0;
    for (int i = 4; i < n; i++) PUSH(p->health_cmd, cnt, f[i]);
  } else if (!strcmp(d, "health-deadline")) {
    NEED(1);
    NUM(f[1], 0, 1LL << 40, p->health_deadline_ms);
  } else if (!strcmp(d, "log-driver")) {
    NEED(1);
    static const char *drv[] = {"k8s-file", "json-file", "journald"};
    p->log_driver = -1;
    for (int i = 0; i < 3; i++)
      if (!strcmp(f[1], drv[i])) p->log_driver = i;
    if (p->log_driver < 0) return skiff_error(err, 0, "log-driver: unknown driver \"%s\"", f[1]);
    if (p->log_driver == 2) {
      NEED(2);
      p->journal_socket = f[2];
    }
  } else if (!strcmp(d, "log-rotate")) {
    NEED(2);
    NUM(f[1], 1, 1LL << 50, p->log_max_size);
    NUM(f[2], 1, 1 << 20, p->log_max_file);
  } else if (!strcmp(d, "log-tag")) {
    NEED(1);
    p->log_tag = f[1];
  } else if (!strcmp(d, "remove-cgroups")) {
    NEED(1);
    NUM(f[1], 0, 1, p->remove_cgroups);
  } else if (!strcmp(d, "netns-release")) {
    NEED(1);
    if (f[1][0] != '/')
      return skiff_error(err, 0, "netns-release: expected an absolute path, found \"%s\"", f[1]);
    size_t cnt = 0;
    while (p->netns_release && p->netns_release[cnt]) cnt++;
    PUSH(p->netns_release, cnt, f[1]);
  } else if (!strcmp(d, "exit-record")) {
    NEED(1);
    p->exit_record = f[1];
  } else if (!strcmp(d, "remove")) {
    NEED(1);
    if (f[1][0] != '/')
      return skiff_error(err, 0, "remove: expected an absolute path, found \"%s\"", f[1]);
    struct skiff_removal rm = {.path = f[1],
                               .lock = n > 2 && f[2][0] ? f[2] : NULL,
                               .if_content = n > 3 && f[3][0] ? f[3] : NULL};
    PUSH(p->removals, p->nremovals, rm);
  } else if (!strcmp(d, "die-event")) {
    NEED(2);
    p->event_log = f[1];
    p->event_template = f[2];
  } else if (!strcmp(d, "wait-for-attach")) {
    NEED(1);
    NUM(f[1], 0, 1, p->wait_for_attach);
  } else if (!strcmp(d, "exec-pid")) {
    NEED(1);
    NUM(f[1], 1, 0x7fffffff, p->exec_pid);
  } else if (!strcmp(d, "detach")) {
    NEED(1);
    NUM(f[1], 0, 1, p->detach);
  } else if (!strcmp(d, "detach-keys")) {
    NEED(1);
    if (n - 1 > (int)sizeof p->detach_keys)
      return skiff_error(err, 0, "detach-keys: at most %d keys", (int)sizeof p->detach_keys);
    for (int i = 1; i < n; i++) {
      int key;
      NUM(f[i], 0, 255, key);
      p->detach_keys[p->ndetach_keys++] = (unsigned char)key;
    }
  } else {
    return skiff_error(err, 0, "unknown directive \"%s\"", d);
  }
  return 0;
#undef NEED
#undef NUM
#undef PUSH
}

int skiff_plan_parse(char *buf, struct skiff_plan *p, struct skiff_err *err) {
  memset(p, 0, sizeof *p);
  int lineno = 0;
  char *save = NULL;
  for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    lineno++;
    char *f[MAX_FIELDS];
    int n = 0;
    for (char *s = line;;) {
      if (n == MAX_FIELDS) return skiff_error(err, 0, "plan line %d: too many fields", lineno);
      f[n++] = s;
      char *tab = strchr(s, '\t');
      if (!tab) break;
      *tab = 0;
      s = tab + 1;
    }
    for (int i = 0; i < n; i++) unescape(f[i]);
    if (lineno == 1) {
      if (strcmp(f[0], "skiff-plan") || n < 2 || strcmp(f[1], "1"))
        return skiff_error(err, 0, "plan: expected \"skiff-plan 1\" header");
      continue;
    }
    /* a directive with many numbers (seccomp-allow) may span several lines: all repeat */
    if (directive(p, f, n, err) < 0) {
      char msg[sizeof err->msg - 32];
      snprintf(msg, sizeof msg, "%.960s", err->msg);
      snprintf(err->msg, sizeof err->msg, "plan line %d: %s", lineno, msg);
      return -1;
    }
  }
  if (lineno == 0) return skiff_error(err, 0, "plan: empty");
  if (!p->proc.args || !p->proc.args[0]) return skiff_error(err, 0, "plan: no process arguments");
  if (!p->proc.cwd) p->proc.cwd = "/";
  if (!p->proc.env) {
    static char *noenv[] = {NULL};
    p->proc.env = noenv;
  }
  static char *noargs[] = {NULL};
  if (!p->network_hook) p->network_hook = noargs;
  if (!p->cleanup) p->cleanup = noargs;
  if (!p->health_cmd) p->health_cmd = noargs;
  if (!p->netns_release) p->netns_release = noargs;
  if (!p->exec_pid && (!p->target || !p->state_dir))
    return skiff_error(err, 0, "plan: target and state-dir are required");
  return 0;
}

int skiff_plan_load(const char *path, struct skiff_plan *plan, struct skiff_err *err) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return skiff_error(err, errno, "open plan %s", path);
  struct stat st;
  if (fstat(fd, &st) < 0) {
    int e = errno;
    close(fd);
    return skiff_error(err, e, "stat plan %s", path);
  }
  char *buf = malloc(st.st_size + 1);
  if (!buf) {
    close(fd);
    return skiff_error(err, ENOMEM, "read plan %s", path);
  }
  size_t got = 0;
  while (got < (size_t)st.st_size) {
    ssize_t r = read(fd, buf + got, st.st_size - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      int e = r < 0 ? errno : EIO;
      close(fd);
      free(buf);
      return skiff_error(err, e, "read plan %s", path);
    }
    got += r;
  }
  close(fd);
  buf[got] = 0;
  return skiff_plan_parse(buf, plan, err); /* buf lives as long as the plan */
}
