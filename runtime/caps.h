/* Capabilities of a sandbox's processes (docs/security.md lists the set and why). */
#pragma once

/* Child side, as root of the sandbox's user namespace: reduce the bounding set to the
 * sandbox's set, make the permitted and effective sets that set, and empty the inheritable
 * and ambient sets. -errno. */
int caps_drop_child(void);
