/* cgroup v1: one hierarchy per controller, each with its own copy of the sandbox's directory.
 * Hybrid hosts use it for controllers and limits, plus the unified tree for tracking (its
 * cgroup.kill, cgroup.events and CLONE_INTO_CGROUP fd are handled in cgroup.c). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/macros.h"
#include "runtime/cgroup-internal.h"

static const struct {
        enum cgroup_hier hier;
        const char *dirs[3]; /* co-mounted cpu,cpuacct may come without its symlinks */
} v1_hierarchies[] = {
    {CGROUP_HIER_CPU, {"cpu", "cpu,cpuacct", "cpuacct,cpu"}},
    {CGROUP_HIER_CPUACCT, {"cpuacct", "cpu,cpuacct", "cpuacct,cpu"}},
    {CGROUP_HIER_MEMORY, {"memory"}},
    {CGROUP_HIER_PIDS, {"pids"}},
    {CGROUP_HIER_FREEZER, {"freezer"}},
    {CGROUP_HIER_HUGETLB, {"hugetlb"}},
};

static const struct cgroup_probe v1_probes[] = {
    /* Absent without CONFIG_CFS_BANDWIDTH. */
    {CGROUP_LIMIT_CPU, CGROUP_HIER_CPU, "cpu.cfs_quota_us"},
    {CGROUP_LIMIT_MEMORY, CGROUP_HIER_MEMORY, "memory.limit_in_bytes"},
    {CGROUP_LIMIT_PIDS, CGROUP_HIER_PIDS, "pids.max"},
    {CGROUP_LIMIT_FREEZE, CGROUP_HIER_FREEZER, "freezer.state"},
};

