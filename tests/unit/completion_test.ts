/**
 * Shell completion as a user gets it: each script (`skiff completion bash|zsh|fish`) is loaded
 * into the real shell, which is asked what it completes for a partly typed command line.
 * Container names come from a stand-in `skiff` on PATH, as they would from the real one.
 */
import { assert, assertEquals } from "../helpers/assert.ts";
import { commandTable } from "../../src/cli/table.ts";
import { bashCompletion, fishCompletion, zshCompletion } from "../../src/cli/completion.ts";
import { skipUnless } from "../helpers/requires.ts";

async function have(tool: string): Promise<boolean> {
  const o = await new Deno.Command("sh", { args: ["-c", `command -v ${tool}`], stdout: "null" })
    .output();
  return o.success;
}

/** A temp dir holding the script and a `skiff` that lists two containers and two images. */
async function setup(script: string): Promise<{ dir: string; env: Record<string, string> }> {
  const dir = await Deno.makeTempDir({ prefix: "skiff-completion-" });
  await Deno.writeTextFile(`${dir}/script`, script);
  await Deno.mkdir(`${dir}/bin`);
  await Deno.writeTextFile(
    `${dir}/bin/skiff`,
    `#!/bin/sh
case "$*" in
"ps -a --format {{.Names}}") printf 'web\\ndb\\n' ;;
"images --format {{.Repository}}:{{.Tag}}") printf 'busybox:latest\\n<none>:<none>\\n' ;;
"network ls --format {{.Name}}") printf 'bridge\\nfrontnet\\n' ;;
esac
`,
    { mode: 0o755 },
  );
  await Deno.mkdir(`${dir}/home`);
  await Deno.mkdir(`${dir}/work`);
  return { dir, env: { PATH: `${dir}/bin:/usr/bin:/bin`, HOME: `${dir}/home` } };
}

async function shell(cmd: string, args: string[], env: Record<string, string>): Promise<string[]> {
  const o = await new Deno.Command(cmd, {
    cwd: `${env.HOME}/../work`, // the user's working directory: nothing may appear in it
    args,
    env,
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const td = new TextDecoder();
  assertEquals(o.code, 0, td.decode(o.stderr));
  return td.decode(o.stdout).split("\n").filter((l) => l !== "").sort();
}

/** What each shell offers after typing these words (the last one partly, "" for none yet). */
type Ask = (dir: string, env: Record<string, string>, words: string[]) => Promise<string[]>;

const quote = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;

const askBash: Ask = (dir, env, words) =>
  shell("bash", [
    "-c",
    `source ${dir}/script; COMP_WORDS=(${words.map(quote).join(" ")}); ` +
    `COMP_CWORD=${words.length - 1}; _skiff; printf '%s\\n' "\${COMPREPLY[@]}"`,
  ], env);

// zsh as a user runs it: compinit, then the script (bash completion through bashcompinit); the
// words are handed over the way zsh's own _bash_complete hands them to compgen, and what it
// returns is matched against the typed prefix as compadd does.
const askZsh: Ask = (dir, env, words) =>
  shell("zsh", [
    "-f",
    "-c",
    `autoload -U compinit && compinit -u -d "$HOME/.zcompdump"; source ${dir}/script
     words=(${words.map(quote).join(" ")}); CURRENT=${words.length}
     COMP_WORDS=("\${words[@]}"); COMP_CWORD=$((CURRENT - 1))
     compgen -F _skiff -- "\${words[CURRENT]}"`,
  ], env).then((found) => found.filter((w) => w.startsWith(words[words.length - 1])));

const askFish: Ask = (dir, env, words) =>
  shell("fish", [
    "--no-config",
    "-c",
    `source ${dir}/script; complete -C ${quote(words.join(" "))}`,
  ], env).then((lines) => lines.map((l) => l.split("\t")[0]));

const shells: [string, () => string, Ask][] = [
  ["bash", () => bashCompletion(commandTable), askBash],
  ["zsh", () => zshCompletion(commandTable), askZsh],
  ["fish", () => fishCompletion(commandTable), askFish],
];

for (const [name, script, ask] of shells) {
  Deno.test({
    name: `${name} completion: commands, subcommands, flags, container and image names`,
    ignore: skipUnless(await have(name)),
    fn: async () => {
      const { dir, env } = await setup(script());
      try {
        const top = await ask(dir, env, ["skiff", "vol"]);
        assertEquals(top, ["volume"]);
        const volume = (await ask(dir, env, ["skiff", "volume", ""])).filter((w) =>
          !w.startsWith("-")
        );
        assertEquals(volume, ["create", "exists", "inspect", "ls", "prune", "rm"]);
        assertEquals(await ask(dir, env, ["skiff", "volume", "p"]), ["prune"]);
        assertEquals(await ask(dir, env, ["skiff", "netw"]), ["network"]);
        const network = (await ask(dir, env, ["skiff", "network", ""])).filter((w) =>
          !w.startsWith("-")
        );
        assertEquals(network, [
          "connect",
          "create",
          "disconnect",
          "exists",
          "inspect",
          "ls",
          "prune",
          "rm",
        ]);
        assertEquals(await ask(dir, env, ["skiff", "network", "rm", "fr"]), ["frontnet"]);
        const flags = await ask(dir, env, ["skiff", "rm", "--"]);
        assert(flags.includes("--force") && flags.includes("--volumes"), flags.join(" "));
        assert(!flags.includes("--no-trunc"), `ps's flag offered for rm: ${flags.join(" ")}`);
        const names = await ask(dir, env, ["skiff", "rm", ""]);
        assert(names.includes("web") && names.includes("db"), names.join(" "));
        assertEquals(await ask(dir, env, ["skiff", "rm", "w"]), ["web"]);
        const images = await ask(dir, env, ["skiff", "rmi", "b"]);
        assertEquals(images, ["busybox:latest"]);
        // Loading the script and completing left nothing in the working directory.
        assertEquals([...Deno.readDirSync(`${dir}/work`)].map((e) => e.name), []);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

Deno.test("completion: each shell is a subcommand; fish --no-descriptions leaves out the help", () => {
  const completion = commandTable.find((c) => c.name === "completion")!;
  assertEquals(completion.subcommands?.map((s) => s.name), ["bash", "zsh", "fish"]);
  const withHelp = fishCompletion(commandTable);
  const bare = fishCompletion(commandTable, { descriptions: false });
  assert(withHelp.includes(" -d 'Create and run a new container from an image'"));
  assert(!bare.includes(" -d '"), "a description is left");
  // the same words are completed, only the help is gone
  assertEquals(
    bare.split("\n").length,
    withHelp.split("\n").length,
  );
  assert(bare.includes("complete -c skiff -n '__fish_use_subcommand' -f -a run\n"));
});
