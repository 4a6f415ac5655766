/* Unit tests of the sandbox address pool, and of the "network" configuration it is built from. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "supervisor/config.h"
#include "supervisor/netpool.h"

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

/* A /29 has 8 addresses: the network, the gateway, 5 for sandboxes, the broadcast. */
static void test_bounds(void **state)
{
        struct net_pool p;
        uint32_t a[6];
        assert_int_equal(netpool_init(&p, IP4(198, 51, 100, 8), 29), 0);
        assert_int_equal(netpool_gateway(IP4(198, 51, 100, 8)), IP4(198, 51, 100, 9));
        for (int i = 0; i < 5; i++) {
                assert_int_equal(netpool_take(&p, &a[i]), 0);
                assert_int_equal(a[i], IP4(198, 51, 100, 10 + i));
        }
        assert_int_equal(netpool_take(&p, &a[5]), -ENOSPC);
        netpool_release(&p, a[2]);
        assert_int_equal(netpool_take(&p, &a[5]), 0);
        assert_int_equal(a[5], a[2]);
        netpool_done(&p);
}

static void test_next_fit(void **state)
{
        struct net_pool p;
        uint32_t a, b;
        assert_int_equal(netpool_init(&p, IP4(10, 200, 0, 0), 16), 0);
        assert_int_equal(p.count, 65533);
        assert_int_equal(netpool_take(&p, &a), 0);
        assert_int_equal(a, IP4(10, 200, 0, 2));
        netpool_release(&p, a);
        /* An address given back is not the next one handed out. */
        assert_int_equal(netpool_take(&p, &b), 0);
        assert_int_not_equal(a, b);
        netpool_done(&p);
}

static void test_release_ignores_strangers(void **state)
{
        struct net_pool p;
        uint32_t a, b;
        assert_int_equal(netpool_init(&p, IP4(198, 51, 100, 0), 30), 0);
        assert_int_equal(p.count, 1);
        assert_int_equal(netpool_take(&p, &a), 0);
        netpool_release(&p, IP4(198, 51, 100, 1)); /* the gateway */
        netpool_release(&p, IP4(198, 51, 100, 3)); /* the broadcast address */
        netpool_release(&p, IP4(203, 0, 113, 2));
        assert_int_equal(netpool_take(&p, &b), -ENOSPC);
        netpool_release(&p, a);
        netpool_release(&p, a); /* twice: the second is ignored */
        assert_int_equal(p.n_used, 0);
        netpool_done(&p);
}

static void test_claim(void **state)
{
        struct net_pool p;
        uint32_t a;
        assert_int_equal(netpool_init(&p, IP4(198, 51, 100, 0), 29), 0);
        assert_int_equal(netpool_claim(&p, IP4(198, 51, 100, 3)), 0);
        assert_int_equal(netpool_claim(&p, IP4(198, 51, 100, 3)), -EBUSY);
        assert_int_equal(netpool_claim(&p, IP4(198, 51, 100, 1)), -EINVAL); /* the gateway */
        assert_int_equal(netpool_claim(&p, IP4(198, 51, 100, 7)), -EINVAL); /* broadcast */
        for (int i = 0; i < 4; i++) {
                assert_int_equal(netpool_take(&p, &a), 0);
                assert_int_not_equal(a, IP4(198, 51, 100, 3));
        }
        assert_int_equal(netpool_take(&p, &a), -ENOSPC);
        netpool_done(&p);
}

static void test_init_rejects(void **state)
{
        struct net_pool p;
        assert_int_equal(netpool_init(&p, IP4(198, 51, 100, 1), 24), -EINVAL); /* host bits */
        assert_int_equal(netpool_init(&p, IP4(198, 51, 100, 0), 31), -EINVAL);
        assert_int_equal(netpool_init(&p, IP4(198, 51, 100, 0), 0), -EINVAL);
}

/* Loads a configuration of one "network" member; 0 or -EINVAL. */
static int load_network(const char *json, struct sbx_config *cfg)
{
        char path[] = "/tmp/test_netpool.XXXXXX";
        int fd = mkstemp(path);
        assert_true(fd >= 0);
        FILE *f = fdopen(fd, "w");
        fprintf(f, "{\"network\": %s}\n", json);
        fclose(f);
        char *msg = NULL;
        int r = config_load(path, cfg, &msg);
        unlink(path);
        free(msg);
        return r;
}

static void test_config_defaults(void **state)
{
        struct sbx_config cfg;
        assert_int_equal(config_load(NULL, &cfg, NULL), 0);
        assert_string_equal(cfg.network.bridge, "sbx0");
        assert_int_equal(cfg.network.subnet, IP4(10, 200, 0, 0));
        assert_int_equal(cfg.network.prefixlen, 16);
        assert_int_equal(cfg.network.n_dns, 1);
        assert_string_equal(cfg.network.dns[0], "1.1.1.1");
        assert_string_equal(cfg.network.nft_table, "sandboxd");
        config_done(&cfg);
}

static void test_config_network(void **state)
{
        struct sbx_config cfg;
        assert_int_equal(load_network("{\"bridge\": \"sbxt0\", \"subnet\": \"198.51.100.0/24\", "
                                      "\"dns\": [\"192.0.2.53\", \"192.0.2.54\"], "
                                      "\"nft_table\": \"sandboxd_test\", \"linger\": 0}",
                                      &cfg),
                         0);
        assert_string_equal(cfg.network.bridge, "sbxt0");
        assert_int_equal(cfg.network.subnet, IP4(198, 51, 100, 0));
        assert_int_equal(cfg.network.prefixlen, 24);
        assert_int_equal(cfg.network.n_dns, 2);
        assert_string_equal(cfg.network.dns[1], "192.0.2.54");
        assert_string_equal(cfg.network.nft_table, "sandboxd_test");
        assert_int_equal(cfg.network.linger_s, 0);
        config_done(&cfg);
}

static void test_config_rejects(void **state)
{
        static const char *const bad[] = {
            "{\"bridge\": \"\"}",
            "{\"bridge\": \"a-name-too-long-0\"}",
            "{\"bridge\": \"br 0\"}",
            "{\"bridge\": \"br\\\"0\"}",
            "{\"subnet\": \"198.51.100.1/24\"}", /* host bits */
            "{\"subnet\": \"198.51.100.0/31\"}",
            "{\"subnet\": \"10.0.0.0/8\"}",
            "{\"subnet\": \"198.51.100.0\"}",
            "{\"subnet\": \"198.51.100.0/24x\"}",
            "{\"subnet\": \"2001:db8::/64\"}",
            "{\"dns\": []}",
            "{\"dns\": [\"1.1.1.1\", \"1.1.1.2\", \"1.1.1.3\", \"1.1.1.4\"]}",
            "{\"dns\": [\"::1\"]}",
            "{\"dns\": \"1.1.1.1\"}",
            "{\"nft_table\": \"1abc\"}",
            "{\"nft_table\": \"a b\"}",
            "{\"linger\": 3601}",
            "{\"bridges\": \"sbx0\"}",
        };
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct sbx_config cfg;
                if (load_network(bad[i], &cfg) != -EINVAL)
                        fail_msg("accepted: %s", bad[i]);
        }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_bounds),
            cmocka_unit_test(test_next_fit),
            cmocka_unit_test(test_release_ignores_strangers),
            cmocka_unit_test(test_claim),
            cmocka_unit_test(test_init_rejects),
            cmocka_unit_test(test_config_defaults),
            cmocka_unit_test(test_config_network),
            cmocka_unit_test(test_config_rejects),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