/* Co-mounted controllers share one hierarchy: reached by two names, it is one directory. */
static bool v1_known_hierarchy(const struct cgroup_root *cr, int fd)
{
        struct stat a, b;

        if (fstat(fd, &a) < 0)
                return false;
        for (unsigned h = 0; h < _CGROUP_HIER_MAX; h++)
                if (cr->hier_fds[h] >= 0 && fstat(cr->hier_fds[h], &b) >= 0 &&
                    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
                        return true;
        return false;
}

/* The first of dirs that is a mounted hierarchy, -ENOENT if none is. */
static int v1_find(int root_fd, const char *const *dirs, size_t n)
{
        for (size_t i = 0; i < n && dirs[i]; i++) {
                int fd = cgroup_open_hierarchy(root_fd, dirs[i], "cgroup.procs");

                if (fd != -ENOENT)
                        return fd;
        }
        return -ENOENT;
}

static int v1_open_hierarchies(struct cgroup_root *cr, int root_fd)
{
        bool any = false;

        for (size_t i = 0; i < ELEMENTSOF(v1_hierarchies); i++) {
                int fd =
                    v1_find(root_fd, v1_hierarchies[i].dirs, ELEMENTSOF(v1_hierarchies[i].dirs));

                if (fd == -ENOENT)
                        continue;
                if (fd < 0)
                        return fd;
                if (v1_known_hierarchy(cr, fd)) {
                        safe_close(fd);
                        continue;
                }
                cr->hier_fds[v1_hierarchies[i].hier] = fd;
                any = true;
        }
        return any ? 0 : -ENOENT;
}

static int hybrid_open_hierarchies(struct cgroup_root *cr, int root_fd)
{
        int fd, r = v1_open_hierarchies(cr, root_fd);

        if (r < 0)
                return r;
        fd = cgroup_open_hierarchy(root_fd, "unified", "cgroup.controllers");
        if (fd < 0)
                return fd;
        cr->hier_fds[CGROUP_HIER_UNIFIED] = fd;
        return 0;
}

static unsigned v1_probe_limits(const struct cgroup_root *cr)
{
        unsigned mask = cgroup_probe_files(cr, v1_probes, ELEMENTSOF(v1_probes));

        if (cgroup_hugetlb_present(cr, CGROUP_HIER_HUGETLB, ".limit_in_bytes"))
                mask |= CGROUP_LIMIT_HUGETLB;
        return mask;
}

static int v1_apply_cpu(struct cgroup *cg, double cpu_count)
{
        int r = cgroup_write_u64(cg, CGROUP_HIER_CPU, "cpu.cfs_period_us", CGROUP_CPU_PERIOD_US);

        if (r < 0)
                return r;
        return cgroup_write_u64(cg, CGROUP_HIER_CPU, "cpu.cfs_quota_us",
                                cgroup_cpu_quota(cpu_count));
}

static int v1_apply_memory(struct cgroup *cg, uint64_t memory_mb)
{
        char buf[32];
        int r;

        snprintf(buf, sizeof(buf), "%" PRIu64, memory_mb << 20);
        r = cgroup_write(cg, CGROUP_HIER_MEMORY, "memory.limit_in_bytes", buf);
        if (r < 0)
                return r;
        /* memory+swap equal to memory leaves no swap. It may not go below limit_in_bytes, hence
         * the order; it is absent where swap accounting is off. */
        return cgroup_write_optional(cg, CGROUP_HIER_MEMORY, "memory.memsw.limit_in_bytes", buf);
}

static int v1_apply_limits(struct cgroup *cg, const struct cgroup_limits *l)
{
        int r = 0;

        if (l->cpu_count > 0)
                r = v1_apply_cpu(cg, l->cpu_count);
        if (r >= 0 && l->memory_mb > 0)
                r = v1_apply_memory(cg, l->memory_mb);
        /* Huge pages are not charged to memory.limit_in_bytes: without their own limit a
         * sandbox could pin the host's whole pool. */
        if (r >= 0 && l->memory_mb > 0 && (cg->root->limits & CGROUP_LIMIT_HUGETLB))
                r = cgroup_apply_hugetlb(cg, CGROUP_HIER_HUGETLB, ".limit_in_bytes",
                                         l->memory_mb << 20);
        if (r >= 0 && l->pids_max > 0)
                r = cgroup_write_u64(cg, CGROUP_HIER_PIDS, "pids.max", l->pids_max);
        return r;
}

/* 1 FROZEN, 0 THAWED, 2 FREEZING (some task has not stopped yet). */
static int v1_read_frozen(struct cgroup *cg)
{
        char state[32];
        int r = cgroup_read(cg, CGROUP_HIER_FREEZER, "freezer.state", state, sizeof(state));

        if (r < 0)
                return r;
        if (strcmp(state, "FROZEN") == 0)
                return 1;
        return strcmp(state, "THAWED") == 0 ? 0 : 2;
}

static int v1_freeze_request(struct cgroup *cg, bool frozen)
{
        return cgroup_write(cg, CGROUP_HIER_FREEZER, "freezer.state", frozen ? "FROZEN" : "THAWED");
}

static int v1_freeze(struct cgroup *cg, bool frozen)
{
        const char *state = frozen ? "FROZEN" : "THAWED";
        int r = cgroup_write(cg, CGROUP_HIER_FREEZER, "freezer.state", state);

        if (r < 0)
                return r;
        r = cgroup_wait_state(cg, v1_read_frozen, frozen);
        if (r < 0 && frozen)
                (void)cgroup_write(cg, CGROUP_HIER_FREEZER, "freezer.state", "THAWED");
        return r;
}

const struct cgroup_manager cgroup_manager_v1 = {
    .open_hierarchies = v1_open_hierarchies,
    .probe_limits = v1_probe_limits,
    .apply_limits = v1_apply_limits,
    .freeze = v1_freeze,
    .freeze_request = v1_freeze_request,
    .frozen_state = v1_read_frozen,
};

const struct cgroup_manager cgroup_manager_hybrid = {
    .open_hierarchies = hybrid_open_hierarchies,
    .probe_limits = v1_probe_limits,
    .apply_limits = v1_apply_limits,
    .freeze = v1_freeze,
    .freeze_request = v1_freeze_request,
    .frozen_state = v1_read_frozen,
};
