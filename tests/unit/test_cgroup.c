/* runtime/cgroup: every backend against a fake cgroupfs in a temp dir, mode detection, and the
 * real hierarchies of this host (root only; each test removes what it made, even on failure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <linux/magic.h>

#include "common/macros.h"
#include "runtime/cgroup-internal.h"

#define FAKE_PID     1999999999 /* above any pid_max: a stray kill() reaches nobody */
#define FAKE_PID_STR "1999999999"
#define ALL_LIMITS                                                                                 \
        (CGROUP_LIMIT_CPU | CGROUP_LIMIT_MEMORY | CGROUP_LIMIT_PIDS | CGROUP_LIMIT_FREEZE)
#define CGROUP_FS   "/sys/fs/cgroup"
#define TEST_PREFIX "sandboxd-test-"

/* ---- the fake cgroupfs ---- */

struct fake {
        char dir[64];
        struct cgroup_root *cr;
        struct cgroup *cg;
};

static const char *const files_unified[] = {
    "cgroup.procs",     "cgroup.controllers", "cgroup.subtree_control",
    "cgroup.events",    "cgroup.freeze",      "cgroup.kill",
    "cpu.max",          "memory.max",         "memory.swap.max",
    "memory.oom.group", "pids.max",           NULL,
};
static const char *const files_cpu[] = {"cgroup.procs", "cpu.cfs_period_us", "cpu.cfs_quota_us",
                                        NULL};
static const char *const files_cpuacct[] = {"cgroup.procs", "cpuacct.usage", NULL};
static const char *const files_memory[] = {"cgroup.procs", "memory.limit_in_bytes",
                                           "memory.memsw.limit_in_bytes", NULL};
static const char *const files_pids[] = {"cgroup.procs", "pids.max", NULL};
static const char *const files_freezer[] = {"cgroup.procs", "freezer.state", NULL};

static const char *const *const hook_files[_CGROUP_HIER_MAX] = {
    [CGROUP_HIER_CPU] = files_cpu,         [CGROUP_HIER_CPUACCT] = files_cpuacct,
    [CGROUP_HIER_MEMORY] = files_memory,   [CGROUP_HIER_PIDS] = files_pids,
    [CGROUP_HIER_FREEZER] = files_freezer, [CGROUP_HIER_UNIFIED] = files_unified,
};

/* Control files the mkdir hook leaves out, as an older kernel or a missing option would. */
static const char *hook_skip[4];

