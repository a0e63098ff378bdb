/** `skiff pull`: download an image from a registry. */
import type { CommandContext, FlagsOf } from "../cli/spec.ts";
import type { pull as spec } from "../cli/table.ts";
import { chooseProgress, type Progress, quietProgress } from "../image/progress.ts";
import { pullImageByName } from "../engine/image_pull.ts";
import { namesTagOrDigest } from "../image/reference.ts";
import { exitOne } from "./exit_codes.ts";
import { refuseContentTrust } from "./content_trust.ts";

/** Runs `skiff pull [OPTIONS] NAME[:TAG|@DIGEST]`. */
export default function pull(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  refuseContentTrust(ctx.flags["disable-content-trust"]);
  // Its errors exit 1, as docker's do (125 is for flags that do not parse).
  return exitOne(() => pullWork(ctx));
}

async function pullWork(ctx: CommandContext<FlagsOf<typeof spec>>): Promise<number> {
  const quiet = ctx.flags.quiet;
  // The display of the image being pulled; the closing lines go to the last one.
  let progress: Progress = quietProgress();
  const fresh = () => (progress = chooseProgress(quiet));
  if (!quiet && !ctx.flags["all-tags"] && ctx.args[0] && !namesTagOrDigest(ctx.args[0])) {
    console.log("Using default tag: latest"); // docker's first line
  }
  const report = await pullImageByName(ctx.global, {
    name: ctx.args[0],
    platform: ctx.flags.platform,
    allTags: ctx.flags["all-tags"],
    tlsVerify: ctx.flags["tls-verify"],
  }, {
    pulling: (tag, repository) => {
      fresh().line(`${tag}: Pulling from ${repository}`);
      return progress;
    },
    pullingTag: fresh,
    pulledTag: (tag, digest) => progress.line(`${tag}: ${digest}`),
  });
  if (report.allTags) {
    console.log(quiet ? report.repository : `Status: Downloaded all tags of ${report.repository}`);
  } else if (quiet) {
    console.log(report.reference);
  } else {
    // On the last image's progress, so a terminal's live block is not redrawn over them.
    progress.line(`Digest: ${report.manifestDigest}`);
    progress.line(
      report.changed
        ? `Status: Downloaded newer image for ${report.familiar}`
        : `Status: Image is up to date for ${report.familiar}`,
    );
    progress.line(report.reference);
  }
  return 0;
}
