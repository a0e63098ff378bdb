/* libFuzzer harness for the launch-plan reader (ffi/src/plan.c), which the monitor runs as
 * root on a file the TypeScript side wrote (src/runtime/plan_format.ts).
 *
 * Each input is a plan text. It is parsed; a plan that parses also has its seccomp filter
 * built (seccomp.c), as the monitor does before clone. The harness checks that an error
 * message is a terminated string, that a parsed plan has what the monitor relies on
 * (process arguments, a working directory, NULL-terminated lists), and then frees everything
 * the parser allocated, so that LeakSanitizer reports what the parser itself loses. */
#include "skiff.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(const char *what) {
  fprintf(stderr, "plan_fuzz: %s\n", what);
  abort();
}

/* A NULL-terminated list the parser grew (not one of its static empty lists, which hold
 * only the terminator: a grown list has at least one entry). */
static void free_list(char **list) {
  if (list && list[0]) free(list);
}

static void free_plan(struct skiff_plan *p) {
  free(p->lowerdirs);
  free_list(p->proc.args);
  free_list(p->proc.env);
  free(p->proc.gids);
  free(p->proc.seccomp.allow);
  free(p->proc.seccomp.cond);
  free(p->proc.seccomp.errnos);
  free(p->proc.seccomp.prog);
  free(p->proc.rlimits);
  for (size_t i = 0; i < p->nmounts; i++) free(p->mounts[i].data);
  free(p->mounts);
  free(p->devices);
  free(p->masked);
  free(p->readonly);
  free(p->cgroups);
  for (size_t i = 0; i < p->nuidmaps; i++) free(p->uidmaps[i]);
  for (size_t i = 0; i < p->ngidmaps; i++) free(p->gidmaps[i]);
  free(p->uidmaps);
  free(p->gidmaps);
  free_list(p->network_hook);
  free_list(p->cleanup);
  free(p->removals);
}

static void check_list(char **list, size_t n, const char *what) {
  if (n && (!list || list[n])) fail(what);
  for (size_t i = 0; i < n; i++)
    if (!list[i]) fail(what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *buf = malloc(size + 1);
  if (!buf) return 0;
  memcpy(buf, data, size);
  buf[size] = 0;
  struct skiff_plan p;
  struct skiff_err err;
  memset(&err, 0, sizeof err);
  int r = skiff_plan_parse(buf, &p, &err);
  if (r < 0) {
    if (strnlen(err.msg, sizeof err.msg) >= sizeof err.msg) fail("unterminated error message");
    if (!err.msg[0]) fail("an error without a message");
  } else {
    if (!p.proc.args || !p.proc.args[0]) fail("a plan without process arguments");
    if (!p.proc.cwd || !p.proc.env || !p.network_hook || !p.cleanup) fail("a missing default");
    if (!p.exec_pid && (!p.target || !p.state_dir)) fail("a plan without target or state-dir");
    check_list(p.lowerdirs, p.nlower, "lower dirs not NULL-terminated");
    check_list(p.masked, p.nmasked, "masked paths not NULL-terminated");
    check_list(p.readonly, p.nreadonly, "read-only paths not NULL-terminated");
    check_list(p.cgroups, p.ncgroups, "cgroups not NULL-terminated");
    check_list(p.uidmaps, p.nuidmaps, "uid maps not NULL-terminated");
    check_list(p.gidmaps, p.ngidmaps, "gid maps not NULL-terminated");
    for (size_t i = 0; i < p.nmounts; i++)
      if (!p.mounts[i].data || !p.mounts[i].source || !p.mounts[i].destination)
        fail("a mount without its fields");
    for (size_t i = 0; i < p.ndevices; i++)
      if (p.devices[i].type != 'c' && p.devices[i].type != 'b') fail("a device of no type");
    for (size_t i = 0; i < p.nremovals; i++)
      if (p.removals[i].path[0] != '/') fail("a relative removal path");
    memset(&err, 0, sizeof err);
    if (skiff_seccomp_prepare(&p.proc.seccomp, &err) < 0) {
      if (!err.msg[0]) fail("a seccomp error without a message");
    } else if (p.proc.seccomp.enabled && (!p.proc.seccomp.prog || !p.proc.seccomp.prog_len)) {
      fail("an enabled seccomp filter that was not built");
    }
  }
  free_plan(&p);
  free(buf);
  return 0;
}
