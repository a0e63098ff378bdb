/**
 * Starts a throwaway `docker-registry` (via tests/helpers/registry.ts) for the benchmarks,
 * writes its `host:port` to the file named by the first argument (or prints it), and keeps
 * it running until SIGTERM or SIGINT, when it stops the registry and removes its storage.
 *
 * ```sh
 * deno run -A bench/registry.ts /tmp/host.txt &
 * ```
 *
 * @module
 */
import { startRegistry } from "../tests/helpers/registry.ts";

const reg = await startRegistry();
const hostFile = Deno.args[0];
if (hostFile) {
  await Deno.writeTextFile(`${hostFile}.tmp`, reg.host + "\n");
  await Deno.rename(`${hostFile}.tmp`, hostFile);
} else {
  console.log(reg.host);
}

const { promise, resolve } = Promise.withResolvers<void>();
for (const sig of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(sig, () => resolve());
await promise;
await reg.stop();
Deno.exit(0);
