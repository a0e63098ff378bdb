/* Capabilities: names to numbers, and dropping everything not kept. */
#include "skiff.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *const names[] = {
    "chown",           "dac_override",  "dac_read_search", "fowner",          "fsetid",
    "kill",            "setgid",        "setuid",          "setpcap",         "linux_immutable",
    "net_bind_service", "net_broadcast", "net_admin",      "net_raw",         "ipc_lock",
    "ipc_owner",       "sys_module",    "sys_rawio",       "sys_chroot",      "sys_ptrace",
    "sys_pacct",       "sys_admin",     "sys_boot",        "sys_nice",        "sys_resource",
    "sys_time",        "sys_tty_config", "mknod",          "lease",           "audit_write",
    "audit_control",   "setfcap",       "mac_override",    "mac_admin",       "syslog",
    "wake_alarm",      "block_suspend", "audit_read",      "perfmon",         "bpf",
    "checkpoint_restore",
};
#define NCAPS (int)(sizeof names / sizeof *names)

int skiff_cap_from_name(const char *name) {
  if (!strncasecmp(name, "CAP_", 4)) name += 4;
  for (int i = 0; i < NCAPS; i++)
    if (!strcasecmp(name, names[i])) return i;
  return -1;
}

int skiff_cap_last(void) {
  static int cached = -1;
  if (cached >= 0) return cached;
  FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
  int last = NCAPS - 1;
  if (f) {
    if (fscanf(f, "%d", &last) != 1) last = NCAPS - 1;
    fclose(f);
  }
  cached = last > 63 ? 63 : last;
  return cached;
}

int skiff_caps_bounding(uint64_t caps, struct skiff_err *err) {
  int last = skiff_cap_last();
  for (int c = 0; c <= last; c++) {
    if (caps & (1ULL << c)) continue;
    if (prctl(PR_CAPBSET_READ, c, 0, 0, 0) == 0) continue; /* already gone */
    if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) < 0 && errno != EINVAL)
      return skiff_error(err, errno, "drop capability %d from the bounding set", c);
  }
  return 0;
}

int skiff_caps_apply(uint64_t caps, struct skiff_err *err) {
  int r = skiff_caps_bounding(caps, err);
  if (r < 0) return r;
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  for (int i = 0; i < 2; i++) {
    uint32_t word = (uint32_t)(caps >> (32 * i));
    /* The inheritable set stays empty, as in Docker since CVE-2022-24769. */
    data[i].effective = data[i].permitted = word;
  }
  if (syscall(SYS_capset, &hdr, data) < 0) return skiff_error(err, errno, "capset");
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    return skiff_error(err, errno, "clear ambient capabilities");
  return 0;
}
