/**
 * Docker's default seccomp profile (moby `profiles/seccomp/default.json`)
 * as data, reduced to x86_64, and the filter it gives for a capability set.
 *
 * The profile is an allow list: every syscall not listed fails with EPERM.
 * Some syscalls are allowed only with a capability (mount with
 * CAP_SYS_ADMIN, ptrace with CAP_SYS_PTRACE...), some only with argument
 * conditions (personality, clone without namespace flags, socket without
 * AF_ALG and AF_VSOCK), and clone3 fails with ENOSYS without CAP_SYS_ADMIN so
 * that libc falls back to clone, whose flags can be checked.
 */
import type { PlanSeccomp } from "./plan.ts";

/**
 * x86_64 syscall numbers (Linux `arch/x86/entry/syscalls/syscall_64.tbl`) for
 * every name the profile mentions that exists on x86_64, plus the ones the
 * profile deliberately leaves out.
 *
 * @example
 * ```ts
 * SYSCALLS_X86_64.execve; // 59
 * ```
 */
export const SYSCALLS_X86_64: Readonly<Record<string, number>> = {
  read: 0,
  write: 1,
  open: 2,
  close: 3,
  stat: 4,
  fstat: 5,
  lstat: 6,
  poll: 7,
  lseek: 8,
  mmap: 9,
  mprotect: 10,
  munmap: 11,
  brk: 12,
  rt_sigaction: 13,
  rt_sigprocmask: 14,
  rt_sigreturn: 15,
  ioctl: 16,
  pread64: 17,
  pwrite64: 18,
  readv: 19,
  writev: 20,
  access: 21,
  pipe: 22,
  select: 23,
  sched_yield: 24,
  mremap: 25,
  msync: 26,
  mincore: 27,
  madvise: 28,
  shmget: 29,
  shmat: 30,
  shmctl: 31,
  dup: 32,
  dup2: 33,
  pause: 34,
  nanosleep: 35,
  getitimer: 36,
  alarm: 37,
  setitimer: 38,
  getpid: 39,
  sendfile: 40,
  socket: 41,
  connect: 42,
  accept: 43,
  sendto: 44,
  recvfrom: 45,
  sendmsg: 46,
  recvmsg: 47,
  shutdown: 48,
  bind: 49,
  listen: 50,
  getsockname: 51,
  getpeername: 52,
  socketpair: 53,
  setsockopt: 54,
  getsockopt: 55,
  clone: 56,
  fork: 57,
  vfork: 58,
  execve: 59,
  exit: 60,
  wait4: 61,
  kill: 62,
  uname: 63,
  semget: 64,
  semop: 65,
  semctl: 66,
  shmdt: 67,
  msgget: 68,
  msgsnd: 69,
  msgrcv: 70,
  msgctl: 71,
  fcntl: 72,
  flock: 73,
  fsync: 74,
  fdatasync: 75,
  truncate: 76,
  ftruncate: 77,
  getdents: 78,
  getcwd: 79,
  chdir: 80,
  fchdir: 81,
  rename: 82,
  mkdir: 83,
  rmdir: 84,
  creat: 85,
  link: 86,
  unlink: 87,
  symlink: 88,
  readlink: 89,
  chmod: 90,
  fchmod: 91,
  chown: 92,
  fchown: 93,
  lchown: 94,
  umask: 95,
  gettimeofday: 96,
  getrlimit: 97,
  getrusage: 98,
  sysinfo: 99,
  times: 100,
  ptrace: 101,
  getuid: 102,
  syslog: 103,
  getgid: 104,
  setuid: 105,
  setgid: 106,
  geteuid: 107,
  getegid: 108,
  setpgid: 109,
  getppid: 110,
  getpgrp: 111,
  setsid: 112,
  setreuid: 113,
  setregid: 114,
  getgroups: 115,
  setgroups: 116,
  setresuid: 117,
  getresuid: 118,
  setresgid: 119,
  getresgid: 120,
  getpgid: 121,
  setfsuid: 122,
  setfsgid: 123,
  getsid: 124,
  capget: 125,
  capset: 126,
  rt_sigpending: 127,
  rt_sigtimedwait: 128,
  rt_sigqueueinfo: 129,
  rt_sigsuspend: 130,
  sigaltstack: 131,
  utime: 132,
  mknod: 133,
  uselib: 134,
  personality: 135,
  ustat: 136,
  statfs: 137,
  fstatfs: 138,
  sysfs: 139,
  getpriority: 140,
  setpriority: 141,
  sched_setparam: 142,
  sched_getparam: 143,
  sched_setscheduler: 144,
  sched_getscheduler: 145,
  sched_get_priority_max: 146,
  sched_get_priority_min: 147,
  sched_rr_get_interval: 148,
  mlock: 149,
  munlock: 150,
  mlockall: 151,
  munlockall: 152,
  vhangup: 153,
  modify_ldt: 154,
  pivot_root: 155,
  _sysctl: 156,
  prctl: 157,
  arch_prctl: 158,
  adjtimex: 159,
  setrlimit: 160,
  chroot: 161,
  sync: 162,
  acct: 163,
  settimeofday: 164,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  sethostname: 170,
  setdomainname: 171,
  iopl: 172,
  ioperm: 173,
  create_module: 174,
  init_module: 175,
  delete_module: 176,
  get_kernel_syms: 177,
  query_module: 178,
  quotactl: 179,
  nfsservctl: 180,
  gettid: 186,
  readahead: 187,
  setxattr: 188,
  lsetxattr: 189,
  fsetxattr: 190,
  getxattr: 191,
  lgetxattr: 192,
  fgetxattr: 193,
  listxattr: 194,
  llistxattr: 195,
  flistxattr: 196,
  removexattr: 197,
  lremovexattr: 198,
  fremovexattr: 199,
  tkill: 200,
  time: 201,
  futex: 202,
  sched_setaffinity: 203,
  sched_getaffinity: 204,
  set_thread_area: 205,
  io_setup: 206,
  io_destroy: 207,
  io_getevents: 208,
  io_submit: 209,
  io_cancel: 210,
  get_thread_area: 211,
  lookup_dcookie: 212,
  epoll_create: 213,
  epoll_ctl_old: 214,
  epoll_wait_old: 215,
  remap_file_pages: 216,
  getdents64: 217,
  set_tid_address: 218,
  restart_syscall: 219,
  semtimedop: 220,
  fadvise64: 221,
  timer_create: 222,
  timer_settime: 223,
  timer_gettime: 224,
  timer_getoverrun: 225,
  timer_delete: 226,
  clock_settime: 227,
  clock_gettime: 228,
  clock_getres: 229,
  clock_nanosleep: 230,
  exit_group: 231,
  epoll_wait: 232,
  epoll_ctl: 233,
  tgkill: 234,
  utimes: 235,
  mbind: 237,
  set_mempolicy: 238,
  get_mempolicy: 239,
  mq_open: 240,
  mq_unlink: 241,
  mq_timedsend: 242,
  mq_timedreceive: 243,
  mq_notify: 244,
  mq_getsetattr: 245,
  kexec_load: 246,
  waitid: 247,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  ioprio_set: 251,
  ioprio_get: 252,
  inotify_init: 253,
  inotify_add_watch: 254,
  inotify_rm_watch: 255,
  openat: 257,
  mkdirat: 258,
  mknodat: 259,
  fchownat: 260,
  futimesat: 261,
  newfstatat: 262,
  unlinkat: 263,
  renameat: 264,
  linkat: 265,
  symlinkat: 266,
  readlinkat: 267,
  fchmodat: 268,
  faccessat: 269,
  pselect6: 270,
  ppoll: 271,
  unshare: 272,
  set_robust_list: 273,
  get_robust_list: 274,
  splice: 275,
  tee: 276,
  sync_file_range: 277,
  vmsplice: 278,
  move_pages: 279,
  utimensat: 280,
  epoll_pwait: 281,
  signalfd: 282,
  timerfd_create: 283,
  eventfd: 284,
  fallocate: 285,
  timerfd_settime: 286,
  timerfd_gettime: 287,
  accept4: 288,
  signalfd4: 289,
  eventfd2: 290,
  epoll_create1: 291,
  dup3: 292,
  pipe2: 293,
  inotify_init1: 294,
  preadv: 295,
  pwritev: 296,
  rt_tgsigqueueinfo: 297,
  perf_event_open: 298,
  recvmmsg: 299,
  fanotify_init: 300,
  fanotify_mark: 301,
  prlimit64: 302,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  clock_adjtime: 305,
  syncfs: 306,
  sendmmsg: 307,
  setns: 308,
  getcpu: 309,
  process_vm_readv: 310,
  process_vm_writev: 311,
  kcmp: 312,
  finit_module: 313,
  sched_setattr: 314,
  sched_getattr: 315,
  renameat2: 316,
  seccomp: 317,
  getrandom: 318,
  memfd_create: 319,
  kexec_file_load: 320,
  bpf: 321,
  execveat: 322,
  userfaultfd: 323,
  membarrier: 324,
  mlock2: 325,
  copy_file_range: 326,
  preadv2: 327,
  pwritev2: 328,
  pkey_mprotect: 329,
  pkey_alloc: 330,
  pkey_free: 331,
  statx: 332,
  io_pgetevents: 333,
  rseq: 334,
  uretprobe: 335,
  pidfd_send_signal: 424,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  pidfd_open: 434,
  clone3: 435,
  close_range: 436,
  openat2: 437,
  pidfd_getfd: 438,
  faccessat2: 439,
  process_madvise: 440,
  epoll_pwait2: 441,
  mount_setattr: 442,
  quotactl_fd: 443,
  landlock_create_ruleset: 444,
  landlock_add_rule: 445,
  landlock_restrict_self: 446,
  memfd_secret: 447,
  process_mrelease: 448,
  futex_waitv: 449,
  set_mempolicy_home_node: 450,
  cachestat: 451,
  fchmodat2: 452,
  map_shadow_stack: 453,
  futex_wake: 454,
  futex_wait: 455,
  futex_requeue: 456,
  statmount: 457,
  listmount: 458,
  lsm_get_self_attr: 459,
  lsm_set_self_attr: 460,
  lsm_list_modules: 461,
  mseal: 462,
  setxattrat: 463,
  getxattrat: 464,
  listxattrat: 465,
  removexattrat: 466,
};

