/* Namespace kinds: the clone flag and the /proc/<pid>/ns name of each SKIFF_NS_*. */
#include "skiff.h"

#include <sched.h>

int skiff_ns_clone_flag(int ns) {
  static const int flags[SKIFF_NS_COUNT] = {
      [SKIFF_NS_USER] = CLONE_NEWUSER, [SKIFF_NS_MNT] = CLONE_NEWNS,
      [SKIFF_NS_PID] = CLONE_NEWPID,   [SKIFF_NS_NET] = CLONE_NEWNET,
      [SKIFF_NS_IPC] = CLONE_NEWIPC,   [SKIFF_NS_UTS] = CLONE_NEWUTS,
      [SKIFF_NS_CGROUP] = CLONE_NEWCGROUP,
  };
  return ns >= 0 && ns < SKIFF_NS_COUNT ? flags[ns] : 0;
}

const char *skiff_ns_proc_name(int ns) {
  static const char *names[SKIFF_NS_COUNT] = {
      [SKIFF_NS_USER] = "user", [SKIFF_NS_MNT] = "mnt", [SKIFF_NS_PID] = "pid",
      [SKIFF_NS_NET] = "net",   [SKIFF_NS_IPC] = "ipc", [SKIFF_NS_UTS] = "uts",
      [SKIFF_NS_CGROUP] = "cgroup",
  };
  return ns >= 0 && ns < SKIFF_NS_COUNT ? names[ns] : "?";
}
