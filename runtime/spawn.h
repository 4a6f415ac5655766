/* Starting a sandbox: clone its init into new namespaces, run the parent-side steps (cgroup,
 * later uid maps and network), then let the child run its own steps and exec sandboxd-init. */
#pragma once

#include <stdint.h>
#include <sys/types.h>
#include "runtime/cgroup.h"
#include "runtime/mount.h"
#include "runtime/net.h"
#include "runtime/seccomp.h"

struct spawn_config {
        const char *hostname; /* the sandbox id */
        int init_fd;          /* sealed memfd of sandboxd-init (spawn_load_init) */
        struct cgroup *cg;    /* the sandbox's cgroup, joined before the child goes on */
        uint32_t uid_base;    /* host id of root inside; uid_size ids are mapped */
        uint32_t uid_size;
        struct mount_config mounts;
        const struct seccomp_policy *seccomp;
        const struct net_sandbox *net; /* NULL: lo only */
        struct net_error *net_err;     /* where a failed parent-side network step is told */
};

struct spawn_result {
        pid_t pid;  /* host pid of the sandbox's init */
        int pidfd;  /* pidfd of init; close-on-exec */
        int ctl_fd; /* the daemon's end of the control socket; close-on-exec */
};

/* Forks the sandbox. On success the child is on its way to exec init; it reports
 * INIT_MSG_READY or INIT_MSG_ERROR on ctl_fd. On failure nothing is left running. -errno. */
int spawn_sandbox(const struct spawn_config *cfg, struct spawn_result *ret);

/* Copies the init binary at path into a sealed memfd, so that no process in a sandbox can
 * rewrite the binary its init runs from (runc CVE-2019-5736). */
int spawn_load_init(const char *path, int *ret_fd);
