/**
 * `.dockerignore` parsing and matching, checked against the behaviour of moby's
 * patternmatcher (and `filepath.Match` for the single-pattern cases).
 */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import { InvalidArgumentError } from "../../src/errors.ts";
import { globMatch, hasWildcards } from "../../src/build/context/glob.ts";
import { cleanPath, IgnoreMatcher, parseIgnoreFile } from "../../src/build/context/ignore.ts";

Deno.test("globMatch follows filepath.Match", () => {
  const cases: [string, string, boolean][] = [
    ["abc", "abc", true],
    ["*", "abc", true],
    ["*c", "abc", true],
    ["a*", "a", true],
    ["a*/b", "abc/b", true],
    ["a*/b", "a/c/b", false],
    ["a*b*c*d*e*/f", "axbxcxdxexxx/f", true],
    ["a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false],
    ["a*b?c*x", "abxbbxdbxebxczzx", true],
    ["a*b?c*x", "abxbbxdbxebxczzy", false],
    ["ab[b-d]", "abc", true],
    ["ab[^c]", "abc", false],
    ["ab[^e-g]", "abc", true],
    ["a\\*b", "a*b", true],
    ["a\\*b", "ab", false],
    ["a?b", "a☺b", true],
    ["a???b", "a☺b", false],
    ["[a-ζ]*", "α", true],
    ["a?b", "a/b", false],
    ["a*b", "a/b", false],
    ["[\\]a]", "]", true],
    ["[x\\-]", "-", true],
    ["[\\-x]", "a", false],
  ];
  for (const [p, name, want] of cases) assertEquals(globMatch(p, name), want, `${p} ~ ${name}`);
  for (const bad of ["[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc"]) {
    assertThrows(() => globMatch(bad, "a"), InvalidArgumentError);
  }
  assert(hasWildcards("a/*.txt") && hasWildcards("[ab]") && !hasWildcards("a\\*b"));
});

Deno.test("parseIgnoreFile: comments, blanks, BOM, cleaning, leading slash, exceptions", () => {
  const text =
    "\uFEFF# comment\n\n  *.log  \n/dist/\n ! dist/keep \n a/./b/../c\n #not a comment\n/\r\n";
  assertEquals(parseIgnoreFile(text), [
    "*.log",
    "dist",
    "!dist/keep",
    "a/c",
    "#not a comment",
    "/",
  ]);
  assertEquals(cleanPath("../a/..//b/"), "../b");
  assertEquals(cleanPath("/../a"), "/a");
  assertEquals(cleanPath(""), ".");
});

function excluded(patterns: string[], path: string): boolean {
  return new IgnoreMatcher(patterns).excludes(path);
}

Deno.test("IgnoreMatcher matches as moby's patternmatcher", () => {
  const single: [string, string, boolean][] = [
    ["**", "file", true],
    ["**", "dir/file", true],
    ["**/", "file", true],
    ["**/**", "dir/file", true],
    ["dir/**", "dir/file", true],
    ["dir/**", "dir/dir2/file", true],
    ["**/dir", "dir", true],
    ["**/dir", "dir/file", true],
    ["**/dir2/*", "dir/dir2/file", true],
    ["**/dir2/**", "dir/dir2/dir3/file", true],
    ["**file", "file", true],
    ["**file", "dir/file", true],
    ["**/file", "dir/dir/file", true],
    ["**/file*", "dir/dir/file.txt", true],
    ["**/file*.txt*", "dir/dir/file.txt", true],
    ["**/**/*.txt", "dir/dir/file.txt", true],
    ["**/**/*.txt2", "dir/dir/file.txt", false],
    ["**/*.txt", "file.txt", true],
    ["a**/*.txt", "a/file.txt", true],
    ["a**/*.txt", "a/dir/dir/file.txt", true],
    ["a/*.txt", "a/dir/file.txt", false],
    ["a/*.txt", "a/file.txt", true],
    ["a/*.txt**", "a/file.txt", true],
    ["a[b-d]e", "ae", false],
    ["a[b-d]e", "ace", true],
    ["a[^b-d]e", "aze", true],
    [".*", ".foo", true],
    [".*", "foo", false],
    ["abc.def", "abcdef", false],
    ["abc.def", "abc.def", true],
    ["abc?def", "abcZdef", true],
    ["a\\\\", "a\\", true],
    ["**/foo/bar", "foo/bar", true],
    ["**/foo/bar", "dir/dir2/foo/bar", true],
    ["abc/**", "abc", false],
    ["abc/**", "abc/def/ghi", true],
    ["**/.foo", ".foo", true],
    ["**/.foo", "bar.foo", false],
    ["a(b)c/def", "a(b)c/def", true],
    ["a.|)$(}+{bc", "a.|)$(}+{bc", true],
    ["dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true],
    ["a\\*b", "a*b", true],
    ["a\\*b", "axb", false],
    // a pattern matching a parent directory excludes everything below it
    ["docs", "docs/sub/README.md", true],
    ["*.go", "fileutils.go", true],
    ["*", "fileutils.go", true],
    ["x/*", "x", false],
  ];
  for (const [p, path, want] of single) assertEquals(excluded([p], path), want, `${p} ~ ${path}`);
  // the last matching line wins; exceptions re-include inside an excluded directory
  assertEquals(excluded(["docs", "!docs/README.md"], "docs/README.md"), false);
  assertEquals(excluded(["docs", "!docs/README.md"], "docs/other.md"), true);
  assertEquals(excluded(["docs/*", "!docs/README.md"], "docs/README.md"), false);
  assertEquals(excluded(["!fileutils.go", "*.go"], "fileutils.go"), true);
  assertEquals(excluded(["*.go", "!fileutils.go"], "fileutils.go"), false);
  assertEquals(excluded(["**", "!util/docker/web"], "util/docker/web/foo"), false);
  assertEquals(
    excluded(["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo"),
    true,
  );
  assertEquals(excluded(["**", "!dist/*.whl"], "dist/a.whl"), false);
  assertEquals(excluded([], "anything"), false);
  assertThrows(() => new IgnoreMatcher(["!"]), InvalidArgumentError);
  const bad = assertThrows(() => new IgnoreMatcher(["["]), InvalidArgumentError);
  assertEquals(bad.message, '.dockerignore: syntax error in pattern: "["');
});

Deno.test("IgnoreMatcher walks an excluded directory as BuildKit does", () => {
  assert(!new IgnoreMatcher(["node_modules"]).mayIncludeUnder("node_modules"));
  assert(new IgnoreMatcher(["build", "!build/keep"]).mayIncludeUnder("build"));
  assert(new IgnoreMatcher(["build", "!build/keep/**"]).mayIncludeUnder("build/keep"));
  assert(!new IgnoreMatcher(["build", "!build/keep"]).mayIncludeUnder("build/other"));
  // an exception with a wildcard makes every excluded directory walked
  assert(new IgnoreMatcher(["build", "!build/keep/*.txt"]).mayIncludeUnder("build/other"));
  assert(new IgnoreMatcher(["b*", "!b*/k"]).mayIncludeUnder("build"));
  assert(new IgnoreMatcher(["dir/", "!dir/**/keep"]).mayIncludeUnder("dir"));
  // an exception naming a parent does not bring back what a later line excludes below it
  const m = new IgnoreMatcher(["docs/sub", "!docs"]);
  assert(!m.mayIncludeUnder("docs/sub"));
  assertEquals(m.excludes("docs/sub"), true);
  assertEquals(m.excludes("docs/sub/x"), true);
  assertEquals(m.excludes("docs/other"), false);
  // the same matcher answers the same when asked again (answers for directories are kept)
  assertEquals(m.excludes("docs/sub/x"), true);
});
