/* skiff-monitor: the per-container monitor (the role conmon plays for Podman).
 *   skiff-monitor start <plan>   start a container, print its pid, stay as its parent
 *   skiff-monitor exec <plan>    run a process inside a running container
 *                                (plan "-": the plan's text is in $SKIFF_EXEC_PLAN)
 *   skiff-monitor unshare UIDMAP GIDMAP CMD...  run CMD as root of a new user namespace
 * Static, single-threaded C: it is the only thing alive for a container's lifetime. This file
 * re-executes it from a sealed copy (monitor_sealed.c) and picks the command;
 * monitor_globals.h lists the files and the order they build on. */
#include "monitor_exec.h"
#include "monitor_sealed.h"
#include "monitor_start.h"
#include "monitor_userns.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  int known = argc == 3 && (!strcmp(argv[1], "start") || !strcmp(argv[1], "exec"));
  struct skiff_err err = {0};
  if (known && monitor_sealed_reexec(argv, &err) < 0) {
    fprintf(stderr, "Error: %s\n", err.msg);
    return strcmp(argv[1], "exec") ? 1 : 125;
  }
  if (argc >= 2 && !strcmp(argv[1], "unshare")) return monitor_cmd_unshare(argc, argv);
  if (argc == 3 && !strcmp(argv[1], "start")) return monitor_cmd_start(argv[2]);
  if (argc == 3 && !strcmp(argv[1], "exec")) return monitor_cmd_exec(argv[2]);
  fprintf(stderr, "Usage: skiff-monitor start|exec <plan file> | unshare UIDMAP GIDMAP CMD...\n");
  return 2;
}
