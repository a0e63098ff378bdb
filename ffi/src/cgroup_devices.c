/* cgroup_devices.c: the device rules of a container on cgroup v2, as an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE attached to its cgroup (what runc, crun and systemd do; built
 * here by hand, without libbpf).
 *
 * The kernel runs the program for every mknod and every open of a device node by a process of
 * the cgroup, with a context of three u32: access_type ((access << 16) | type), major, minor.
 * The program returns 1 to allow and 0 to deny (the caller then gets EPERM). Its shape:
 *
 *   r2 = type; r3 = access; r4 = major; r5 = minor
 *   for each rule, last first (a later rule overrides an earlier one):
 *     if r2 != rule.type             goto next   (left out for type "a")
 *     if r3 & ~rule.access           goto next   (left out for "rwm")
 *     if r4 != rule.major            goto next   (left out for "*")
 *     if r5 != rule.minor            goto next   (left out for "*")
 *     r0 = rule.allow; exit
 *   next: ...
 *   r0 = 0; exit                                 (no rule matched: deny)
 *
 * A rule without any condition matches everything, so nothing after it is emitted (the
 * verifier refuses unreachable instructions). */
#include "cgroup_devices.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define ALL_ACCESS (BPF_DEVCG_ACC_MKNOD | BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE)

struct prog {
  struct bpf_insn *insn;
  uint32_t len, cap;
  int overflow;
};

static void emit(struct prog *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off,
                 int32_t imm) {
  if (p->len >= p->cap) {
    p->overflow = 1;
    return;
  }
  struct bpf_insn *i = &p->insn[p->len++];
  memset(i, 0, sizeof *i);
  i->code = code;
  i->dst_reg = dst & 0xf;
  i->src_reg = src & 0xf;
  i->off = off;
  i->imm = imm;
}

/* A conditional jump to the next rule; its offset is filled in once the rule is complete. */
static void emit_skip(struct prog *p, uint32_t *pending, uint32_t *npending, uint8_t op,
                      uint8_t reg, int32_t imm) {
  pending[(*npending)++] = p->len;
  emit(p, BPF_JMP | op | BPF_K, reg, 0, 0, imm);
}

static int valid(const struct skiff_dev_rule *r) {
  return r->type >= 0 && r->type <= BPF_DEVCG_DEV_CHAR && r->major >= -1 &&
         r->minor >= -1 && (r->access & ~ALL_ACCESS) == 0 && (r->allow == 0 || r->allow == 1);
}

int skiff_dev_program(const struct skiff_dev_rule *rules, uint32_t nrules, void *out,
                      uint32_t cap) {
  if (nrules > SKIFF_DEV_RULES_MAX) return -E2BIG;
  for (uint32_t k = 0; k < nrules; k++) {
    if (!valid(&rules[k])) return -EINVAL;
  }
  struct prog p = {.insn = out, .len = 0, .cap = cap, .overflow = 0};
  /* r2 = access_type & 0xffff, r3 = access_type >> 16, r4 = major, r5 = minor */
  emit(&p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_2, BPF_REG_1, 0, 0);
  emit(&p, BPF_ALU | BPF_AND | BPF_K, BPF_REG_2, 0, 0, 0xffff);
  emit(&p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_3, BPF_REG_1, 0, 0);
  emit(&p, BPF_ALU | BPF_RSH | BPF_K, BPF_REG_3, 0, 0, 16);
  emit(&p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_4, BPF_REG_1, 4, 0);
  emit(&p, BPF_LDX | BPF_W | BPF_MEM, BPF_REG_5, BPF_REG_1, 8, 0);
  int catch_all = 0;
  for (uint32_t k = nrules; k-- > 0 && !catch_all;) {
    const struct skiff_dev_rule *r = &rules[k];
    uint32_t pending[4], npending = 0;
    if (r->type != 0) emit_skip(&p, pending, &npending, BPF_JNE, BPF_REG_2, r->type);
    if (r->access != ALL_ACCESS) {
      emit_skip(&p, pending, &npending, BPF_JSET, BPF_REG_3, ~r->access & 0xffff);
    }
    if (r->major >= 0) emit_skip(&p, pending, &npending, BPF_JNE, BPF_REG_4, r->major);
    if (r->minor >= 0) emit_skip(&p, pending, &npending, BPF_JNE, BPF_REG_5, r->minor);
    emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, r->allow);
    emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    if (p.overflow) return -E2BIG;
    for (uint32_t j = 0; j < npending; j++) {
      p.insn[pending[j]].off = (int16_t)(p.len - pending[j] - 1);
    }
    catch_all = npending == 0;
  }
  if (!catch_all) {
    emit(&p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 0);
    emit(&p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
  }
  return p.overflow ? -E2BIG : (int)p.len;
}

