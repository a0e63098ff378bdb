/**
 * skiff's command tree: every command with its flags and help, in one typed
 * table. Implementations are imported lazily so that a command loads only
 * what it needs.
 */
import type { CommandSpec } from "./spec.ts";
import { command, existsCommand, flag, formatFlag, lazy } from "./flags.ts";
import {
  containerCommands,
  containerGroup,
  fileCommands,
  healthcheckGroup,
} from "./table_containers.ts";
import { networkGroup } from "./table_networks.ts";
import { manifestGroup } from "./table_manifest.ts";
import { buildRunFlags, buildSourceFlags } from "./table_build.ts";

const format = formatFlag;
const quiet = (help: string) => flag("quiet", "q", "bool", help);
const tlsVerify = flag(
  "tls-verify",
  undefined,
  "bool",
  "Require HTTPS and verify certificates when talking to the registry",
  { default: true },
);
const platform = flag(
  "platform",
  undefined,
  "string",
  "Set platform if server is multi-platform capable",
);

export const pull = command({
  name: "pull",
  summary: "Download an image from a registry",
  usage: "[OPTIONS] NAME[:TAG|@DIGEST]",
  minArgs: 1,
  maxArgs: 1,
  complete: "images",
  flags: [
    quiet("Suppress verbose output"),
    platform,
    tlsVerify,
    flag("all-tags", "a", "bool", "Download all tagged images in the repository"),
  ],
  load: lazy("pull"),
});

export const push = command({
  name: "push",
  summary: "Upload an image to a registry",
  usage: "[OPTIONS] NAME[:TAG]",
  minArgs: 1,
  maxArgs: 1,
  complete: "images",
  flags: [
    flag("all-tags", "a", "bool", "Push all tags of an image to the repository"),
    quiet("Suppress verbose output"),
    tlsVerify,
  ],
  load: lazy("push"),
});

export const images = command({
  name: "images",
  summary: "List images",
  usage: "[OPTIONS] [REPOSITORY[:TAG]]",
  maxArgs: 1,
  flags: [
    flag("all", "a", "bool", "Show all images (default hides intermediate images)"),
    flag("digests", undefined, "bool", "Show digests"),
    flag("filter", "f", "list", "Filter output based on conditions provided"),
    format,
    flag("no-trunc", undefined, "bool", "Don't truncate output"),
    quiet("Only show image IDs"),
  ],
  load: lazy("images"),
});

export const tag = command({
  name: "tag",
  summary: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
  usage: "SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
  minArgs: 2,
  maxArgs: 2,
  complete: "images",
  load: lazy("tag"),
});

export const rmi = command({
  name: "rmi",
  summary: "Remove one or more images",
  usage: "[OPTIONS] IMAGE [IMAGE...]",
  minArgs: 1,
  complete: "images",
  flags: [
    flag("force", "f", "bool", "Force removal of the image"),
    flag("no-prune", undefined, "bool", "Do not delete untagged parents"),
  ],
  load: lazy("rmi"),
});

export const imageInspect = command({
  name: "inspect",
  summary: "Display detailed information on one or more images",
  usage: "[OPTIONS] IMAGE [IMAGE...]",
  minArgs: 1,
  complete: "images",
  flags: [{ ...format, short: "f" }],
  load: lazy("image_inspect"),
});

export const inspect = command({
  name: "inspect",
  summary: "Return low-level information on skiff objects",
  usage: "[OPTIONS] NAME|ID [NAME|ID...]",
  minArgs: 1,
  complete: "images",
  flags: [
    { ...format, short: "f" },
    flag("size", "s", "bool", "Display total file sizes if the type is container"),
    flag("type", undefined, "string", "Return JSON for specified type"),
  ],
  load: lazy("inspect"),
});

export const history = command({
  name: "history",
  summary: "Show the history of an image",
  usage: "[OPTIONS] IMAGE",
  minArgs: 1,
  maxArgs: 1,
  complete: "images",
  flags: [
    flag("human", "H", "bool", "Print sizes and dates in human readable format", {
      default: true,
    }),
    format,
    flag("no-trunc", undefined, "bool", "Don't truncate output"),
    quiet("Only show image IDs"),
  ],
  load: lazy("history"),
});

export const imagePrune = command({
  name: "prune",
  summary: "Remove unused images",
  usage: "[OPTIONS]",
  maxArgs: 0,
  flags: [
    flag("all", "a", "bool", "Remove all unused images, not just dangling ones"),
    flag("force", "f", "bool", "Do not prompt for confirmation"),
    flag("filter", undefined, "list", "Provide filter values (e.g. 'until=<timestamp>')"),
  ],
  load: lazy("image_prune"),
});

