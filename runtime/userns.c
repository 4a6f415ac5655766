/* User namespace: id maps (parent) and becoming root inside (child). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/macros.h"
#include "runtime/userns.h"

static int write_map(pid_t pid, const char *which, uint32_t base, uint32_t size)
{
        char path[64], line[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, which);
        int n = snprintf(line, sizeof(line), "0 %u %u\n", base, size);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        /* The kernel takes a map in one write or not at all. */
        if (write(fd, line, n) != n)
                return negative_errno();
        return 0;
}

int userns_write_maps(pid_t pid, uint32_t base, uint32_t size)
{
        int r = write_map(pid, "uid_map", base, size);
        return r < 0 ? r : write_map(pid, "gid_map", base, size);
}

int userns_become_root(void)
{
        if (setresgid(0, 0, 0) < 0 || setgroups(0, NULL) < 0 || setresuid(0, 0, 0) < 0)
                return negative_errno();
        return 0;
}
