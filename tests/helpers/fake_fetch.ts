/**
 * A fake `fetch` for the registry transport: each call is recorded and
 * answered by a handler, without a server or a socket.
 *
 * ```ts
 * const f = fakeFetch((call) => call.url.pathname === "/v2/" ? new Response("{}") : undefined);
 * new RegistryTransport("r.example", { fetch: f.fetch });
 * ```
 */
import type { FetchFunction } from "../../src/image/registry_transport.ts";

/** One request the fake received. */
export interface FakeCall {
  method: string;
  url: URL;
  headers: Headers;
  body: BodyInit | null | undefined;
  signal: AbortSignal | null | undefined;
}

/** The handler's answer: a response, or a thrown error for a network failure. */
export type FakeHandler = (call: FakeCall, n: number) => Response | Promise<Response>;

/** A fake fetch and the calls it received. */
export interface FakeFetch {
  fetch: FetchFunction;
  calls: FakeCall[];
  /** `METHOD path?query` of each call, in order. */
  log(): string[];
}

/** Records each call and answers with `handler(call, n)` (n counts from 1). */
export function fakeFetch(handler: FakeHandler): FakeFetch {
  const calls: FakeCall[] = [];
  return {
    calls,
    fetch: async (url, init) => {
      const call: FakeCall = {
        method: init.method ?? "GET",
        url: new URL(url),
        headers: new Headers(init.headers),
        body: init.body,
        signal: init.signal,
      };
      calls.push(call);
      return await handler(call, calls.length);
    },
    log: () => calls.map((c) => `${c.method} ${c.url.pathname}${c.url.search}`),
  };
}

/** The error Deno's fetch throws when it cannot connect: "fetch failed" with the reason in its cause. */
export function connectError(reason = "tcp connect error: Connection refused"): TypeError {
  return new TypeError("fetch failed", {
    cause: new Error(`error sending request for url (https://r.example/v2/): ${reason}`),
  });
}