static void put_at(int dir_fd, const char *file, const char *content)
{
        _cleanup_close_ int fd =
            openat(dir_fd, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

        assert_true(fd >= 0);
        assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
}

static bool skipped(const char *file)
{
        for (size_t i = 0; i < ELEMENTSOF(hook_skip) && hook_skip[i]; i++)
                if (strcmp(hook_skip[i], file) == 0)
                        return true;
        return false;
}

static const char *initial_content(const char *file)
{
        if (strcmp(file, "cgroup.events") == 0)
                return "populated 0\nfrozen 0\n";
        return strcmp(file, "freezer.state") == 0 ? "THAWED\n" : "";
}

static void fake_mkdir_hook(int dir_fd, enum cgroup_hier h)
{
        for (const char *const *f = hook_files[h]; *f; f++)
                if (!skipped(*f))
                        put_at(dir_fd, *f, initial_content(*f));
}

/* cgroupfs lets rmdir remove a directory full of control files; a plain fs does not. */
static void fake_rmdir_hook(int dir_fd, const char *path)
{
        int fd = openat(dir_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        struct dirent *de;
        DIR *d;

        if (fd < 0)
                return;
        d = fdopendir(fd);
        if (!d) {
                close(fd);
                return;
        }
        while ((de = readdir(d)))
                if (de->d_type == DT_REG)
                        (void)unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        (void)remove(path);
        return 0;
}

static int fake_setup(void **state)
{
        struct fake *f = calloc(1, sizeof(*f));

        if (!f)
                return -1;
        strcpy(f->dir, "/tmp/sandboxd-cgtest-XXXXXX");
        if (!mkdtemp(f->dir)) {
                free(f);
                return -1;
        }
        memset(hook_skip, 0, sizeof(hook_skip));
        cgroup_test_mkdir_hook = fake_mkdir_hook;
        cgroup_test_rmdir_hook = fake_rmdir_hook;
        *state = f;
        return 0;
}

static int fake_teardown(void **state)
{
        struct fake *f = *state;

        cgroup_free(f->cg);
        (void)cgroup_root_close(f->cr, false);
        cgroup_test_mkdir_hook = NULL;
        cgroup_test_rmdir_hook = NULL;
        nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        free(f);
        return 0;
}

static void fake_put(struct fake *f, const char *rel, const char *content)
{
        _cleanup_close_ int fd = open(f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        assert_true(fd >= 0);
        put_at(fd, rel, content);
}

static void fake_mkdir(struct fake *f, const char *rel)
{
        char path[256];

        snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
        assert_int_equal(mkdir(path, 0755), 0);
}

static bool fake_exists(struct fake *f, const char *rel)
{
        char path[256];
        struct stat st;

        snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
        return lstat(path, &st) == 0;
}

/* The content of a file of the tree, "<missing>" if there is none (one call per assert). */
static const char *fake_read(struct fake *f, const char *rel)
{
        static char buf[256];
        char path[256];
        _cleanup_close_ int fd = -1;
        ssize_t n;

        snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return "<missing>";
        n = read(fd, buf, sizeof(buf) - 1);
        buf[n < 0 ? 0 : n] = '\0';
        return buf;
}

static void fake_v2_root(struct fake *f, const char *controllers)
{
        fake_put(f, "cgroup.controllers", controllers);
        fake_put(f, "cgroup.subtree_control", "");
        fake_put(f, "cgroup.procs", "");
}

/* One mounted v1 hierarchy: a directory with cgroup.procs. */
static void fake_v1_hier(struct fake *f, const char *name)
{
        char rel[64];

        fake_mkdir(f, name);
        snprintf(rel, sizeof(rel), "%s/cgroup.procs", name);
        fake_put(f, rel, "");
}

static const char *const v1_dirs[] = {"cpu", "cpuacct", "memory", "pids", "freezer"};

static void fake_v1_root(struct fake *f)
{
        for (size_t i = 0; i < ELEMENTSOF(v1_dirs); i++)
                fake_v1_hier(f, v1_dirs[i]);
}

static void fake_hybrid_root(struct fake *f)
{
        fake_v1_root(f);
        fake_mkdir(f, "unified");
        fake_put(f, "unified/cgroup.controllers", "");
        fake_put(f, "unified/cgroup.subtree_control", "");
        fake_put(f, "unified/cgroup.procs", "");
}

static bool same_file(int fd, struct fake *f, const char *rel)
{
        struct stat a, b;
        char path[256];

        snprintf(path, sizeof(path), "%s/%s", f->dir, rel);
        return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
               a.st_ino == b.st_ino;
}

static const struct cgroup_limits test_limits = {
    .cpu_count = 1.5, .memory_mb = 256, .pids_max = 100};

/* ---- mode detection ---- */

static void test_mode_names(void **state)
{
        assert_string_equal(cgroup_mode_name(CGROUP_MODE_V1), "v1");
        assert_string_equal(cgroup_mode_name(CGROUP_MODE_V2), "v2");
        assert_string_equal(cgroup_mode_name(CGROUP_MODE_HYBRID), "hybrid");
        assert_null(cgroup_mode_name((enum cgroup_mode)42));
}

/* What /proc/self/mountinfo says of /sys/fs/cgroup, independently of statfs. */
static enum cgroup_mode mountinfo_mode(void)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
        enum cgroup_mode mode = CGROUP_MODE_V1;
        char line[1024], mp[512], fstype[64];

        assert_non_null(f);
        while (fgets(line, sizeof(line), f)) {
                const char *sep = strstr(line, " - ");

                if (!sep || sscanf(line, "%*s %*s %*s %*s %511s", mp) != 1 ||
                    sscanf(sep, " - %63s", fstype) != 1 || strcmp(fstype, "cgroup2") != 0)
                        continue;
                if (strcmp(mp, CGROUP_FS) == 0)
                        return CGROUP_MODE_V2;
                if (strcmp(mp, CGROUP_FS "/unified") == 0)
                        mode = CGROUP_MODE_HYBRID;
        }
        return mode;
}

static void test_detect_host(void **state)
{
        enum cgroup_mode mode = (enum cgroup_mode) - 1;

        assert_int_equal(cgroup_detect_mode(CGROUP_FS, &mode), 0);
        assert_int_equal(mode, mountinfo_mode());
        print_message("host cgroup mode: %s\n", cgroup_mode_name(mode));
        assert_int_equal(cgroup_detect_mode(NULL, &mode), -EINVAL);
}

/* In a private mount namespace: tmpfs → v1, + cgroup2 at unified/ → hybrid, cgroup2 → v2. */
static int detect_in_child(const char *dir)
{
        char unified[128], v2[128];
        enum cgroup_mode mode;

        snprintf(unified, sizeof(unified), "%s/unified", dir);
        snprintf(v2, sizeof(v2), "%s/v2", dir);
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                return 10;
        if (mount("tmpfs", dir, "tmpfs", 0, "mode=0755") < 0)
                return 11;
        if (cgroup_detect_mode(dir, &mode) < 0 || mode != CGROUP_MODE_V1)
                return 12;
        if (mkdir(unified, 0755) < 0 || mount("cgroup2", unified, "cgroup2", 0, NULL) < 0)
                return 13;
        if (cgroup_detect_mode(dir, &mode) < 0 || mode != CGROUP_MODE_HYBRID)
                return 14;
        if (mkdir(v2, 0755) < 0 || mount("cgroup2", v2, "cgroup2", 0, NULL) < 0)
                return 15;
        if (cgroup_detect_mode(v2, &mode) < 0 || mode != CGROUP_MODE_V2)
                return 16;
        return 0;
}

static void test_detect_tmp(void **state)
{
        struct fake *f = *state;
        enum cgroup_mode mode = CGROUP_MODE_V2;
        char missing[128];
        struct statfs fs;
        int status;
        pid_t pid;

        /* A plain directory: not a cgroup root (ext4 here), or a v1 root without any
         * hierarchy if the temp dir happens to be on tmpfs. */
        assert_int_equal(statfs(f->dir, &fs), 0);
        if (fs.f_type == TMPFS_MAGIC) {
                assert_int_equal(cgroup_detect_mode(f->dir, &mode), 0);
                assert_int_equal(mode, CGROUP_MODE_V1);
        } else {
                assert_int_equal(cgroup_detect_mode(f->dir, &mode), -ENOMEDIUM);
                assert_int_equal(mode, CGROUP_MODE_V2); /* ret untouched on failure */
        }
        snprintf(missing, sizeof(missing), "%s/none", f->dir);
        assert_int_equal(cgroup_detect_mode(missing, &mode), -ENOENT);
        if (geteuid() != 0) {
                print_message("skipped: mounting needs root\n");
                skip();
        }
        pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
                _exit(detect_in_child(f->dir));
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
}

/* ---- v2 on a fake tree ---- */

static void test_v2_create(void **state)
{
        struct fake *f = *state;

        fake_v2_root(f, "cpuset cpu io memory hugetlb pids rdma misc\n");
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V2, "sandboxd", &f->cr), 0);
        assert_int_equal(cgroup_root_mode(f->cr), CGROUP_MODE_V2);
        assert_int_equal(cgroup_root_limits(f->cr), ALL_LIMITS);
        assert_string_equal(fake_read(f, "cgroup.subtree_control"), "+cpu +memory +pids +hugetlb");
        assert_string_equal(fake_read(f, "sandboxd/cgroup.subtree_control"),
                            "+cpu +memory +pids +hugetlb");

        assert_int_equal(cgroup_create(f->cr, "sb1", &test_limits, &f->cg), 0);
        assert_string_equal(fake_read(f, "sandboxd/sb1/cpu.max"), "150000 100000");
        assert_string_equal(fake_read(f, "sandboxd/sb1/memory.max"), "268435456");
        assert_string_equal(fake_read(f, "sandboxd/sb1/memory.swap.max"), "0");
        assert_string_equal(fake_read(f, "sandboxd/sb1/memory.oom.group"), "0");
        assert_string_equal(fake_read(f, "sandboxd/sb1/pids.max"), "100");
        assert_true(same_file(cgroup_v2_fd(f->cg), f, "sandboxd/sb1"));

        assert_int_equal(cgroup_enter(f->cg, FAKE_PID), 0);
        assert_string_equal(fake_read(f, "sandboxd/sb1/cgroup.procs"), FAKE_PID_STR);
        assert_int_equal(cgroup_enter(f->cg, 0), -EINVAL);
        assert_int_equal(cgroup_populated(f->cg), 0);
        fake_put(f, "sandboxd/sb1/cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(cgroup_populated(f->cg), 1);
        assert_int_equal(cgroup_kill(f->cg), 0);
        assert_string_equal(fake_read(f, "sandboxd/sb1/cgroup.kill"), "1");
        /* A name that exists is a clash, and the existing cgroup survives the failure. */
        {
                struct cgroup *other = NULL;

                assert_int_equal(cgroup_create(f->cr, "sb1", NULL, &other), -EEXIST);
                assert_null(other);
                assert_true(fake_exists(f, "sandboxd/sb1/cpu.max"));
        }
        assert_int_equal(cgroup_destroy(TAKE_PTR(f->cg)), 0);
        assert_false(fake_exists(f, "sandboxd/sb1"));
        assert_int_equal(cgroup_root_close(TAKE_PTR(f->cr), true), 0);
        assert_false(fake_exists(f, "sandboxd"));
}

static void test_v2_freeze(void **state)
{
        struct fake *f = *state;

        fake_v2_root(f, "cpu memory pids\n");
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V2, "sandboxd", &f->cr), 0);
        assert_int_equal(cgroup_create(f->cr, "sb1", NULL, &f->cg), 0);
        fake_put(f, "sandboxd/sb1/cgroup.events", "populated 1\nfrozen 1\n");
        assert_int_equal(cgroup_freeze(f->cg, true), 0);
        assert_string_equal(fake_read(f, "sandboxd/sb1/cgroup.freeze"), "1");
        fake_put(f, "sandboxd/sb1/cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(cgroup_freeze(f->cg, false), 0);
        assert_string_equal(fake_read(f, "sandboxd/sb1/cgroup.freeze"), "0");
        /* Tasks that never stop: bounded, and the request is withdrawn. */
        assert_int_equal(cgroup_freeze(f->cg, true), -EBUSY);
        assert_string_equal(fake_read(f, "sandboxd/sb1/cgroup.freeze"), "0");
}

