/** `skiff push`: upload a local image to a registry. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { push as spec } from "../cli/table.ts";
import { chooseProgress, type Progress, quietProgress } from "../image/progress.ts";
import { pushImageByName } from "../engine/image_push.ts";
import { exitOne } from "./exit_codes.ts";

/** Runs `skiff push [OPTIONS] NAME[:TAG]`. */
export default function push(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  // Its errors exit 1, as docker's do (125 is for flags that do not parse).
  return exitOne(() => pushWork(ctx));
}

async function pushWork(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const quiet = ctx.flags.quiet;
  let progress: Progress = quietProgress();
  try {
    const report = await pushImageByName(ctx.global, {
      name: ctx.args[0],
      tlsVerify: ctx.flags["tls-verify"],
    }, (repository) => {
      progress = chooseProgress(quiet);
      progress.line(`The push refers to repository [${repository}]`);
      return progress;
    });
    if (quiet) console.log(report.reference);
    else progress.line(`${report.tag}: digest: ${report.digest} size: ${report.size}`);
  } finally {
    progress.done();
  }
  return 0;
}
