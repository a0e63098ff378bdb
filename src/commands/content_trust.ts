/** Docker's `--disable-content-trust` on pull and push: skiff has no Notary, so no trust. */
import { InvalidArgumentError } from "../errors.ts";

/**
 * Refuses `--disable-content-trust=false` (a request to sign or verify with Notary), with one
 * line; true (Docker's default) does nothing.
 *
 * @example
 * ```ts
 * refuseContentTrust(true); // nothing to refuse
 * ```
 */
export function refuseContentTrust(disabled: boolean): void {
  if (disabled) return;
  throw new InvalidArgumentError(
    "content trust is not supported: skiff neither signs nor verifies images with Notary " +
      "(leave out --disable-content-trust=false)",
  );
}
