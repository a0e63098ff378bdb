/**
 * Runs a command as another (unprivileged) user with this checkout's `bin/skiff` reachable.
 *
 * A checkout may sit in a directory only root can enter (`mktemp -d` makes mode 0700), where
 * another user gets "Permission denied" on `bin/skiff`. The command runs in a private mount
 * namespace in which the checkout is bind-mounted at {@linkcode SHARED_CHECKOUT}, a directory
 * every user can enter; the mount goes away with the namespace. If the checkout itself is not
 * readable by that user, the command fails with a one-line reason instead.
 *
 * ```ts ignore
 * import { asOtherUser, SHARED_SKIFF } from "./other_user.ts";
 * const argv = asOtherUser(65534, [SHARED_SKIFF, "ps"]);
 * ```
 *
 * @module
 */

/** Where the checkout is seen by the other user. */
export const SHARED_CHECKOUT = "/tmp/skiff-test-checkout";

/** `bin/skiff` as the other user sees it. */
export const SHARED_SKIFF = `${SHARED_CHECKOUT}/bin/skiff`;

/** This checkout's root directory. */
export const CHECKOUT: string = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

/** The shell script run by {@linkcode asOtherUser}: `$0` is the checkout, `$1` the uid. */
export const OTHER_USER_SCRIPT = `set -e
m=${SHARED_CHECKOUT}
[ -d "$m" ] && [ ! -L "$m" ] || { rm -f "$m"; mkdir "$m"; }
chown 0:0 "$m"; chmod 755 "$m"
mount --bind "$0" "$m"
uid=$1; shift
if ! setpriv --reuid="$uid" --regid="$uid" --clear-groups test -x "$m/bin/skiff"; then
  echo "the checkout $0 is not readable by uid $uid: make it (not its parents) mode 755" >&2
  exit 126
fi
exec setpriv --reuid="$uid" --regid="$uid" --clear-groups "$@"`;

/** The argv that runs `command` as `uid` (and gid `uid`) with the checkout at {@linkcode SHARED_CHECKOUT}. */
export function asOtherUser(uid: number, command: string[]): string[] {
  return [
    "unshare",
    "--mount",
    "--propagation",
    "private",
    "sh",
    "-c",
    OTHER_USER_SCRIPT,
    CHECKOUT,
    String(uid),
    ...command,
  ];
}
