import { assertEquals } from "../helpers/assert.ts";
import { containerResolvConf } from "../../src/runtime/etc_files.ts";

Deno.test("resolv.conf: loopback name servers dropped, Docker's defaults when none are left", () => {
  assertEquals(
    containerResolvConf("nameserver 127.0.0.53\nsearch lan\n", false),
    "search lan\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n",
  );
  assertEquals(
    containerResolvConf("nameserver ::1\nnameserver 10.0.0.1\n", false),
    "nameserver 10.0.0.1\n",
  );
  assertEquals(containerResolvConf("", false), "nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
});

Deno.test("resolv.conf: the host's as it is with --network host", () => {
  assertEquals(containerResolvConf("nameserver 127.0.0.53\n", true), "nameserver 127.0.0.53\n");
});
