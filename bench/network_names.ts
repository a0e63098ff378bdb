/**
 * What name resolution costs a container start on a user network (docs/NETWORKING.md): the
 * median wall time of `run --rm --network NET busybox true` with no other container on the
 * network and with N running ones (alternating round by round, so machine noise hits both), and
 * the median time of the rewrite itself (`syncNetworkHosts`: every running container's hosts
 * file, N+1 of them) timed in-process. A measurement, not a test.
 *
 * Usage (root, from the repository root):
 *   deno run -A bench/network_names.ts            # N=20, ROUNDS=15
 *   N=50 ROUNDS=10 deno run -A bench/network_names.ts
 * Needs the fixtures of tests/fixtures/make_images.sh in /tmp/skiff-fixtures-v2.
 */
import { openStore } from "../src/store/store.ts";
import { findNetwork } from "../src/network/network_store.ts";
import { syncNetworkHosts } from "../src/network/hosts_sync.ts";

const N = Number(Deno.env.get("N") ?? 20);
const ROUNDS = Number(Deno.env.get("ROUNDS") ?? 15);
const FIX = Deno.env.get("SKIFF_FIXTURES") ?? "/tmp/skiff-fixtures-v2";
const repo = new URL("..", import.meta.url).pathname;
const tmp = await Deno.makeTempDir({ prefix: "sknames" });
const where = { root: `${tmp}/root`, runroot: `${tmp}/run` };
const utf8 = new TextDecoder();

async function sk(...args: string[]): Promise<string> {
  const out = await new Deno.Command(`${repo}/bin/skiff`, {
    args: ["--root", where.root, "--runroot", where.runroot, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) throw new Error(`skiff ${args.join(" ")}: ${utf8.decode(out.stderr)}`);
  return utf8.decode(out.stdout);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** CPU milliseconds (user + system) of this process. */
function cpuMs(): { self: number } {
  const f = Deno.readTextFileSync("/proc/self/stat").split(") ")[1].split(" ");
  return { self: (+f[11] + +f[12]) * 10 }; // USER_HZ = 100
}

const quiet: number[] = [];
const crowd: number[] = [];
const net = `names-${crypto.randomUUID().slice(0, 6)}`;
const third = 1 + (crypto.getRandomValues(new Uint8Array(1))[0] % 250);
try {
  await sk("load", "-q", "-i", `${FIX}/busybox.docker.tar`);
  for (const n of [net, `${net}-q`]) {
    const i = n === net ? third : (third + 1) % 250 + 1;
    await sk(
      "network",
      "create",
      "--subnet",
      `10.235.${i}.0/24`,
      "-o",
      `com.docker.network.bridge.name=skbn${n.slice(6)}`,
      n,
    );
  }
  for (let i = 0; i < N; i++) await sk("run", "-d", "--network", net, "busybox", "sleep", "3600");
  await sk("run", "--rm", "--network", `${net}-q`, "busybox", "true"); // bridge and rules exist
  for (let r = 0; r < ROUNDS; r++) {
    const runs = [
      async () =>
        quiet.push(
          await timed(() => sk("run", "--rm", "--network", `${net}-q`, "busybox", "true")),
        ),
      async () =>
        crowd.push(await timed(() => sk("run", "--rm", "--network", net, "busybox", "true"))),
    ];
    if (r % 2) runs.reverse();
    for (const run of runs) await run();
  }
  const store = await openStore(where);
  const record = await findNetwork(store, net);
  const sync: number[] = [];
  let files = 0;
  const syncRounds = ROUNDS * 10;
  const cpu0 = cpuMs().self;
  for (let r = 0; r < syncRounds; r++) {
    sync.push(await timed(async () => files = await syncNetworkHosts(store, record)));
  }
  const syncCpu = (cpuMs().self - cpu0) / syncRounds;
  const row = (what: string, ms: number, min?: number) =>
    console.log(
      `${what.padEnd(58)} ${ms.toFixed(1)} ms${
        min === undefined ? "" : ` (min ${min.toFixed(1)})`
      }`,
    );
  row(
    "run --rm true, network without other containers (median)",
    median(quiet),
    Math.min(...quiet),
  );
  row(
    `run --rm true, network with ${N} running containers (median)`,
    median(crowd),
    Math.min(...crowd),
  );
  row("difference", median(crowd) - median(quiet));
  row(`syncNetworkHosts, ${files} hosts files rewritten (median)`, median(sync), Math.min(...sync));
  row("syncNetworkHosts CPU (user+sys, mean)", syncCpu);
} finally {
  const ids = (await sk("ps", "-aq").catch(() => "")).split("\n").filter(Boolean);
  if (ids.length) await sk("rm", "-f", ...ids).catch(() => {});
  await sk("network", "rm", net, `${net}-q`).catch(() => {});
  await Deno.remove(tmp, { recursive: true }).catch(() => {});
}
