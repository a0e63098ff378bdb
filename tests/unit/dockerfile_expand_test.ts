/**
 * Variable substitution in Dockerfile words, as BuildKit's shell lexer does it. Cases marked
 * "podman" were also checked with `podman build` (4.3.1, buildah's parser) on busybox.
 */
import { assertEquals, assertThrows } from "../helpers/assert.ts";
import { expand, ExpandError, expandWord, expandWords } from "../../src/build/dockerfile/expand.ts";

const env = new Map([
  ["A", "a"],
  ["EMPTY", ""],
  ["SP", "x  y"],
  ["PATH", "/usr/local/bin:/usr/bin:/bin"],
  ["FILE", "archive.tar.gz"],
]);

Deno.test("expand: $VAR and ${VAR}, unset is empty, names stop at non-name characters", () => {
  assertEquals(expandWord("$A", env), "a");
  assertEquals(expandWord("${A}", env), "a");
  assertEquals(expandWord("x$A.y", env), "xa.y");
  assertEquals(expandWord("$Ab", env), "");
  assertEquals(expandWord("${A}b", env), "ab");
  assertEquals(expandWord("[$NOPE]", env), "[]");
  assertEquals(expandWord("a$", env), "a$");
  assertEquals(expandWord("$ x", env), "$ x");
  // Special parameters and digits are names too, never set in a Dockerfile.
  assertEquals(expandWord("[$$][$1][$@][$12x]", env), "[][][][x]");
});

Deno.test("expand: the six modifiers, with and without the colon", () => {
  assertEquals(expandWord("${NOPE:-d}|${EMPTY:-d}|${A:-d}", env), "d|d|a");
  assertEquals(expandWord("${NOPE-d}|${EMPTY-d}|${A-d}", env), "d||a");
  assertEquals(expandWord("${NOPE:+w}|${EMPTY:+w}|${A:+w}", env), "||w");
  assertEquals(expandWord("${NOPE+w}|${EMPTY+w}|${A+w}", env), "|w|w");
  assertEquals(expandWord("${A:?oops}${A?oops}", env), "aa");
  assertEquals(expandWord("${EMPTY?oops}", env), "");
  // The default is itself expanded, quotes and all.
  assertEquals(expandWord("${NOPE:-$A/'$A'}", env), "a/$A");
  assertEquals(expandWord("${NOPE:-${A:-z}x}", env), "ax");
});

Deno.test("expand: ${VAR?err} and ${VAR:?err} fail with BuildKit's message", () => {
  const unset = assertThrows(() => expandWord("${NOPE?must be set}", env), ExpandError);
  assertEquals(unset.message, 'failed to process "${NOPE?must be set}": NOPE: must be set');
  assertEquals(
    assertThrows(() => expandWord("${NOPE:?}", env), ExpandError).message,
    'failed to process "${NOPE:?}": NOPE: is not allowed to be unset',
  );
  assertEquals(
    assertThrows(() => expandWord("${EMPTY:?}", env), ExpandError).message,
    'failed to process "${EMPTY:?}": EMPTY: is not allowed to be empty',
  );
});

Deno.test("expand: pattern removal and replacement (newer BuildKit)", () => {
  assertEquals(expandWord("${FILE#*.}", env), "tar.gz");
  assertEquals(expandWord("${FILE##*.}", env), "gz");
  assertEquals(expandWord("${FILE%.*}", env), "archive.tar");
  assertEquals(expandWord("${FILE%%.*}", env), "archive");
  assertEquals(expandWord("${FILE#nomatch}", env), "archive.tar.gz");
  assertEquals(expandWord("${PATH/:/;}", env), "/usr/local/bin;/usr/bin:/bin");
  assertEquals(expandWord("${PATH//:/;}", env), "/usr/local/bin;/usr/bin;/bin");
  assertEquals(expandWord("${FILE/a?c/X}", env), "Xhive.tar.gz");
  assertEquals(expandWord("${NOPE#x}", env), "");
});

