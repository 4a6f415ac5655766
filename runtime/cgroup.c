/* Per-sandbox cgroups: mode detection, dispatch to the v1/v2/hybrid backends, and what they
 * share. Everything is reached relative to directory fds that the root holds, so a sandbox
 * costs at most one fd (its unified directory, kept for CLONE_INTO_CGROUP). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/magic.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "common/macros.h"
#include "runtime/cgroup-internal.h"

#define RMDIR_TRIES    100 /* x 1 ms: a killed cgroup stays busy until its last task is gone */
#define WAIT_TRIES     1000
#define KILL_TRIES     1000
#define CPU_COUNT_MAX  1e6
#define CHILD_PATH_MAX (NAME_MAX + 64)

void (*cgroup_test_mkdir_hook)(int dir_fd, enum cgroup_hier h);
void (*cgroup_test_rmdir_hook)(int dir_fd, const char *path);

static const char *const mode_names[] = {
    [CGROUP_MODE_V1] = "v1",
    [CGROUP_MODE_V2] = "v2",
    [CGROUP_MODE_HYBRID] = "hybrid",
};

static const struct cgroup_manager *const managers[] = {
    [CGROUP_MODE_V1] = &cgroup_manager_v1,
    [CGROUP_MODE_V2] = &cgroup_manager_v2,
    [CGROUP_MODE_HYBRID] = &cgroup_manager_hybrid,
};

const char *cgroup_mode_name(enum cgroup_mode mode)
{
        if ((unsigned)mode >= ELEMENTSOF(mode_names))
                return NULL;
        return mode_names[mode];
}

int cgroup_detect_mode(const char *root, enum cgroup_mode *ret)
{
        _cleanup_free_ char *unified = NULL;
        struct statfs fs;

        if (!root || !ret)
                return -EINVAL;
        if (statfs(root, &fs) < 0)
                return negative_errno();
        if (fs.f_type == CGROUP2_SUPER_MAGIC) {
                *ret = CGROUP_MODE_V2;
                return 0;
        }
        if (fs.f_type != TMPFS_MAGIC)
                return -ENOMEDIUM;
        if (asprintf(&unified, "%s/unified", root) < 0)
                return -ENOMEM;
        if (statfs(unified, &fs) < 0) {
                if (errno != ENOENT)
                        return negative_errno();
                fs.f_type = TMPFS_MAGIC;
        }
        *ret = fs.f_type == CGROUP2_SUPER_MAGIC ? CGROUP_MODE_HYBRID : CGROUP_MODE_V1;
        return 0;
}

/* One path component: no "/", ".", ".." that would leave the hierarchy. */
static bool name_valid(const char *s, size_t len)
{
        if (len == 0 || len > NAME_MAX || memchr(s, '/', len))
                return false;
        return !(len == 1 && s[0] == '.') && !(len == 2 && s[0] == '.' && s[1] == '.');
}

static bool parent_valid(const char *parent)
{
        if (!parent || !*parent || *parent == '/' || strlen(parent) >= PATH_MAX)
                return false;
        for (const char *p = parent; *p;) {
                size_t len = strcspn(p, "/");

                if (!name_valid(p, len))
                        return false;
                p += len;
                if (*p == '/')
                        p++;
        }
        return true;
}

