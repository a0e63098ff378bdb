/**
 * Reading Dockerfile lines as BuildKit does: directives, comments, continuations, heredocs.
 * (podman 4.3.1 here has no heredoc support, so heredoc cases follow BuildKit's parser.)
 */
import { assert, assertEquals, assertThrows } from "../helpers/assert.ts";
import {
  DockerfileSyntaxError,
  lexDockerfile,
  parseHeredocWord,
} from "../../src/build/dockerfile/lexer.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

const texts = (src: string) => lexDockerfile(src).lines.map((l) => l.text);

function syntaxError(src: string, file = "Dockerfile"): string {
  const e = assertThrows(() => lexDockerfile(src, file), DockerfileSyntaxError);
  assert(e instanceof InvalidArgumentError, "a user error (exit code 125 path)");
  return e.message;
}

Deno.test("lexer: comments, blank lines and leading whitespace are dropped; inline # is kept", () => {
  const src = "# top comment\n\n  FROM busybox\n\t# indented comment\nRUN echo a # not a comment\n";
  const lx = lexDockerfile(src);
  assertEquals(lx.lines.map((l) => l.text), ["FROM busybox", "RUN echo a # not a comment"]);
  assertEquals(lx.lines[0].start, { file: "Dockerfile", line: 3, column: 3 });
  assertEquals(lx.lines[1].start.line, 5);
  // As BuildKit: blank lines do not detach a comment from the next instruction.
  assertEquals(lx.lines[0].comments, ["top comment"]);
  assertEquals(lx.lines[1].comments, ["indented comment"]);
});

Deno.test("lexer: continuations join lines; comment and empty lines inside are skipped", () => {
  const src = [
    "RUN apt-get update && \\",
    "    # a comment inside the continuation",
    "",
    "    apt-get install -y x \\   ",
    "  && echo done",
    "FROM a",
  ].join("\n");
  const lx = lexDockerfile(src);
  assertEquals(lx.lines[0].text, "RUN apt-get update &&     apt-get install -y x   && echo done");
  assertEquals([lx.lines[0].start.line, lx.lines[0].endLine], [1, 5]);
  assertEquals(lx.lines[1].start.line, 6);
  assertEquals(lx.warnings.length, 1, "an empty continuation line is warned about");
  // An escaped escape at the end does not continue; a lone one on its own line does.
  assertEquals(texts("RUN echo \\\\\nRUN x\n"), ["RUN echo \\\\", "RUN x"]);
  assertEquals(texts("RUN a \\\n\\\nb\n"), ["RUN a b"]);
  // A continuation at the end of the file ends the instruction.
  assertEquals(texts("FROM a\nRUN x \\"), ["FROM a", "RUN x "]);
  // CRLF line endings and a byte-order mark.
  assertEquals(texts("\uFEFFFROM a\r\nRUN b \\\r\n c\r\n"), ["FROM a", "RUN b  c"]);
});

Deno.test("lexer: directives only at the top; escape=` changes continuations", () => {
  const lx = lexDockerfile(
    "# syntax=docker/dockerfile:1\n#escape = `\n# check=skip=all\nFROM a\nRUN dir c:\\ `\n  x\n",
  );
  assertEquals(lx.directives, {
    syntax: "docker/dockerfile:1",
    escape: "`",
    check: "skip=all",
  });
  assertEquals(lx.lines.map((l) => l.text), ["FROM a", "RUN dir c:\\   x"]);
  // Directive names are case-insensitive; leading whitespace is allowed.
  assertEquals(lexDockerfile("  # ESCAPE=`\nFROM a\n").directives.escape, "`");
  // After a comment, a blank line or an instruction, a directive is only a comment.
  assertEquals(lexDockerfile("# hello\n# escape=`\nFROM a\n").directives.escape, "\\");
  assertEquals(lexDockerfile("\n# escape=`\nFROM a\n").directives.escape, "\\");
  assertEquals(lexDockerfile("FROM a\n# escape=`\n").directives.escape, "\\");
  // An unknown directive ends the directives too.
  assertEquals(lexDockerfile("# foo=bar\n# escape=`\nFROM a\n").directives.escape, "\\");
});

