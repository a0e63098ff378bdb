/** `skiff search`: Docker Hub, or a registry's catalog (`host/term`), as a table. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { search as spec } from "../cli/table.ts";
import { renderList } from "../cli/format.ts";
import { searchImages } from "../engine/image_search.ts";
import { exitOne } from "./exit_codes.ts";

function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length > max ? chars.slice(0, max - 1).join("") + "…" : s;
}

/** Runs `skiff search [OPTIONS] TERM`. */
export default function search(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  // Its errors exit 1, as docker's do (125 is for flags that do not parse).
  return exitOne(() => searchWork(ctx));
}

async function searchWork(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const results = await searchImages({
    term: ctx.args[0],
    limit: ctx.flags.limit,
    tlsVerify: ctx.flags["tls-verify"],
    filters: ctx.flags.filter,
  });
  const noTrunc = ctx.flags["no-trunc"];
  const okOrEmpty = (b: boolean) => (b ? "[OK]" : "");
  const out = renderList(results, {
    contextType: "*formatter.searchContext",
    format: ctx.flags.format,
    columns: [
      { field: "Name", header: "NAME" },
      {
        field: "Description",
        header: "DESCRIPTION",
        value: (r) => {
          const d = r.Description.replace(/[\r\n]+/g, " ");
          return noTrunc ? d : ellipsis(d, 45);
        },
      },
      { field: "StarCount", header: "STARS" },
      { field: "IsOfficial", header: "OFFICIAL", value: (r) => okOrEmpty(r.IsOfficial) },
      { field: "IsAutomated", header: "AUTOMATED", value: (r) => okOrEmpty(r.IsAutomated) },
    ],
    defaultTable: "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}",
  });
  await Deno.stdout.write(new TextEncoder().encode(out));
  return 0;
}
