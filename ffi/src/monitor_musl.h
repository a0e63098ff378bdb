/* Force-included (-include) when the monitor is built with musl (see the Makefile): what
 * glibc declares and musl 1.2.3 does not yet. Kernel uapi headers come from the host's
 * linux-libc-dev through build/kheaders (linux/, asm/, asm-generic/ only, never glibc's). */
#ifndef SKIFF_MONITOR_MUSL_H
#define SKIFF_MONITOR_MUSL_H
#include <sys/syscall.h>
#include <unistd.h>

#ifdef SYS_close_range
static inline int skiff_close_range(unsigned first, unsigned last, int flags) {
  return (int)syscall(SYS_close_range, first, last, flags);
}
#define close_range skiff_close_range
#endif

#endif
