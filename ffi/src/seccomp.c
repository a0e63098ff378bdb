/* The seccomp filter: a classic BPF program built from the plan's allow list.
 *   arch != x86_64            -> errno
 *   nr == allowed[i]          -> allow
 *   nr == errnos[i].nr        -> errno(errnos[i].errno_value)
 *   nr == c.nr && arg matches -> allow (one block per conditional rule; rules are ORed)
 *   otherwise                 -> errno(defaultErrno) */
#include "skiff.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define LD(off) ((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off)))
#define RET(v) ((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, (v)))
#define JEQ(k, t, f) ((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f)))
#define AND(k) ((struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, (k)))

int skiff_seccomp_build(const struct skiff_seccomp *sc, void *progp, size_t cap,
                        struct skiff_err *err) {
  struct sock_filter *prog = progp;
  size_t n = 0;
  size_t need = 5 + 2 * sc->nallow + 2 * sc->nerrnos + 10 * sc->ncond;
  if (need > cap || need > BPF_MAXINSNS)
    return skiff_error(err, E2BIG, "seccomp: filter of %zu instructions", need);
  uint32_t deny = SECCOMP_RET_ERRNO | (sc->default_errno & SECCOMP_RET_DATA);
  prog[n++] = LD(offsetof(struct seccomp_data, arch));
  prog[n++] = JEQ(AUDIT_ARCH_X86_64, 1, 0);
  prog[n++] = RET(deny);
  prog[n++] = LD(offsetof(struct seccomp_data, nr));
  for (size_t i = 0; i < sc->nallow; i++) {
    prog[n++] = JEQ(sc->allow[i], 0, 1);
    prog[n++] = RET(SECCOMP_RET_ALLOW);
  }
  for (size_t i = 0; i < sc->nerrnos; i++) {
    prog[n++] = JEQ(sc->errnos[i].nr, 0, 1);
    prog[n++] = RET(SECCOMP_RET_ERRNO | (sc->errnos[i].errno_value & SECCOMP_RET_DATA));
  }
  for (size_t i = 0; i < sc->ncond; i++) {
    const struct skiff_seccomp_cond *c = &sc->cond[i];
    uint32_t lo_off = offsetof(struct seccomp_data, args) + 8 * c->arg, hi_off = lo_off + 4;
    uint32_t mask_lo = c->masked ? (uint32_t)c->mask : 0xffffffffu;
    uint32_t mask_hi = c->masked ? (uint32_t)(c->mask >> 32) : 0xffffffffu;
    /* block: ld nr; jeq nr; ld lo; and; jeq lo; ld hi; and; jeq hi; ret allow (9 insns) */
    prog[n++] = LD(offsetof(struct seccomp_data, nr));
    prog[n++] = JEQ(c->nr, 0, 7);
    prog[n++] = LD(lo_off);
    prog[n++] = AND(mask_lo);
    prog[n++] = JEQ((uint32_t)c->value & mask_lo, 0, 4);
    prog[n++] = LD(hi_off);
    prog[n++] = AND(mask_hi);
    prog[n++] = JEQ((uint32_t)(c->value >> 32) & mask_hi, 0, 1);
    prog[n++] = RET(SECCOMP_RET_ALLOW);
  }
  prog[n++] = RET(deny);
  return (int)n;
}

int skiff_seccomp_prepare(struct skiff_seccomp *sc, struct skiff_err *err) {
  if (!sc->enabled || sc->prog) return 0;
  size_t cap = 5 + 2 * sc->nallow + 2 * sc->nerrnos + 10 * sc->ncond;
  struct sock_filter *prog = calloc(cap, sizeof *prog);
  if (!prog) return skiff_error(err, ENOMEM, "seccomp");
  int n = skiff_seccomp_build(sc, prog, cap, err);
  if (n < 0) {
    free(prog);
    return n;
  }
  sc->prog = prog;
  sc->prog_len = (unsigned short)n;
  return 0;
}

int skiff_seccomp_install(const struct skiff_seccomp *sc, struct skiff_err *err) {
  if (!sc->enabled) return 0;
  if (!sc->prog) return skiff_error(err, EINVAL, "seccomp filter not prepared");
  struct sock_fprog fprog = {.len = sc->prog_len, .filter = sc->prog};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0 &&
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0) < 0)
    return skiff_error(err, errno, "install seccomp filter");
  return 0;
}
