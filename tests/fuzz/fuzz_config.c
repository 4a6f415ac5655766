/* libFuzzer harness for the daemon's configuration file (supervisor/config.c). The input is
 * the file, held in a memfd and loaded through its /proc/self/fd path, so that nothing is
 * written to disk. Either it loads, within the bounds config.h states, or it fails with a
 * message; never both, never neither. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/macros.h"
#include "supervisor/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int memfd = -1;
static char path[64];

static void check_config(const struct sbx_config *cfg)
{
        const struct sbx_network *net = &cfg->network;

        if (cfg->n_templates < 1 || strcmp(cfg->templates[0].name, "host") != 0 ||
            cfg->templates[0].rootfs || config_find_template(cfg, "host") != &cfg->templates[0] ||
            cfg->default_timeout_s > CONFIG_MAX_TIMEOUT_S || !cfg->cgroup_root ||
            !cfg->cgroup_parent || net->n_dns > CONFIG_MAX_DNS || net->prefixlen < 16 ||
            net->prefixlen > 30 || !net->bridge || !net->nft_table ||
            cfg->uid_pool.start + cfg->uid_pool.size * cfg->uid_pool.count > UINT32_MAX)
                abort();
        for (size_t i = 1; i < cfg->n_templates; i++)
                if (!cfg->templates[i].rootfs || cfg->templates[i].rootfs[0] != '/' ||
                    config_find_template(cfg, cfg->templates[i].name) != &cfg->templates[i])
                        abort();
        for (size_t i = 0; i < net->n_dns; i++)
                if (!net->dns[i])
                        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *error = NULL;
        struct sbx_config cfg = {};
        int r;

        if (memfd < 0) {
                memfd = memfd_create("fuzz-config", MFD_CLOEXEC);
                if (memfd < 0)
                        abort();
                snprintf(path, sizeof(path), "/proc/self/fd/%d", memfd);
        }
        if (ftruncate(memfd, 0) < 0 || pwrite(memfd, data, size, 0) != (ssize_t)size)
                abort();
        r = config_load(path, &cfg, &error);
        if (r < 0) {
                if (!error || !error[0])
                        abort();
                return 0;
        }
        if (error)
                abort();
        check_config(&cfg);
        config_done(&cfg);
        return 0;
}
