/* Per-sandbox cgroups on v1, v2 and hybrid hosts (one backend per hierarchy kind).
 * Mechanics only: no daemon state, no logging; errors are -errno. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum cgroup_mode {
        CGROUP_MODE_V1,     /* only v1 controller hierarchies */
        CGROUP_MODE_V2,     /* the unified hierarchy at the root */
        CGROUP_MODE_HYBRID, /* v1 controllers plus a controller-less v2 tree at unified/ */
};

const char *cgroup_mode_name(enum cgroup_mode mode); /* "v1", "v2", "hybrid" */

/* statfs() of root (normally /sys/fs/cgroup): cgroup2 magic → v2; tmpfs with a cgroup2
 * unified/ → hybrid; tmpfs without → v1. */
int cgroup_detect_mode(const char *root, enum cgroup_mode *ret);

enum cgroup_limit {
        CGROUP_LIMIT_CPU = 1 << 0,
        CGROUP_LIMIT_MEMORY = 1 << 1,
        CGROUP_LIMIT_PIDS = 1 << 2,
        CGROUP_LIMIT_FREEZE = 1 << 3,
        CGROUP_LIMIT_HUGETLB = 1 << 4, /* memory_mb also bounds huge pages, where present */
};

struct cgroup_limits {
        double cpu_count;   /* 0: no limit */
        uint64_t memory_mb; /* 0: no limit; swap is also held to 0 where the host allows */
        uint64_t pids_max;  /* 0: no limit */
};

/* The daemon's parent cgroup. root is the cgroupfs mount point; parent is a path relative to
 * each hierarchy's root (e.g. "sandboxd"). A test passes a fake tree and a mode. */
struct cgroup_root;

int cgroup_root_open(const char *root, enum cgroup_mode mode, const char *parent,
                     struct cgroup_root **ret);
/* Removes the parent directories if empty (-EBUSY if not), then frees. */
int cgroup_root_close(struct cgroup_root *cr, bool remove);
enum cgroup_mode cgroup_root_mode(const struct cgroup_root *cr);
/* A mask of CGROUP_LIMIT_* that this host can enforce. */
unsigned cgroup_root_limits(const struct cgroup_root *cr);

struct cgroup;

/* Creates the sandbox's cgroup `name` under the parent in every hierarchy used and applies
 * limits (-EOPNOTSUPP when one is asked for that the host cannot enforce; nothing is left
 * then). */
int cgroup_create(struct cgroup_root *cr, const char *name, const struct cgroup_limits *limits,
                  struct cgroup **ret);
/* Looks up an existing sandbox cgroup (after a restart) without changing it. */
int cgroup_open(struct cgroup_root *cr, const char *name, struct cgroup **ret);
/* Moves pid into the sandbox's cgroup in every hierarchy. */
int cgroup_enter(struct cgroup *cg, pid_t pid);
/* A directory fd of the v2 cgroup (for clone3 CLONE_INTO_CGROUP), -1 where there is none. */
int cgroup_v2_fd(const struct cgroup *cg);
/* SIGKILLs every process in it: cgroup.kill where the kernel has it, else a walk of
 * cgroup.procs until it is empty. */
int cgroup_kill(struct cgroup *cg);
/* True while any process is in it. */
int cgroup_populated(struct cgroup *cg);
int cgroup_freeze(struct cgroup *cg, bool frozen);
/* The same without waiting (for an event loop): asks, and returns at once;
 * cgroup_frozen_state() says 1 frozen, 0 thawed, 2 on its way (a task has not stopped yet). */
int cgroup_freeze_request(struct cgroup *cg, bool frozen);
int cgroup_frozen_state(struct cgroup *cg);
/* rmdir in every hierarchy (retries briefly on EBUSY while the last tasks leave), then frees. */
int cgroup_destroy(struct cgroup *cg);
/* Frees without removing. */
void cgroup_free(struct cgroup *cg);