/**
 * The names Docker's profile allows unconditionally (all architectures;
 * names that do not exist on x86_64 are skipped when the filter is built, as
 * libseccomp does).
 *
 * @example
 * ```ts
 * DEFAULT_ALLOWED_SYSCALLS.includes("futex"); // true
 * ```
 */
export const DEFAULT_ALLOWED_SYSCALLS: readonly string[] = [
  "accept",
  "accept4",
  "access",
  "adjtimex",
  "alarm",
  "bind",
  "brk",
  "cachestat",
  "capget",
  "capset",
  "chdir",
  "chmod",
  "chown",
  "chown32",
  "clock_adjtime",
  "clock_adjtime64",
  "clock_getres",
  "clock_getres_time64",
  "clock_gettime",
  "clock_gettime64",
  "clock_nanosleep",
  "clock_nanosleep_time64",
  "close",
  "close_range",
  "connect",
  "copy_file_range",
  "creat",
  "dup",
  "dup2",
  "dup3",
  "epoll_create",
  "epoll_create1",
  "epoll_ctl",
  "epoll_ctl_old",
  "epoll_pwait",
  "epoll_pwait2",
  "epoll_wait",
  "epoll_wait_old",
  "eventfd",
  "eventfd2",
  "execve",
  "execveat",
  "exit",
  "exit_group",
  "faccessat",
  "faccessat2",
  "fadvise64",
  "fadvise64_64",
  "fallocate",
  "fanotify_mark",
  "fchdir",
  "fchmod",
  "fchmodat",
  "fchmodat2",
  "fchown",
  "fchown32",
  "fchownat",
  "fcntl",
  "fcntl64",
  "fdatasync",
  "fgetxattr",
  "flistxattr",
  "flock",
  "fork",
  "fremovexattr",
  "fsetxattr",
  "fstat",
  "fstat64",
  "fstatat64",
  "fstatfs",
  "fstatfs64",
  "fsync",
  "ftruncate",
  "ftruncate64",
  "futex",
  "futex_requeue",
  "futex_time64",
  "futex_wait",
  "futex_waitv",
  "futex_wake",
  "futimesat",
  "getcpu",
  "getcwd",
  "getdents",
  "getdents64",
  "getegid",
  "getegid32",
  "geteuid",
  "geteuid32",
  "getgid",
  "getgid32",
  "getgroups",
  "getgroups32",
  "getitimer",
  "getpeername",
  "getpgid",
  "getpgrp",
  "getpid",
  "getppid",
  "getpriority",
  "getrandom",
  "getresgid",
  "getresgid32",
  "getresuid",
  "getresuid32",
  "getrlimit",
  "get_robust_list",
  "getrusage",
  "getsid",
  "getsockname",
  "getsockopt",
  "get_thread_area",
  "gettid",
  "gettimeofday",
  "getuid",
  "getuid32",
  "getxattr",
  "getxattrat",
  "inotify_add_watch",
  "inotify_init",
  "inotify_init1",
  "inotify_rm_watch",
  "io_cancel",
  "ioctl",
  "io_destroy",
  "io_getevents",
  "io_pgetevents",
  "io_pgetevents_time64",
  "ioprio_get",
  "ioprio_set",
  "io_setup",
  "io_submit",
  "ipc",
  "kill",
  "landlock_add_rule",
  "landlock_create_ruleset",
  "landlock_restrict_self",
  "lchown",
  "lchown32",
  "lgetxattr",
  "link",
  "linkat",
  "listen",
  "listmount",
  "listxattr",
  "listxattrat",
  "llistxattr",
  "_llseek",
  "lremovexattr",
  "lseek",
  "lsetxattr",
  "lstat",
  "lstat64",
  "madvise",
  "map_shadow_stack",
  "membarrier",
  "memfd_create",
  "memfd_secret",
  "mincore",
  "mkdir",
  "mkdirat",
  "mknod",
  "mknodat",
  "mlock",
  "mlock2",
  "mlockall",
  "mmap",
  "mmap2",
  "mprotect",
  "mq_getsetattr",
  "mq_notify",
  "mq_open",
  "mq_timedreceive",
  "mq_timedreceive_time64",
  "mq_timedsend",
  "mq_timedsend_time64",
  "mq_unlink",
  "mremap",
  "mseal",
  "msgctl",
  "msgget",
  "msgrcv",
  "msgsnd",
  "msync",
  "munlock",
  "munlockall",
  "munmap",
  "name_to_handle_at",
  "nanosleep",
  "newfstatat",
  "_newselect",
  "open",
  "openat",
  "openat2",
  "pause",
  "pidfd_open",
  "pidfd_send_signal",
  "pipe",
  "pipe2",
  "pkey_alloc",
  "pkey_free",
  "pkey_mprotect",
  "poll",
  "ppoll",
  "ppoll_time64",
  "prctl",
  "pread64",
  "preadv",
  "preadv2",
  "prlimit64",
  "process_mrelease",
  "pselect6",
  "pselect6_time64",
  "pwrite64",
  "pwritev",
  "pwritev2",
  "read",
  "readahead",
  "readlink",
  "readlinkat",
  "readv",
  "recv",
  "recvfrom",
  "recvmmsg",
  "recvmmsg_time64",
  "recvmsg",
  "remap_file_pages",
  "removexattr",
  "removexattrat",
  "rename",
  "renameat",
  "renameat2",
  "restart_syscall",
  "riscv_hwprobe",
  "rmdir",
  "rseq",
  "rt_sigaction",
  "rt_sigpending",
  "rt_sigprocmask",
  "rt_sigqueueinfo",
  "rt_sigreturn",
  "rt_sigsuspend",
  "rt_sigtimedwait",
  "rt_sigtimedwait_time64",
  "rt_tgsigqueueinfo",
  "sched_getaffinity",
  "sched_getattr",
  "sched_getparam",
  "sched_get_priority_max",
  "sched_get_priority_min",
  "sched_getscheduler",
  "sched_rr_get_interval",
  "sched_rr_get_interval_time64",
  "sched_setaffinity",
  "sched_setattr",
  "sched_setparam",
  "sched_setscheduler",
  "sched_yield",
  "seccomp",
  "select",
  "semctl",
  "semget",
  "semop",
  "semtimedop",
  "semtimedop_time64",
  "send",
  "sendfile",
  "sendfile64",
  "sendmmsg",
  "sendmsg",
  "sendto",
  "setfsgid",
  "setfsgid32",
  "setfsuid",
  "setfsuid32",
  "setgid",
  "setgid32",
  "setgroups",
  "setgroups32",
  "setitimer",
  "setpgid",
  "setpriority",
  "setregid",
  "setregid32",
  "setresgid",
  "setresgid32",
  "setresuid",
  "setresuid32",
  "setreuid",
  "setreuid32",
  "setrlimit",
  "set_robust_list",
  "setsid",
  "setsockopt",
  "set_thread_area",
  "set_tid_address",
  "setuid",
  "setuid32",
  "setxattr",
  "setxattrat",
  "shmat",
  "shmctl",
  "shmdt",
  "shmget",
  "shutdown",
  "sigaltstack",
  "signalfd",
  "signalfd4",
  "sigprocmask",
  "sigreturn",
  "socketcall",
  "socketpair",
  "splice",
  "stat",
  "stat64",
  "statfs",
  "statfs64",
  "statmount",
  "statx",
  "symlink",
  "symlinkat",
  "sync",
  "sync_file_range",
  "syncfs",
  "sysinfo",
  "tee",
  "tgkill",
  "time",
  "timer_create",
  "timer_delete",
  "timer_getoverrun",
  "timer_gettime",
  "timer_gettime64",
  "timer_settime",
  "timer_settime64",
  "timerfd_create",
  "timerfd_gettime",
  "timerfd_gettime64",
  "timerfd_settime",
  "timerfd_settime64",
  "times",
  "tkill",
  "truncate",
  "truncate64",
  "ugetrlimit",
  "umask",
  "uname",
  "unlink",
  "unlinkat",
  "uretprobe",
  "utime",
  "utimensat",
  "utimensat_time64",
  "utimes",
  "vfork",
  "vmsplice",
  "wait4",
  "waitid",
  "waitpid",
  "write",
  "writev",
];

