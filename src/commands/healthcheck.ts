/**
 * `skiff healthcheck run CONTAINER`: runs the container's health check now, as Podman's verb:
 * exit 0 when healthy; "unhealthy" or "starting" printed and exit 1 otherwise; an error
 * (no check, not running) exits 125.
 */
import type { CommandContext } from "../cli/spec.ts";
import { runHealthcheck } from "../engine/container_health.ts";

/** Runs `skiff healthcheck run CONTAINER`. */
export default async function healthcheckRun(
  ctx: CommandContext<Record<never, never>>,
): Promise<number> {
  const status = await runHealthcheck(ctx.global, ctx.args[0]);
  if (status === "healthy") return 0;
  console.log(status);
  return 1;
}
