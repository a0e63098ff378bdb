/**
 * skiff never downloads code when it runs: its npm packages come from the checkout's own cache
 * (bin/skiff points Deno there with --cached-only). Checked the way a cron job, a systemd unit
 * or another user would meet it: an empty HOME, an unprivileged user, and a network namespace
 * with only loopback (where a registry runs, so that pull itself works).
 */
import { assertEquals, assertStringIncludes } from "../helpers/assert.ts";
import { SKIFF_BIN } from "../helpers/skiff.ts";
import { ensureFixtures } from "../helpers/fixtures.ts";
import { freePort } from "../helpers/registry.ts";
import { skipUnless } from "../helpers/requires.ts";
import {
  CHECKOUT,
  OTHER_USER_SCRIPT as OTHER_SCRIPT,
  SHARED_SKIFF,
} from "../helpers/other_user.ts";

const isRoot = Deno.uid() === 0;

async function sh(script: string, env: Record<string, string>): Promise<[number, string]> {
  const out = await new Deno.Command("bash", {
    args: ["-euo", "pipefail", "-c", script],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const td = new TextDecoder();
  return [out.code, td.decode(out.stdout) + td.decode(out.stderr)];
}

Deno.test({
  name: "pull, load and run with an empty HOME, as another user, offline",
  ignore: skipUnless(isRoot),
  sanitizeResources: false,
  fn: async () => {
    const fixtures = await ensureFixtures();
    const tmp = await Deno.makeTempDir({ prefix: "skiff-offline-" });
    const ns = `skiff-offline-${crypto.randomUUID().slice(0, 8)}`;
    await Deno.chmod(tmp, 0o755);
    try {
      const [code, out] = await sh(
        `
        ip netns add "$NS"
        # nsenter, not "ip netns exec", which remounts /sys and hides the cgroup file systems.
        in_ns() { nsenter --net="/run/netns/$NS" "$@"; }
        in_ns ip link set lo up
        mkdir -p "$T/reg" "$T/nobody" "$T/nohome"
        chown 65534:65534 "$T/nobody"
        printf 'version: 0.1\\nlog:\\n  level: error\\n  accesslog:\\n    disabled: true\\nstorage:\\n  filesystem:\\n    rootdirectory: %s\\nhttp:\\n  addr: 127.0.0.1:%s\\n' \\
          "$T/reg/data" "$PORT" >"$T/reg/config.yml"
        in_ns /usr/bin/docker-registry serve "$T/reg/config.yml" >/dev/null 2>&1 &
        for _ in $(seq 100); do in_ns bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null && break; sleep 0.1; done
        in_ns skopeo copy -q --dest-tls-verify=false "oci:$FIX/busybox:latest" "docker://127.0.0.1:$PORT/busybox:latest"
        # Another user: its own store, a HOME it cannot even write to.
        as_nobody() { in_ns unshare --mount --propagation private sh -c "$OTHER_SCRIPT" "$CHECKOUT" 65534 env -i PATH=/usr/bin:/bin HOME=/nonexistent "$SHARED_SKIFF" \\
          --root "$T/nobody/root" --runroot "$T/nobody/run" "$@"; }
        as_nobody pull -q "127.0.0.1:$PORT/busybox:latest"
        as_nobody load -q -i "$FIX/busybox.docker.tar"
        as_nobody images --format 'nobody has {{.Repository}}:{{.Tag}}'
        # root with an empty HOME.
        s=("$SKIFF" --root "$T/root" --runroot "$T/run")
        in_ns env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$T/nohome" "\${s[@]}" pull -q "127.0.0.1:$PORT/busybox:latest" >/dev/null
        in_ns env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$T/nohome" "\${s[@]}" load -q -i "$FIX/busybox.oci.tar" >/dev/null
        in_ns env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$T/nohome" "\${s[@]}" run --rm "127.0.0.1:$PORT/busybox:latest" echo ran-offline
        echo "home left empty: $(ls -A "$T/nohome" | wc -l)"
        `,
        {
          NS: ns,
          T: tmp,
          PORT: String(freePort()),
          FIX: fixtures,
          OTHER_SCRIPT,
          CHECKOUT,
          SHARED_SKIFF,
          SKIFF: SKIFF_BIN,
          PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
        },
      );
      assertEquals(code, 0, out);
      assertStringIncludes(out, "nobody has 127.0.0.1:");
      assertStringIncludes(out, "ran-offline");
      assertStringIncludes(out, "home left empty: 0");
    } finally {
      await sh(
        `pkill -f "docker-registry serve $T/reg" || true; ip netns del "$NS" 2>/dev/null || true
         grep -F "$T/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l 2>/dev/null || true`,
        { NS: ns, T: tmp, PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin" },
      );
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});