/** One argument condition (arg 0 unless `arg` says otherwise). */
interface ArgRule {
  op: "eq" | "maskedEq" | "lt" | "gt";
  value: number;
  mask?: number;
}

/** One rule of the profile beyond the plain allow list. */
interface ProfileRule {
  names: string[];
  /** Applies only when the container has all these capabilities. */
  caps?: string[];
  /** Applies only when the container has none of these capabilities. */
  notCaps?: string[];
  /** Minimum kernel version ([major, minor]). */
  minKernel?: [number, number];
  /** Allowed only when one of these conditions on argument 0 holds. */
  args?: ArgRule[];
  /** Return this errno instead of allowing. */
  errno?: number;
}

/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET */
const CLONE_NAMESPACE_FLAGS = 0x7E020000;

/** ENOSYS: "function not implemented". */
const ENOSYS = 38;

/** The rest of Docker's profile for x86_64, in the profile's order. */
const PROFILE_RULES: ProfileRule[] = [
  { names: ["process_vm_readv", "process_vm_writev", "ptrace"], minKernel: [4, 8] },
  // AF_ALG (38) and AF_VSOCK (40) are refused.
  {
    names: ["socket"],
    args: [{ op: "lt", value: 38 }, { op: "eq", value: 39 }, { op: "gt", value: 40 }],
  },
  {
    names: ["personality"],
    args: [0x0, 0x8, 0x20000, 0x20008, 0xffffffff].map((value) => ({ op: "eq", value })),
  },
  { names: ["arch_prctl", "modify_ldt"] },
  { names: ["open_by_handle_at"], caps: ["CAP_DAC_READ_SEARCH"] },
  {
    names: [
      "bpf",
      "clone",
      "clone3",
      "fanotify_init",
      "fsconfig",
      "fsmount",
      "fsopen",
      "fspick",
      "lookup_dcookie",
      "lsm_get_self_attr",
      "lsm_list_modules",
      "lsm_set_self_attr",
      "mount",
      "mount_setattr",
      "move_mount",
      "open_tree",
      "perf_event_open",
      "quotactl",
      "quotactl_fd",
      "setdomainname",
      "sethostname",
      "setns",
      "syslog",
      "umount",
      "umount2",
      "unshare",
    ],
    caps: ["CAP_SYS_ADMIN"],
  },
  {
    names: ["clone"],
    notCaps: ["CAP_SYS_ADMIN"],
    args: [{ op: "maskedEq", mask: CLONE_NAMESPACE_FLAGS, value: 0 }],
  },
  { names: ["clone3"], notCaps: ["CAP_SYS_ADMIN"], errno: ENOSYS },
  { names: ["reboot"], caps: ["CAP_SYS_BOOT"] },
  { names: ["chroot"], caps: ["CAP_SYS_CHROOT"] },
  { names: ["delete_module", "init_module", "finit_module"], caps: ["CAP_SYS_MODULE"] },
  { names: ["acct"], caps: ["CAP_SYS_PACCT"] },
  {
    names: [
      "kcmp",
      "pidfd_getfd",
      "process_madvise",
      "process_vm_readv",
      "process_vm_writev",
      "ptrace",
    ],
    caps: ["CAP_SYS_PTRACE"],
  },
  { names: ["iopl", "ioperm"], caps: ["CAP_SYS_RAWIO"] },
  {
    names: ["settimeofday", "stime", "clock_settime", "clock_settime64"],
    caps: ["CAP_SYS_TIME"],
  },
  { names: ["vhangup"], caps: ["CAP_SYS_TTY_CONFIG"] },
  {
    names: ["get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"],
    caps: ["CAP_SYS_NICE"],
  },
  { names: ["syslog"], caps: ["CAP_SYSLOG"] },
  { names: ["bpf"], caps: ["CAP_BPF"] },
  { names: ["perf_event_open"], caps: ["CAP_PERFMON"] },
];

