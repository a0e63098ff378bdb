/** `skiff top`: the running processes of a container, through the host's ps. */
import type { CommandContext } from "../cli/spec.ts";
import { tabwrite } from "../cli/format.ts";
import { openStore } from "../store/store.ts";
import { findContainer } from "../runtime/container_store.ts";
import { topContainer } from "../runtime/top.ts";

/** Runs `skiff top CONTAINER [ps OPTIONS]`. */
export default async function top(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const rec = await findContainer(store, ctx.args[0]);
  const { titles, processes } = await topContainer(store, rec, ctx.args.slice(1));
  const text = [titles, ...processes].map((r) => r.join("\t") + "\n").join("");
  await Deno.stdout.write(new TextEncoder().encode(tabwrite(text, 20, 3)));
  return 0;
}
