/**
 * The default seccomp filter answers clone3 with ENOSYS (as Docker's
 * profile does) so that glibc falls back to clone for threads, and blocks
 * what Docker blocks with EPERM.
 */
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { startRegistry } from "../helpers/registry.ts";
import { ensureFixtures, fixturePaths, pushFixture } from "../helpers/fixtures.ts";
import { skiff, tempStore } from "../helpers/skiff.ts";

const opts = { sanitizeResources: false, sanitizeOps: false };

const probe = `
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  long r = syscall(435, 0, 0); /* clone3 */
  printf("clone3 %ld %d\\n", r, errno);
  errno = 0;
  r = syscall(SYS_keyctl, 0, 0, 0, 0, 0);
  printf("keyctl %ld %d\\n", r, errno);
  return 0;
}
`;

Deno.test("seccomp: clone3 gets ENOSYS, keyctl EPERM, unconfined allows both", opts, async () => {
  await ensureFixtures();
  const reg = await startRegistry();
  const store = await tempStore();
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/probe.c`, probe);
    const cc = await new Deno.Command("gcc", {
      args: ["-static", "-o", `${dir}/probe`, `${dir}/probe.c`],
    }).output();
    assertEquals(cc.success, true, new TextDecoder().decode(cc.stderr));
    const image = await pushFixture(fixturePaths().busybox, "latest", reg.host, { repo: "bb" });
    const r = await skiff(["run", "--rm", "-v", `${dir}/probe:/probe:ro`, image, "/probe"], store);
    assertEquals(r.code, 0, r.stderr);
    assertStringIncludes(r.stdout, "clone3 -1 38");
    assertStringIncludes(r.stdout, "keyctl -1 1");
    const u = await skiff([
      "run",
      "--rm",
      "--security-opt",
      "seccomp=unconfined",
      "-v",
      `${dir}/probe:/probe:ro`,
      image,
      "/probe",
    ], store);
    assertEquals(u.code, 0, u.stderr);
    assertEquals(u.stdout.includes("clone3 -1 38"), false, u.stdout);
    // keyctl reaches the kernel: whatever it answers, it is not the filter's EPERM.
    assertStringIncludes(u.stdout, "keyctl ");
    assertEquals(u.stdout.includes("keyctl -1 1\n"), false, u.stdout);
  } finally {
    await store.cleanup();
    await reg.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
