import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import {
  goJson,
  goString,
  parseTemplate,
  renderTemplate as r,
  sprintf,
} from "../../src/cli/template.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

const data = {
  Name: "web",
  Labels: { b: "2", a: "1", "com.example.x": "y" },
  Config: { Env: ["A=1", "B=2"], Cmd: null },
  N: 3,
  F: 1.5,
  List: ["x", "y"],
  Empty: [],
  T: true,
  Html: "<a & b>",
  Nested: { m: { z: 1 } },
};

Deno.test("fields, nested fields and map index", () => {
  assertEquals(r("{{.Name}}", data), "web");
  assertEquals(r("{{.Config.Env}}", data), "[A=1 B=2]");
  assertEquals(r('{{index .Labels "com.example.x"}}', data), "y");
  assertEquals(r("{{index .Config.Env 1}}", data), "B=2");
  assertEquals(r("{{(index .Config.Env 0)}}", data), "A=1");
  assertEquals(r("{{.Nested.m.z}}", data), "1");
  assertEquals(r("{{.Missing}}|{{.Missing.Deeper}}", data), "<no value>|<no value>");
  assertEquals(r("{{.}}", "plain"), "plain");
});

Deno.test("values print as Go's %v", () => {
  assertEquals(r("{{.Labels}}", data), "map[a:1 b:2 com.example.x:y]");
  assertEquals(r("{{.Nested}}", data), "map[m:map[z:1]]");
  assertEquals(r("{{.List}} {{.Empty}} {{.T}} {{.F}} {{.N}}", data), "[x y] [] true 1.5 3");
  assertEquals(goString([1, null, { k: undefined }]), "[1 <nil> map[k:<nil>]]");
  assertEquals(goString(1e21), "1000000000000000000000");
  assertEquals(goString(null), "<no value>");
});

Deno.test("json: compact, keys in order, docker leaves HTML unescaped", () => {
  assertEquals(
    r("{{json .}}", { Name: "a<b>&c", Labels: { z: "1", a: { x: [1, "<"] } }, Nil: null }),
    '{"Name":"a<b>&c","Labels":{"z":"1","a":{"x":[1,"<"]}},"Nil":null}',
  );
  assertEquals(r("{{json .List}}", data), '["x","y"]');
  assertEquals(r("{{json .Empty}}", data), "[]");
  assertEquals(
    goJson({ a: "<&>\u2028" }, { escapeHTML: true }),
    '{"a":"\\u003c\\u0026\\u003e\\u2028"}',
  );
  assertEquals(goJson(new Map([["b", 1], ["a", 2]])), '{"a":2,"b":1}');
  assertEquals(goJson(new Date(Date.UTC(2024, 0, 2, 3, 4, 5))), '"2024-01-02T03:04:05Z"');
  assertEquals(goJson({ a: [], b: {} }, { indent: "    " }), '{\n    "a": [],\n    "b": {}\n}');
});

Deno.test("functions: println printf join split upper lower title len", () => {
  assertEquals(r("{{println .Name .N}}", data), "web 3\n");
  assertEquals(r('{{printf "%s %d" .Name .N}}', data), "web 3");
  assertEquals(r('{{join .List ","}}', data), "x,y");
  assertEquals(r('{{split "a,b,c" ","}}', data), "[a b c]");
  assertEquals(r('{{index (split "a:b" ":") 1}}', data), "b");
  assertEquals(
    r('{{upper .Name}} {{lower "AB"}} {{title "hello wide-world"}}', data),
    "WEB ab Hello Wide-World",
  );
  assertEquals(r('{{len .List}} {{len .Labels}} {{len "héllo"}}', data), "2 3 6");
  assertEquals(r('{{print 1 2 "a" 3}}', data), "1 2a3");
  assertEquals(r("{{pad .Name 1 2}}|{{truncate .Name 2}}", data), " web  |we");
  assertEquals(
    r('{{eq .Name "web"}} {{ne .N 3}} {{lt 1 2}} {{and .N .Name}} {{or "" .N}} {{not .T}}', data),
    "true false true web 3 false",
  );
});

Deno.test("sprintf verbs, widths and Go's bad-argument markers", () => {
  assertEquals(
    sprintf("%-6s|%6s|%03d|%.2f|%q|%v|%t|%x|%%", "ab", "cd", 7, 3.14159, "q", [1, 2], true, 255),
    'ab    |    cd|007|3.14|"q"|[1 2]|true|ff|%',
  );
  assertEquals(sprintf("%d", "x"), "%!d(string=x)");
  assertEquals(sprintf("%s %s", "a"), "a %!s(MISSING)");
  assertEquals(sprintf("%s", "a", 1), "a%!(EXTRA int=1)");
});

