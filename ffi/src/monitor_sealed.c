/* The monitor re-executes itself from a sealed memfd before it goes near a container: a
 * process inside that reaches /proc/PID/exe of the monitor's child or of the exec helper
 * (or re-executes it through "#!/proc/self/exe") gets the copy, which no one can write,
 * never the host's file. A read-only bind of the binary would need a mount namespace of
 * our own and would still leave the host's inode one open away; the copy costs one
 * ~300 KiB in-kernel copy and one more exec. */
#include "monitor_sealed.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

/* A memfd may be executable: kernels with vm.memfd_noexec want MFD_EXEC said, older ones
 * do not know the flag. */
static int sealable_memfd(void) {
  int fd = memfd_create("skiff-monitor", MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  if (fd < 0 && errno == EINVAL)
    fd = memfd_create("skiff-monitor", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  return fd;
}

/* Copies all of src into dst. */
static int copy_all(int src, int dst, off_t size) {
  off_t off = 0;
  while (off < size) {
    ssize_t n = sendfile(dst, src, &off, (size_t)(size - off));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
  }
  return off == size ? 0 : (errno = EIO, -1);
}

int monitor_sealed_reexec(char **argv, struct skiff_err *err) {
  int exe = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (exe < 0) return skiff_error(err, errno, "open /proc/self/exe");
  int seals = fcntl(exe, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS) {
    close(exe);
    return 0;
  }
  struct stat st;
  int mem = -1, e;
  if (fstat(exe, &st) < 0) goto fail;
  if ((mem = sealable_memfd()) < 0) goto fail;
  if (copy_all(exe, mem, st.st_size) < 0) goto fail;
  if (fcntl(mem, F_ADD_SEALS, SEALS) < 0) goto fail;
  close(exe);
  exe = -1;
  fexecve(mem, argv, environ);
fail:
  e = errno;
  if (exe >= 0) close(exe);
  if (mem >= 0) close(mem);
  return skiff_error(err, e, "run the monitor from a sealed copy");
}
