/* Unit tests of the egress policy (supervisor/egress.c): entries, lists, matching of names,
 * what counts as the host's networks, and the configuration keys. */
#include <arpa/inet.h>
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
#include "supervisor/egress.h"

static const char *canon(const char *text)
{
        static struct egress_entry e;
        return egress_entry_parse(text, &e) == 0 ? e.text : NULL;
}

static void test_entries(void **state)
{
        static const struct {
                const char *in, *out; /* out NULL: refused */
        } cases[] = {
            {"10.0.0.0/8", "10.0.0.0/8"},
            {"203.0.113.7", "203.0.113.7/32"},
            {"0.0.0.0/0", "0.0.0.0/0"},
            {"2001:DB8::/32", "2001:db8::/32"},
            {"::1", "::1/128"},
            {"::/0", "::/0"},
            {"Example.COM", "example.com"},
            {"example.com.", "example.com"},
            {"*.example.com", "*.example.com"},
            {"a-b_c.test", "a-b_c.test"},
            {"10.0.0.1/8", NULL},  /* host bits */
            {"10.0.0.0/33", NULL}, /* prefix */
            {"10.0.0.0/", NULL},
            {"10.0.0.0/+8", NULL},
            {"10.0.0", NULL},
            {"256.0.0.0/8", NULL},
            {"2001:db8::1/32", NULL},
            {"2001:db8::/129", NULL},
            {"", NULL},
            {"a..b", NULL},
            {".example.com", NULL},
            {"-a.example.com", NULL},
            {"a-.example.com", NULL},
            {"*example.com", NULL},
            {"a.*.example.com", NULL},
            {"*.", NULL},
            {"1.2.3", NULL},
            {"example.123", NULL}, /* the last label all digits: not a name */
            {"exa mple.com", NULL},
            {"example.com/8", NULL},
        };
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                const char *got = canon(cases[i].in);
                if (cases[i].out == NULL && got != NULL)
                        fail_msg("%s accepted as %s", cases[i].in, got);
                if (cases[i].out && (!got || strcmp(got, cases[i].out) != 0))
                        fail_msg("%s: %s, not %s", cases[i].in, got ? got : "refused",
                                 cases[i].out);
        }
        char long_label[80];
        memset(long_label, 'a', 64);
        strcpy(long_label + 64, ".test");
        assert_null(canon(long_label));
        char long_name[300] = "";
        for (int i = 0; i < 26; i++)
                strcat(long_name, "abcdefghi.");
        strcat(long_name, "test");
        assert_null(canon(long_name)); /* 264 characters */
}

static int parse(const char *json, struct egress_policy **ret, struct rpc_error *err)
{
        json_object *o = json_tokener_parse(json);
        assert_non_null(o);
        int r = egress_policy_parse(o, "network", ret, err);
        json_object_put(o);
        return r;
}

static void test_policy(void **state)
{
        struct egress_policy *p = NULL;
        struct rpc_error err = {0};
        assert_int_equal(parse("{\"allow_out\": [\"192.168.1.0/24\", \"*.example.com\"], "
                               "\"deny_out\": [\"0.0.0.0/0\"]}",
                               &p, &err),
                         0);
        assert_int_equal(p->allow.n, 2);
        assert_int_equal(p->deny.n, 1);
        assert_true(p->has_domains);
        json_object *j = egress_policy_json(p);
        assert_string_equal(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN |
                                                                  JSON_C_TO_STRING_NOSLASHESCAPE),
                            "{\"allow_out\":[\"192.168.1.0/24\",\"*.example.com\"],"
                            "\"deny_out\":[\"0.0.0.0/0\"]}");
        json_object_put(j);
        char *a4 = egress_elements(&p->allow, EGRESS_V4, "10.200.0.5 . "),
             *d6 = egress_elements(&p->deny, EGRESS_V6, "");
        assert_string_equal(a4, "10.200.0.5 . 192.168.1.0/24");
        assert_string_equal(d6, "");
        free(a4);
        free(d6);
        assert_non_null(egress_policy_private(p));
        egress_policy_free(p);

        assert_int_equal(parse("{}", &p, &err), 0);
        assert_int_equal(p->allow.n + p->deny.n, 0);
        assert_false(p->has_domains);
        egress_policy_free(p);
}

