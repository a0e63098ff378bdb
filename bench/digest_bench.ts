/**
 * Streaming sha256 throughput (`deno bench bench/digest_bench.ts`): 256 MiB in 1 MiB chunks, as
 * a pull hashes a blob while it downloads. A measurement, not a test; the target is 300 MB/s or
 * more.
 */
import { createHasher } from "../src/image/digest.ts";

const chunk = new Uint8Array(1 << 20);

Deno.bench("sha256 streaming, 256 MiB in 1 MiB chunks", { n: 5 }, async () => {
  const h = await createHasher();
  for (let i = 0; i < 256; i++) h.update(chunk);
  h.digest();
});
