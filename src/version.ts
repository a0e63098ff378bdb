/** skiff's version, and the API version it reports as docker does. */
export const VERSION = "0.1.0";

/** The line `skiff --version` prints. */
export function versionLine(): string {
  return `skiff version ${VERSION}, deno ${Deno.version.deno}`;
}