static void expect_invalid(const char *json, const char *field)
{
        struct egress_policy *p = NULL;
        struct rpc_error err = {0};
        assert_int_equal(parse(json, &p, &err), RPC_INVALID_ARGUMENT);
        assert_null(p);
        assert_string_equal(err.field, field);
}

/* Nested CIDRs: only the outer one goes to the set (overlapping intervals are refused). */
static void test_elements_nested(void **state)
{
        struct egress_policy *p = NULL;
        struct rpc_error err = {0};
        assert_int_equal(parse("{\"allow_out\": [\"10.1.0.0/16\", \"10.0.0.0/8\", \"10.0.0.0/8\", "
                               "\"11.0.0.1\", \"x.test\", \"::/0\"]}",
                               &p, &err),
                         0);
        char *a4 = egress_elements(&p->allow, EGRESS_V4, "");
        assert_string_equal(a4, "10.0.0.0/8, 11.0.0.1/32");
        free(a4);
        egress_policy_free(p);
}

static void test_policy_invalid(void **state)
{
        expect_invalid("[]", "network");
        expect_invalid("{\"allow\": []}", "network");
        expect_invalid("{\"allow_out\": \"10.0.0.0/8\"}", "network.allow_out");
        expect_invalid("{\"allow_out\": [1]}", "network.allow_out");
        expect_invalid("{\"deny_out\": [\"10.0.0.1/8\"]}", "network.deny_out");
        expect_invalid("{\"deny_out\": [null]}", "network.deny_out");
        char json[2048] = "{\"allow_out\": [";
        for (int i = 0; i <= EGRESS_MAX_ENTRIES; i++)
                snprintf(json + strlen(json), sizeof(json) - strlen(json), "%s\"a%d.test\"",
                         i ? "," : "", i);
        strcat(json, "]}");
        expect_invalid(json, "network.allow_out");
}

static void test_names(void **state)
{
        struct egress_entry exact, wild;
        assert_int_equal(egress_entry_parse("example.com", &exact), 0);
        assert_int_equal(egress_entry_parse("*.example.com", &wild), 0);
        assert_true(egress_domain_match(&exact, "example.com"));
        assert_true(egress_domain_match(&exact, "EXAMPLE.com."));
        assert_false(egress_domain_match(&exact, "www.example.com"));
        assert_false(egress_domain_match(&exact, "badexample.com"));
        assert_true(egress_domain_match(&wild, "www.example.com"));
        assert_true(egress_domain_match(&wild, "a.b.example.com"));
        assert_false(egress_domain_match(&wild, "example.com"));
        assert_false(egress_domain_match(&wild, "wwwexample.com"));
        assert_false(egress_domain_match(&wild, "example.com.evil.test"));

        struct egress_policy *p = NULL;
        struct rpc_error err = {0};
        assert_int_equal(
            parse("{\"allow_out\": [\"ok.test\"], \"deny_out\": [\"no.test\"]}", &p, &err), 0);
        assert_int_equal(egress_name_verdict(p, "ok.test"), 1);
        assert_int_equal(egress_name_verdict(p, "no.test"), -1);
        assert_int_equal(egress_name_verdict(p, "other.test"), -1); /* names are an allow-list */
        egress_policy_free(p);
        assert_int_equal(parse("{\"deny_out\": [\"*.no.test\"]}", &p, &err), 0);
        assert_int_equal(egress_name_verdict(p, "a.no.test"), -1);
        assert_int_equal(egress_name_verdict(p, "other.test"), 0); /* answered, not opened */
        egress_policy_free(p);
}

