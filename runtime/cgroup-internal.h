/* Private to runtime/cgroup*.c and its unit test: the backend table and shared helpers. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "runtime/cgroup.h"

/* The hierarchies a sandbox may use; v1 ones first, so that enter() moves a process into
 * the controllers before the tracking hierarchy. */
enum cgroup_hier {
        CGROUP_HIER_CPU,
        CGROUP_HIER_CPUACCT,
        CGROUP_HIER_MEMORY,
        CGROUP_HIER_PIDS,
        CGROUP_HIER_FREEZER,
        CGROUP_HIER_HUGETLB,
        CGROUP_HIER_UNIFIED,
        _CGROUP_HIER_MAX,
};

#define CGROUP_HIER_BIT(h)      (1u << (h))
#define CGROUP_CPU_PERIOD_US    100000u
#define CGROUP_CPU_MIN_QUOTA_US 1000u /* the kernel rejects smaller quotas */

struct cgroup_root {
        enum cgroup_mode mode;
        const struct cgroup_manager *manager;
        char *parent;
        unsigned controllers; /* v2: CGROUP_LIMIT_* whose controller is enabled down to parent */
        unsigned limits;      /* CGROUP_LIMIT_* this host enforces */
        unsigned created;     /* CGROUP_HIER_BIT()s where root_open made the parent */
        bool has_kill;        /* the unified parent has cgroup.kill (Linux >= 5.14) */
        int hier_fds[_CGROUP_HIER_MAX];   /* each hierarchy's root, -1 where unused */
        int parent_fds[_CGROUP_HIER_MAX]; /* <hierarchy>/<parent>, -1 where unused */
};

struct cgroup {
        struct cgroup_root *root; /* borrowed: the root outlives its cgroups */
        char *name;
        unsigned present; /* CGROUP_HIER_BIT()s where its directory exists */
        int v2_fd;        /* the unified directory, -1 on v1 */
};

/* What differs between v1, v2 and hybrid; the rest is shared in cgroup.c. */
struct cgroup_manager {
        /* Opens the hierarchies under the cgroupfs root into cr->hier_fds. */
        int (*open_hierarchies)(struct cgroup_root *cr, int root_fd);
        /* Called on every directory from a hierarchy's root down to the parent; may be NULL. */
        int (*prepare_level)(struct cgroup_root *cr, enum cgroup_hier h, int dir_fd);
        /* Once the parents exist: the CGROUP_LIMIT_* mask this host enforces. */
        unsigned (*probe_limits)(const struct cgroup_root *cr);
        int (*apply_limits)(struct cgroup *cg, const struct cgroup_limits *limits);
        int (*freeze)(struct cgroup *cg, bool frozen);
        /* Asks for frozen or thawed, and returns at once. */
        int (*freeze_request)(struct cgroup *cg, bool frozen);
        /* 1 frozen, 0 thawed, 2 on its way. */
        int (*frozen_state)(struct cgroup *cg);
};

extern const struct cgroup_manager cgroup_manager_v1;
extern const struct cgroup_manager cgroup_manager_v2;
extern const struct cgroup_manager cgroup_manager_hybrid;

/* Test-only: a fake cgroupfs in a temp dir gets no control files from mkdir nor loses them on
 * rmdir, so the unit test fills a new directory (mkdir hook) and empties one before it is
 * removed (rmdir hook). NULL in production. */
extern void (*cgroup_test_mkdir_hook)(int dir_fd, enum cgroup_hier h);
extern void (*cgroup_test_rmdir_hook)(int dir_fd, const char *path);

/* A probe row: limit is enforceable where file exists in hier's parent directory. */
struct cgroup_probe {
        unsigned limit;
        enum cgroup_hier hier;
        const char *file;
};

unsigned cgroup_probe_files(const struct cgroup_root *cr, const struct cgroup_probe *table,
                            size_t n);
/* A hierarchy root under root_fd, recognised by marker; -ENOENT if absent or not mounted. */
int cgroup_open_hierarchy(int root_fd, const char *dir, const char *marker);
uint64_t cgroup_cpu_quota(double cpu_count);
/* hugetlb: its control files are per huge page size, "hugetlb.2MB<suffix>"; the sizes are
 * those of /sys/kernel/mm/hugepages. Present: the parent in hierarchy h has such a file;
 * apply: writes bytes to every one of the sandbox's. */
bool cgroup_hugetlb_present(const struct cgroup_root *cr, enum cgroup_hier h, const char *suffix);
int cgroup_apply_hugetlb(struct cgroup *cg, enum cgroup_hier h, const char *suffix, uint64_t bytes);

/* Control files: O_WRONLY without O_CREAT, so a missing file is -ENOENT, never created. */
int cgroup_write_at(int dir_fd, const char *file, const char *value);
int cgroup_read_at(int dir_fd, const char *file, char *buf, size_t size);
bool cgroup_file_exists(int dir_fd, const char *file);
/* The same on the file of the sandbox's directory in hierarchy h. */
int cgroup_write(const struct cgroup *cg, enum cgroup_hier h, const char *file, const char *value);
/* Like cgroup_write, but a file the kernel does not offer (ENOENT) is skipped. */
int cgroup_write_optional(const struct cgroup *cg, enum cgroup_hier h, const char *file,
                          const char *value);
int cgroup_write_u64(const struct cgroup *cg, enum cgroup_hier h, const char *file, uint64_t value);
int cgroup_read(const struct cgroup *cg, enum cgroup_hier h, const char *file, char *buf,
                size_t size);
/* The value of a "key value" line (cgroup.events), -ENODATA if there is none. */
int cgroup_read_key(const struct cgroup *cg, enum cgroup_hier h, const char *file, const char *key,
                    int *ret);
/* Polls state until read_state() equals want, for about a second: a freezer converges quickly
 * unless a task sleeps uninterruptibly. */
int cgroup_wait_state(struct cgroup *cg, int (*read_state)(struct cgroup *cg), int want);
