import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import { type Column, renderInspect, renderList, tabwrite } from "../../src/cli/format.ts";
import { InvalidArgumentError } from "../../src/errors.ts";

interface Ctr {
  id: string;
  image: string;
  names: string;
  labels?: Record<string, string>;
}

const columns: Column<Ctr>[] = [
  { field: "ID", header: "CONTAINER ID", value: (c) => c.id },
  { field: "Image", header: "IMAGE", value: (c) => c.image },
  { field: "Names", header: "NAMES", value: (c) => c.names },
  { field: "Labels", header: "LABELS", value: (c) => c.labels },
];
const defaultTable = "table {{.ID}}\\t{{.Image}}\\t{{.Names}}";
const items: Ctr[] = [
  { id: "0123456789ab", image: "alpine", names: "web", labels: { z: "1", a: "<b>&" } },
  { id: "ba9876543210", image: "docker.io/library/busybox:latest", names: "db" },
  { id: "ffff", image: "x", names: "a_much_longer_name" },
];

Deno.test("default table: tabwriter minwidth 10, padding 3", () => {
  assertEquals(
    renderList(items, { columns, defaultTable }),
    "CONTAINER ID   IMAGE                              NAMES\n" +
      "0123456789ab   alpine                             web\n" +
      "ba9876543210   docker.io/library/busybox:latest   db\n" +
      "ffff           x                                  a_much_longer_name\n",
  );
  assertEquals(
    renderList(items, { columns, defaultTable, format: "table" }),
    renderList(items, { columns, defaultTable }),
  );
});

Deno.test("short columns still get docker's minimum width of 10", () => {
  assertEquals(tabwrite("A\tB\nx\ty\n"), "A         B\nx         y\n");
  assertEquals(tabwrite("名前\tB\n"), "名前      B\n");
});

Deno.test("empty list prints only the header", () => {
  assertEquals(renderList([], { columns, defaultTable }), "CONTAINER ID   IMAGE     NAMES\n");
  assertEquals(renderList([], { columns, defaultTable, format: "{{.ID}}" }), "");
});

Deno.test("table format maps fields to headers; functions keep the header", () => {
  assertEquals(
    renderList(items, { columns, defaultTable, format: "table {{.ID}}\\t{{upper .Names}}" }),
    "CONTAINER ID   NAMES\n" +
      "0123456789ab   WEB\n" +
      "ba9876543210   DB\n" +
      "ffff           A_MUCH_LONGER_NAME\n",
  );
  const imgCols = [{ field: "ID", header: "IMAGE ID" }];
  assertEquals(
    renderList([{ ID: "sha" }], {
      columns: imgCols,
      defaultTable: "table {{.ID}}",
      format: "table {{.ID}}",
    }),
    "IMAGE ID\nsha\n",
  );
});

Deno.test("json: one compact object per line, keys sorted, HTML left as is", () => {
  const want =
    '{"ID":"0123456789ab","Image":"alpine","Labels":{"z":"1","a":"<b>&"},"Names":"web"}\n' +
    '{"ID":"ba9876543210","Image":"docker.io/library/busybox:latest","Labels":null,"Names":"db"}\n' +
    '{"ID":"ffff","Image":"x","Labels":null,"Names":"a_much_longer_name"}\n';
  assertEquals(renderList(items, { columns, defaultTable, format: "json" }), want);
  assertEquals(renderList(items, { columns, defaultTable, format: "{{json .}}" }), want);
});

Deno.test("plain template: one line per item, no header; \\t and \\n unescaped", () => {
  assertEquals(
    renderList(items, { columns, defaultTable, format: "{{.ID}}" }),
    "0123456789ab\nba9876543210\nffff\n",
  );
  assertEquals(
    renderList(items.slice(0, 1), { columns, defaultTable, format: "{{.Names}}\\t{{.Image}}\\n" }),
    "web\talpine\n\n",
  );
  assertEquals(
    renderList(items.slice(0, 1), { columns, defaultTable, format: '{{index .Labels "a"}}' }),
    "<b>&\n",
  );
});

Deno.test("quiet prints IDs unless a non-table format is given", () => {
  assertEquals(
    renderList(items, { columns, defaultTable, quiet: true }),
    "0123456789ab\nba9876543210\nffff\n",
  );
  assertEquals(
    renderList(items, { columns, defaultTable, quiet: true, format: "table {{.Names}}" }),
    "0123456789ab\nba9876543210\nffff\n",
  );
  assertEquals(
    renderList(items, { columns, defaultTable, quiet: true, format: "{{.Names}}" }),
    "web\ndb\na_much_longer_name\n",
  );
});

Deno.test("template errors are wrapped as docker wraps them", () => {
  assertThrows(() => renderList(items, { columns, defaultTable, format: "{{.ID" }), (e: Error) => {
    assertEquals(e instanceof InvalidArgumentError, true);
    assertEquals(e.message, "template parsing error: template: :1: unclosed action");
    return true;
  });
});