/**
 * "gt" conditions (socket's family) are expanded into "eq" alternatives up to this value
 * (AF_MAX is 46), and beyond it into one "maskedEq" a bit of the lower 32 bits: any value
 * from 64 on, as the kernel reads the family (an int, so negative values too), is allowed,
 * as Docker's `> 40` allows it. Unlike Docker's 64-bit comparison, a value whose upper half
 * is set does not pass the "eq" alternatives: 40 + 2^32 is AF_VSOCK to the kernel.
 */
const GT_ENUMERATED_UP_TO = 63;

/**
 * The filter for one container: {@link PlanSeccomp} plus syscalls that
 * return a specific errno instead of `defaultErrno` (clone3 → ENOSYS).
 * Several `conditional` entries for one syscall are alternatives: the call is
 * allowed when any of them holds.
 */
export interface SeccompFilter extends PlanSeccomp {
  /** Syscalls answered with their own errno instead of `defaultErrno`. */
  errnoRules: { nr: number; errno: number }[];
}

/**
 * The x86_64 number of a syscall name, or undefined when x86_64 has no such call.
 *
 * @example
 * ```ts
 * syscallNumber("clone3"); // 435
 * ```
 */
export function syscallNumber(name: string): number | undefined {
  return Object.hasOwn(SYSCALLS_X86_64, name) ? SYSCALLS_X86_64[name] : undefined;
}