static void test_v2_missing_controller(void **state)
{
        struct fake *f = *state;
        struct cgroup_limits pids = {.pids_max = 10}, mem = {.memory_mb = 1};

        fake_v2_root(f, "cpu memory io\n");
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V2, "sandboxd", &f->cr), 0);
        assert_int_equal(cgroup_root_limits(f->cr),
                         CGROUP_LIMIT_CPU | CGROUP_LIMIT_MEMORY | CGROUP_LIMIT_FREEZE);
        assert_string_equal(fake_read(f, "cgroup.subtree_control"), "+cpu +memory");
        assert_int_equal(cgroup_create(f->cr, "sb1", &pids, &f->cg), -EOPNOTSUPP);
        assert_null(f->cg);
        assert_false(fake_exists(f, "sandboxd/sb1"));
        /* Without swap accounting there is no memory.swap.max: the limit still applies. */
        hook_skip[0] = "memory.swap.max";
        assert_int_equal(cgroup_create(f->cr, "sb1", &mem, &f->cg), 0);
        assert_string_equal(fake_read(f, "sandboxd/sb1/memory.max"), "1048576");
        assert_false(fake_exists(f, "sandboxd/sb1/memory.swap.max"));
        assert_string_equal(fake_read(f, "sandboxd/sb1/cpu.max"), "");
}

/* A kernel without cgroup.freeze (< 5.2) and cgroup.kill (< 5.14). */
static void test_v2_old_kernel(void **state)
{
        struct fake *f = *state;

        hook_skip[0] = "cgroup.freeze";
        hook_skip[1] = "cgroup.kill";
        fake_v2_root(f, "cpu memory pids\n");
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V2, "sandboxd", &f->cr), 0);
        assert_int_equal(cgroup_root_limits(f->cr), ALL_LIMITS & ~CGROUP_LIMIT_FREEZE);
        assert_int_equal(cgroup_create(f->cr, "sb1", &test_limits, &f->cg), 0);
        assert_int_equal(cgroup_freeze(f->cg, true), -EOPNOTSUPP);
        /* No cgroup.kill: a walk of the (empty) cgroup.procs. */
        assert_int_equal(cgroup_kill(f->cg), 0);
        assert_false(fake_exists(f, "sandboxd/sb1/cgroup.kill"));
}