Deno.test("inspect: 4-space indented array, HTML escaped, [] when empty", () => {
  assertEquals(
    renderInspect([{ Id: "abc", Config: { Env: ["A=<1>"], Labels: {}, Cmd: [] } }]),
    '[\n    {\n        "Id": "abc",\n        "Config": {\n            "Env": [\n                "A=\\u003c1\\u003e"\n            ],\n            "Labels": {},\n            "Cmd": []\n        }\n    }\n]\n',
  );
  assertEquals(renderInspect([]), "[]\n");
  assertEquals(renderInspect([{ Id: "a" }, { Id: "b" }], "json"), '[{"Id":"a"},{"Id":"b"}]\n');
});

Deno.test("inspect with a template: one line per object, no unescaping", () => {
  const objs = [{ Name: "/web", Config: { Env: ["A=1"] } }, { Name: "/db", Config: { Env: [] } }];
  assertEquals(renderInspect(objs, "{{.Name}} {{.Config.Env}}"), "/web [A=1]\n/db []\n");
  assertEquals(renderInspect(objs, "{{.Name}}\\t"), "/web\\t\n/db\\t\n");
  assertEquals(renderInspect([], "{{.Name}}"), "\n");
  assertThrows(() => renderInspect(objs, "{{.Name"), (e: InvalidArgumentError) => {
    assertEquals(e.exitCode, 64);
    assertEquals(e.message, "template parsing error: template: :1: unclosed action");
    return true;
  });
});

Deno.test("methods with arguments: called by templates, headed in tables, left out of json", () => {
  const methods = [{
    name: "Label",
    header: "LABEL",
    call: (c: Ctr, key: unknown) => c.labels?.[String(key)] ?? "",
  }];
  const opts = { columns, defaultTable, methods };
  assertEquals(
    renderList(items, { ...opts, format: '{{.Names}}:{{.Label "z"}}' }),
    "web:1\ndb:\na_much_longer_name:\n",
  );
  assertEquals(renderList(items.slice(0, 1), { ...opts, format: '{{"a" | .Label}}' }), "<b>&\n");
  assertEquals(
    renderList(items.slice(0, 1), { ...opts, format: 'table {{.Names}}\t{{.Label "z"}}' }),
    "NAMES     LABEL\nweb       1\n",
  );
  assertEquals(
    renderList(items.slice(1, 2), { ...opts, format: "json" }),
    '{"ID":"ba9876543210","Image":"docker.io/library/busybox:latest","Labels":null,"Names":"db"}\n',
  );
  assertThrows(
    () => renderList(items, { ...opts, format: '{{.Names "x"}}' }),
    InvalidArgumentError,
  );
});

Deno.test("a field the row lacks fails as docker's typed list contexts do (exit 1)", () => {
  const columns: Column<{ ID: string }>[] = [{ field: "ID", header: "CONTAINER ID" }];
  const opts = {
    columns,
    defaultTable: "table {{.ID}}",
    contextType: "*formatter.ContainerContext",
  };
  assertThrows(
    () => renderList([{ ID: "a" }], { ...opts, format: "{{.Bogus}}" }),
    (e: InvalidArgumentError) => {
      assertEquals(
        e.message,
        'template parsing error: template: :1:2: executing "" at <.Bogus>: ' +
          "can't evaluate field Bogus in type *formatter.ContainerContext",
      );
      assertEquals(e.exitCode, 1);
      return true;
    },
  );
  // The table header is checked too, even with no rows.
  assertThrows(() => renderList([], { ...opts, format: "table {{.Nope}}" }), InvalidArgumentError);
  assertEquals(renderList([{ ID: "a" }], { ...opts, format: "{{.ID}}" }), "a\n");
});

Deno.test("inspect: a field the object lacks fails (docker's raw fallback); map keys and omitempty fields do not", () => {
  const objs = [{ Id: "a", State: { Status: "running" }, Config: { Labels: { app: "x" } } }];
  assertThrows(() => renderInspect(objs, "{{.State.Bogus}}"), (e: InvalidArgumentError) => {
    assertEquals(
      e.message,
      'template parsing error: template: :1:8: executing "" at <.State.Bogus>: map has no entry for key "Bogus"',
    );
    assertEquals(e.exitCode, 1);
    return true;
  });
  assertEquals(
    renderInspect(objs, "{{.Config.Labels.other}}|{{.Config.Labels.app}}"),
    "<no value>|x\n",
  );
  // Docker leaves State.Health and Config.Healthcheck out when empty; templates still name them.
  assertEquals(
    renderInspect(objs, "{{.State.Health}}|{{.Config.Healthcheck}}"),
    "<no value>|<no value>\n",
  );
  assertEquals(renderInspect(objs, "{{json .State}}"), '{"Status":"running"}\n');
});
