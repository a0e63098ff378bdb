/** How `run`, `create` and `build` show a pull: in a module of its own, loaded by all three. */
import type { PullEvents } from "../engine/container_create.ts";
import { withDefaultTag } from "./image_words.ts";

/** Pull progress on stderr, so that `run` output stays the container's own; none with -q. */
export function pullEvents(quiet: boolean): PullEvents {
  return {
    pulling: async (name) => {
      if (!quiet) console.error(`Unable to find image '${withDefaultTag(name)}' locally`);
      const { chooseProgress }: typeof import("../image/progress.ts") = await import(
        new URL("../image/progress.ts", import.meta.url).href
      );
      return chooseProgress(quiet, Deno.stderr);
    },
  };
}
