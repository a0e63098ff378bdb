/** The parity suite's own pieces: scenario parsing, normalization, accepted differences. */
import { assertEquals } from "../helpers/assert.ts";
import { errorLine, normalize, parseAccepted, parseScenarios, splitWords } from "./scenarios.ts";

Deno.test("scenario lines split as a shell splits words", () => {
  assertEquals(splitWords(`ps -a --format '{{.Label "app"}}'`), [
    "ps",
    "-a",
    "--format",
    '{{.Label "app"}}',
  ]);
  assertEquals(splitWords(`run "a \\"b\\"" c\\ d ''`), ["run", 'a "b"', "c d", ""]);
  const list = parseScenarios("# c\n\nrun -i busybox cat <<< piped text\n!cat $TMP/f\n");
  assertEquals(list.map((s) => [s.lineNo, s.host, s.args, s.stdin]), [
    [3, false, ["run", "-i", "busybox", "cat"], "piped text\n"],
    [4, true, ["cat $TMP/f"], undefined],
  ]);
});

Deno.test("outputs are normalized for what differs between runs and engines only", () => {
  const places = { root: "/tmp/r/root", tmp: "/tmp/h" };
  const id = "a".repeat(64);
  assertEquals(
    normalize(`${id} ${id.slice(0, 12)} /tmp/r/root/volumes/x /tmp/h/f`, places),
    "<id> <id> <root>/volumes/x $TMP/f",
  );
  assertEquals(
    normalize("2026-12-08T00:10:09.033312495Z 2026-12-08T00:10:09Z", places),
    "<time.frac> <time>",
  );
  assertEquals(normalize("2026-12-08 00:10:08 +0000 UTC", places), "<time>");
  assertEquals(
    normalize("Up 3 seconds   Exited (0) About a minute ago   2 years ago", places),
    "Up <dur>  Exited (0) <ago>  <ago>",
  );
  assertEquals(
    normalize("See 'docker run --help'. docker.io/busybox", places),
    "See '<engine> run --help'. docker.io/busybox",
  );
  assertEquals(normalize("a   \nb  ", places), "a\nb");
  // sizes are compared as they are
  assertEquals(normalize("1.98MB", places), "1.98MB");
});

Deno.test("error lines drop each engine's prefix style, not their words", () => {
  assertEquals(errorLine("<engine>: Error: No such image: x."), "No such image: x");
  assertEquals(errorLine("Error: No such image: x"), "No such image: x");
  assertEquals(
    errorLine(`Error: "<engine> rm" requires at least 1 argument. See '<engine> rm --help'.`),
    `"<engine> rm" requires at least 1 argument`,
  );
  assertEquals(errorLine("unknown flag: --bogus"), "unknown flag: --bogus");
});

Deno.test("accepted differences are read as `line`: reason", () => {
  const m = parseAccepted(
    "# title\n\n- `ps -a --format json`: newer docker's json\n  on two lines\nother\n" +
      "- `run --rm busybox /etc`: `is a directory`: runc's\n",
  );
  assertEquals([...m.entries()], [
    ["ps -a --format json", "newer docker's json on two lines"],
    ["run --rm busybox /etc", "`is a directory`: runc's"],
  ]);
});
