/* Skips that ctest sees. cmocka counts a test that calls skip() as not failed, so a binary
 * whose tests all skipped would exit 0 and ctest would call it passed. Every cmocka test is
 * compiled with this header forced in first (-include, see the sbx_*_test functions in the
 * CMake files): skip() is counted, and cmocka_run_group_tests() exits 77 (SKIP_RETURN_CODE)
 * when a test skipped and none failed. Tests that need root (integration, security: built
 * with SBX_TEST_NEEDS_ROOT) skip whole, with 77, when not run as root. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define SBX_TEST_SKIPPED 77

static int sbx_tests_skipped __attribute__((unused));

static inline int sbx_test_verdict(int failed, size_t n_tests)
{
        if (failed == 0 && sbx_tests_skipped > 0) {
                printf("[  SKIPPED ] %d of %zu tests skipped (the rest passed): reported as "
                       "skipped\n",
                       sbx_tests_skipped, n_tests);
                return SBX_TEST_SKIPPED;
        }
        return failed;
}

/* SBX_TEST_ONLY / SBX_TEST_EXCEPT: run only, or all but, the cases named there (separated by
 * '|'), so that a case needing what some hosts lack is a ctest entry of its own
 * (sbx_test_own_entry in CMakeLists.txt): its skip never hides the other cases passing. */
static inline int sbx_test_named(const char *name, const char *list)
{
        size_t len = strlen(name);
        for (const char *p = list; p; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL)
                if (strncmp(p, name, len) == 0 && (p[len] == '|' || p[len] == '\0'))
                        return 1;
        return 0;
}

static inline size_t sbx_test_select(struct CMUnitTest *tests, size_t n)
{
        const char *only = getenv("SBX_TEST_ONLY"), *except = getenv("SBX_TEST_EXCEPT");
        size_t kept = 0;
        for (size_t i = 0; i < n; i++)
                if ((!only || sbx_test_named(tests[i].name, only)) &&
                    (!except || !sbx_test_named(tests[i].name, except)))
                        tests[kept++] = tests[i];
        return kept;
}

static inline int sbx_test_may_run(void)
{
#ifdef SBX_TEST_NEEDS_ROOT
        if (geteuid() != 0) {
                printf("[  SKIPPED ] this test drives a real sandboxd, which needs root\n");
                return 0;
        }
#endif
        return 1;
}

static inline int sbx_test_run(const char *name, const struct CMUnitTest *group, size_t n,
                               CMFixtureFunction setup, CMFixtureFunction teardown)
{
        struct CMUnitTest tests[n];
        memcpy(tests, group, sizeof(tests));
        n = sbx_test_select(tests, n);
        if (!sbx_test_may_run())
                return SBX_TEST_SKIPPED;
        return sbx_test_verdict(_cmocka_run_group_tests(name, tests, n, setup, teardown), n);
}

#undef skip
#define skip() (sbx_tests_skipped++, _skip(__FILE__, __LINE__))

#undef cmocka_run_group_tests
#define cmocka_run_group_tests(group_tests, group_setup, group_teardown)                           \
        sbx_test_run(#group_tests, group_tests, sizeof(group_tests) / sizeof((group_tests)[0]),    \
                     group_setup, group_teardown)
