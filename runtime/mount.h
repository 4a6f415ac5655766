/* The sandbox's mount namespace (child side). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct mount_config {
        const char *staging;  /* an empty directory; the root is built on it, inside the
                                 sandbox's own mount namespace */
        const char *host_etc; /* the daemon's curated /etc (host template) */
        const char *rootfs;   /* a template's root directory, NULL for the host template */
        uint64_t disk_mb;     /* size of the writable layer */
};

/* The directories of a mount_config, opened in the sandbox's mount namespace. */
struct mount_fds {
        int staging;
        int host_etc;
        int rootfs;       /* -1 for the host template */
        bool rootfs_tree; /* rootfs is a detached mount (idmapped), not a directory */
};

/* Child side, while it is still the host's root (the owner of the daemon's state
 * directory): opens the directories it will need once it is only root of its user
 * namespace and may no longer walk those paths. rootfs_tree: the template's root as the
 * daemon prepared it (idmapped), or -1 to open cfg->rootfs as it is. */
int mount_open_child(const struct mount_config *cfg, int rootfs_tree, struct mount_fds *ret,
                     const char **ret_step);

/* Builds the sandbox's root and pivots into it. On failure *ret_step names the step. */
int mount_setup_child(const struct mount_fds *fds, uint64_t disk_mb, const char **ret_step);
