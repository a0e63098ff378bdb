/* seccomp-probe: run inside a container, tries the system calls that a seccomp profile
 * allows or refuses depending on their arguments, the container's capabilities, the kernel
 * version or the calling convention, and prints one line per case: "<case> OK" or
 * "<case> <ERRNO NAME>" (a child killed by a signal prints "<case> SIG<n>").
 *
 * Most cases are built so that the kernel, once the filter lets the call through, fails it
 * with an errno the filter never uses (EINVAL, EBADF, ENOENT...), in an argument the filter
 * does not look at: EPERM then means "refused by the filter" and the other errno "reached the
 * kernel", without creating namespaces or sockets. A few cases do the real thing (clone and
 * unshare with CLONE_NEWUSER, personality, ptrace) in a child process, so the probe itself
 * keeps its state. Every case runs in its own child.
 *
 * The probe makes raw system calls (syscall(2)), never libc wrappers, which may change the
 * call (glibc turns fork into clone, may try clone3 first...). x86_64 only. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __x86_64__
#error "seccomp-probe knows the x86_64 system call numbers only"
#endif

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#define X32_SYSCALL_BIT 0x40000000L
#define SYS_CLONE3 435
#define HIGH_BIT (1UL << 32)
/* a socket type flag that is neither SOCK_NONBLOCK nor SOCK_CLOEXEC: the kernel answers
 * EINVAL before it looks at the family */
#define BAD_SOCK_TYPE (SOCK_STREAM | 0x100)

