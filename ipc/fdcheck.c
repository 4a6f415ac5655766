/* fd_check_stdio(): the kind of a client's descriptor, without asking its filesystem. */
#include "ipc/fdcheck.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "common/macros.h"

/* Character devices a process's stdio may be: memory devices that hand out nothing of the
 * host, and terminals (the client's own; TIOCSTI is denied in the sandbox by seccomp). */
static const struct {
        unsigned major, minor_min, minor_max;
} stdio_chardevs[] = {
    {1, 3, 3},     /* null */
    {1, 5, 5},     /* zero */
    {1, 7, 9},     /* full, random, urandom */
    {4, 0, 255},   /* virtual consoles, serial ports */
    {5, 0, 2},     /* tty, console, ptmx */
    {136, 0, ~0u}, /* pseudo-terminals (136..143) */
    {137, 0, ~0u}, {138, 0, ~0u}, {139, 0, ~0u}, {140, 0, ~0u},
    {141, 0, ~0u}, {142, 0, ~0u}, {143, 0, ~0u},
};

static bool chardev_ok(unsigned major, unsigned minor)
{
        for (size_t i = 0; i < ELEMENTSOF(stdio_chardevs); i++)
                if (stdio_chardevs[i].major == major && minor >= stdio_chardevs[i].minor_min &&
                    minor <= stdio_chardevs[i].minor_max)
                        return true;
        return false;
}

/* The filesystem type of mount mnt_id, from /proc/self/mountinfo ("ID PARENT MAJ:MIN ROOT
 * POINT OPTIONS [TAGS...] - TYPE SOURCE SUPER"), which reads no filesystem. */
static int mount_fstype_in(const char *mountinfo, uint64_t mnt_id, char *ret, size_t size)
{
        _cleanup_fclose_ FILE *f = fopen(mountinfo, "re");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        if (!f)
                return negative_errno();
        while (getline(&line, &cap, f) > 0) {
                char *end = NULL, *sep;
                uint64_t id = strtoull(line, &end, 10);
                if (end == line || id != mnt_id || !(sep = strstr(line, " - ")))
                        continue;
                sep += 3;
                size_t n = strcspn(sep, " \n");
                if (n == 0 || n >= size)
                        return -ENOTSUP;
                memcpy(ret, sep, n);
                ret[n] = '\0';
                return 0;
        }
        return -ENOTSUP;
}

/* Mount ids are unique across mount namespaces, so any view that lists the id tells its type:
 * ours, else the client's (a hardened daemon has a namespace of its own; the client's files
 * are on its mounts). Neither: nothing known, nothing trusted. */
static int mount_fstype(uint64_t mnt_id, pid_t peer, char *ret, size_t size)
{
        char path[64];
        int r = mount_fstype_in("/proc/self/mountinfo", mnt_id, ret, size);
        if (r != -ENOTSUP || peer <= 0)
                return r;
        snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)peer);
        r = mount_fstype_in(path, mnt_id, ret, size);
        return r == -ENOENT || r == -EACCES ? -ENOTSUP : r;
}

/* fuse, fuseblk, fuse.sshfs ...: every close() of such a file waits for the server's FLUSH. */
static int regular_ok(uint64_t mnt_id, pid_t peer)
{
        char type[64];
        int r = mount_fstype(mnt_id, peer, type, sizeof(type));
        if (r < 0)
                return r;
        return strncmp(type, "fuse", 4) == 0 ? -EREMOTE : 0;
}

int fd_check_stdio(int fd, pid_t peer)
{
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0)
                return negative_errno();
        if (fl & O_PATH)
                return -EBADFD;
        struct statx stx;
        /* DONT_SYNC: FUSE answers from its cache and never asks its server. */
        if (statx(fd, "", AT_EMPTY_PATH | AT_STATX_DONT_SYNC, STATX_TYPE | STATX_MNT_ID, &stx) < 0)
                return negative_errno();
        switch (stx.stx_mode & S_IFMT) {
        case S_IFIFO:
        case S_IFSOCK:
                return 0;
        case S_IFCHR:
                return chardev_ok(stx.stx_rdev_major, stx.stx_rdev_minor) ? 0 : -ENODEV;
        case S_IFDIR:
                return -EISDIR;
        case S_IFREG:
                return stx.stx_mask & STATX_MNT_ID ? regular_ok(stx.stx_mnt_id, peer) : -ENOTSUP;
        case S_IFBLK:
                return -ENODEV;
        default:
                return -ENOTSUP;
        }
}
