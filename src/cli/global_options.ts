/**
 * Docker's global flags checked against what a daemonless skiff can honour: `-H/--host` and
 * `DOCKER_HOST` only as the local default socket, the TLS flags (and `DOCKER_TLS_VERIFY`) not at
 * all (they only secure a connection to a remote daemon), `-c/--context` and `DOCKER_CONTEXT`
 * only as `default`, and `-l/--log-level` (or `-D/--debug`) one of Docker's levels. Each refusal
 * is one line that says why.
 *
 * @module
 */
import { InvalidArgumentError } from "../errors.ts";
import type { GlobalOptions } from "./spec.ts";

/** Docker's local default daemon addresses: the one place skiff's containers are. */
export const LOCAL_HOSTS: readonly string[] = [
  "unix:///var/run/docker.sock",
  "unix:///run/docker.sock",
];

/** Docker's log levels (`-l/--log-level`). */
export const LOG_LEVELS: readonly string[] = ["debug", "info", "warn", "error", "fatal"];

/** Reads an environment variable (Deno.env.get in the CLI, a map in tests). */
export type EnvLookup = (name: string) => string | undefined;

function noDaemon(what: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `${what}: skiff has no daemon and runs containers on this machine only ` +
      `(the host may only be ${LOCAL_HOSTS[0]})`,
  );
}

/**
 * Refuses the global options a daemonless skiff cannot honour, each with one clear line, and
 * returns the log level in effect (`--log-level`, `debug` with `-D`).
 *
 * @example
 * ```ts
 * checkGlobalOptions({ host: ["unix:///var/run/docker.sock"] }, () => undefined);
 * // undefined: nothing refused, no log level given
 * ```
 */
export function checkGlobalOptions(g: GlobalOptions, env: EnvLookup): string | undefined {
  const flagHosts = g.host ?? [];
  const envHost = env("DOCKER_HOST") || undefined;
  for (const h of flagHosts) {
    if (!LOCAL_HOSTS.includes(h)) throw noDaemon(`Cannot connect to ${h}`);
  }
  if (flagHosts.length === 0 && envHost !== undefined && !LOCAL_HOSTS.includes(envHost)) {
    throw noDaemon(`Cannot connect to DOCKER_HOST=${envHost}`);
  }
  const context = g.context ?? (env("DOCKER_CONTEXT") || undefined);
  if (g.context !== undefined && flagHosts.length > 0) {
    throw new InvalidArgumentError(
      "Conflicting options: either specify --host or --context, not both",
    );
  }
  if (context !== undefined && context !== "default") {
    throw new InvalidArgumentError(
      `context "${context}" does not exist: skiff has only the "default" context ` +
        `(containers on this machine, no daemon)`,
    );
  }
  const tlsFlags = [
    g.tls === true ? "--tls" : "",
    g.tlsverify === true ? "--tlsverify" : "",
    g.tlscacert !== undefined ? "--tlscacert" : "",
    g.tlscert !== undefined ? "--tlscert" : "",
    g.tlskey !== undefined ? "--tlskey" : "",
  ].filter((f) => f !== "");
  if (tlsFlags.length === 0 && g.tlsverify === undefined && env("DOCKER_TLS_VERIFY")) {
    tlsFlags.push("DOCKER_TLS_VERIFY");
  }
  if (tlsFlags.length > 0) {
    throw new InvalidArgumentError(
      `${tlsFlags.join(", ")}: TLS secures a connection to a remote daemon, and skiff has ` +
        `no daemon (it runs containers on this machine only)`,
    );
  }
  if (g.debug && g.logLevel === undefined) return "debug";
  const level = g.logLevel;
  if (level !== undefined && !LOG_LEVELS.includes(level)) {
    throw new InvalidArgumentError(
      `unable to parse logging level: ${level} (expected debug, info, warn, error or fatal)`,
    );
  }
  return g.debug ? "debug" : level;
}
