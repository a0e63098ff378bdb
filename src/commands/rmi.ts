/** `skiff rmi` / `skiff image rm`: untag and remove images, one report per argument. */
import type { CommandContext } from "../cli/spec.ts";
import { openStore, type Store } from "../store/store.ts";
import { removeImageRecord, tagsOf, updateTags } from "../store/images.ts";
import { resolveLocalImage } from "../image/resolve.ts";
import { familiarName, parseReference } from "../image/reference.ts";
import { collectGarbage, imagesInUse } from "../image/gc.ts";
import { FailedPreconditionError } from "../errors.ts";

/** Runs `skiff rmi [-f] IMAGE...`; exits 1 if any argument failed. */
export default async function rmi(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const force = ctx.flags.force === true;
  let failed = false;
  for (const name of ctx.args) {
    try {
      for (const line of await removeOne(store, name, force)) console.log(line);
    } catch (err) {
      failed = true;
      console.error(`Error: ${(err as Error).message}`);
    }
  }
  await collectGarbage(store);
  return failed ? 1 : 0;
}

async function removeOne(store: Store, name: string, force: boolean): Promise<string[]> {
  const { record, ref } = await resolveLocalImage(store, name);
  const inUse = (await imagesInUse(store)).get(record.id);
  const short = record.id.slice(7, 19);
  return await updateTags(store, async (tags) => {
    const names = tagsOf(tags, record.id);
    const out: string[] = [];
    // A name that is one of several tags only untags.
    if (ref && !ref.digest && names.length > 1 && names.includes(ref.toString())) {
      delete tags[ref.toString()];
      return [`Untagged: ${familiarName(ref)}`];
    }
    if (!ref && names.length > 1 && !force) {
      throw new FailedPreconditionError(
        `conflict: unable to delete ${short} (must be forced) - image is referenced in multiple repositories`,
      );
    }
    if (inUse && !force) {
      throw new FailedPreconditionError(
        `conflict: unable to remove repository reference "${name}" (must force) - container ${
          inUse[0].slice(0, 12)
        } is using its referenced image ${short}`,
      );
    }
    for (const n of names) {
      delete tags[n];
      out.push(`Untagged: ${familiarName(parseReference(n))}`);
    }
    if (!inUse) {
      for (const d of record.repoDigests) out.push(`Untagged: ${familiarDigest(d)}`);
      await removeImageRecord(store, record.id);
      out.push(`Deleted: ${record.id}`);
    }
    return out;
  });
}

function familiarDigest(repoDigest: string): string {
  return familiarName(parseReference(repoDigest));
}
