/**
 * `--cache-from` and `--cache-to` values as buildx takes them: `type=local,src=DIR` and
 * `type=local,dest=DIR` (a directory another store's build wrote), with buildx's other
 * attributes for it accepted. Other types (registry, inline, gha, s3, ...) and a bare image
 * name (buildx's short form of type=registry) are refused with one clear line.
 */
import { InvalidArgumentError } from "../../errors.ts";

/** A checked cache import or export. */
export interface CacheSpec {
  type: "local";
  /** The directory (src for an import, dest for an export). */
  dir: string;
  /** `ignore-error=true`: an export that fails is a warning, not a failed build. */
  ignoreError: boolean;
}

/** Attributes buildx documents for the local cache that skiff accepts and does not need. */
const IGNORED = new Set([
  "mode",
  "compression",
  "compression-level",
  "force-compression",
  "oci-mediatypes",
  "image-manifest",
  "tag",
  "digest",
]);

/**
 * Parses one `--cache-from` (`to` false) or `--cache-to` (`to` true) value.
 *
 * @example
 * ```ts
 * parseCacheSpec("type=local,dest=/tmp/c", true); // { type: "local", dir: "/tmp/c", ignoreError: false }
 * ```
 */
export function parseCacheSpec(value: string, to: boolean): CacheSpec {
  const flag = to ? "--cache-to" : "--cache-from";
  const attrs = new Map<string, string>();
  for (const part of value.split(",")) {
    const eq = part.indexOf("=");
    if (eq <= 0) {
      throw new InvalidArgumentError(
        `${flag} ${value}: a bare image name (type=registry) is not supported by skiff; use type=local,${
          to ? "dest" : "src"
        }=DIR`,
      );
    }
    attrs.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1));
  }
  const type = attrs.get("type") ?? "";
  if (type !== "local") {
    throw new InvalidArgumentError(
      `${flag} type=${type || "(none)"} is not supported by skiff: use type=local,${
        to ? "dest" : "src"
      }=DIR`,
    );
  }
  const key = to ? "dest" : "src";
  const dir = attrs.get(key);
  if (!dir) throw new InvalidArgumentError(`${flag} ${value}: ${key}=DIR is required`);
  for (const k of attrs.keys()) {
    if (k !== "type" && k !== key && k !== "ignore-error" && !IGNORED.has(k)) {
      throw new InvalidArgumentError(`${flag} ${value}: unknown attribute ${k}`);
    }
  }
  return { type: "local", dir, ignoreError: attrs.get("ignore-error") === "true" };
}
