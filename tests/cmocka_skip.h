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

#undef skip
#define skip() (sbx_tests_skipped++, _skip(__FILE__, __LINE__))

#undef cmocka_run_group_tests
#define cmocka_run_group_tests(group_tests, group_setup, group_teardown)                           \
        (sbx_test_may_run() ? sbx_test_verdict(_cmocka_run_group_tests(                            \
                                                   #group_tests, group_tests,                      \
                                                   sizeof(group_tests) / sizeof((group_tests)[0]), \
                                                   group_setup, group_teardown),                   \
                                               sizeof(group_tests) / sizeof((group_tests)[0]))     \
                            : SBX_TEST_SKIPPED)