/**
 * Builds Docker's default seccomp filter for a container with the given
 * capabilities ("CAP_SYS_ADMIN"...). `kernel` is the running kernel's
 * [major, minor] (ptrace is allowed without CAP_SYS_PTRACE from 4.8 on, as in
 * Docker); by default a kernel of at least 4.8 is assumed. Argument
 * conditions "lt"/"gt" are expanded into "eq" (and, for large "gt" values,
 * "maskedEq") alternatives, since the launch plan only carries those two.
 *
 * @example
 * ```ts ignore
 * const f = buildSeccomp(DEFAULT_CAPABILITIES);
 * f.allow.includes(SYSCALLS_X86_64.read); // true
 * f.allow.includes(SYSCALLS_X86_64.mount); // false
 * ```
 */
export function buildSeccomp(
  capabilities: readonly string[],
  kernel: [number, number] = [4, 8],
): SeccompFilter {
  const allow = new Set<number>();
  const conditional: PlanSeccomp["conditional"] = [];
  const errnoRules: SeccompFilter["errnoRules"] = [];
  for (const name of DEFAULT_ALLOWED_SYSCALLS) {
    const nr = syscallNumber(name);
    if (nr !== undefined) allow.add(nr);
  }
  const has = (c: string) => capabilities.includes(c);
  for (const rule of PROFILE_RULES) {
    if (rule.caps && !rule.caps.every(has)) continue;
    if (rule.notCaps && rule.notCaps.some(has)) continue;
    if (rule.minKernel && compareVersion(kernel, rule.minKernel) < 0) continue;
    for (const name of rule.names) {
      const nr = syscallNumber(name);
      if (nr === undefined) continue;
      if (rule.errno !== undefined) errnoRules.push({ nr, errno: rule.errno });
      else if (!rule.args) allow.add(nr);
      else conditional.push(...expandArgs(nr, rule.args));
    }
  }
  // An unconditional allow makes conditions on the same syscall moot.
  const cond = conditional.filter((c) => !allow.has(c.nr));
  const errno = errnoRules.filter((e) => !allow.has(e.nr));
  return {
    defaultErrno: 1,
    allow: [...allow].sort((a, b) => a - b),
    conditional: cond,
    errnoRules: errno,
  };
}

