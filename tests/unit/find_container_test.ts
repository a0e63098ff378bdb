/**
 * Finding a container by name, id or id prefix on the fake host: a name is read through the
 * name index (one record, not every record), and an index entry that is missing, stale or
 * names another container never changes the answer the full scan gives.
 */
import { assertEquals, assertRejects } from "../helpers/assert.ts";
import { NotFoundError } from "../../src/errors.ts";
import { type ContainerRecord, findContainer } from "../../src/runtime/container_store.ts";
import { ID, record, scene, store } from "./fake_runtime.ts";

const OTHER = "beef".padEnd(64, "0");

/** `web` (ID) in the index and on disk, and a second container `db` (OTHER) on disk only. */
function twoContainers() {
  const web = record();
  const { host } = scene(web);
  const db: ContainerRecord = { ...record(), Id: OTHER, Name: "db" };
  host.addDir(`${store.containers}/${OTHER}`);
  host.addFile(`${store.containers}/${OTHER}/container.json`, JSON.stringify(db));
  return { host, web, db };
}

Deno.test("findContainer: a name is found through the index without listing the containers", async () => {
  const { host } = twoContainers();
  host.fail("readDir", store.containers);
  assertEquals((await findContainer(store, "web", host)).Id, ID);
  assertEquals((await findContainer(store, "/web", host)).Id, ID);
});

Deno.test("findContainer: a name missing from the index is found by the scan", async () => {
  const { host } = twoContainers();
  assertEquals((await findContainer(store, "db", host)).Id, OTHER);
});

Deno.test("findContainer: an index entry for a container of another name is not believed", async () => {
  const { host } = twoContainers();
  // a stale entry: `db` reserved for the container that is now called `web`
  host.addFile(`${store.root}/names/db`, ID);
  assertEquals((await findContainer(store, "db", host)).Id, OTHER);
  // an entry whose container is gone, and one that is not an id at all
  host.addFile(`${store.root}/names/gone`, "f".repeat(64));
  host.addFile(`${store.root}/names/junk`, "../../etc");
  await assertRejects(() => findContainer(store, "gone", host), NotFoundError);
  await assertRejects(() => findContainer(store, "junk", host), NotFoundError);
});

Deno.test("findContainer: ids and unique id prefixes still come first and second", async () => {
  const { host } = twoContainers();
  assertEquals((await findContainer(store, OTHER, host)).Name, "db");
  assertEquals((await findContainer(store, "beef", host)).Name, "db");
  assertEquals((await findContainer(store, "c0ff", host)).Name, "web");
});