static void test_v2_failure_midway(void **state)
{
        struct fake *f = *state;

        fake_v2_root(f, "cpu memory pids\n");
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V2, "sandboxd", &f->cr), 0);
        hook_skip[0] = "pids.max"; /* the parent has it, the new cgroup will not */
        assert_int_equal(cgroup_create(f->cr, "sb1", &test_limits, &f->cg), -ENOENT);
        assert_null(f->cg);
        assert_false(fake_exists(f, "sandboxd/sb1"));
        assert_true(fake_exists(f, "sandboxd"));
}

/* A daemon restart: the parent exists, and so does a sandbox's cgroup. */
static void test_v2_reopen(void **state)
{
        struct fake *f = *state;
        struct cgroup *missing = NULL;

        fake_v2_root(f, "cpu memory pids\n");
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V2, "sandboxd", &f->cr), 0);
        assert_int_equal(cgroup_create(f->cr, "sb1", &test_limits, &f->cg), 0);
        cgroup_free(TAKE_PTR(f->cg));
        assert_int_equal(cgroup_root_close(TAKE_PTR(f->cr), false), 0);
        fake_put(f, "sandboxd/cgroup.subtree_control", "");

        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V2, "sandboxd", &f->cr), 0);
        assert_int_equal(cgroup_root_limits(f->cr), ALL_LIMITS);
        assert_string_equal(fake_read(f, "sandboxd/cgroup.subtree_control"), "+cpu +memory +pids");
        assert_int_equal(cgroup_open(f->cr, "nope", &missing), -ENOENT);
        assert_null(missing);
        assert_int_equal(cgroup_open(f->cr, "sb1", &f->cg), 0);
        assert_true(same_file(cgroup_v2_fd(f->cg), f, "sandboxd/sb1"));
        assert_string_equal(fake_read(f, "sandboxd/sb1/cpu.max"), "150000 100000"); /* unchanged */
        assert_int_equal(cgroup_destroy(TAKE_PTR(f->cg)), 0);
        assert_false(fake_exists(f, "sandboxd/sb1"));

        /* A parent that still holds a sandbox stays. */
        assert_int_equal(cgroup_create(f->cr, "sb2", NULL, &f->cg), 0);
        cgroup_free(TAKE_PTR(f->cg));
        assert_int_equal(cgroup_root_close(TAKE_PTR(f->cr), true), -EBUSY);
        assert_true(fake_exists(f, "sandboxd/sb2"));
}

/* A nested parent gets the controllers at every level; close removes the last one. */
static void test_v2_nested_parent(void **state)
{
        struct fake *f = *state;

        fake_v2_root(f, "cpu memory pids\n");
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V2, "a/b", &f->cr), 0);
        assert_string_equal(fake_read(f, "a/cgroup.subtree_control"), "+cpu +memory +pids");
        assert_string_equal(fake_read(f, "a/b/cgroup.subtree_control"), "+cpu +memory +pids");
        assert_int_equal(cgroup_create(f->cr, "sb1", &test_limits, &f->cg), 0);
        assert_string_equal(fake_read(f, "a/b/sb1/pids.max"), "100");
        assert_int_equal(cgroup_destroy(TAKE_PTR(f->cg)), 0);
        assert_int_equal(cgroup_root_close(TAKE_PTR(f->cr), true), 0);
        assert_false(fake_exists(f, "a/b"));
}

static void test_invalid_arguments(void **state)
{
        static const char *const bad_parents[] = {"", "/abs", "..", "a/../b", "a//b", "."};
        static const char *const bad_names[] = {"", ".", "..", "a/b"};
        struct cgroup_limits neg = {.cpu_count = -1}, nan_cpu = {.cpu_count = NAN};
        struct fake *f = *state;
        struct cgroup_root *cr = NULL;

        fake_v2_root(f, "cpu memory pids\n");
        for (size_t i = 0; i < ELEMENTSOF(bad_parents); i++)
                assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V2, bad_parents[i], &cr),
                                 -EINVAL);
        assert_int_equal(cgroup_root_open(f->dir, (enum cgroup_mode)7, "p", &cr), -EINVAL);
        /* The tree is not what the mode says: nothing is made. */
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V1, "p", &cr), -ENOENT);
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_HYBRID, "p", &cr), -ENOENT);
        assert_false(fake_exists(f, "p"));
        assert_null(cr);

        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V2, "p", &f->cr), 0);
        for (size_t i = 0; i < ELEMENTSOF(bad_names); i++)
                assert_int_equal(cgroup_create(f->cr, bad_names[i], NULL, &f->cg), -EINVAL);
        assert_int_equal(cgroup_create(f->cr, "sb", &neg, &f->cg), -EINVAL);
        assert_int_equal(cgroup_create(f->cr, "sb", &nan_cpu, &f->cg), -EINVAL);
        assert_false(fake_exists(f, "p/sb"));
        assert_null(f->cg);
}

/* ---- v1 on a fake tree ---- */

static void assert_in_all(struct fake *f, const char *const *dirs, size_t n, const char *file,
                          const char *want)
{
        char rel[128];

        for (size_t i = 0; i < n; i++) {
                snprintf(rel, sizeof(rel), "%s/%s", dirs[i], file);
                if (want)
                        assert_string_equal(fake_read(f, rel), want);
                else
                        assert_false(fake_exists(f, rel));
        }
}

