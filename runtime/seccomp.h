/* The sandbox's seccomp policy: built once, loaded as BPF in every sandbox. */
#pragma once

#include <linux/filter.h>

struct seccomp_policy {
        struct sock_fprog filters[2]; /* the allow-list, then the argument checks */
};

/* Compiles the policy with libseccomp (daemon start). 0 or -errno. */
int seccomp_policy_build(struct seccomp_policy *ret);
void seccomp_policy_done(struct seccomp_policy *p);
/* Child side, with no_new_privs set: loads both filters into the calling process; its
 * children and everything it execs keep them. */
int seccomp_policy_load(const struct seccomp_policy *p);
