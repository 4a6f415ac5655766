/* libFuzzer harness for the host's resolv.conf as the daemon rewrites it for sandboxes
 * (runtime/hostetc.c). The input is the host file, in a memfd; the result goes to a temporary
 * directory. What a sandbox must get: no nameserver it cannot reach (loopback, IPv6, not an
 * address), and at least one nameserver, the fallback when the host has none usable. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/macros.h"
#include "runtime/hostetc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64], out[96], src[64];
static int memfd = -1;

static void cleanup(void)
{
        unlink(out);
        rmdir(dir);
}

static void setup(void)
{
        const char *tmp = getenv("TMPDIR");

        snprintf(dir, sizeof(dir), "%s/fuzz-resolv.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        memfd = memfd_create("fuzz-resolv", MFD_CLOEXEC);
        if (!mkdtemp(dir) || memfd < 0)
                abort();
        snprintf(out, sizeof(out), "%s/resolv.conf", dir);
        snprintf(src, sizeof(src), "/proc/self/fd/%d", memfd);
        atexit(cleanup);
}

static bool reachable(const char *addr)
{
        struct in_addr a;

        return inet_pton(AF_INET, addr, &a) == 1 && a.s_addr != 0 && (ntohl(a.s_addr) >> 24) != 127;
}

/* Every nameserver line of the result is usable, and there is one. */
static void check_output(void)
{
        _cleanup_fclose_ FILE *f = fopen(out, "re");
        _cleanup_free_ char *line = NULL;
        size_t cap = 0, usable = 0;
        char addr[64];

        if (!f)
                abort();
        while (getline(&line, &cap, f) >= 0) {
                if (sscanf(line, " nameserver %63s", addr) != 1)
                        continue;
                if (!reachable(addr))
                        abort();
                usable++;
        }
        if (usable == 0)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        static const char *const fallback[] = {"192.0.2.53"};

        if (memfd < 0)
                setup();
        if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
                abort();
        if (hostetc_resolv_conf(src, dir, fallback, ELEMENTSOF(fallback)) < 0)
                abort();
        check_output();
        return 0;
}