static void clear_procs(struct fake *f, const char *const *dirs, size_t n)
{
        char rel[128];

        for (size_t i = 0; i < n; i++) {
                snprintf(rel, sizeof(rel), "%s/sandboxd/sb1/cgroup.procs", dirs[i]);
                fake_put(f, rel, "");
        }
}

static void test_v1_create(void **state)
{
        struct fake *f = *state;

        fake_v1_root(f);
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V1, "sandboxd", &f->cr), 0);
        assert_int_equal(cgroup_root_limits(f->cr), ALL_LIMITS);
        assert_int_equal(cgroup_create(f->cr, "sb1", &test_limits, &f->cg), 0);
        assert_string_equal(fake_read(f, "cpu/sandboxd/sb1/cpu.cfs_period_us"), "100000");
        assert_string_equal(fake_read(f, "cpu/sandboxd/sb1/cpu.cfs_quota_us"), "150000");
        assert_string_equal(fake_read(f, "memory/sandboxd/sb1/memory.limit_in_bytes"), "268435456");
        assert_string_equal(fake_read(f, "memory/sandboxd/sb1/memory.memsw.limit_in_bytes"),
                            "268435456");
        assert_string_equal(fake_read(f, "pids/sandboxd/sb1/pids.max"), "100");
        assert_int_equal(cgroup_v2_fd(f->cg), -1);

        assert_int_equal(cgroup_enter(f->cg, FAKE_PID), 0);
        assert_in_all(f, v1_dirs, ELEMENTSOF(v1_dirs), "sandboxd/sb1/cgroup.procs", FAKE_PID_STR);
        assert_int_equal(cgroup_populated(f->cg), 1);
        assert_int_equal(cgroup_freeze(f->cg, true), 0);
        assert_string_equal(fake_read(f, "freezer/sandboxd/sb1/freezer.state"), "FROZEN");
        assert_int_equal(cgroup_freeze(f->cg, false), 0);
        assert_string_equal(fake_read(f, "freezer/sandboxd/sb1/freezer.state"), "THAWED");
        /* A listed pid that never goes away: the walk gives up, and leaves the cgroup thawed. */
        assert_int_equal(cgroup_kill(f->cg), -EBUSY);
        assert_string_equal(fake_read(f, "freezer/sandboxd/sb1/freezer.state"), "THAWED");
        clear_procs(f, v1_dirs, ELEMENTSOF(v1_dirs));
        assert_int_equal(cgroup_populated(f->cg), 0);
        assert_int_equal(cgroup_kill(f->cg), 0);

        assert_int_equal(cgroup_destroy(TAKE_PTR(f->cg)), 0);
        assert_in_all(f, v1_dirs, ELEMENTSOF(v1_dirs), "sandboxd/sb1", NULL);
        assert_int_equal(cgroup_root_close(TAKE_PTR(f->cr), true), 0);
        assert_in_all(f, v1_dirs, ELEMENTSOF(v1_dirs), "sandboxd", NULL);
}

/* cpu and cpuacct co-mounted as "cpu,cpuacct", with or without the usual symlinks. */
static void check_comount(struct fake *f, bool links)
{
        static const char *const dirs[] = {"cpu,cpuacct", "memory", "pids", "freezer"};
        char path[128];

        fake_v1_hier(f, "cpu,cpuacct");
        for (size_t i = 1; i < ELEMENTSOF(dirs); i++)
                fake_v1_hier(f, dirs[i]);
        for (size_t i = 0; links && i < 2; i++) {
                snprintf(path, sizeof(path), "%s/%s", f->dir, i ? "cpuacct" : "cpu");
                assert_int_equal(symlink("cpu,cpuacct", path), 0);
        }
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V1, "sandboxd", &f->cr), 0);
        assert_int_equal(cgroup_root_limits(f->cr), ALL_LIMITS);
        /* One mkdir in the shared hierarchy: a second would have failed with EEXIST. */
        assert_int_equal(cgroup_create(f->cr, "sb1", &test_limits, &f->cg), 0);
        assert_string_equal(fake_read(f, "cpu,cpuacct/sandboxd/sb1/cpu.cfs_quota_us"), "150000");
        assert_int_equal(cgroup_enter(f->cg, FAKE_PID), 0);
        assert_in_all(f, dirs, ELEMENTSOF(dirs), "sandboxd/sb1/cgroup.procs", FAKE_PID_STR);
        assert_int_equal(cgroup_destroy(TAKE_PTR(f->cg)), 0);
        assert_int_equal(cgroup_root_close(TAKE_PTR(f->cr), true), 0);
        assert_in_all(f, dirs, ELEMENTSOF(dirs), "sandboxd", NULL);
}

static void test_v1_comount_symlinks(void **state)
{
        check_comount(*state, true);
}

static void test_v1_comount_plain(void **state)
{
        check_comount(*state, false);
}

static void test_v1_missing_controller(void **state)
{
        static const char *const dirs[] = {"cpu", "memory", "freezer"};
        struct cgroup_limits pids = {.cpu_count = 1, .pids_max = 10}, mem = {.memory_mb = 2};
        struct fake *f = *state;

        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                fake_v1_hier(f, dirs[i]);
        fake_mkdir(f, "pids");                        /* a mount point with nothing mounted on it */
        hook_skip[0] = "memory.memsw.limit_in_bytes"; /* swap accounting off */
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V1, "sandboxd", &f->cr), 0);
        assert_int_equal(cgroup_root_limits(f->cr),
                         CGROUP_LIMIT_CPU | CGROUP_LIMIT_MEMORY | CGROUP_LIMIT_FREEZE);
        assert_false(fake_exists(f, "pids/sandboxd"));
        assert_int_equal(cgroup_create(f->cr, "sb1", &pids, &f->cg), -EOPNOTSUPP);
        assert_in_all(f, dirs, ELEMENTSOF(dirs), "sandboxd/sb1", NULL);
        assert_int_equal(cgroup_create(f->cr, "sb1", &mem, &f->cg), 0);
        assert_string_equal(fake_read(f, "memory/sandboxd/sb1/memory.limit_in_bytes"), "2097152");
        assert_false(fake_exists(f, "memory/sandboxd/sb1/memory.memsw.limit_in_bytes"));
}

