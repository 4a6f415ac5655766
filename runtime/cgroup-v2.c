/* cgroup v2: the unified hierarchy at the root; controllers are enabled top-down through each
 * level's cgroup.subtree_control. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "common/macros.h"
#include "runtime/cgroup-internal.h"

static const struct {
        unsigned limit;
        const char *name;
} v2_controllers[] = {
    {CGROUP_LIMIT_CPU, "cpu"},
    {CGROUP_LIMIT_MEMORY, "memory"},
    {CGROUP_LIMIT_PIDS, "pids"},
    {CGROUP_LIMIT_HUGETLB, "hugetlb"},
};

static const struct cgroup_probe v2_probes[] = {
    {CGROUP_LIMIT_CPU, CGROUP_HIER_UNIFIED, "cpu.max"},
    {CGROUP_LIMIT_MEMORY, CGROUP_HIER_UNIFIED, "memory.max"},
    {CGROUP_LIMIT_PIDS, CGROUP_HIER_UNIFIED, "pids.max"},
    {CGROUP_LIMIT_FREEZE, CGROUP_HIER_UNIFIED, "cgroup.freeze"}, /* Linux >= 5.2 */
};

/* The controllers of ours that the root offers in cgroup.controllers. */
static int v2_read_controllers(int root_fd, unsigned *ret)
{
        char buf[1024], *save = NULL;
        unsigned mask = 0;
        int r = cgroup_read_at(root_fd, "cgroup.controllers", buf, sizeof(buf));

        if (r < 0)
                return r;
        for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
                for (size_t i = 0; i < ELEMENTSOF(v2_controllers); i++)
                        if (strcmp(t, v2_controllers[i].name) == 0)
                                mask |= v2_controllers[i].limit;
        *ret = mask;
        return 0;
}

static int v2_open_hierarchies(struct cgroup_root *cr, int root_fd)
{
        int fd = cgroup_open_hierarchy(root_fd, ".", "cgroup.controllers");

        if (fd < 0)
                return fd;
        cr->hier_fds[CGROUP_HIER_UNIFIED] = fd;
        return v2_read_controllers(fd, &cr->controllers);
}

/* "+cpu +memory +pids" for the controllers in mask. */
static void format_enable(unsigned mask, char *buf, size_t size)
{
        size_t len = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(v2_controllers); i++)
                if (mask & v2_controllers[i].limit)
                        len += snprintf(buf + len, size - len, "%s+%s", len ? " " : "",
                                        v2_controllers[i].name);
}

/* One write for all; if the kernel refuses it, one write each, and what is refused (say cpu
 * with realtime tasks about) is dropped. Lacking the right to write is an error. */
static int v2_enable_controllers(struct cgroup_root *cr, enum cgroup_hier h, int dir_fd)
{
        char buf[64];

        format_enable(cr->controllers, buf, sizeof(buf));
        if (!buf[0] || cgroup_write_at(dir_fd, "cgroup.subtree_control", buf) >= 0)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(v2_controllers); i++) {
                unsigned limit = v2_controllers[i].limit;
                int r;

                if (!(cr->controllers & limit))
                        continue;
                format_enable(limit, buf, sizeof(buf));
                r = cgroup_write_at(dir_fd, "cgroup.subtree_control", buf);
                if (r == -EACCES || r == -EPERM || r == -EROFS)
                        return r;
                if (r < 0)
                        cr->controllers &= ~limit;
        }
        return 0;
}

static unsigned v2_probe_limits(const struct cgroup_root *cr)
{
        /* A controller counts once the parent's subtree_control hands it to the sandboxes. */
        unsigned mask = cgroup_probe_files(cr, v2_probes, ELEMENTSOF(v2_probes));

        if (cgroup_hugetlb_present(cr, CGROUP_HIER_UNIFIED, ".max"))
                mask |= CGROUP_LIMIT_HUGETLB;
        return mask & (cr->controllers | CGROUP_LIMIT_FREEZE);
}

static int v2_apply_cpu(struct cgroup *cg, double cpu_count)
{
        char buf[64];

        snprintf(buf, sizeof(buf), "%" PRIu64 " %u", cgroup_cpu_quota(cpu_count),
                 CGROUP_CPU_PERIOD_US);
        return cgroup_write(cg, CGROUP_HIER_UNIFIED, "cpu.max", buf);
}

static int v2_apply_memory(struct cgroup *cg, uint64_t memory_mb)
{
        int r = cgroup_write_u64(cg, CGROUP_HIER_UNIFIED, "memory.max", memory_mb << 20);

        if (r < 0)
                return r;
        /* Absent where the kernel does no swap accounting. */
        return cgroup_write_optional(cg, CGROUP_HIER_UNIFIED, "memory.swap.max", "0");
}

static int v2_apply_limits(struct cgroup *cg, const struct cgroup_limits *l)
{
        int r = 0;

        if (l->cpu_count > 0)
                r = v2_apply_cpu(cg, l->cpu_count);
        if (r >= 0 && l->memory_mb > 0)
                r = v2_apply_memory(cg, l->memory_mb);
        /* Huge pages are not charged to memory.max: they get a limit of their own. */
        if (r >= 0 && l->memory_mb > 0 && (cg->root->limits & CGROUP_LIMIT_HUGETLB))
                r = cgroup_apply_hugetlb(cg, CGROUP_HIER_UNIFIED, ".max", l->memory_mb << 20);
        if (r >= 0 && l->pids_max > 0)
                r = cgroup_write_u64(cg, CGROUP_HIER_UNIFIED, "pids.max", l->pids_max);
        /* An OOM kill takes one process, as on v1, not the whole sandbox: the sandbox stays
         * usable and its init is exempt (spawn.c). */
        if (r >= 0 && (cg->root->controllers & CGROUP_LIMIT_MEMORY))
                r = cgroup_write_optional(cg, CGROUP_HIER_UNIFIED, "memory.oom.group", "0");
        return r;
}

static int v2_read_frozen(struct cgroup *cg)
{
        int frozen;
        int r = cgroup_read_key(cg, CGROUP_HIER_UNIFIED, "cgroup.events", "frozen", &frozen);

        return r < 0 ? r : frozen;
}

static int v2_freeze_request(struct cgroup *cg, bool frozen)
{
        return cgroup_write(cg, CGROUP_HIER_UNIFIED, "cgroup.freeze", frozen ? "1" : "0");
}

/* cgroup.freeze asks; cgroup.events says when every task has stopped. */
static int v2_freeze(struct cgroup *cg, bool frozen)
{
        int r = cgroup_write(cg, CGROUP_HIER_UNIFIED, "cgroup.freeze", frozen ? "1" : "0");

        if (r < 0)
                return r;
        r = cgroup_wait_state(cg, v2_read_frozen, frozen);
        if (r < 0 && frozen)
                (void)cgroup_write(cg, CGROUP_HIER_UNIFIED, "cgroup.freeze", "0");
        return r;
}

const struct cgroup_manager cgroup_manager_v2 = {
    .open_hierarchies = v2_open_hierarchies,
    .prepare_level = v2_enable_controllers,
    .probe_limits = v2_probe_limits,
    .apply_limits = v2_apply_limits,
    .freeze = v2_freeze,
    .freeze_request = v2_freeze_request,
    .frozen_state = v2_read_frozen,
};
