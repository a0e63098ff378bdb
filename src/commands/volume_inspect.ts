/** `skiff volume inspect`: docker's JSON for volumes. */
import { renderInspect } from "../cli/format.ts";
import type { CommandContext } from "../cli/spec.ts";
import { openStore } from "../store/store.ts";
import { getVolume, type VolumeRecord } from "../store/volumes.ts";

/** The object `volume inspect` prints, with docker's keys in docker's order. */
export function inspectVolume(v: VolumeRecord): Record<string, unknown> {
  return {
    CreatedAt: v.CreatedAt,
    Driver: v.Driver,
    Labels: v.Labels ?? {},
    Mountpoint: v.Mountpoint,
    Name: v.Name,
    Options: v.Options ?? {},
    Scope: v.Scope,
  };
}

/** Runs `skiff volume inspect [-f FORMAT] VOLUME...`; exits 1 if any is missing. */
export default async function volumeInspect(ctx: CommandContext): Promise<number> {
  const store = await openStore(ctx.global);
  const objects: unknown[] = [];
  let failed = false;
  for (const name of ctx.args) {
    const v = await getVolume(store, name).catch(() => undefined);
    if (v) objects.push(inspectVolume(v));
    else {
      failed = true;
      console.error(`Error: No such volume: ${name}`);
    }
  }
  if (objects.length || !ctx.flags.format) {
    await Deno.stdout.write(
      new TextEncoder().encode(renderInspect(objects, ctx.flags.format as string | undefined)),
    );
  }
  return failed ? 1 : 0;
}