function expandArgs(nr: number, args: ArgRule[]): PlanSeccomp["conditional"] {
  const out: PlanSeccomp["conditional"] = [];
  for (const a of args) {
    if (a.op === "eq") out.push({ nr, arg: 0, op: "eq", value: a.value });
    else if (a.op === "maskedEq") {
      out.push({ nr, arg: 0, op: "maskedEq", value: a.value, mask: a.mask });
    } else if (a.op === "lt") {
      for (let v = 0; v < a.value; v++) out.push({ nr, arg: 0, op: "eq", value: v });
    } else {
      for (let v = a.value + 1; v <= GT_ENUMERATED_UP_TO; v++) {
        out.push({ nr, arg: 0, op: "eq", value: v });
      }
      for (let bit = Math.log2(GT_ENUMERATED_UP_TO + 1); bit < 32; bit++) {
        out.push({ nr, arg: 0, op: "maskedEq", value: 2 ** bit, mask: 2 ** bit });
      }
    }
  }
  return out;
}

function compareVersion(a: [number, number], b: [number, number]): number {
  return a[0] !== b[0] ? a[0] - b[0] : a[1] - b[1];
}

/**
 * What a filter answers for a syscall with the given arguments: "allow", or
 * the errno the call fails with. Mirrors what the C side's BPF program does,
 * for tests and for `inspect`-style explanations.
 *
 * @example
 * ```ts
 * evaluateSeccomp(buildSeccomp([]), "clone3"); // 38
 * ```
 */
export function evaluateSeccomp(
  filter: SeccompFilter,
  name: string,
  args: number[] = [],
): "allow" | number {
  const nr = syscallNumber(name);
  if (nr === undefined) return filter.defaultErrno;
  if (filter.allow.includes(nr)) return "allow";
  for (const c of filter.conditional) {
    if (c.nr !== nr) continue;
    const v = args[c.arg] ?? 0;
    if (c.op === "eq" && v === c.value) return "allow";
    if (c.op === "maskedEq" && andU32(v, c.mask ?? 0xffffffff) === c.value) return "allow";
  }
  const e = filter.errnoRules.find((r) => r.nr === nr);
  return e ? e.errno : filter.defaultErrno;
}

function andU32(a: number, b: number): number {
  return Number(BigInt(a) & BigInt(b));
}