static const struct {
  int code;
  const char *name;
} errnos[] = {
    {EPERM, "EPERM"},   {ENOENT, "ENOENT"},   {ESRCH, "ESRCH"},   {EBADF, "EBADF"},
    {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"},   {EACCES, "EACCES"}, {EFAULT, "EFAULT"},
    {EBUSY, "EBUSY"},   {EINVAL, "EINVAL"},   {ENOSPC, "ENOSPC"}, {ENOSYS, "ENOSYS"},
    {EUSERS, "EUSERS"}, {EPROTONOSUPPORT, "EPROTONOSUPPORT"},
    {ESOCKTNOSUPPORT, "ESOCKTNOSUPPORT"}, {EOPNOTSUPP, "EOPNOTSUPP"},
    {EAFNOSUPPORT, "EAFNOSUPPORT"},
};

/* Prints "<name> OK" or "<name> <errno>" with one write, so lines of children never mix. */
static void report(const char *name, long r, int err) {
  char line[128];
  char code[16];
  const char *what = "OK";
  if (r < 0) {
    snprintf(code, sizeof code, "E%d", err);
    what = code;
    for (size_t i = 0; i < sizeof errnos / sizeof *errnos; i++)
      if (errnos[i].code == err) what = errnos[i].name;
  }
  int n = snprintf(line, sizeof line, "%s %s\n", name, what);
  if (write(1, line, (size_t)n) != n) _exit(3);
}

/* A raw system call: its result, with errno set on failure (the syscall(2) convention). */
static long sys(long nr, long a, long b, long c, long d, long e) {
  errno = 0;
  return syscall(nr, a, b, c, d, e);
}

/* clone with fork semantics (no new stack): the child exits at once. */
static long clone_fork(unsigned long flags) {
  long r = sys(SYS_clone, (long)flags, 0, 0, 0, 0);
  if (r == 0) _exit(0);
  int err = errno;
  if (r > 0) waitpid((pid_t)r, NULL, __WALL);
  errno = err;
  return r;
}

struct probe {
  const char *name;
  int kind;
  long nr, a, b, c;
};
enum { RAW, CLONE_REAL };

/* The cases, in the order printed. Names tell the call and the argument that matters. */
static const struct probe probes[] = {
    /* clone: Docker allows it without CAP_SYS_ADMIN only when arg 0 has no namespace flag.
     * CLONE_SIGHAND without CLONE_VM is EINVAL in the kernel, so nothing is created. */
    {"clone:none", RAW, SYS_clone, CLONE_SIGHAND, 0, 0},
    {"clone:NEWNS", RAW, SYS_clone, CLONE_NEWNS | CLONE_SIGHAND, 0, 0},
    {"clone:NEWCGROUP", RAW, SYS_clone, CLONE_NEWCGROUP | CLONE_SIGHAND, 0, 0},
    {"clone:NEWUTS", RAW, SYS_clone, CLONE_NEWUTS | CLONE_SIGHAND, 0, 0},
    {"clone:NEWIPC", RAW, SYS_clone, CLONE_NEWIPC | CLONE_SIGHAND, 0, 0},
    {"clone:NEWUSER", RAW, SYS_clone, CLONE_NEWUSER | CLONE_SIGHAND, 0, 0},
    {"clone:NEWPID", RAW, SYS_clone, CLONE_NEWPID | CLONE_SIGHAND, 0, 0},
    {"clone:NEWNET", RAW, SYS_clone, CLONE_NEWNET | CLONE_SIGHAND, 0, 0},
    /* ...and for real: a plain fork, and a child in a new user namespace */
    {"clone-real:fork", CLONE_REAL, SIGCHLD, 0, 0, 0},
    {"clone-real:NEWUSER", CLONE_REAL, CLONE_NEWUSER | SIGCHLD, 0, 0, 0},
    /* clone3 hides its flags in memory: ENOSYS without CAP_SYS_ADMIN so libc falls back to
     * clone; a size of 0 is EINVAL in the kernel */
    {"clone3", RAW, SYS_CLONE3, 0, 0, 0},
    /* unshare and setns need CAP_SYS_ADMIN whatever the flags; CLONE_PARENT is not a flag
     * unshare takes (EINVAL) and fd -1 is EBADF */
    {"unshare:NEWNS", RAW, SYS_unshare, CLONE_NEWNS | CLONE_PARENT, 0, 0},
    {"unshare-real:NEWUSER", RAW, SYS_unshare, CLONE_NEWUSER, 0, 0},
    {"setns", RAW, SYS_setns, -1, 0, 0},
    /* mount on a missing directory: ENOENT once past the filter */
    {"mount", RAW, SYS_mount, (long)"none", (long)"/nonexistent/seccomp-probe", (long)"tmpfs"},
    /* socket: every family but AF_ALG (38) and AF_VSOCK (40); the bad type flag makes an
     * allowed call EINVAL */
    {"socket:AF_UNIX", RAW, SYS_socket, AF_UNIX, BAD_SOCK_TYPE, 0},
    {"socket:AF_INET", RAW, SYS_socket, AF_INET, BAD_SOCK_TYPE, 0},
    {"socket:AF_NETLINK", RAW, SYS_socket, AF_NETLINK, BAD_SOCK_TYPE, 0},
    {"socket:37", RAW, SYS_socket, 37, BAD_SOCK_TYPE, 0},
    {"socket:AF_ALG", RAW, SYS_socket, 38, BAD_SOCK_TYPE, 0},
    {"socket:39", RAW, SYS_socket, 39, BAD_SOCK_TYPE, 0},
    {"socket:AF_VSOCK", RAW, SYS_socket, 40, BAD_SOCK_TYPE, 0},
    {"socket:41", RAW, SYS_socket, 41, BAD_SOCK_TYPE, 0},
    {"socket:AF_XDP", RAW, SYS_socket, 44, BAD_SOCK_TYPE, 0},
    {"socket:63", RAW, SYS_socket, 63, BAD_SOCK_TYPE, 0},
    {"socket:64", RAW, SYS_socket, 64, BAD_SOCK_TYPE, 0},
    {"socket:1000", RAW, SYS_socket, 1000, BAD_SOCK_TYPE, 0},
    {"socket:-1", RAW, SYS_socket, -1, BAD_SOCK_TYPE, 0},
    /* the kernel reads the family as an int: bits above 32 must not smuggle AF_VSOCK in */
    {"socket:AF_VSOCK+2^32", RAW, SYS_socket, (long)(40 | HIGH_BIT), BAD_SOCK_TYPE, 0},
    {"socket:AF_ALG+2^32", RAW, SYS_socket, (long)(38 | HIGH_BIT), BAD_SOCK_TYPE, 0},
    /* ...and real sockets */
    {"socket-real:AF_INET", RAW, SYS_socket, AF_INET, SOCK_STREAM, 0},
    {"socket-real:AF_VSOCK", RAW, SYS_socket, 40, SOCK_STREAM, 0},
    /* personality: only Docker's five values (the kernel never fails it) */
    {"personality:PER_LINUX", RAW, SYS_personality, PER_LINUX, 0, 0},
    {"personality:PER_LINUX32", RAW, SYS_personality, PER_LINUX32, 0, 0},
    {"personality:UNAME26", RAW, SYS_personality, UNAME26, 0, 0},
    {"personality:PER_LINUX32|UNAME26", RAW, SYS_personality, PER_LINUX32 | UNAME26, 0, 0},
    {"personality:query", RAW, SYS_personality, 0xffffffffL, 0, 0},
    {"personality:ADDR_NO_RANDOMIZE", RAW, SYS_personality, ADDR_NO_RANDOMIZE, 0, 0},
    {"personality:READ_IMPLIES_EXEC", RAW, SYS_personality, READ_IMPLIES_EXEC, 0, 0},
    {"personality:PER_BSD", RAW, SYS_personality, PER_BSD, 0, 0},
    {"personality:PER_LINUX+2^32", RAW, SYS_personality, (long)HIGH_BIT, 0, 0},
    /* ptrace and process_vm_* are allowed on kernels from 4.8 on; kcmp needs
     * CAP_SYS_PTRACE (type 99 is EINVAL, flags 1 of process_vm_readv too) */
    {"ptrace:TRACEME", RAW, SYS_ptrace, PTRACE_TRACEME, 0, 0},
    {"process_vm_readv", RAW, SYS_process_vm_readv, 0, 0, 0},
    {"kcmp", RAW, SYS_kcmp, 0, 0, 99},
    /* the x32 numbers (x86_64 calls with bit 30 set) are not a way around the filter (the
     * 32-bit int $0x80 entry is not probed: some virtual machines fault on it) */
    {"x32:getpid", RAW, X32_SYSCALL_BIT | SYS_getpid, 0, 0, 0},
    {"x32:unshare-NEWUSER", RAW, X32_SYSCALL_BIT | SYS_unshare, CLONE_NEWUSER, 0, 0},
};

static void run(const struct probe *p) {
  long r;
  if (p->kind == CLONE_REAL) {
    r = clone_fork((unsigned long)p->nr);
  } else if (p->nr == SYS_process_vm_readv) {
    errno = 0;
    r = syscall(p->nr, getpid(), 0, 0, 0, 0, 1); /* flags (arg 5) = 1 */
  } else if (p->nr == SYS_kcmp) {
    r = sys(p->nr, getpid(), getpid(), p->c, 0, 0);
  } else {
    r = sys(p->nr, p->a, p->b, p->c, 0, 0);
  }
  report(p->name, r, errno);
}

int main(void) {
  for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
    pid_t pid = fork();
    if (pid < 0) {
      perror("seccomp-probe: fork");
      return 2;
    }
    if (pid == 0) {
      run(&probes[i]);
      _exit(0);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0) {
      perror("seccomp-probe: waitpid");
      return 2;
    }
    if (WIFSIGNALED(st)) {
      char line[128];
      int n = snprintf(line, sizeof line, "%s SIG%d\n", probes[i].name, WTERMSIG(st));
      if (write(1, line, (size_t)n) != n) return 3;
    }
  }
  return 0;
}
