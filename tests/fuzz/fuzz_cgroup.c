/* libFuzzer harness for the cgroup files the daemon parses (runtime/cgroup*.c): the input is
 * written as cgroup.controllers of a fake cgroupfs root and as cgroup.events of a fake
 * sandbox cgroup, both in a temporary directory, and read back the way the daemon reads them. A
 * key is found only on a line that starts with it. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macros.h"
#include "runtime/cgroup-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static int dir_fd = -1;

static void cleanup(void)
{
        unlinkat(dir_fd, "fz/cgroup.events", 0);
        unlinkat(dir_fd, "fz", AT_REMOVEDIR);
        unlinkat(dir_fd, "cgroup.controllers", 0);
        close(dir_fd);
        rmdir(dir);
}

static void setup(void)
{
        const char *tmp = getenv("TMPDIR");

        snprintf(dir, sizeof(dir), "%s/fuzz-cgroup.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        if (!mkdtemp(dir))
                abort();
        dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0 || mkdirat(dir_fd, "fz", 0700) < 0)
                abort();
        atexit(cleanup);
}

static void put(const char *file, const uint8_t *data, size_t size)
{
        _cleanup_close_ int fd =
            openat(dir_fd, file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

        if (fd < 0 || write(fd, data, size) != (ssize_t)size)
                abort();
}

/* Whether some line of the first 511 bytes (what cgroup_read_key reads) starts "key ". */
static bool has_key(const uint8_t *data, size_t size, const char *key)
{
        size_t klen = strlen(key), n = size < 511 ? size : 511;

        for (size_t i = 0; i < n; i++)
                if ((i == 0 || data[i - 1] == '\n') && i + klen < n &&
                    memcmp(data + i, key, klen) == 0 && data[i + klen] == ' ')
                        return true;
        return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const keys[] = {"frozen", "populated"};
        struct cgroup_root cr = {.hier_fds = {-1, -1, -1, -1, -1, -1}};
        struct cgroup cg = {.root = &cr, .name = "fz", .v2_fd = -1};
        int v;

        if (dir_fd < 0)
                setup();
        if (memchr(data, '\0', size))
                return 0; /* a kernel file holds no NUL */
        put("cgroup.controllers", data, size);
        put("fz/cgroup.events", data, size);
        if (cgroup_manager_v2.open_hierarchies(&cr, dir_fd) == 0 &&
            (cr.controllers &
             ~(unsigned)(CGROUP_LIMIT_CPU | CGROUP_LIMIT_MEMORY | CGROUP_LIMIT_PIDS |
                         CGROUP_LIMIT_FREEZE | CGROUP_LIMIT_HUGETLB)))
                abort();
        safe_close(cr.hier_fds[CGROUP_HIER_UNIFIED]);
        for (size_t h = 0; h < _CGROUP_HIER_MAX; h++)
                cr.parent_fds[h] = dir_fd;
        for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                if ((cgroup_read_key(&cg, CGROUP_HIER_UNIFIED, "cgroup.events", keys[i], &v) ==
                     0) != has_key(data, size, keys[i]))
                        abort();
        return 0;
}
