/* The sandbox's file system (child side), built in a fixed order:
 *
 *  1. every mount private to the new namespace;
 *  2. a new root: a small tmpfs (host template) or an overlay of the template's root
 *     directory under a writable tmpfs of disk_mb (other templates);
 *  3. for the host template, the host's system directories bound read-only (every submount
 *     too), /etc from the daemon's curated copy, and one tmpfs of disk_mb holding /root,
 *     /tmp, /home, /var/tmp, /run and /dev/shm;
 *  4. /dev, /proc and /sys from tables, with masks;
 *  5. pivot_root into it, the old root detached, and the root made read-only.
 *
 * Paths are relative to the new root, which is the working directory throughout. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/mount.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/macros.h"
#include "runtime/mount.h"

#define MS_SAFE (MS_NOSUID | MS_NODEV)

/* Terminals a sandbox may hold at once: the host's pool (kernel.pty.max) is shared by all. */
#define DEVPTS_MAX "64"
/* Per sandbox, of the 128 instances host root has in all (and root's watches). */
#define INOTIFY_MAX_INSTANCES "16"
#define INOTIFY_MAX_WATCHES   "8192"

/* Each step names itself for the error the daemon reports. */
#define TRY(step_name, expr)                                                                       \
        do {                                                                                       \
                if ((expr) < 0) {                                                                  \
                        *ret_step = (step_name);                                                   \
                        return negative_errno();                                                   \
                }                                                                                  \
        } while (0)

/* Host directories of the host template: bound read-only, or recreated as the same symlink
 * where the host has one (merged /usr). */
static const char *const host_system_dirs[] = {"usr",   "bin",   "sbin",  "lib",
                                               "lib32", "lib64", "libx32"};

/* The writable directories: for the host template each is bound from a directory of one
 * tmpfs of disk_mb (var/tmp from "var-tmp"); for other templates they are part of the
 * overlay, whose upper layer is that tmpfs. */
static const struct {
        const char *path;
        const char *source;
        mode_t mode;
} writable_dirs[] = {
    {"root", "root", 0700},        {"tmp", "tmp", 01777}, {"home", "home", 0755},
    {"var/tmp", "var-tmp", 01777}, {"run", "run", 0755},
};

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

static const struct {
        const char *target;
        const char *link;
} dev_links[] = {
    {"pts/ptmx", "ptmx"},          {"/proc/self/fd", "fd"},       {"/proc/self/fd/0", "stdin"},
    {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"},
};

/* /proc and /sys paths that leak the host or control it (SECURITY.md). A masked file gets
 * /dev/null over it, a masked directory an empty read-only tmpfs; a read-only one is bound
 * onto itself read-only. Paths the kernel does not have are skipped. */
enum mask_kind {
        MASK_HIDE,
        MASK_READ_ONLY,
};

static const struct {
        const char *path;
        enum mask_kind kind;
} masks[] = {
    {"proc/kcore", MASK_HIDE},
    {"proc/keys", MASK_HIDE},
    {"proc/key-users", MASK_HIDE},
    {"proc/timer_list", MASK_HIDE},
    {"proc/sched_debug", MASK_HIDE},
    {"proc/latency_stats", MASK_HIDE},
    {"proc/kallsyms", MASK_HIDE},
    {"proc/kmsg", MASK_HIDE},
    {"proc/acpi", MASK_HIDE},
    {"proc/scsi", MASK_HIDE},
    {"proc/sysrq-trigger", MASK_READ_ONLY},
    {"proc/sys", MASK_READ_ONLY},
    {"proc/irq", MASK_READ_ONLY},
    {"proc/bus", MASK_READ_ONLY},
    {"proc/fs", MASK_READ_ONLY},
    {"sys/firmware", MASK_HIDE},
    {"sys/devices/virtual/powercap", MASK_HIDE},
    {"sys/kernel/debug", MASK_HIDE},
    {"sys/kernel/security", MASK_HIDE},
};

/* Makes the mount at path and everything below it read-only, nosuid and nodev in one step
 * (a plain remount would leave submounts writable). */
static int make_read_only(const char *path)
{
        struct mount_attr attr = {.attr_set =
                                      MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
        if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &attr, sizeof(attr)) < 0)
                return negative_errno();
        return 0;
}