static int bpf(int cmd, union bpf_attr *attr) {
  return (int)syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

static int load(const struct bpf_insn *insn, uint32_t len) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)insn;
  attr.insn_cnt = len;
  /* cgroup device programs call no helper, so any license is accepted; GPL as runc and crun */
  attr.license = (uint64_t)(uintptr_t) "GPL";
  int fd = bpf(BPF_PROG_LOAD, &attr);
  if (fd < 0 && errno == EPERM) {
    /* before Linux 5.11 programs were charged to RLIMIT_MEMLOCK: raise it as far as allowed */
    struct rlimit rl;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      if (setrlimit(RLIMIT_MEMLOCK, &rl) == 0) fd = bpf(BPF_PROG_LOAD, &attr);
    }
  }
  return fd < 0 ? -errno : fd;
}

/* Ids of the device programs attached to the cgroup itself (not inherited); *n their count. */
static int attached(int dirfd, uint32_t **ids, uint32_t *n) {
  for (uint32_t cap = 64;; cap *= 2) {
    uint32_t *buf = calloc(cap, sizeof *buf);
    if (buf == NULL) return -ENOMEM;
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.query.target_fd = (uint32_t)dirfd;
    attr.query.attach_type = BPF_CGROUP_DEVICE;
    attr.query.prog_ids = (uint64_t)(uintptr_t)buf;
    attr.query.prog_cnt = cap;
    if (bpf(BPF_PROG_QUERY, &attr) == 0) {
      *ids = buf;
      *n = attr.query.prog_cnt;
      return 0;
    }
    int e = errno;
    free(buf);
    if (e != ENOSPC || cap >= 65536) return -e;
  }
}

static int detach(int dirfd, uint32_t id) {
  union bpf_attr attr;
  memset(&attr, 0, sizeof attr);
  attr.prog_id = id;
  int fd = bpf(BPF_PROG_GET_FD_BY_ID, &attr);
  if (fd < 0) return errno == ENOENT ? 0 : -errno; /* already gone */
  memset(&attr, 0, sizeof attr);
  attr.target_fd = (uint32_t)dirfd;
  attr.attach_bpf_fd = (uint32_t)fd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  int rc = bpf(BPF_PROG_DETACH, &attr) < 0 && errno != ENOENT ? -errno : 0;
  close(fd);
  return rc;
}

int skiff_cgroup_device_filter(const char *dir, const struct skiff_dev_rule *rules,
                               uint32_t nrules) {
  if (nrules > SKIFF_DEV_RULES_MAX) return -E2BIG;
  uint32_t cap = 8 + 7 * nrules;
  struct bpf_insn *insn = calloc(cap, sizeof *insn);
  if (insn == NULL) return -ENOMEM;
  int len = skiff_dev_program(rules, nrules, insn, cap);
  if (len < 0) {
    free(insn);
    return len;
  }
  int progfd = load(insn, (uint32_t)len);
  free(insn);
  if (progfd < 0) return progfd;
  int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    int e = errno;
    close(progfd);
    return -e;
  }
  uint32_t *old = NULL, nold = 0;
  int rc = attached(dirfd, &old, &nold);
  if (rc == 0) {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.target_fd = (uint32_t)dirfd;
    attr.attach_bpf_fd = (uint32_t)progfd;
    attr.attach_type = BPF_CGROUP_DEVICE;
    attr.attach_flags = BPF_F_ALLOW_MULTI;
    rc = bpf(BPF_PROG_ATTACH, &attr) < 0 ? -errno : 0;
  }
  /* the new program is in place: only now drop the ones it replaces */
  for (uint32_t k = 0; rc == 0 && k < nold; k++) rc = detach(dirfd, old[k]);
  free(old);
  close(dirfd);
  close(progfd); /* the attachment holds the program */
  return rc;
}