Deno.test("expand: malformed references are errors, with the word in the message", () => {
  const cases: [string, string][] = [
    ["${A", "syntax error: missing '}'"],
    ["${", "syntax error: missing '}'"],
    ["${}", "syntax error: bad substitution"],
    ["${:a}", "syntax error: bad substitution"],
    ["${{A}}", "syntax error: bad substitution"],
    ["${A:-x", "syntax error: missing '}'"],
    ["${A!}", "unsupported modifier (!) in substitution"],
    ["${A:#x}", "unsupported modifier (:#) in substitution"],
    ["${A/x}", "syntax error: missing '/' in ${}"],
    ["'abc", "unexpected end of statement while looking for matching single-quote"],
    ['"abc', "unexpected end of statement while looking for matching double-quote"],
  ];
  for (const [word, reason] of cases) {
    const e = assertThrows(() => expandWord(word, env), ExpandError);
    assertEquals(e.message, `failed to process ${JSON.stringify(word)}: ${reason}`, word);
  }
});

Deno.test("expand: quotes and escapes (podman: ENV r='$a' keeps $a)", () => {
  assertEquals(expandWord("'$A'", env), "$A");
  assertEquals(expandWord('"$A"', env), "a");
  assertEquals(expandWord('"a  b"', env), "a  b");
  assertEquals(expandWord("\\$A", env), "$A");
  assertEquals(expandWord("\\\\$A", env), "\\a");
  assertEquals(expandWord('"\\$A \\" \\x"', env), '$A " \\x');
  assertEquals(expandWord("a\\", env), "a");
  assertEquals(expandWord("it''s", env), "its");
  // With the backtick escape, a backslash is an ordinary character.
  assertEquals(expandWord("C:\\dir\\`$A", env, { escapeToken: "`" }), "C:\\dir\\$A");
});

Deno.test("expandWords: splits at unquoted whitespace, including spaces a variable brings", () => {
  assertEquals(expandWords("80 443/tcp", env), ["80", "443/tcp"]);
  assertEquals(expandWords("$SP z", env), ["x", "y", "z"]);
  assertEquals(expandWords('"$SP" z', env), ["x  y", "z"]);
  assertEquals(expandWords("a\\ b 'c d'", env), ["a b", "c d"]);
  assertEquals(expandWords("$NOPE", env), []);
  assertEquals(expandWord("$SP z", env), "x  y z");
});

Deno.test("expand: which variables were used, for unused --build-arg reporting", () => {
  assertEquals([...expand("$A ${NOPE:-x} ${EMPTY}", env).used].sort(), ["A", "EMPTY"]);
});

Deno.test("expand: skipUnsetEnv leaves unknown references as written", () => {
  assertEquals(
    expandWord("$NOPE ${NOPE} ${NOPE:-x} $A", env, { skipUnsetEnv: true }),
    "$NOPE ${NOPE} ${NOPE:-x} a",
  );
});

Deno.test("expand: patterns as BuildKit converts them (brackets literal, few escapes)", () => {
  const e = new Map([["V", "a[b]c*d"], ["P", "x/y/z"]]);
  assertEquals(expandWord("${V#a[b]}", e), "c*d");
  assertEquals(expandWord("${V%\\**}", e), "a[b]c");
  assertEquals(expandWord("${P/\\//-}", e), "x-y/z");
  assertEquals(expandWord("${P//\\//-}", e), "x-y-z");
  assertEquals(
    assertThrows(() => expandWord("${V#\\q}", e), ExpandError).message,
    `failed to process "\${V#\\\\q}": invalid pattern (\\q) in substitution: invalid escape '\\q'`,
  );
});

Deno.test("expand: `<<` keeps following blanks in its word (heredoc detection)", () => {
  assertEquals(expandWords("cat << EOF > f", env), ["cat", "<< EOF", ">", "f"]);
  assertEquals(expandWords("a<b", env), ["a<b"]);
  assertEquals(expandWord("cat << EOF", env), "cat << EOF");
});

Deno.test("expand: skipProcessQuotes treats quotes as text (COPY heredoc bodies)", () => {
  assertEquals(
    expandWord(`'$A' "$A" \\$A`, env, { skipProcessQuotes: true }),
    `'a' "a" $A`,
  );
});