static void test_v1_failure_midway(void **state)
{
        struct fake *f = *state;

        fake_v1_root(f);
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_V1, "sandboxd", &f->cr), 0);
        hook_skip[0] = "pids.max";
        assert_int_equal(cgroup_create(f->cr, "sb1", &test_limits, &f->cg), -ENOENT);
        assert_null(f->cg);
        assert_in_all(f, v1_dirs, ELEMENTSOF(v1_dirs), "sandboxd/sb1", NULL);
}

/* ---- hybrid on a fake tree ---- */

static void test_hybrid_create(void **state)
{
        static const char *const all[] = {"cpu", "cpuacct", "memory", "pids", "freezer", "unified"};
        struct fake *f = *state;

        fake_hybrid_root(f);
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_HYBRID, "sandboxd", &f->cr), 0);
        assert_int_equal(cgroup_root_mode(f->cr), CGROUP_MODE_HYBRID);
        assert_int_equal(cgroup_root_limits(f->cr), ALL_LIMITS);
        assert_string_equal(fake_read(f, "unified/cgroup.subtree_control"), "");
        assert_int_equal(cgroup_create(f->cr, "sb1", &test_limits, &f->cg), 0);
        assert_string_equal(fake_read(f, "cpu/sandboxd/sb1/cpu.cfs_quota_us"), "150000");
        assert_string_equal(fake_read(f, "memory/sandboxd/sb1/memory.limit_in_bytes"), "268435456");
        assert_string_equal(fake_read(f, "pids/sandboxd/sb1/pids.max"), "100");
        assert_string_equal(fake_read(f, "unified/sandboxd/sb1/cpu.max"), ""); /* v1 limits it */
        assert_true(same_file(cgroup_v2_fd(f->cg), f, "unified/sandboxd/sb1"));

        assert_int_equal(cgroup_enter(f->cg, FAKE_PID), 0);
        assert_in_all(f, all, ELEMENTSOF(all), "sandboxd/sb1/cgroup.procs", FAKE_PID_STR);
        assert_int_equal(cgroup_populated(f->cg), 0); /* the unified cgroup.events decides */
        fake_put(f, "unified/sandboxd/sb1/cgroup.events", "populated 1\nfrozen 0\n");
        assert_int_equal(cgroup_populated(f->cg), 1);
        assert_int_equal(cgroup_freeze(f->cg, true), 0);
        assert_string_equal(fake_read(f, "freezer/sandboxd/sb1/freezer.state"), "FROZEN");
        assert_int_equal(cgroup_freeze(f->cg, false), 0);
        assert_int_equal(cgroup_kill(f->cg), 0);
        assert_string_equal(fake_read(f, "unified/sandboxd/sb1/cgroup.kill"), "1");

        assert_int_equal(cgroup_destroy(TAKE_PTR(f->cg)), 0);
        assert_in_all(f, all, ELEMENTSOF(all), "sandboxd/sb1", NULL);
        assert_int_equal(cgroup_root_close(TAKE_PTR(f->cr), true), 0);
        assert_in_all(f, all, ELEMENTSOF(all), "sandboxd", NULL);
}

static void test_hybrid_without_unified(void **state)
{
        struct fake *f = *state;

        fake_v1_root(f);
        assert_int_equal(cgroup_root_open(f->dir, CGROUP_MODE_HYBRID, "sandboxd", &f->cr), -ENOENT);
        assert_null(f->cr);
        assert_in_all(f, v1_dirs, ELEMENTSOF(v1_dirs), "sandboxd", NULL);
}

/* ---- the real hierarchies of this host ---- */

struct real {
        char parent[64];
        struct cgroup_root *cr;
        struct cgroup *cg;
        pid_t child;
};

static int leftovers;

/* Our own sandboxd-test-<pid> directory, wherever it is, is left over. Other runs' are theirs
 * to report (tests of other processes may be running). */
static int count_leftover(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        const char *base = path + ftw->base;
        int pid;

        if (type != FTW_D || strncmp(base, TEST_PREFIX, strlen(TEST_PREFIX)) != 0)
                return 0;
        pid = atoi(base + strlen(TEST_PREFIX));
        if (pid == getpid()) {
                print_message("left over: %s\n", path);
                leftovers++;
        }
        return 0;
}

static int real_leftovers(void)
{
        leftovers = 0;
        if (nftw(CGROUP_FS, count_leftover, 16, FTW_PHYS) != 0)
                return -1;
        return leftovers;
}

static int rmdir_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
        if (type == FTW_DP)
                (void)rmdir(path);
        return 0;
}

/* Removes <hierarchy>/<parent> and what is under it everywhere, without the code under test. */
static void real_sweep(const char *parent)
{
        _cleanup_closedir_ DIR *d = opendir(CGROUP_FS);
        struct dirent *de;
        char path[512];

        while (d && (de = readdir(d))) {
                if (de->d_name[0] == '.')
                        continue;
                snprintf(path, sizeof(path), CGROUP_FS "/%s/%s", de->d_name, parent);
                nftw(path, rmdir_entry, 16, FTW_DEPTH | FTW_PHYS);
        }
}