Deno.test("lexer: bad directives and empty files are errors with a position", () => {
  assertEquals(
    syntaxError("# escape=x\nFROM a\n"),
    "Dockerfile:1:1: invalid escape token 'x' does not match ` or \\",
  );
  assertEquals(
    syntaxError("# escape=`\n# escape=\\\nFROM a\n", "build/Containerfile"),
    "build/Containerfile:2:1: only one escape parser directive can be used",
  );
  assertEquals(syntaxError("# only a comment\n\n"), "Dockerfile:2:1: file with no instructions");
  assertEquals(syntaxError(""), "Dockerfile:1:1: file with no instructions");
});

Deno.test("lexer: RUN heredoc, body kept with its line endings, delimiter line dropped", () => {
  const lx = lexDockerfile("FROM a\nRUN <<EOF\necho $HOME\n  EOF not end\nEOF\nRUN next\n");
  assertEquals(lx.lines.map((l) => l.text), ["FROM a", "RUN <<EOF", "RUN next"]);
  assertEquals(lx.lines[1].heredocs, [
    { name: "EOF", fd: 0, expand: true, chomp: false, content: "echo $HOME\n  EOF not end\n" },
  ]);
  assertEquals([lx.lines[1].start.line, lx.lines[1].endLine], [2, 5]);
  assertEquals(lx.lines[2].start.line, 6);
});

Deno.test("lexer: several heredocs in one instruction, in order; <<- and quoted delimiters", () => {
  const src = 'RUN <<-A cat - && cat 3<<"B" > /x\n\tone\n\tA\ntwo $X\nB\n';
  const [line] = lexDockerfile(src).lines;
  assertEquals(line.heredocs, [
    { name: "A", fd: 0, expand: true, chomp: true, content: "\tone\n" },
    { name: "B", fd: 3, expand: false, chomp: false, content: "two $X\n" },
  ]);
  // COPY and ONBUILD RUN take heredocs too; CMD and exec-form RUN do not.
  assertEquals(lexDockerfile("COPY <<EOF /f\nx\nEOF\n").lines[0].heredocs.length, 1);
  assertEquals(lexDockerfile("ONBUILD RUN <<EOF\nx\nEOF\n").lines[0].heredocs.length, 1);
  assertEquals(texts('FROM a\nCMD <<EOF\nRUN ["x", "<<EOF"]\n'), [
    "FROM a",
    "CMD <<EOF",
    'RUN ["x", "<<EOF"]',
  ]);
  // A heredoc word inside quotes is no heredoc.
  assertEquals(lexDockerfile("RUN echo '<<EOF'\n").lines[0].heredocs, []);
});

Deno.test("lexer: an unterminated heredoc is an error at its instruction", () => {
  assertEquals(
    syntaxError("FROM a\n  RUN <<EOF\nbody\nEOFX\n"),
    "Dockerfile:2:3: unterminated heredoc",
  );
});

Deno.test("parseHeredocWord: the forms a heredoc word takes", () => {
  assertEquals(parseHeredocWord("<<EOF")?.expand, true);
  assertEquals(parseHeredocWord("<<'EOF'")?.expand, false);
  assertEquals(parseHeredocWord('<<"E"OF')?.name, "EOF");
  assertEquals(parseHeredocWord('<<"E"OF')?.expand, false);
  assertEquals(parseHeredocWord("<<-EOF")?.chomp, true);
  assertEquals(parseHeredocWord("12<<EOF")?.fd, 12);
  assertEquals(parseHeredocWord("<<"), null);
  assertEquals(parseHeredocWord("<<<EOF"), null);
  assertEquals(parseHeredocWord("x<<EOF"), null);
  assertEquals(parseHeredocWord("<<'two words'")?.name, "two words");
});

Deno.test("lexer: `<< EOF` with a space is a heredoc too; directives are not comments", () => {
  const lx = lexDockerfile("# syntax=x\n# about a\nFROM a\nRUN cat << EOF\nbody\nEOF\n");
  assertEquals(lx.lines[1].heredocs.map((h) => [h.name, h.content]), [["EOF", "body\n"]]);
  assertEquals(lx.lines[0].comments, ["about a"]);
});

Deno.test("lexer: long blank runs in directives and lines do not make it backtrack", () => {
  // A hostile Dockerfile: 200k blanks inside a directive-looking line and 200k carriage
  // returns inside a line (quadratic with a lazy regular expression in JavaScript).
  const blanks = " ".repeat(200_000);
  const lx = lexDockerfile(
    `# syntax=a${blanks}b${blanks}\nFROM a\nRUN x${"\r".repeat(200_000)}y\n`,
  );
  assertEquals(lx.directives.syntax, `a${blanks}b`);
  assertEquals(lx.lines[1].text.length, 200_006);
});
