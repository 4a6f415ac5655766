/* The sandbox's mount namespace (child side). */
#pragma once

/* Makes every mount private to the new namespace and mounts a fresh /proc for its pid
 * namespace. On failure *ret_step names the call that failed. -errno. */
int mount_setup_child(const char **ret_step);