static int bind_read_only(const char *src, const char *dst)
{
        if (mount(src, dst, NULL, MS_BIND | MS_REC, NULL) < 0)
                return negative_errno();
        return make_read_only(dst);
}

static int mkdir_p(const char *path, mode_t mode)
{
        char buf[256];
        snprintf(buf, sizeof(buf), "%s", path);
        for (char *p = buf + 1; *p; p++)
                if (*p == '/') {
                        *p = '\0';
                        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
                                return negative_errno();
                        *p = '/';
                }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return negative_errno();
        /* mkdir honours the umask; the sticky and world bits must be exact. */
        return chmod(buf, mode) < 0 ? negative_errno() : 0;
}

static int touch(const char *path)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        return fd < 0 ? negative_errno() : safe_close(fd) + 1;
}

static int host_system_dir(const char *name)
{
        char host[64], link[256];
        snprintf(host, sizeof(host), "/%s", name);
        ssize_t n = readlink(host, link, sizeof(link) - 1);
        if (n >= 0) {
                link[n] = '\0';
                return symlink(link, name) < 0 ? negative_errno() : 0;
        }
        struct stat st;
        if (stat(host, &st) < 0 || !S_ISDIR(st.st_mode))
                return 0;
        if (mkdir(name, 0755) < 0)
                return negative_errno();
        return bind_read_only(host, name);
}

/* Inodes of the writable tmpfs, proportional to disk_mb: each costs unswappable kernel memory
 * that its size= does not count, so without a cap a million empty files end in an OOM kill
 * rather than ENOSPC. 128 per MiB is one file per 8 KiB on average (docs/security.md). */
#define INODES_PER_MB 128u
#define INODES_MIN    4096u

static unsigned long long disk_inodes(uint64_t disk_mb)
{
        unsigned long long n = (unsigned long long)disk_mb * INODES_PER_MB;
        return n < INODES_MIN ? INODES_MIN : n;
}

static int mount_disk_tmpfs(const char *path, uint64_t disk_mb)
{
        char opts[96];
        snprintf(opts, sizeof(opts), "size=%llum,nr_inodes=%llu,mode=0755",
                 (unsigned long long)disk_mb, disk_inodes(disk_mb));
        return mount("tmpfs", path, "tmpfs", MS_SAFE, opts) < 0 ? negative_errno() : 0;
}

/* The path of an fd, for calls that take paths. */
static const char *fd_path(int fd, char buf[32])
{
        snprintf(buf, 32, "/proc/self/fd/%d", fd);
        return buf;
}

/* A tmpfs of size_mb attached on the staging directory, by fds throughout; the working
 * directory becomes its root. */
static int enter_tmpfs_on(int staging_fd, uint64_t size_mb)
{
        char size[32], inodes[32];
        snprintf(size, sizeof(size), "%llum", (unsigned long long)size_mb);
        snprintf(inodes, sizeof(inodes), "%llu", disk_inodes(size_mb));
        _cleanup_close_ int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
        if (fs < 0 || fsconfig(fs, FSCONFIG_SET_STRING, "size", size, 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "nr_inodes", inodes, 0) < 0 ||
            fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0) < 0 ||
            fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return negative_errno();
        _cleanup_close_ int mnt =
            fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        if (mnt < 0 ||
            move_mount(mnt, "", staging_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) <
                0 ||
            fchdir(mnt) < 0)
                return negative_errno();
        return 0;
}

/* Host template: a small tmpfs root with the host's system directories and one writable
 * tmpfs, at ".rw" until /dev is made, for the writable directories. */
static int host_root(const struct mount_fds *fds, uint64_t disk_mb, const char **ret_step)
{
        char buf[32];
        TRY("mount the root tmpfs", enter_tmpfs_on(fds->staging, 1));
        for (size_t i = 0; i < ELEMENTSOF(host_system_dirs); i++)
                TRY("bind a system directory", host_system_dir(host_system_dirs[i]));
        TRY("mkdir /etc", mkdir("etc", 0755));
        TRY("bind /etc", bind_read_only(fd_path(fds->host_etc, buf), "etc"));
        TRY("mkdir .rw", mkdir(".rw", 0700));
        TRY("mount the writable tmpfs", mount_disk_tmpfs(".rw", disk_mb));
        TRY("mkdir .rw/shm", mkdir_p(".rw/shm", 01777));
        for (size_t i = 0; i < ELEMENTSOF(writable_dirs); i++) {
                char src[64];
                snprintf(src, sizeof(src), ".rw/%s", writable_dirs[i].source);
                TRY("mkdir a writable directory", mkdir_p(src, writable_dirs[i].mode));
                TRY("mkdir a writable mount point", mkdir_p(writable_dirs[i].path, 0755));
                TRY("bind a writable directory",
                    mount(src, writable_dirs[i].path, NULL, MS_BIND, NULL));
        }
        return 0;
}