export const save = command({
  name: "save",
  summary: "Save one or more images to a tar archive (streamed to STDOUT by default)",
  usage: "[OPTIONS] IMAGE [IMAGE...]",
  minArgs: 1,
  complete: "images",
  flags: [
    flag("output", "o", "string", "Write to a file, instead of STDOUT"),
    flag("format", undefined, "string", "Archive format: docker-archive or oci-archive", {
      default: "docker-archive",
    }),
  ],
  load: lazy("save"),
});

export const load = command({
  name: "load",
  summary: "Load an image from a tar archive or STDIN",
  usage: "[OPTIONS]",
  maxArgs: 0,
  flags: [
    flag("input", "i", "string", "Read from tar archive file, instead of STDIN"),
    quiet("Suppress the load output"),
  ],
  load: lazy("load"),
});

export const importCmd = command({
  name: "import",
  summary: "Import the contents from a tarball to create a filesystem image",
  usage: "[OPTIONS] file|-| [REPOSITORY[:TAG]]",
  minArgs: 1,
  maxArgs: 2,
  complete: "files",
  flags: [
    flag("change", "c", "list", "Apply Dockerfile instruction to the created image"),
    flag("message", "m", "string", "Set commit message for imported image"),
    platform,
  ],
  load: lazy("import"),
});

export const login = command({
  name: "login",
  summary: "Log in to a registry",
  usage: "[OPTIONS] [SERVER]",
  maxArgs: 1,
  flags: [
    flag("username", "u", "string", "Username"),
    flag("password", "p", "string", "Password"),
    flag("password-stdin", undefined, "bool", "Take the password from stdin"),
    tlsVerify,
  ],
  load: lazy("login"),
});

export const logout = command({
  name: "logout",
  summary: "Log out from a registry",
  usage: "[SERVER]",
  maxArgs: 1,
  load: lazy("logout"),
});

export const search = command({
  name: "search",
  summary: "Search registries for images",
  usage: "[OPTIONS] TERM",
  minArgs: 1,
  maxArgs: 1,
  flags: [
    flag("filter", "f", "list", "Filter output based on conditions provided"),
    flag("limit", undefined, "int", "Max number of search results", { default: 25 }),
    format,
    flag("no-trunc", undefined, "bool", "Don't truncate output"),
    tlsVerify,
  ],
  load: lazy("search"),
});

export const build = command({
  name: "build",
  summary: "Build an image from a Dockerfile",
  usage: "[OPTIONS] PATH | -",
  minArgs: 1,
  maxArgs: 1,
  complete: "files",
  flags: [
    flag("build-arg", undefined, "list", "Set build-time variables"),
    flag("file", "f", "string", 'Name of the Dockerfile (default: "PATH/Dockerfile")'),
    flag("iidfile", undefined, "string", "Write the image ID to the file"),
    flag("label", undefined, "list", "Set metadata for an image"),
    flag("network", undefined, "string", "Set the networking mode for the RUN instructions", {
      default: "default",
    }),
    flag("no-cache", undefined, "bool", "Do not use cache when building the image"),
    platform,
    flag("progress", undefined, "string", "Set type of progress output (auto, plain, tty, quiet)", {
      default: "auto",
    }),
    flag("pull", undefined, "bool", "Always attempt to pull all referenced images"),
    quiet("Suppress the build output and print image ID on success"),
    flag("tag", "t", "list", 'Name and optionally a tag in the "name:tag" format'),
    flag("target", undefined, "string", "Set the target build stage to build"),
    ...buildSourceFlags,
    ...buildRunFlags,
  ],
  load: lazy("build"),
});

export const version = command({
  name: "version",
  summary: "Show the skiff version information",
  maxArgs: 0,
  flags: [format],
  load: lazy("version"),
});

export const info = command({
  name: "info",
  summary: "Display system-wide information",
  maxArgs: 0,
  flags: [format],
  load: lazy("info"),
});

export const events = command({
  name: "events",
  summary: "Get real time events from the server",
  usage: "[OPTIONS]",
  maxArgs: 0,
  flags: [
    flag("filter", "f", "list", "Filter output based on conditions provided"),
    format,
    flag("since", undefined, "string", "Show all events created since timestamp"),
    flag("until", undefined, "string", "Stream events until this timestamp"),
  ],
  load: lazy("events"),
});

export const systemDf = command({
  name: "df",
  summary: "Show docker disk usage",
  usage: "[OPTIONS]",
  maxArgs: 0,
  flags: [format, flag("verbose", "v", "bool", "Show detailed information on space usage")],
  load: lazy("system_df"),
});

