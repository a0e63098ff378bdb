/**
 * The `manifest` commands of skiff's command table (`create`, `annotate`, `inspect`, `push`,
 * `rm`), with docker 20.10's flags. Implementations load lazily.
 */
import type { CommandSpec } from "./spec.ts";
import { command, flag, lazy } from "./flags.ts";

const insecure = flag(
  "insecure",
  undefined,
  "bool",
  "Allow communication with an insecure registry",
);

export const manifestCreate = command({
  name: "create",
  summary: "Create a local manifest list for annotating and pushing to a registry",
  usage: "MANIFEST_LIST MANIFEST [MANIFEST...]",
  minArgs: 2,
  complete: "images",
  flags: [flag("amend", "a", "bool", "Amend an existing manifest list"), insecure],
  load: lazy("manifest_create"),
});

/** The platform flags `annotate` and Podman's `add` share. */
const platformFlags = [
  flag("arch", undefined, "string", "Set architecture"),
  flag("os", undefined, "string", "Set operating system"),
  flag("os-features", undefined, "list", "Set operating system feature"),
  flag("os-version", undefined, "string", "Set operating system version"),
  flag("variant", undefined, "string", "Set architecture variant"),
] as const;

export const manifestAnnotate = command({
  name: "annotate",
  summary: "Add additional information to a local image manifest",
  usage: "[OPTIONS] MANIFEST_LIST MANIFEST",
  minArgs: 2,
  maxArgs: 2,
  complete: "images",
  flags: platformFlags,
  load: lazy("manifest_annotate"),
});

/** Podman's `manifest add`. */
export const manifestAdd = command({
  name: "add",
  summary: "Add an image to a local manifest list (as Podman does)",
  usage: "[OPTIONS] MANIFEST_LIST IMAGE",
  minArgs: 2,
  maxArgs: 2,
  complete: "images",
  flags: [
    ...platformFlags,
    insecure,
    flag("tls-verify", undefined, "bool", "Require HTTPS and verify certificates", {
      default: true,
    }),
  ],
  load: lazy("manifest_add"),
});

/** Podman's `manifest exists`. */
export const manifestExists = command({
  name: "exists",
  summary: "Check if a local manifest list exists (exit 0 if it does, 1 if not)",
  usage: "MANIFEST_LIST",
  minArgs: 1,
  maxArgs: 1,
  complete: "images",
  load: lazy("manifest_exists"),
});

export const manifestInspect = command({
  name: "inspect",
  summary: "Display an image manifest, or manifest list",
  usage: "[OPTIONS] [MANIFEST_LIST] MANIFEST",
  minArgs: 1,
  maxArgs: 2,
  complete: "images",
  flags: [
    insecure,
    flag("verbose", "v", "bool", "Output additional info including layers and platform"),
  ],
  load: lazy("manifest_inspect"),
});

export const manifestPush = command({
  name: "push",
  summary: "Push a manifest list to a repository",
  usage: "[OPTIONS] MANIFEST_LIST",
  minArgs: 1,
  maxArgs: 1,
  complete: "images",
  flags: [insecure, flag("purge", "p", "bool", "Remove the local manifest list after push")],
  load: lazy("manifest_push"),
});

export const manifestRm = command({
  name: "rm",
  summary: "Delete one or more manifest lists from local storage",
  usage: "MANIFEST_LIST [MANIFEST_LIST...]",
  minArgs: 1,
  complete: "images",
  load: lazy("manifest_rm"),
});

/** `skiff manifest`: manage manifest lists. */
export const manifestGroup: CommandSpec = {
  name: "manifest",
  summary: "Manage Docker image manifests and manifest lists",
  subcommands: [
    manifestAdd,
    manifestAnnotate,
    manifestCreate,
    manifestExists,
    manifestInspect,
    manifestPush,
    manifestRm,
  ],
};