Deno.test("pipelines, variables and control structures", () => {
  assertEquals(r("{{.Name | upper}}", data), "WEB");
  assertEquals(r('{{.Name | printf "%s-%s" "x"}}', data), "x-web");
  assertEquals(r("{{range .List}}[{{.}}]{{end}}", data), "[x][y]");
  assertEquals(r("{{range $i, $e := .List}}{{$i}}={{$e}} {{end}}", data), "0=x 1=y ");
  assertEquals(
    r("{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}", data),
    "a=1;b=2;com.example.x=y;",
  );
  assertEquals(r("{{range .Empty}}x{{else}}none{{end}}", data), "none");
  assertEquals(r("{{if .T}}yes{{else}}no{{end}}", data), "yes");
  assertEquals(r("{{if .Empty}}a{{else if .N}}b{{else}}c{{end}}", data), "b");
  assertEquals(r("{{with .Config}}{{.Env}}{{end}}", data), "[A=1 B=2]");
  assertEquals(r("{{with .Missing}}x{{else}}none{{end}}", data), "none");
  assertEquals(r('{{$x := .Name}}{{$x}}{{$x = "z"}}{{$x}}', data), "webz");
  assertEquals(r("{{range .List}}{{$.Name}}{{end}}", data), "webweb");
  assertEquals(r('{{range .List}}{{if eq . "y"}}{{break}}{{end}}{{.}}{{end}}', data), "x");
  assertEquals(r("{{/* a comment */}}ok", data), "ok");
});

Deno.test("trim markers", () => {
  assertEquals(r("a  {{- .Name -}}  b", data), "awebb");
  assertEquals(r("{{range .List -}}\n  {{.}}\n{{- end}}", data), "xy");
  assertEquals(r("{{-3}}", data), "-3");
});

Deno.test("parse errors are one-line InvalidArgumentErrors in Go's words", () => {
  const cases: [string, string][] = [
    ["{{.Name", "template: :1: unclosed action"],
    ["{{foo .Name}}", 'template: :1: function "foo" not defined'],
    ["{{end}}", "template: :1: unexpected {{end}}"],
    ["{{if .T}}x", "template: :1: unexpected EOF"],
    ["{{$x}}", 'template: :1: undefined variable "$x"'],
    ['{{"abc}}', "template: :1: unterminated quoted string"],
    ["line1\n{{#}}", "template: :2: unexpected bad character U+0023 '#' in command"],
  ];
  for (const [src, msg] of cases) {
    assertThrows(() => parseTemplate(src), (e: Error) => {
      assertEquals(e instanceof InvalidArgumentError, true);
      assertEquals(e.message, msg);
      return true;
    });
  }
});

Deno.test("execution errors name the position and the command", () => {
  assertThrows(() => r("{{index .List 5}}", data), {
    message:
      'template: :1:2: executing "" at <index .List 5>: error calling index: index out of range: 5',
  });
  assertThrows(() => r("{{join .List}}", data), {
    message:
      'template: :1:2: executing "" at <join .List>: wrong number of args for join: want 2 got 1',
  });
  assertThrows(() => r("{{range .Name}}{{end}}", data), {
    message: 'template: :1:8: executing "" at <.Name>: range can\'t iterate over web',
  });
});

Deno.test("a parsed template runs against many values", () => {
  const t = parseTemplate("{{.Name}}:{{.N}}");
  assertEquals([{ Name: "a", N: 1 }, { Name: "b", N: 2 }].map((d) => t.execute(d)), ["a:1", "b:2"]);
});

Deno.test("a method is called with the template's arguments, on its receiver", () => {
  const obj = {
    Prefix: "p-",
    Join(this: { Prefix: string }, a: unknown, b: unknown) {
      return `${this.Prefix}${a}${b}`;
    },
    Inner: { Twice: (s: unknown) => `${s}${s}` },
  };
  assertEquals(r('{{.Join "a" "b"}}', obj), "p-ab");
  assertEquals(r('{{.Inner.Twice "x"}}', obj), "xx");
  assertEquals(r('{{"y" | .Inner.Twice}}', obj), "yy");
  assertEquals(r("{{$o := .}}{{$o.Join 1 2}}", obj), "p-12");
  assertThrows(() => r('{{.Prefix "a"}}', obj), /can't give argument to non-function .Prefix/);
});