export const systemPrune = command({
  name: "prune",
  summary: "Remove unused data",
  usage: "[OPTIONS]",
  maxArgs: 0,
  flags: [
    flag("all", "a", "bool", "Remove all unused images not just dangling ones"),
    flag("filter", undefined, "list", "Provide filter values (e.g. 'label=<key>=<value>')"),
    flag("force", "f", "bool", "Do not prompt for confirmation"),
    flag("volumes", undefined, "bool", "Prune volumes"),
  ],
  load: lazy("system_prune"),
});

export const systemReset = command({
  name: "reset",
  summary: "Reset the store: remove every container, image, volume and network",
  usage: "[OPTIONS]",
  maxArgs: 0,
  flags: [flag("force", "f", "bool", "Do not prompt for confirmation")],
  load: lazy("system_reset"),
});

export const completion = command({
  name: "completion",
  summary: "Generate the autocompletion script for the specified shell",
  usage: "bash|zsh|fish",
  minArgs: 1,
  maxArgs: 1,
  load: lazy("completion"),
});

export const volumeCreate = command({
  name: "create",
  summary: "Create a volume",
  usage: "[OPTIONS] [VOLUME]",
  maxArgs: 1,
  flags: [
    flag("driver", "d", "string", "Specify volume driver name", { default: "local" }),
    flag("label", undefined, "list", "Set metadata for a volume"),
    flag("name", undefined, "string", "Specify volume name"),
    flag("opt", "o", "list", "Set driver specific options"),
  ],
  load: lazy("volume_create"),
});

export const volumeLs = command({
  name: "ls",
  aliases: ["list"],
  summary: "List volumes",
  usage: "[OPTIONS]",
  maxArgs: 0,
  flags: [
    flag("filter", "f", "list", "Provide filter values (e.g. 'dangling=true')"),
    format,
    quiet("Only display volume names"),
  ],
  load: lazy("volume_ls"),
});

export const volumeInspect = command({
  name: "inspect",
  summary: "Display detailed information on one or more volumes",
  usage: "[OPTIONS] VOLUME [VOLUME...]",
  minArgs: 1,
  complete: "volumes",
  flags: [{ ...format, short: "f" }],
  load: lazy("volume_inspect"),
});

export const volumeRm = command({
  name: "rm",
  aliases: ["remove"],
  summary: "Remove one or more volumes",
  usage: "[OPTIONS] VOLUME [VOLUME...]",
  minArgs: 1,
  complete: "volumes",
  flags: [flag("force", "f", "bool", "Force the removal of one or more volumes")],
  load: lazy("volume_rm"),
});

export const volumePrune = command({
  name: "prune",
  summary: "Remove unused local volumes",
  usage: "[OPTIONS]",
  maxArgs: 0,
  flags: [
    flag("all", "a", "bool", "Remove all unused volumes (the default; for docker 23 scripts)"),
    flag("filter", undefined, "list", "Provide filter values (e.g. 'label=<label>')"),
    flag("force", "f", "bool", "Do not prompt for confirmation"),
  ],
  load: lazy("volume_prune"),
});

const volumeCommands: CommandSpec[] = [
  volumeCreate,
  volumeLs,
  volumeInspect,
  volumeRm,
  volumePrune,
  existsCommand("volume", "volumes"),
];

/** Every top-level command, with the `image` group holding the same image verbs. */
export const commandTable: CommandSpec[] = [
  ...containerCommands,
  ...fileCommands,
  pull,
  push,
  images,
  tag,
  rmi,
  inspect,
  history,
  save,
  load,
  importCmd,
  build,
  login,
  logout,
  search,
  {
    name: "image",
    summary: "Manage images",
    subcommands: [
      { ...images, name: "ls", aliases: ["list"], maxArgs: 1 },
      pull,
      push,
      tag,
      { ...rmi, name: "rm", aliases: ["remove"] },
      imageInspect,
      history,
      imagePrune,
      save,
      load,
      importCmd,
      build,
      existsCommand("image", "images"),
    ],
  },
  { name: "buildx", summary: "Docker Buildx: build images", subcommands: [build] },
  containerGroup,
  healthcheckGroup,
  { name: "volume", summary: "Manage volumes", subcommands: volumeCommands },
  networkGroup,
  manifestGroup,
  version,
  info,
  events,
  {
    name: "system",
    summary: "Manage skiff",
    subcommands: [systemDf, events, { ...info, name: "info" }, systemPrune, systemReset],
  },
  completion,
];