int cgroup_write_at(int dir_fd, const char *file, const char *value)
{
        _cleanup_close_ int fd = -1;
        size_t len = strlen(value);
        ssize_t n;

        fd = openat(dir_fd, file, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        n = write(fd, value, len);
        if (n < 0)
                return negative_errno();
        return (size_t)n == len ? 0 : -EIO;
}

int cgroup_read_at(int dir_fd, const char *file, char *buf, size_t size)
{
        _cleanup_close_ int fd = -1;
        ssize_t n;

        if (size == 0)
                return -EINVAL;
        fd = openat(dir_fd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        n = read(fd, buf, size - 1);
        if (n < 0)
                return negative_errno();
        while (n > 0 && buf[n - 1] == '\n')
                n--;
        buf[n] = '\0';
        return (int)n;
}

bool cgroup_file_exists(int dir_fd, const char *file)
{
        struct stat st;

        return fstatat(dir_fd, file, &st, AT_SYMLINK_NOFOLLOW) >= 0;
}

static int child_path(const struct cgroup *cg, const char *file, char *buf, size_t size)
{
        int n = snprintf(buf, size, "%s/%s", cg->name, file);

        return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int cgroup_write(const struct cgroup *cg, enum cgroup_hier h, const char *file, const char *value)
{
        char path[CHILD_PATH_MAX];
        int r = child_path(cg, file, path, sizeof(path));

        if (r < 0)
                return r;
        return cgroup_write_at(cg->root->parent_fds[h], path, value);
}

int cgroup_write_optional(const struct cgroup *cg, enum cgroup_hier h, const char *file,
                          const char *value)
{
        int r = cgroup_write(cg, h, file, value);

        return r == -ENOENT ? 0 : r;
}

int cgroup_write_u64(const struct cgroup *cg, enum cgroup_hier h, const char *file, uint64_t value)
{
        char buf[32];

        snprintf(buf, sizeof(buf), "%" PRIu64, value);
        return cgroup_write(cg, h, file, buf);
}

int cgroup_read(const struct cgroup *cg, enum cgroup_hier h, const char *file, char *buf,
                size_t size)
{
        char path[CHILD_PATH_MAX];
        int r = child_path(cg, file, path, sizeof(path));

        if (r < 0)
                return r;
        return cgroup_read_at(cg->root->parent_fds[h], path, buf, size);
}

int cgroup_read_key(const struct cgroup *cg, enum cgroup_hier h, const char *file, const char *key,
                    int *ret)
{
        size_t klen = strlen(key);
        char buf[512];
        int r = cgroup_read(cg, h, file, buf, sizeof(buf));

        if (r < 0)
                return r;
        for (char *line = buf, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
                        *ret = atoi(line + klen + 1);
                        return 0;
                }
        }
        return -ENODATA;
}

int cgroup_wait_state(struct cgroup *cg, int (*read_state)(struct cgroup *cg), int want)
{
        for (unsigned i = 0; i < WAIT_TRIES; i++) {
                int r = read_state(cg);

                if (r < 0)
                        return r;
                if (r == want)
                        return 0;
                usleep(1000);
        }
        return -EBUSY;
}

int cgroup_open_hierarchy(int root_fd, const char *dir, const char *marker)
{
        _cleanup_close_ int fd = openat(root_fd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (fd < 0)
                return errno == ENOTDIR ? -ENOENT : negative_errno();
        /* An empty mount point (a controller that is not mounted) has no control files. */
        if (!cgroup_file_exists(fd, marker))
                return -ENOENT;
        return TAKE_FD(fd);
}

unsigned cgroup_probe_files(const struct cgroup_root *cr, const struct cgroup_probe *table,
                            size_t n)
{
        unsigned mask = 0;

        for (size_t i = 0; i < n; i++) {
                int fd = cr->parent_fds[table[i].hier];

                if (fd >= 0 && cgroup_file_exists(fd, table[i].file))
                        mask |= table[i].limit;
        }
        return mask;
}

uint64_t cgroup_cpu_quota(double cpu_count)
{
        uint64_t quota = (uint64_t)(cpu_count * CGROUP_CPU_PERIOD_US + 0.5);

        return quota < CGROUP_CPU_MIN_QUOTA_US ? CGROUP_CPU_MIN_QUOTA_US : quota;
}

#define HUGEPAGES_DIR  "/sys/kernel/mm/hugepages"
#define HUGE_SIZES_MAX 8

/* The names the hugetlb controller gives the host's huge page sizes (mem_fmt() in
 * mm/hugetlb_cgroup.c): "64KB", "2MB", "1GB". */
static size_t hugetlb_sizes(char names[HUGE_SIZES_MAX][16])
{
        _cleanup_closedir_ DIR *d = opendir(HUGEPAGES_DIR);
        struct dirent *e;
        size_t n = 0;
        unsigned long kb;

        while (d && n < HUGE_SIZES_MAX && (e = readdir(d)))
                if (sscanf(e->d_name, "hugepages-%lukB", &kb) == 1)
                        snprintf(names[n++], 16,
                                 kb >= (1ul << 20)   ? "%luGB"
                                 : kb >= (1ul << 10) ? "%luMB"
                                                     : "%luKB",
                                 kb >= (1ul << 20)   ? kb >> 20
                                 : kb >= (1ul << 10) ? kb >> 10
                                                     : kb);
        return n;
}

bool cgroup_hugetlb_present(const struct cgroup_root *cr, enum cgroup_hier h, const char *suffix)
{
        char names[HUGE_SIZES_MAX][16], file[64];
        size_t n = hugetlb_sizes(names);

        if (cr->parent_fds[h] < 0 || n == 0)
                return false;
        snprintf(file, sizeof(file), "hugetlb.%s%s", names[0], suffix);
        return cgroup_file_exists(cr->parent_fds[h], file);
}

int cgroup_apply_hugetlb(struct cgroup *cg, enum cgroup_hier h, const char *suffix, uint64_t bytes)
{
        char names[HUGE_SIZES_MAX][16], file[64];
        size_t n = hugetlb_sizes(names);

        for (size_t i = 0; i < n; i++) {
                snprintf(file, sizeof(file), "hugetlb.%s%s", names[i], suffix);
                int r = cgroup_write_u64(cg, h, file, bytes);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int limits_mask(const struct cgroup_limits *l, unsigned *ret)
{
        unsigned mask = 0;

        if (isnan(l->cpu_count) || l->cpu_count < 0 || l->cpu_count > CPU_COUNT_MAX ||
            l->memory_mb > UINT64_MAX >> 20)
                return -EINVAL;
        if (l->cpu_count > 0)
                mask |= CGROUP_LIMIT_CPU;
        if (l->memory_mb > 0)
                mask |= CGROUP_LIMIT_MEMORY;
        if (l->pids_max > 0)
                mask |= CGROUP_LIMIT_PIDS;
        *ret = mask;
        return 0;
}

/* mkdir, accepting an existing directory only if exist_ok; returns an fd of the directory. */
static int make_dir(int dir_fd, const char *name, enum cgroup_hier h, bool exist_ok,
                    bool *ret_created)
{
        bool created = mkdirat(dir_fd, name, 0755) >= 0;
        int fd;

        if (!created && (errno != EEXIST || !exist_ok))
                return negative_errno();
        fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0) {
                int r = negative_errno();

                if (created)
                        (void)unlinkat(dir_fd, name, AT_REMOVEDIR);
                return r;
        }
        if (created && cgroup_test_mkdir_hook)
                cgroup_test_mkdir_hook(fd, h);
        *ret_created = created;
        return fd;
}

static int rmdir_at(int dir_fd, const char *path, unsigned tries)
{
        for (unsigned i = 1;; i++) {
                if (cgroup_test_rmdir_hook)
                        cgroup_test_rmdir_hook(dir_fd, path);
                if (unlinkat(dir_fd, path, AT_REMOVEDIR) >= 0 || errno == ENOENT)
                        return 0;
                if (errno != EBUSY || i >= tries)
                        return negative_errno();
                usleep(1000);
        }
}

static int root_new(enum cgroup_mode mode, const char *parent, struct cgroup_root **ret)
{
        struct cgroup_root *cr = calloc(1, sizeof(*cr));

        if (!cr)
                return -ENOMEM;
        cr->parent = strdup(parent);
        if (!cr->parent) {
                free(cr);
                return -ENOMEM;
        }
        cr->mode = mode;
        cr->manager = managers[mode];
        for (unsigned h = 0; h < _CGROUP_HIER_MAX; h++)
                cr->hier_fds[h] = cr->parent_fds[h] = -1;
        *ret = cr;
        return 0;
}

static void root_free(struct cgroup_root *cr)
{
        for (unsigned h = 0; h < _CGROUP_HIER_MAX; h++) {
                safe_close(cr->parent_fds[h]);
                safe_close(cr->hier_fds[h]);
        }
        free(cr->parent);
        free(cr);
}

/* rmdir of the parent in the hierarchies of mask; one still holding cgroups is -EBUSY. */
static int root_remove(struct cgroup_root *cr, unsigned mask)
{
        int r = 0;

        for (unsigned h = 0; h < _CGROUP_HIER_MAX; h++) {
                int k;

                if (cr->hier_fds[h] < 0 || !(mask & CGROUP_HIER_BIT(h)))
                        continue;
                k = rmdir_at(cr->hier_fds[h], cr->parent, 1);
                if (k == -ENOTEMPTY)
                        k = -EBUSY;
                if (k < 0 && r == 0)
                        r = k;
        }
        return r;
}

/* A failed open leaves no parent behind that it made itself. */
static void root_abortp(struct cgroup_root **crp)
{
        if (!*crp)
                return;
        (void)root_remove(*crp, (*crp)->created);
        root_free(*crp);
}

static int prepare_level(struct cgroup_root *cr, enum cgroup_hier h, int dir_fd)
{
        if (!cr->manager->prepare_level)
                return 0;
        return cr->manager->prepare_level(cr, h, dir_fd);
}

/* mkdir -p of the parent in hierarchy h, preparing every level on the way down. */
static int make_parent(struct cgroup_root *cr, enum cgroup_hier h)
{
        _cleanup_close_ int fd = fcntl(cr->hier_fds[h], F_DUPFD_CLOEXEC, 3);
        bool created = false;
        int r;

        if (fd < 0)
                return negative_errno();
        for (const char *p = cr->parent; *p; p += strspn(p, "/")) {
                char name[NAME_MAX + 1];
                size_t len = strcspn(p, "/");

                r = prepare_level(cr, h, fd);
                if (r < 0)
                        return r;
                memcpy(name, p, len);
                name[len] = '\0';
                r = make_dir(fd, name, h, true, &created);
                if (r < 0)
                        return r;
                safe_close(fd);
                fd = r;
                p += len;
        }
        if (created)
                cr->created |= CGROUP_HIER_BIT(h);
        r = prepare_level(cr, h, fd);
        if (r < 0)
                return r;
        cr->parent_fds[h] = TAKE_FD(fd);
        return 0;
}

int cgroup_root_open(const char *root, enum cgroup_mode mode, const char *parent,
                     struct cgroup_root **ret)
{
        _cleanup_(root_abortp) struct cgroup_root *cr = NULL;
        _cleanup_close_ int root_fd = -1;
        int r;

        if (!root || !ret || (unsigned)mode >= ELEMENTSOF(managers) || !parent_valid(parent))
                return -EINVAL;
        root_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (root_fd < 0)
                return negative_errno();
        r = root_new(mode, parent, &cr);
        if (r < 0)
                return r;
        r = cr->manager->open_hierarchies(cr, root_fd);
        if (r < 0)
                return r;
        for (unsigned h = 0; h < _CGROUP_HIER_MAX; h++) {
                if (cr->hier_fds[h] < 0)
                        continue;
                r = make_parent(cr, h);
                if (r < 0)
                        return r;
        }
        cr->limits = cr->manager->probe_limits(cr);
        cr->has_kill = cr->parent_fds[CGROUP_HIER_UNIFIED] >= 0 &&
                       cgroup_file_exists(cr->parent_fds[CGROUP_HIER_UNIFIED], "cgroup.kill");
        *ret = TAKE_PTR(cr);
        return 0;
}

int cgroup_root_close(struct cgroup_root *cr, bool remove)
{
        int r = 0;

        if (!cr)
                return 0;
        if (remove)
                r = root_remove(cr, ~0u);
        root_free(cr);
        return r;
}

enum cgroup_mode cgroup_root_mode(const struct cgroup_root *cr)
{
        return cr->mode;
}

unsigned cgroup_root_limits(const struct cgroup_root *cr)
{
        return cr->limits;
}

static int cgroup_new(struct cgroup_root *cr, const char *name, struct cgroup **ret)
{
        struct cgroup *cg = calloc(1, sizeof(*cg));

        if (!cg)
                return -ENOMEM;
        cg->name = strdup(name);
        if (!cg->name) {
                free(cg);
                return -ENOMEM;
        }
        cg->root = cr;
        cg->v2_fd = -1;
        *ret = cg;
        return 0;
}

void cgroup_free(struct cgroup *cg)
{
        if (!cg)
                return;
        safe_close(cg->v2_fd);
        free(cg->name);
        free(cg);
}

static void cgroup_freep(struct cgroup **cg)
{
        cgroup_free(*cg);
}

static void cgroup_destroyp(struct cgroup **cg)
{
        if (*cg)
                (void)cgroup_destroy(*cg);
}

/* The directory fd is kept for the unified hierarchy only. */
static void cgroup_add_dir(struct cgroup *cg, enum cgroup_hier h, int fd)
{
        cg->present |= CGROUP_HIER_BIT(h);
        if (h == CGROUP_HIER_UNIFIED)
                cg->v2_fd = fd;
        else
                safe_close(fd);
}

int cgroup_create(struct cgroup_root *cr, const char *name, const struct cgroup_limits *limits,
                  struct cgroup **ret)
{
        static const struct cgroup_limits no_limits;
        _cleanup_(cgroup_destroyp) struct cgroup *cg = NULL;
        unsigned wanted;
        int r;

        if (!cr || !ret || !name || !name_valid(name, strlen(name)))
                return -EINVAL;
        limits = limits ?: &no_limits;
        r = limits_mask(limits, &wanted);
        if (r < 0)
                return r;
        if (wanted & ~cr->limits)
                return -EOPNOTSUPP;
        r = cgroup_new(cr, name, &cg);
        if (r < 0)
                return r;
        for (unsigned h = 0; h < _CGROUP_HIER_MAX; h++) {
                bool created;

                if (cr->parent_fds[h] < 0)
                        continue;
                /* An existing directory is a name clash, never adopted. */
                r = make_dir(cr->parent_fds[h], name, h, false, &created);
                if (r < 0)
                        return r;
                cgroup_add_dir(cg, h, r);
        }
        r = cr->manager->apply_limits(cg, limits);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(cg);
        return 0;
}

/* A sandbox half made before a crash is found too, so that it can be destroyed. */
int cgroup_open(struct cgroup_root *cr, const char *name, struct cgroup **ret)
{
        _cleanup_(cgroup_freep) struct cgroup *cg = NULL;
        int r;

        if (!cr || !ret || !name || !name_valid(name, strlen(name)))
                return -EINVAL;
        r = cgroup_new(cr, name, &cg);
        if (r < 0)
                return r;
        for (unsigned h = 0; h < _CGROUP_HIER_MAX; h++) {
                int fd;

                if (cr->parent_fds[h] < 0)
                        continue;
                fd = openat(cr->parent_fds[h], name,
                            O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0 && errno != ENOENT)
                        return negative_errno();
                if (fd >= 0)
                        cgroup_add_dir(cg, h, fd);
        }
        if (!cg->present)
                return -ENOENT;
        *ret = TAKE_PTR(cg);
        return 0;
}

int cgroup_enter(struct cgroup *cg, pid_t pid)
{
        char buf[32];

        if (!cg || pid <= 0)
                return -EINVAL;
        snprintf(buf, sizeof(buf), "%d", (int)pid);
        for (unsigned h = 0; h < _CGROUP_HIER_MAX; h++) {
                int r;

                if (!(cg->present & CGROUP_HIER_BIT(h)))
                        continue;
                r = cgroup_write(cg, h, "cgroup.procs", buf);
                if (r < 0)
                        return r;
        }
        return 0;
}

int cgroup_v2_fd(const struct cgroup *cg)
{
        return cg ? cg->v2_fd : -1;
}

/* Sends sig (0: none) to every process in cgroup.procs of hierarchy h; returns their count. */
static int signal_procs(const struct cgroup *cg, enum cgroup_hier h, int sig)
{
        _cleanup_fclose_ FILE *f = NULL;
        char path[CHILD_PATH_MAX];
        int fd, pid, n = 0, r = child_path(cg, "cgroup.procs", path, sizeof(path));

        if (r < 0)
                return r;
        fd = openat(cg->root->parent_fds[h], path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return negative_errno();
        f = fdopen(fd, "r");
        if (!f) {
                r = negative_errno();
                safe_close(fd);
                return r;
        }
        while (fscanf(f, "%d", &pid) == 1) {
                /* kill(0) or kill(-1) would reach far more than the sandbox. */
                if (pid <= 0)
                        continue;
                n++;
                if (sig && kill(pid, sig) < 0 && errno != ESRCH && r == 0)
                        r = negative_errno();
        }
        if (ferror(f))
                return -EIO;
        return r < 0 ? r : n;
}

static int signal_all(const struct cgroup *cg, int sig)
{
        int n = 0;

        for (unsigned h = 0; h < _CGROUP_HIER_MAX; h++) {
                int r;

                if (!(cg->present & CGROUP_HIER_BIT(h)))
                        continue;
                r = signal_procs(cg, h, sig);
                if (r < 0)
                        return r;
                n += r;
        }
        return n;
}

/* Without cgroup.kill: freeze, so that nothing forks between reading cgroup.procs and the
 * kill and no listed pid can exit and be reused; SIGKILL; thaw, so that the signals land. */
static int kill_walk(struct cgroup *cg)
{
        bool can_freeze = cg->root->limits & CGROUP_LIMIT_FREEZE;

        for (unsigned i = 0; i < KILL_TRIES; i++) {
                bool frozen = can_freeze && cg->root->manager->freeze(cg, true) >= 0;
                int n = signal_all(cg, SIGKILL);

                if (frozen) {
                        int r = cg->root->manager->freeze(cg, false);

                        if (r < 0)
                                return r;
                }
                if (n <= 0)
                        return n;
                can_freeze = frozen; /* a freezer that timed out once would stall every round */
                usleep(1000);
        }
        return -EBUSY;
}

int cgroup_kill(struct cgroup *cg)
{
        if (!cg)
                return -EINVAL;
        if ((cg->present & CGROUP_HIER_BIT(CGROUP_HIER_UNIFIED)) && cg->root->has_kill)
                return cgroup_write(cg, CGROUP_HIER_UNIFIED, "cgroup.kill", "1");
        return kill_walk(cg);
}

int cgroup_populated(struct cgroup *cg)
{
        int populated, r;

        if (!cg)
                return -EINVAL;
        if (!(cg->present & CGROUP_HIER_BIT(CGROUP_HIER_UNIFIED))) {
                r = signal_all(cg, 0);
                return r < 0 ? r : r > 0;
        }
        r = cgroup_read_key(cg, CGROUP_HIER_UNIFIED, "cgroup.events", "populated", &populated);
        return r < 0 ? r : populated != 0;
}

int cgroup_freeze(struct cgroup *cg, bool frozen)
{
        if (!cg)
                return -EINVAL;
        if (!(cg->root->limits & CGROUP_LIMIT_FREEZE))
                return -EOPNOTSUPP;
        return cg->root->manager->freeze(cg, frozen);
}

int cgroup_freeze_request(struct cgroup *cg, bool frozen)
{
        if (!cg)
                return -EINVAL;
        if (!(cg->root->limits & CGROUP_LIMIT_FREEZE))
                return -EOPNOTSUPP;
        return cg->root->manager->freeze_request(cg, frozen);
}

int cgroup_frozen_state(struct cgroup *cg)
{
        if (!cg)
                return -EINVAL;
        if (!(cg->root->limits & CGROUP_LIMIT_FREEZE))
                return -EOPNOTSUPP;
        return cg->root->manager->frozen_state(cg);
}

int cgroup_destroy(struct cgroup *cg)
{
        int r = 0;

        if (!cg)
                return 0;
        cg->v2_fd = safe_close(cg->v2_fd);
        for (unsigned h = 0; h < _CGROUP_HIER_MAX; h++) {
                int k;

                if (!(cg->present & CGROUP_HIER_BIT(h)))
                        continue;
                k = rmdir_at(cg->root->parent_fds[h], cg->name, RMDIR_TRIES);
                if (k < 0 && r == 0)
                        r = k;
        }
        cgroup_free(cg);
        return r;
}
