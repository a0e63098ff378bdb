/**
 * Registry error responses (distribution spec `{"errors": [...]}` bodies)
 * turned into one-line errors of skiff's kinds.
 *
 * @module
 */

import { InvalidArgumentError, NotFoundError, UnavailableError } from "../errors.ts";

const STATUS_CODES: Record<number, string> = {
  400: "bad request",
  401: "unauthorized",
  403: "denied",
  404: "not found",
  405: "unsupported",
  429: "toomanyrequests",
};

/**
 * Turns a failed response into a one-line error of the right kind:
 * `<code>: <message>: <what>`, from the body's first error when it has one
 * (NotFoundError for 404, InvalidArgumentError for 400, else UnavailableError).
 *
 * @example
 * ```ts ignore
 * if (!res.ok) throw await responseError(res, "localhost:5000/app:latest");
 * ```
 */
export async function responseError(res: Response, what: string): Promise<Error> {
  let code = STATUS_CODES[res.status] ?? `${res.status} ${res.statusText}`.trim();
  let message = "";
  try {
    const text = res.body ? (await res.text()).slice(0, 8192) : "";
    const doc = JSON.parse(text);
    const first = doc?.errors?.[0];
    if (first && typeof first.code === "string") {
      code = first.code.toLowerCase().replaceAll("_", " ");
      if (typeof first.message === "string") message = first.message.split("\n")[0];
    }
  } catch { /* not JSON */ }
  if (!message && res.status === 401) message = "authentication required";
  const text = message && message !== code ? `${code}: ${message}: ${what}` : `${code}: ${what}`;
  if (res.status === 404) return new NotFoundError(text);
  if (res.status === 400) return new InvalidArgumentError(text);
  return new UnavailableError(text);
}