/* Other templates: the writable tmpfs at the staging directory holds the overlay's upper
 * layer and /dev/shm; the root is the overlay at "merged". */
static int overlay_root(const struct mount_fds *fds, uint64_t disk_mb, const char **ret_step)
{
        char opts[128], buf[32];
        TRY("mount the writable tmpfs", enter_tmpfs_on(fds->staging, disk_mb));
        TRY("mkdir upper", mkdir("upper", 0755));
        TRY("mkdir work", mkdir("work", 0700));
        TRY("mkdir merged", mkdir("merged", 0755));
        TRY("mkdir shm", mkdir_p("shm", 01777));
        const char *lower = fd_path(fds->rootfs, buf);
        if (fds->rootfs_tree) {
                /* The daemon's idmapped tree, attached here for the overlay to use. */
                TRY("mkdir lower", mkdir("lower", 0755));
                TRY("attach the template's root",
                    move_mount(fds->rootfs, "", AT_FDCWD, "lower", MOVE_MOUNT_F_EMPTY_PATH));
                lower = "lower";
        }
        /* userxattr: the overlay's own bookkeeping in user.* xattrs, as a user namespace
         * may not write trusted.* ones. */
        snprintf(opts, sizeof(opts), "lowerdir=%s,upperdir=upper,workdir=work,userxattr", lower);
        TRY("mount the overlay", mount("overlay", "merged", "overlay", MS_SAFE, opts));
        TRY("enter the overlay", chdir("merged"));
        for (size_t i = 0; i < ELEMENTSOF(writable_dirs); i++)
                TRY("mkdir a writable directory",
                    mkdir_p(writable_dirs[i].path, writable_dirs[i].mode));
        return 0;
}

