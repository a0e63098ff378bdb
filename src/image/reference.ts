/**
 * Image references in Docker's grammar (distribution/reference), with
 * Docker's normalization: `busybox` is `docker.io/library/busybox:latest`.
 *
 * ```
 * reference  := name [ ":" tag ] [ "@" digest ]
 * name       := [ domain "/" ] path-component [ "/" path-component ]*
 * domain     := host [ ":" port ]        (first component with "." or ":", or "localhost",
 *                                          or containing uppercase)
 * path-comp  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 * tag        := [\w][\w.-]{0,127}
 * digest     := algorithm ":" hex
 * ```
 *
 * Error messages repeat Docker's wording (`invalid reference format: ...`)
 * so that scripts matching on them keep working.
 *
 * @module
 */

import { InvalidArgumentError } from "../errors.ts";
import { parseDigest } from "./digest.ts";

/** Docker Hub's canonical domain in references. */
export const DEFAULT_DOMAIN = "docker.io";
/** Docker Hub's legacy domain, normalized to {@linkcode DEFAULT_DOMAIN}. */
export const LEGACY_DEFAULT_DOMAIN = "index.docker.io";
/** Namespace for Docker Hub's official images (`busybox` → `library/busybox`). */
export const OFFICIAL_REPO_PREFIX = "library/";
/** Tag used when a reference names neither tag nor digest. */
export const DEFAULT_TAG = "latest";
/** Maximum length of `domain/path` (Docker's limit). */
export const NAME_TOTAL_LENGTH_MAX = 255;

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const DOMAIN_RE = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?$`,
);
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const ANCHORED_ID = /^[a-f0-9]{64}$/;

function invalid(detail?: string): InvalidArgumentError {
  return new InvalidArgumentError(
    detail ? `invalid reference format: ${detail}` : "invalid reference format",
  );
}

/** A parsed, normalized image reference. */
export class ImageReference {
  /** Registry domain, with port if any: `docker.io`, `localhost:5000`. */
  readonly registry: string;
  /** Repository path within the registry: `library/busybox`. */
  readonly repository: string;
  /** Tag, if any (`latest` is filled in when neither tag nor digest is given). */
  readonly tag?: string;
  /** Digest, if any; it wins over the tag for pulling. */
  readonly digest?: string;

  /** Builds a reference from already-validated parts; use {@linkcode parseReference} for input. */
  constructor(registry: string, repository: string, tag?: string, digest?: string) {
    this.registry = registry;
    this.repository = repository;
    if (tag !== undefined) this.tag = tag;
    if (digest !== undefined) this.digest = digest;
  }

  /** `registry/repository`, without tag or digest. */
  get name(): string {
    return `${this.registry}/${this.repository}`;
  }

  /** What to ask the registry for: the digest when present, else the tag. */
  get tagOrDigest(): string {
    return this.digest ?? this.tag ?? DEFAULT_TAG;
  }

  /** The same repository with another tag (and no digest). */
  withTag(tag: string): ImageReference {
    if (!TAG_RE.test(tag)) throw invalid();
    return new ImageReference(this.registry, this.repository, tag);
  }

  /** The same repository pinned to `digest` (and no tag). */
  withDigest(digest: string): ImageReference {
    parseDigest(digest);
    return new ImageReference(this.registry, this.repository, undefined, digest);
  }

  /** Fully qualified form: `docker.io/library/busybox:latest`, `host:5000/x@sha256:…`. */
  toString(): string {
    let s = this.name;
    if (this.tag !== undefined) s += `:${this.tag}`;
    if (this.digest !== undefined) s += `@${this.digest}`;
    return s;
  }
}

/**
 * Splits the first path component off as a domain when it looks like one
 * (contains `.` or `:`, is `localhost`, or has uppercase letters), as
 * Docker's `splitDockerDomain` does.
 */
function splitDomain(name: string): [string, string] {
  const i = name.indexOf("/");
  let domain: string;
  let remainder: string;
  const first = i === -1 ? "" : name.slice(0, i);
  if (
    i === -1 ||
    (!/[.:]/.test(first) && first !== "localhost" && first.toLowerCase() === first)
  ) {
    domain = DEFAULT_DOMAIN;
    remainder = name;
  } else {
    domain = first;
    remainder = name.slice(i + 1);
  }
  if (domain === LEGACY_DEFAULT_DOMAIN) domain = DEFAULT_DOMAIN;
  if (domain === DEFAULT_DOMAIN && !remainder.includes("/")) {
    remainder = OFFICIAL_REPO_PREFIX + remainder;
  }
  return [domain, remainder];
}

/**
 * Parses a user-supplied image reference and normalizes it as Docker does.
 * Throws InvalidArgumentError with Docker's message for bad input.
 *
 * @example
 * ```ts
 * parseReference("busybox").toString();      // "docker.io/library/busybox:latest"
 * parseReference("localhost:5000/a/b:1").registry; // "localhost:5000"
 * ```
 */
export function parseReference(input: string): ImageReference {
  const s = input.trim() === input ? input : "";
  if (s === "") throw invalid();
  if (ANCHORED_ID.test(s)) {
    throw new InvalidArgumentError(
      `invalid repository name (${s}), cannot specify 64-byte hexadecimal strings`,
    );
  }
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    try {
      parseDigest(digest);
    } catch {
      throw new InvalidArgumentError("invalid reference format: invalid digest format");
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) throw invalid();
  }
  if (rest === "") throw invalid("repository name must have at least one component");
  const [domain, path] = splitDomain(rest);
  if (path.toLowerCase() !== path) throw invalid("repository name must be lowercase");
  if (!DOMAIN_RE.test(domain)) throw invalid();
  const components = path.split("/");
  for (const c of components) {
    if (!PATH_COMPONENT.test(c)) throw invalid();
  }
  if (domain.length + 1 + path.length > NAME_TOTAL_LENGTH_MAX) {
    throw invalid(`repository name must not be more than ${NAME_TOTAL_LENGTH_MAX} characters`);
  }
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return new ImageReference(domain, path, tag, digest?.toLowerCase());
}

/**
 * True when `input` names a tag or a digest itself (`busybox:1`, `x@sha256:...`); false when
 * the default tag will be used (`busybox`, `host:5000/app`).
 *
 * @example
 * ```ts
 * namesTagOrDigest("localhost:5000/app"); // false
 * ```
 */
export function namesTagOrDigest(input: string): boolean {
  return input.includes("@") || input.lastIndexOf(":") > input.lastIndexOf("/");
}

/**
 * True when `input` names no registry (`busybox`, `user/img`), so a search
 * list applies; false for `quay.io/x`, `localhost/x`, `host:5000/x`.
 *
 * @example
 * ```ts
 * isShortName("busybox"); // true
 * ```
 */
export function isShortName(input: string): boolean {
  const i = input.indexOf("/");
  if (i === -1) return true;
  const first = input.slice(0, i);
  return !/[.:]/.test(first) && first !== "localhost" && first.toLowerCase() === first;
}

/**
 * The short form Docker shows (in `images`, `ps`): drops `docker.io/` and
 * `library/`.
 *
 * @example
 * ```ts
 * familiarName(parseReference("busybox")); // "busybox:latest"
 * familiarName(parseReference("quay.io/a/b:1")); // "quay.io/a/b:1"
 * ```
 */
export function familiarName(ref: ImageReference): string {
  let s = familiarRepository(ref);
  if (ref.tag !== undefined) s += `:${ref.tag}`;
  if (ref.digest !== undefined) s += `@${ref.digest}`;
  return s;
}

/**
 * The familiar repository without tag or digest, as in `docker images`'
 * REPOSITORY column: `busybox`, `user/img`, `localhost:5000/x`.
 *
 * @example
 * ```ts
 * familiarRepository(parseReference("docker.io/library/busybox:1")); // "busybox"
 * ```
 */
export function familiarRepository(ref: ImageReference): string {
  if (ref.registry !== DEFAULT_DOMAIN) return ref.name;
  const repo = ref.repository;
  if (
    repo.startsWith(OFFICIAL_REPO_PREFIX) && repo.indexOf("/", OFFICIAL_REPO_PREFIX.length) === -1
  ) {
    return repo.slice(OFFICIAL_REPO_PREFIX.length);
  }
  return repo;
}

/** Default path of the registries configuration file. */
export const REGISTRIES_CONF = "/etc/skiff/registries.conf";

/**
 * Registries tried, in order, for a short name (`busybox`, `user/img`).
 *
 * Read from `$SKIFF_REGISTRIES_CONF` if set, else `/etc/skiff/registries.conf`;
 * `["docker.io"]` when the file is missing or has no such key. The file is a
 * subset of TOML (the key containers-registries.conf uses):
 *
 * ```toml
 * # comments and blank lines are ignored; other keys are ignored
 * unqualified-search-registries = ["docker.io", "quay.io"]
 * ```
 *
 * The array may span several lines. A malformed value throws
 * InvalidArgumentError naming the file.
 *
 * @example
 * ```ts
 * shortNameRegistries(); // ["docker.io"]
 * ```
 */
export function shortNameRegistries(): string[] {
  const path = Deno.env.get("SKIFF_REGISTRIES_CONF") || REGISTRIES_CONF;
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [DEFAULT_DOMAIN];
    throw e;
  }
  const list = parseSearchRegistries(text, path);
  return list ?? [DEFAULT_DOMAIN];
}

/**
 * Extracts `unqualified-search-registries` from registries.conf text;
 * undefined when the key is absent. Exposed for tests.
 *
 * @example
 * ```ts
 * parseSearchRegistries('unqualified-search-registries = ["quay.io"]'); // ["quay.io"]
 * ```
 */
export function parseSearchRegistries(
  text: string,
  path = "registries.conf",
): string[] | undefined {
  // Strip comments outside strings (a `#` inside quotes is kept).
  const lines = text.split("\n").map((line) => {
    let inStr = false;
    for (let i = 0; i < line.length; i++) {
      if (line[i] === '"') inStr = !inStr;
      else if (line[i] === "#" && !inStr) return line.slice(0, i);
    }
    return line;
  });
  const joined = lines.join("\n");
  const m = /^[ \t]*unqualified-search-registries[ \t]*=[ \t]*/m.exec(joined);
  if (!m) return undefined;
  const after = joined.slice(m.index + m[0].length);
  const arr = /^\[([^\]]*)\]/.exec(after);
  if (!arr) {
    throw new InvalidArgumentError(
      `${path}: unqualified-search-registries must be an array of strings`,
    );
  }
  const items = arr[1].split(",").map((x) => x.trim()).filter((x) => x !== "");
  return items.map((item) => {
    const q = /^"([^"\\]*)"$/.exec(item) ?? /^'([^']*)'$/.exec(item);
    if (!q || q[1] === "") {
      throw new InvalidArgumentError(
        `${path}: unqualified-search-registries: invalid entry ${item}`,
      );
    }
    return q[1] === LEGACY_DEFAULT_DOMAIN ? DEFAULT_DOMAIN : q[1];
  });
}

/**
 * The fully qualified references to try for `input`, in order: one per
 * search registry for a short name, else just the parsed reference.
 *
 * @example
 * ```ts
 * candidateReferences("busybox").map(String); // ["docker.io/library/busybox:latest"]
 * ```
 */
export function candidateReferences(
  input: string,
  registries = shortNameRegistries(),
): ImageReference[] {
  const ref = parseReference(input);
  if (!isShortName(input)) return [ref];
  return registries.map((reg) => {
    if (reg === DEFAULT_DOMAIN) return ref;
    // Docker Hub's `library/` applies only to docker.io.
    const path = input.split(/[:@]/, 1)[0];
    return new ImageReference(reg, path, ref.tag, ref.digest);
  });
}
