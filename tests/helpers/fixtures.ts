/**
 * Fixture images for integration tests, built by `tests/fixtures/make_images.sh` with umoci
 * and skopeo from Debian's busybox-static, and a helper to push them to a test registry.
 *
 * ```ts
 * import { ensureFixtures, pushFixture } from "./fixtures.ts";
 * import { startRegistry } from "./registry.ts";
 * const dir = await ensureFixtures();
 * const reg = await startRegistry();
 * const ref = await pushFixture(`${dir}/busybox`, "latest", reg.host);
 * // ref === `${reg.host}/busybox:latest`
 * await reg.stop();
 * ```
 *
 * @module
 */

const SCRIPT = new URL("../fixtures/make_images.sh", import.meta.url).pathname;

/**
 * Where fixtures are built: `$SKIFF_FIXTURES` or `/tmp/skiff-fixtures-v2` (v2: the stamp names
 * the tools too; checkouts with the older script keep `/tmp/skiff-fixtures`, so the two do not
 * rebuild each other's images while tests read them).
 */
export const FIXTURES_DIR: string = Deno.env.get("SKIFF_FIXTURES") ?? "/tmp/skiff-fixtures-v2";

/** Paths of the fixture images inside the fixtures directory. */
export interface FixturePaths {
  /** OCI layout, tag `latest`: one layer, busybox with applet symlinks, Cmd ["sh"]. */
  busybox: string;
  /** OCI layout, tag `latest`: busybox + added files + a layer with a whiteout and an opaque dir. */
  multilayer: string;
  /** skopeo `dir:` copy of busybox with Docker schema 2 media types. */
  busyboxV2s2: string;
  /** `docker save` style archive holding `busybox:latest`. */
  dockerArchive: string;
  /** OCI archive (tar of an OCI layout) holding tag `latest`. */
  ociArchive: string;
}

/**
 * Returns the paths of the fixture images under `dir` (they exist once
 * {@linkcode ensureFixtures} has resolved).
 *
 * @example
 * ```ts
 * const p = fixturePaths(await ensureFixtures());
 * console.log(p.busybox); // /tmp/skiff-fixtures-v2/busybox
 * ```
 */
export function fixturePaths(dir: string = FIXTURES_DIR): FixturePaths {
  return {
    busybox: `${dir}/busybox`,
    multilayer: `${dir}/multilayer`,
    busyboxV2s2: `${dir}/busybox-v2s2`,
    dockerArchive: `${dir}/busybox.docker.tar`,
    ociArchive: `${dir}/busybox.oci.tar`,
  };
}

let building: Promise<string> | undefined;

/**
 * Builds the fixture images if they are missing or stale, and returns the fixtures directory.
 * Stale means built from anything else: the script's stamp file names the script's checksum,
 * the packed busybox binary's checksum, and the path and version of umoci, skopeo, tar and
 * awk; a change to any of them rebuilds. With the stamp and a lock this is cheap after the
 * first call and safe across parallel processes. Runs the script at most once per process.
 *
 * @example
 * ```ts
 * const dir = await ensureFixtures(); // "/tmp/skiff-fixtures-v2"
 * ```
 */
export function ensureFixtures(dir: string = FIXTURES_DIR): Promise<string> {
  if (building && dir === FIXTURES_DIR) return building;
  const p = (async () => {
    const out = await new Deno.Command("bash", {
      args: [SCRIPT, dir],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!out.success) {
      const td = new TextDecoder();
      throw new Error(
        `Fixture script ${SCRIPT} failed (${out.code}): ${td.decode(out.stderr)}${
          td.decode(out.stdout)
        }`,
      );
    }
    return dir;
  })();
  if (dir === FIXTURES_DIR) {
    building = p;
    p.catch(() => (building = undefined));
  }
  return p;
}

/** Options for {@linkcode pushFixture}. */
export interface PushOptions {
  /** Manifest format to push: OCI (default) or Docker schema 2. */
  format?: "oci" | "v2s2";
  /** Repository name in the registry (default: the layout directory's base name). */
  repo?: string;
  /** Tag in the registry (default: the same as the source tag). */
  destTag?: string;
  /** Credentials for a registry started with `htpasswd`. */
  creds?: { user: string; password: string };
}

/**
 * Pushes tag `tag` of an OCI layout (or a `dir:` copy, or a docker/oci archive, picked by
 * the path) to `registryHost` over plain HTTP with skopeo, and returns the pushed reference
 * (`host/repo:tag`).
 *
 * @example
 * ```ts
 * const ref = await pushFixture(fixturePaths().multilayer, "latest", reg.host, {
 *   format: "v2s2",
 *   repo: "library/multi",
 * });
 * ```
 */
export async function pushFixture(
  layoutDir: string,
  tag: string,
  registryHost: string,
  opts: PushOptions = {},
): Promise<string> {
  const repo = opts.repo ?? layoutDir.replace(/\/+$/, "").split("/").pop()!
    .replace(/\.(docker|oci)\.tar$/, "").toLowerCase();
  const ref = `${registryHost}/${repo}:${opts.destTag ?? tag}`;
  let src: string;
  if (layoutDir.endsWith(".docker.tar")) src = `docker-archive:${layoutDir}`;
  else if (layoutDir.endsWith(".tar")) src = `oci-archive:${layoutDir}:${tag}`;
  else if (await isDirTransport(layoutDir)) src = `dir:${layoutDir}`;
  else src = `oci:${layoutDir}:${tag}`;
  const args = ["copy", "-q", "--dest-tls-verify=false"];
  if (opts.format === "v2s2") args.push("--format", "v2s2");
  else if (opts.format === "oci") args.push("--format", "oci");
  if (opts.creds) args.push("--dest-creds", `${opts.creds.user}:${opts.creds.password}`);
  args.push(src, `docker://${ref}`);
  const out = await new Deno.Command("skopeo", { args, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(
      `skopeo ${args.join(" ")} failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return ref;
}

async function isDirTransport(path: string): Promise<boolean> {
  try {
    await Deno.stat(`${path}/manifest.json`);
    return true;
  } catch {
    return false;
  }
}