static int real_setup(void **state)
{
        struct real *t = calloc(1, sizeof(*t));

        if (!t)
                return -1;
        snprintf(t->parent, sizeof(t->parent), TEST_PREFIX "%d", (int)getpid());
        *state = t;
        return 0;
}

static int real_teardown(void **state)
{
        struct real *t = *state;
        int r = 0;

        if (t->cg) {
                (void)cgroup_freeze(t->cg, false); /* a frozen v1 task would never die */
                (void)cgroup_kill(t->cg);
        }
        if (t->child > 0) {
                kill(t->child, SIGKILL);
                waitpid(t->child, NULL, 0);
        }
        (void)cgroup_destroy(t->cg);
        (void)cgroup_root_close(t->cr, true);
        real_sweep(t->parent);
        if (real_leftovers() != 0)
                r = -1;
        free(t);
        return r;
}

static void require_real(void)
{
        struct stat st;

        if (geteuid() != 0 || stat(CGROUP_FS, &st) < 0) {
                print_message("skipped: needs root and " CGROUP_FS "\n");
                skip();
        }
}

static pid_t spawn_sleeper(void)
{
        pid_t pid = fork();

        if (pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGKILL);
                for (;;)
                        pause();
        }
        assert_true(pid > 0);
        return pid;
}

static const char *read_text(const char *path)
{
        static char buf[256];
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n;

        if (fd < 0)
                return "<missing>";
        n = read(fd, buf, sizeof(buf) - 1);
        buf[n < 0 ? 0 : n] = '\0';
        buf[strcspn(buf, "\n")] = '\0';
        return buf;
}

static const char *real_file(struct real *t, const char *hier, const char *file)
{
        static char path[512];

        snprintf(path, sizeof(path), CGROUP_FS "/%s%s%s/sb/%s", hier, *hier ? "/" : "", t->parent,
                 file);
        return read_text(path);
}

/* Whether pid's line for controller ctrl ("" for the unified one) in /proc/<pid>/cgroup is
 * the cgroup want. */
static bool proc_in_cgroup(pid_t pid, const char *ctrl, const char *want)
{
        char path[64], line[512];
        _cleanup_fclose_ FILE *f = NULL;

        snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
        f = fopen(path, "re");
        assert_non_null(f);
        while (fgets(line, sizeof(line), f)) {
                char *ctrls = strchr(line, ':'), *cg = ctrls ? strchr(ctrls + 1, ':') : NULL;
                char *save = NULL;
                bool match;

                if (!cg)
                        continue;
                *cg++ = '\0';
                cg[strcspn(cg, "\n")] = '\0';
                match = !*ctrl && !ctrls[1];
                for (char *c = strtok_r(ctrls + 1, ",", &save); c && !match;
                     c = strtok_r(NULL, ",", &save))
                        match = *ctrl && strcmp(c, ctrl) == 0;
                if (match)
                        return strcmp(cg, want) == 0;
        }
        return false;
}

static void wait_unpopulated(struct cgroup *cg)
{
        for (int i = 0; i < 1000 && cgroup_populated(cg) == 1; i++)
                usleep(1000);
        assert_int_equal(cgroup_populated(cg), 0);
}

static void kill_and_reap(struct real *t)
{
        int status;

        assert_int_equal(cgroup_kill(t->cg), 0);
        assert_int_equal(waitpid(t->child, &status, 0), t->child);
        t->child = 0;
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), SIGKILL);
        wait_unpopulated(t->cg);
}

static void finish_real(struct real *t)
{
        assert_int_equal(cgroup_destroy(TAKE_PTR(t->cg)), 0);
        assert_int_equal(cgroup_root_close(TAKE_PTR(t->cr), true), 0);
        assert_int_equal(real_leftovers(), 0);
}

static void check_real_limits(struct real *t, enum cgroup_mode mode)
{
        if (mode == CGROUP_MODE_V2) {
                assert_string_equal(real_file(t, "", "cpu.max"), "50000 100000");
                assert_string_equal(real_file(t, "", "memory.max"), "67108864");
                assert_string_equal(real_file(t, "", "memory.oom.group"), "0");
                assert_string_equal(real_file(t, "", "pids.max"), "32");
                return;
        }
        assert_string_equal(real_file(t, "cpu", "cpu.cfs_quota_us"), "50000");
        assert_string_equal(real_file(t, "cpu", "cpu.cfs_period_us"), "100000");
        assert_string_equal(real_file(t, "memory", "memory.limit_in_bytes"), "67108864");
        if (strcmp(real_file(t, "memory", "memory.memsw.limit_in_bytes"), "<missing>") != 0)
                assert_string_equal(real_file(t, "memory", "memory.memsw.limit_in_bytes"),
                                    "67108864");
        assert_string_equal(real_file(t, "pids", "pids.max"), "32");
}

static void check_real_membership(struct real *t, enum cgroup_mode mode)
{
        char want[128];

        snprintf(want, sizeof(want), "/%s/sb", t->parent);
        if (mode != CGROUP_MODE_V2) {
                assert_true(proc_in_cgroup(t->child, "memory", want));
                assert_true(proc_in_cgroup(t->child, "pids", want));
                assert_true(proc_in_cgroup(t->child, "cpu", want));
        }
        if (mode != CGROUP_MODE_V1)
                assert_true(proc_in_cgroup(t->child, "", want));
}

