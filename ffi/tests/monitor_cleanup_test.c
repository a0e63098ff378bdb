/* The monitor's clean-up after the last exit: trees removed without following the symlinks a
 * container may have planted, name reservations released only while still ours, and the
 * first error kept while the rest still runs. */
#include "monitor_cleanup.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[256];

/* base/rel, in a buffer of its own per call site slot. */
static const char *at(int slot, const char *rel) {
  static char bufs[8][512];
  snprintf(bufs[slot], sizeof bufs[slot], "%s/%s", base, rel);
  return bufs[slot];
}

static int exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

static void test_remove_tree(void) {
  struct skiff_err err = {0};
  /* outside the tree: what a hostile container points its symlinks at */
  mkdir(at(0, "host"), 0755);
  tap_write_file(at(0, "host/secret"), "keep me");
  mkdir(at(0, "tree"), 0755);
  mkdir(at(0, "tree/a"), 0755);
  mkdir(at(0, "tree/a/b"), 0755);
  tap_write_file(at(0, "tree/a/b/file"), "x");
  symlink(at(1, "host"), at(0, "tree/a/escape"));
  symlink(at(1, "host/secret"), at(0, "tree/a/b/secret-link"));
  mkdir(at(0, "tree/work"), 0755);
  mkdir(at(0, "tree/work/work"), 0000); /* as overlay leaves it */
  ok(remove_tree(at(0, "tree"), &err) == 0 && !exists(at(1, "tree")), "a tree is removed");
  ok(exists(at(0, "host/secret")), "what its symlinks point to is left alone");

  symlink(at(1, "host"), at(0, "tree"));
  ok(remove_tree(at(0, "tree"), &err) == 0 && !exists(at(1, "tree")) &&
         exists(at(2, "host/secret")),
     "a tree that is itself a symlink: only the link goes");

  ok(remove_tree(at(0, "missing"), &err) == 0, "a tree that is gone is success");
  memset(&err, 0, sizeof err);
  ok(remove_tree("relative/dir", &err) < 0 && err.code == EINVAL, "a relative path is refused");
  memset(&err, 0, sizeof err);
  ok(remove_tree(at(0, "host/.."), &err) < 0 && err.code == EINVAL && exists(at(1, "host")),
     "a path ending in .. is refused");
}

static void test_exit_actions(void) {
  static struct skiff_plan plan;
  static struct monitor m;
  struct skiff_err err = {0};
  char want[] = "abc123";
  mkdir(at(0, "names"), 0755);
  tap_write_file(at(0, "names/web"), "abc123\n");
  tap_write_file(at(0, "names/db"), "other\n");
  mkdir(at(0, "ctr"), 0755);
  tap_write_file(at(0, "ctr/config.json"), "{}");
  tap_write_file(at(0, "afile"), "");
  struct skiff_removal removals[] = {
      {.path = (char *)at(1, "names/web"), .lock = (char *)at(2, "names.lock"), .if_content = want},
      {.path = (char *)at(3, "names/db"), .if_content = want},
      {.path = (char *)at(4, "afile/below")}, /* fails: its parent is a file */
      {.path = (char *)at(5, "ctr")},
  };
  mkdir(at(0, "cgroup"), 0755);
  tap_write_file(at(0, "cgroup/leftover"), "");
  char *cgroups[] = {(char *)at(6, "no-such-cgroup"), NULL};
  plan.cgroups = cgroups;
  plan.ncgroups = 1;
  plan.remove_cgroups = 1;
  plan.removals = removals;
  plan.nremovals = 4;
  m.plan = &plan;
  int r = monitor_exit_actions(&m, &err);
  ok(!exists(at(0, "names/web")), "our name reservation is released");
  ok(exists(at(0, "names/db")), "a reservation handed to another container is kept");
  char lock[128];
  ok(tap_read_file(at(0, "names.lock"), lock, sizeof lock) > 0 && strchr(lock, ' '),
     "the lock names who held it");
  ok(r < 0 && strstr(err.msg, "afile") && !exists(at(0, "ctr")),
     "a failed removal is reported and the next one still runs");

  memset(&err, 0, sizeof err);
  cgroups[0] = (char *)at(6, "cgroup");
  plan.nremovals = 0;
  ok(monitor_exit_actions(&m, &err) < 0 && strstr(err.msg, "remove cgroup") &&
         err.code == ENOTEMPTY,
     "a cgroup that cannot be removed is reported");
  unlink(at(0, "cgroup/leftover"));
  memset(&err, 0, sizeof err);
  ok(monitor_exit_actions(&m, &err) == 0 && !exists(at(0, "cgroup")), "an empty one is removed");
  ok(monitor_exit_actions(&m, &err) == 0, "and one that is gone is no error");

  unlink(at(0, "names/db"));
  rmdir(at(0, "names"));
  unlink(at(0, "names.lock"));
  unlink(at(0, "afile"));
}

int main(void) {
  snprintf(base, sizeof base, "%s", tap_tmpdir());
  test_remove_tree();
  test_exit_actions();
  unlink(at(0, "host/secret"));
  rmdir(at(0, "host"));
  rmdir(base);
  return tap_done();
}
