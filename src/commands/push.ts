/** `skiff push`: upload a local image to a registry. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { push as spec } from "../cli/table.ts";
import { chooseProgress, type Progress, quietProgress } from "../image/progress.ts";
import { pushImageByName, repositoryTags } from "../engine/image_push.ts";
import { exitOne } from "./exit_codes.ts";
import { refuseContentTrust } from "./content_trust.ts";

/** Runs `skiff push [-a] [OPTIONS] NAME[:TAG]`; `-a` pushes every local tag of the repository. */
export default function push(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  refuseContentTrust(ctx.flags["disable-content-trust"]);
  // Its errors exit 1, as docker's do (125 is for flags that do not parse).
  return exitOne(() => pushWork(ctx));
}

async function pushWork(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const quiet = ctx.flags.quiet;
  const names = ctx.flags["all-tags"]
    ? await repositoryTags(ctx.global, ctx.args[0])
    : [ctx.args[0]];
  let progress: Progress = quietProgress();
  let told = false;
  try {
    for (const name of names) {
      const report = await pushImageByName(ctx.global, {
        name,
        tlsVerify: ctx.flags["tls-verify"],
      }, (repository) => {
        progress = chooseProgress(quiet);
        // once for the repository, as docker says it with --all-tags
        if (!told) progress.line(`The push refers to repository [${repository}]`);
        told = true;
        return progress;
      });
      if (quiet) console.log(report.reference);
      else progress.line(`${report.tag}: digest: ${report.digest} size: ${report.size}`);
      progress.done();
      progress = quietProgress();
    }
  } finally {
    progress.done();
  }
  return 0;
}