/* The host's own mode (hybrid here): limits, membership in every hierarchy, kill, cleanup. */
static void test_real_host(void **state)
{
        const struct cgroup_limits l = {.cpu_count = 0.5, .memory_mb = 64, .pids_max = 32};
        const unsigned needed = CGROUP_LIMIT_CPU | CGROUP_LIMIT_MEMORY | CGROUP_LIMIT_PIDS;
        struct real *t = *state;
        enum cgroup_mode mode;

        require_real();
        assert_int_equal(cgroup_detect_mode(CGROUP_FS, &mode), 0);
        assert_int_equal(cgroup_root_open(CGROUP_FS, mode, t->parent, &t->cr), 0);
        assert_int_equal(cgroup_root_limits(t->cr) & needed, needed);
        assert_int_equal(cgroup_create(t->cr, "sb", &l, &t->cg), 0);
        assert_int_equal(cgroup_v2_fd(t->cg) >= 0, mode != CGROUP_MODE_V1);
        t->child = spawn_sleeper();
        assert_int_equal(cgroup_enter(t->cg, t->child), 0);
        check_real_membership(t, mode);
        check_real_limits(t, mode);
        assert_int_equal(cgroup_populated(t->cg), 1);
        kill_and_reap(t);
        finish_real(t);
}

/* The v1 backend alone on this host's v1 hierarchies: freezer and the kill walk for real. */
static void test_real_v1_walk(void **state)
{
        const struct cgroup_limits l = {.pids_max = 16};
        struct real *t = *state;
        char want[128];

        require_real();
        if (mountinfo_mode() == CGROUP_MODE_V2) {
                print_message("skipped: no v1 hierarchies on this host\n");
                skip();
        }
        assert_int_equal(cgroup_root_open(CGROUP_FS, CGROUP_MODE_V1, t->parent, &t->cr), 0);
        assert_true(cgroup_root_limits(t->cr) & CGROUP_LIMIT_FREEZE);
        assert_int_equal(cgroup_create(t->cr, "sb", &l, &t->cg), 0);
        assert_int_equal(cgroup_v2_fd(t->cg), -1);
        t->child = spawn_sleeper();
        assert_int_equal(cgroup_enter(t->cg, t->child), 0);
        snprintf(want, sizeof(want), "/%s/sb", t->parent);
        assert_true(proc_in_cgroup(t->child, "pids", want));
        assert_int_equal(cgroup_populated(t->cg), 1);
        assert_int_equal(cgroup_freeze(t->cg, true), 0);
        assert_string_equal(real_file(t, "freezer", "freezer.state"), "FROZEN");
        assert_int_equal(cgroup_freeze(t->cg, false), 0);
        assert_string_equal(real_file(t, "freezer", "freezer.state"), "THAWED");
        kill_and_reap(t);
        finish_real(t);
}

/* The v2 backend on this host's unified tree: cgroup.freeze, cgroup.events, cgroup.kill. */
static void test_real_v2_tracking(void **state)
{
        const struct cgroup_limits cpu = {.cpu_count = 1};
        struct real *t = *state;
        const char *root = CGROUP_FS;
        char path[256];
        struct cgroup *none = NULL;

        require_real();
        if (mountinfo_mode() == CGROUP_MODE_V1) {
                print_message("skipped: no cgroup2 on this host\n");
                skip();
        }
        if (mountinfo_mode() == CGROUP_MODE_HYBRID)
                root = CGROUP_FS "/unified";
        assert_int_equal(cgroup_root_open(root, CGROUP_MODE_V2, t->parent, &t->cr), 0);
        assert_true(cgroup_root_limits(t->cr) & CGROUP_LIMIT_FREEZE);
        if (!(cgroup_root_limits(t->cr) & CGROUP_LIMIT_CPU)) {
                snprintf(path, sizeof(path), "%s/%s/sb", root, t->parent);
                assert_int_equal(cgroup_create(t->cr, "sb", &cpu, &none), -EOPNOTSUPP);
                assert_int_equal(access(path, F_OK), -1);
        }
        assert_int_equal(cgroup_create(t->cr, "sb", NULL, &t->cg), 0);
        t->child = spawn_sleeper();
        assert_int_equal(cgroup_enter(t->cg, t->child), 0);
        assert_int_equal(cgroup_populated(t->cg), 1);
        assert_int_equal(cgroup_freeze(t->cg, true), 0);
        snprintf(path, sizeof(path), "%s/%s/sb/cgroup.freeze", root, t->parent);
        assert_string_equal(read_text(path), "1");
        assert_int_equal(cgroup_freeze(t->cg, false), 0);
        /* Killing a frozen cgroup works too (v2 wakes frozen tasks for SIGKILL). */
        assert_int_equal(cgroup_freeze(t->cg, true), 0);
        kill_and_reap(t);
        finish_real(t);
}

#define FAKE_TEST(f) cmocka_unit_test_setup_teardown(f, fake_setup, fake_teardown)
#define REAL_TEST(f) cmocka_unit_test_setup_teardown(f, real_setup, real_teardown)

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_mode_names),
            cmocka_unit_test(test_detect_host),
            FAKE_TEST(test_detect_tmp),
            FAKE_TEST(test_v2_create),
            FAKE_TEST(test_v2_freeze),
            FAKE_TEST(test_v2_missing_controller),
            FAKE_TEST(test_v2_old_kernel),
            FAKE_TEST(test_v2_failure_midway),
            FAKE_TEST(test_v2_reopen),
            FAKE_TEST(test_v2_nested_parent),
            FAKE_TEST(test_invalid_arguments),
            FAKE_TEST(test_v1_create),
            FAKE_TEST(test_v1_comount_symlinks),
            FAKE_TEST(test_v1_comount_plain),
            FAKE_TEST(test_v1_missing_controller),
            FAKE_TEST(test_v1_failure_midway),
            FAKE_TEST(test_hybrid_create),
            FAKE_TEST(test_hybrid_without_unified),
            REAL_TEST(test_real_host),
            REAL_TEST(test_real_v1_walk),
            REAL_TEST(test_real_v2_tracking),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