static bool denied4(const char *text)
{
        struct in_addr a;
        assert_int_equal(inet_pton(AF_INET, text, &a), 1);
        return egress_addr_denied_by_default(AF_INET, &a);
}

static bool denied6(const char *text)
{
        struct in6_addr a;
        assert_int_equal(inet_pton(AF_INET6, text, &a), 1);
        return egress_addr_denied_by_default(AF_INET6, &a);
}

static void test_default_denies(void **state)
{
        static const char *const denied[] = {
            "10.1.2.3",  "172.16.0.1",      "172.31.255.255", "192.168.0.1",
            "127.0.0.1", "169.254.169.254", "100.64.0.1",     "100.127.255.255",
            "224.0.0.1", "255.255.255.255", "0.0.0.0",        "198.18.0.1",
        };
        static const char *const public[] = {"1.1.1.1",     "172.32.0.1",   "100.128.0.1",
                                             "203.0.113.7", "198.51.100.7", "8.8.8.8"};
        for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
                if (!denied4(denied[i]))
                        fail_msg("%s is not denied", denied[i]);
        for (size_t i = 0; i < sizeof(public) / sizeof(public[0]); i++)
                if (denied4(public[i]))
                        fail_msg("%s is denied", public[i]);
        assert_true(denied6("::1"));
        assert_true(denied6("fe80::1"));
        assert_true(denied6("fd00::1"));
        assert_true(denied6("ff02::1"));
        assert_true(denied6("::ffff:10.0.0.1"));
        assert_false(denied6("2606:4700::1111"));

        struct egress_entry e;
        assert_int_equal(egress_entry_parse("0.0.0.0/0", &e), 0);
        assert_true(egress_entry_private(&e)); /* covers them all */
        assert_int_equal(egress_entry_parse("11.0.0.0/8", &e), 0);
        assert_false(egress_entry_private(&e));
        assert_int_equal(egress_entry_parse("example.com", &e), 0);
        assert_false(egress_entry_private(&e));
        assert_non_null(strstr(egress_default_elements(AF_INET), "169.254.0.0/16"));
        assert_non_null(strstr(egress_default_elements(AF_INET6), "fe80::/10"));
}

static int load(const char *json, struct sbx_config *cfg)
{
        char path[] = "/tmp/test_egress.XXXXXX";
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

static void test_config(void **state)
{
        struct sbx_config cfg;
        assert_int_equal(config_load(NULL, &cfg, NULL), 0);
        assert_int_equal(cfg.network.conntrack_max, 4096);
        assert_false(cfg.network.caller_may_allow_private);
        assert_null(cfg.network.egress_default);
        config_done(&cfg);
        assert_int_equal(load("{\"allow_out\": [\"10.1.0.0/16\"], \"deny_out\": [\"*.ads.test\"], "
                              "\"conntrack_max\": 100, \"caller_may_allow_private\": true}",
                              &cfg),
                         0);
        assert_int_equal(cfg.network.conntrack_max, 100);
        assert_true(cfg.network.caller_may_allow_private);
        assert_string_equal(
            json_object_to_json_string_ext(cfg.network.egress_default,
                                           JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE),
            "{\"allow_out\":[\"10.1.0.0/16\"],\"deny_out\":[\"*.ads.test\"]}");
        config_done(&cfg);
        assert_int_equal(load("{\"allow_out\": [\"10.1.0.1/16\"]}", &cfg), -EINVAL);
        assert_int_equal(load("{\"deny_out\": \"x.test\"}", &cfg), -EINVAL);
        assert_int_equal(load("{\"conntrack_max\": 0}", &cfg), -EINVAL);
        assert_int_equal(load("{\"caller_may_allow_private\": 1}", &cfg), -EINVAL);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_entries),        cmocka_unit_test(test_policy),
            cmocka_unit_test(test_policy_invalid), cmocka_unit_test(test_elements_nested),
            cmocka_unit_test(test_names),          cmocka_unit_test(test_default_denies),
            cmocka_unit_test(test_config),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
