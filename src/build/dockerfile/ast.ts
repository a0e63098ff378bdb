/**
 * The typed Dockerfile syntax tree: one record per instruction, values still unexpanded
 * (variables are substituted per stage by `resolve.ts`, when the build arguments are known).
 */
import type { Directives, Heredoc, Position } from "./lexer.ts";

/** What every instruction carries: where it is and how it was written. */
export interface InstructionBase {
  /** Where the instruction starts. */
  at: Position;
  /** The last line it occupies (heredoc bodies included). */
  endLine: number;
  /** The instruction as written, continuations joined. */
  original: string;
}

/** A command in exec form (`["a", "b"]`) or shell form (`a b`). */
export type CommandLine =
  | { form: "exec"; args: string[] }
  | { form: "shell"; command: string };

/** `FROM [--platform=p] image [AS name]`: the start of a stage. */
export interface FromInstruction extends InstructionBase {
  kind: "FROM";
  image: string;
  /** Lower-cased stage name, "" when there is no `AS`. */
  name: string;
  platform: string;
}

/** `RUN`: a command, its heredocs, mounts, network and security mode. */
export interface RunInstruction extends InstructionBase {
  kind: "RUN";
  command: CommandLine;
  heredocs: Heredoc[];
  /** The `--mount` values as written (parsed per stage, when variables are known). */
  mounts: string[];
  /** `--network`: "none", "host" or "default" (when not given). */
  network: string;
  /** `--security`: "sandbox" (when not given) or "insecure". */
  security: string;
}

/** `CMD`: the image's default command. */
export interface CmdInstruction extends InstructionBase {
  kind: "CMD";
  command: CommandLine;
}

/** `ENTRYPOINT`: the image's entrypoint. */
export interface EntrypointInstruction extends InstructionBase {
  kind: "ENTRYPOINT";
  command: CommandLine;
}

/** One `key=value` pair of ENV or LABEL, unexpanded (quotes still in place). */
export interface KeyValue {
  key: string;
  value: string;
}

/** `ENV a=b c=d` or the legacy `ENV a b`. */
export interface EnvInstruction extends InstructionBase {
  kind: "ENV";
  pairs: KeyValue[];
}

/** One name of an ARG line, with its default when one was written. */
export interface ArgDeclaration {
  key: string;
  value?: string;
}

/** `ARG a b=c ...`. */
export interface ArgInstruction extends InstructionBase {
  kind: "ARG";
  args: ArgDeclaration[];
}

/** `LABEL a=b ...`. */
export interface LabelInstruction extends InstructionBase {
  kind: "LABEL";
  pairs: KeyValue[];
}

/** `EXPOSE 80 443/udp ...`. */
export interface ExposeInstruction extends InstructionBase {
  kind: "EXPOSE";
  ports: string[];
}

/** `USER`, `WORKDIR`, `STOPSIGNAL` and `MAINTAINER`: one value, the rest of the line. */
export interface ValueInstruction extends InstructionBase {
  kind: "USER" | "WORKDIR" | "STOPSIGNAL" | "MAINTAINER";
  value: string;
}

/** `VOLUME ["/a", "/b"]` or `VOLUME /a /b`. */
export interface VolumeInstruction extends InstructionBase {
  kind: "VOLUME";
  paths: string[];
}

/** A COPY or ADD source given inline as a heredoc (`COPY <<EOF /dest`). */
export interface InlineSource {
  /** The heredoc's name, used as the file name. */
  path: string;
  /** The body (leading tabs already removed for `<<-`). */
  content: string;
  /** Whether variables in the body are expanded (the delimiter was not quoted). */
  expand: boolean;
}

/** What COPY and ADD share. */
interface CopyBase extends InstructionBase {
  sources: string[];
  inline: InlineSource[];
  dest: string;
  chown: string;
  chmod: string;
  link: boolean;
  excludes: string[];
}

/** `COPY [--from=..] [--chown=..] [--chmod=..] [--link] [--parents] [--exclude=..] src... dest`. */
export interface CopyInstruction extends CopyBase {
  kind: "COPY";
  /** `--from`: a stage name, a stage index or an image, "" for the build context. */
  from: string;
  parents: boolean;
}

/** `ADD [--checksum=..] [--keep-git-dir] [--unpack] ... src... dest`. */
export interface AddInstruction extends CopyBase {
  kind: "ADD";
  checksum: string;
  /** `--keep-git-dir`, absent when not given. */
  keepGitDir?: boolean;
  /** `--unpack`: extract (true) or copy (false) a local/remote archive; absent: Docker's default. */
  unpack?: boolean;
}

/** `SHELL ["executable", "args"...]` (JSON only). */
export interface ShellInstruction extends InstructionBase {
  kind: "SHELL";
  shell: string[];
}

/** The health check settings, durations in nanoseconds (0: not set). */
export interface HealthConfig {
  /** `["NONE"]`, `["CMD", ...argv]` or `["CMD-SHELL", command]`. */
  test: string[];
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

/** `HEALTHCHECK NONE` or `HEALTHCHECK [--interval=..] CMD ...`. */
export interface HealthcheckInstruction extends InstructionBase {
  kind: "HEALTHCHECK";
  health: HealthConfig;
}

/** `ONBUILD <instruction>`: a trigger stored in the image, run when it is used as a base. */
export interface OnbuildInstruction extends InstructionBase {
  kind: "ONBUILD";
  /** The trigger's instruction word, upper-cased. */
  trigger: string;
  /** The trigger as written (heredoc bodies appended), to store in the image config. */
  expression: string;
}

/** Any instruction inside a stage. */
export type Instruction =
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | EnvInstruction
  | ArgInstruction
  | LabelInstruction
  | ExposeInstruction
  | ValueInstruction
  | VolumeInstruction
  | CopyInstruction
  | AddInstruction
  | ShellInstruction
  | HealthcheckInstruction
  | OnbuildInstruction;

/** A stage: its FROM line and the instructions after it. */
export interface StageSyntax {
  from: FromInstruction;
  instructions: Instruction[];
}

/** A whole Dockerfile. */
export interface DockerfileSyntax {
  directives: Directives;
  /** ARG lines before the first FROM (usable in FROM lines only). */
  metaArgs: ArgInstruction[];
  stages: StageSyntax[];
  /** Non-fatal findings (empty continuation lines, as BuildKit warns). */
  warnings: string[];
}
