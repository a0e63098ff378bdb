/* cgroup_devices.h: device access control on cgroup v2, where the kernel has no
 * devices.allow file and asks an eBPF program (BPF_PROG_TYPE_CGROUP_DEVICE) instead. */
#ifndef SKIFF_CGROUP_DEVICES_H
#define SKIFF_CGROUP_DEVICES_H
#include <stdint.h>

/* One rule, as five int32 values in this order (the layout the TypeScript side writes). */
struct skiff_dev_rule {
  int32_t type;   /* 0 any, 1 block, 2 char (the kernel's BPF_DEVCG_DEV_* values) */
  int32_t major;  /* -1: any */
  int32_t minor;  /* -1: any */
  int32_t access; /* bit mask of BPF_DEVCG_ACC_MKNOD (1), _READ (2), _WRITE (4) */
  int32_t allow;  /* 1 allow, 0 deny */
};

/* Most rules one program takes (each costs at most 7 instructions). */
#define SKIFF_DEV_RULES_MAX 1024

/* Builds the program for `rules` (in spec order: a later rule overrides an earlier one, and
 * whatever no rule matches is denied) into `out` (room for `cap` 8-byte instructions).
 * Returns the number of instructions, or -E2BIG / -EINVAL. Needs no privilege. */
int skiff_dev_program(const struct skiff_dev_rule *rules, uint32_t nrules, void *out,
                      uint32_t cap);

/* Loads the program for `rules` and attaches it to the cgroup v2 directory `dir`
 * (BPF_F_ALLOW_MULTI, so ancestors' programs still apply), then detaches the programs of
 * this type that were attached to `dir` before. Returns 0 or -errno. */
int skiff_cgroup_device_filter(const char *dir, const struct skiff_dev_rule *rules,
                               uint32_t nrules);

#endif