static int setup_dev(const char *shm_source, const char **ret_step)
{
        TRY("mkdir /dev", mkdir_p("dev", 0755));
        TRY("mount /dev",
            mount("tmpfs", "dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755"));
        for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
                char path[32], host[32];
                snprintf(path, sizeof(path), "dev/%s", dev_nodes[i]);
                snprintf(host, sizeof(host), "/dev/%s", dev_nodes[i]);
                TRY("create a device mount point", touch(path));
                /* mknod is not allowed in a user namespace; a bind of the host's node is. */
                TRY("bind a device", mount(host, path, NULL, MS_BIND, NULL));
        }
        for (size_t i = 0; i < ELEMENTSOF(dev_links); i++) {
                char path[32];
                snprintf(path, sizeof(path), "dev/%s", dev_links[i].link);
                TRY("symlink in /dev", symlink(dev_links[i].target, path));
        }
        TRY("mkdir /dev/pts", mkdir("dev/pts", 0755));
        /* A devpts of its own: the host's terminals are not reachable. */
        TRY("mount devpts", mount("devpts", "dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                                  "newinstance,ptmxmode=0666,mode=0620,max=" DEVPTS_MAX));
        TRY("mkdir /dev/shm", mkdir("dev/shm", 01777));
        TRY("bind /dev/shm", mount(shm_source, "dev/shm", NULL, MS_BIND, NULL));
        TRY("make /dev read-only",
            mount(NULL, "dev", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NOEXEC,
                  NULL));
        return 0;
}

/* Sysctls of the sandbox's own namespaces, set through its fresh /proc while root inside
 * still holds every capability in its user namespace and before /proc/sys goes read-only.
 * Inotify instances and watches count against each user namespace and then against its
 * creator, host root (the daemon): without caps of its own, one sandbox could take all of
 * root's 128 instances from the host and from every other sandbox. */
static const struct {
        const char *path;
        const char *value;
} sandbox_sysctls[] = {
    {"proc/sys/user/max_inotify_instances", INOTIFY_MAX_INSTANCES},
    {"proc/sys/user/max_inotify_watches", INOTIFY_MAX_WATCHES},
};

static int write_sysctls(void)
{
        for (size_t i = 0; i < ELEMENTSOF(sandbox_sysctls); i++) {
                _cleanup_close_ int fd = open(sandbox_sysctls[i].path, O_WRONLY | O_CLOEXEC);
                if (fd < 0 && errno == ENOENT)
                        continue; /* a kernel without that feature */
                size_t len = strlen(sandbox_sysctls[i].value);
                if (fd < 0 || write(fd, sandbox_sysctls[i].value, len) != (ssize_t)len)
                        return negative_errno();
        }
        return 0;
}

static int apply_mask(const char *path, enum mask_kind kind)
{
        struct stat st;
        if (lstat(path, &st) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (kind == MASK_READ_ONLY)
                return bind_read_only(path, path);
        if (!S_ISDIR(st.st_mode))
                return mount("dev/null", path, NULL, MS_BIND, NULL) < 0 ? negative_errno() : 0;
        if (mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_SAFE | MS_NOEXEC, "size=0,mode=0555") < 0)
                return negative_errno();
        return 0;
}

static int setup_proc_sys(const char **ret_step)
{
        TRY("mkdir /proc", mkdir_p("proc", 0555));
        TRY("mount /proc", mount("proc", "proc", "proc", MS_SAFE | MS_NOEXEC, NULL));
        TRY("set the sandbox's sysctls", write_sysctls());
        TRY("mkdir /sys", mkdir_p("sys", 0555));
        /* A sysfs of the sandbox's network namespace, read-only; where the kernel refuses
         * it, /sys stays an empty directory. */
        bool have_sys = mount("sysfs", "sys", "sysfs", MS_RDONLY | MS_SAFE | MS_NOEXEC, NULL) == 0;
        for (size_t i = 0; i < ELEMENTSOF(masks); i++) {
                if (!have_sys && strncmp(masks[i].path, "sys/", 4) == 0)
                        continue;
                TRY(masks[i].path, apply_mask(masks[i].path, masks[i].kind));
        }
        return 0;
}

static int enter_root(const char **ret_step)
{
        TRY("pivot_root", syscall(SYS_pivot_root, ".", "."));
        /* The old root is now stacked under the new one at "/": detach it. */
        TRY("detach the old root", umount2(".", MNT_DETACH));
        TRY("chdir /", chdir("/"));
        return 0;
}

static int open_dir(const char *path)
{
        return open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

int mount_open_child(const struct mount_config *cfg, int rootfs_tree, struct mount_fds *ret,
                     const char **ret_step)
{
        /* fds opened before the mount namespace was made point into the host's, where the
         * sandbox may not mount: open them here. */
        TRY("make / private", mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL));
        *ret = (struct mount_fds){.staging = -1, .host_etc = -1, .rootfs = -1};
        TRY("open the staging directory", ret->staging = open_dir(cfg->staging));
        TRY("open the host template's /etc", ret->host_etc = open_dir(cfg->host_etc));
        ret->rootfs_tree = rootfs_tree >= 0;
        if (ret->rootfs_tree)
                ret->rootfs = rootfs_tree;
        else if (cfg->rootfs)
                TRY("open the template's root", ret->rootfs = open_dir(cfg->rootfs));
        return 0;
}

int mount_setup_child(const struct mount_fds *fds, uint64_t disk_mb, const char **ret_step)
{
        bool overlay = fds->rootfs >= 0;
        int r = overlay ? overlay_root(fds, disk_mb, ret_step) : host_root(fds, disk_mb, ret_step);
        if (r >= 0)
                r = setup_dev(overlay ? "../shm" : ".rw/shm", ret_step);
        if (r >= 0)
                r = setup_proc_sys(ret_step);
        if (r < 0)
                return r;
        if (!overlay) {
                /* Its directories stay bound where they belong. */
                TRY("detach the writable tmpfs", umount2(".rw", MNT_DETACH));
                TRY("rmdir .rw", rmdir(".rw"));
        }
        r = enter_root(ret_step);
        if (r < 0)
                return r;
        /* The host template's root holds only mount points: nothing can be created beside
         * the writable directories. */
        if (!overlay)
                TRY("make / read-only",
                    mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_SAFE, NULL));
        return 0;
}
