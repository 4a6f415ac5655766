/* Unit tests of the uid range pool. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "supervisor/uidpool.h"

static void test_take_release(void **state)
{
        struct sbx_uid_pool cfg = {.start = 100000, .size = 65536, .count = 3};
        struct uid_pool p;
        uint32_t a, b, c, d;
        assert_int_equal(uidpool_init(&p, &cfg), 0);
        assert_int_equal(uidpool_take(&p, &a), 0);
        assert_int_equal(uidpool_take(&p, &b), 0);
        assert_int_equal(uidpool_take(&p, &c), 0);
        assert_int_equal(a, 100000);
        assert_int_equal(b, 100000 + 65536);
        assert_int_equal(c, 100000 + 2 * 65536);
        assert_int_equal(uidpool_take(&p, &d), -ENOSPC);
        uidpool_release(&p, b);
        assert_int_equal(uidpool_take(&p, &d), 0);
        assert_int_equal(d, b);
        uidpool_done(&p);
}

static void test_next_fit(void **state)
{
        struct sbx_uid_pool cfg = {.start = 65536, .size = 10, .count = 4};
        struct uid_pool p;
        uint32_t a, b;
        assert_int_equal(uidpool_init(&p, &cfg), 0);
        assert_int_equal(uidpool_take(&p, &a), 0);
        uidpool_release(&p, a);
        /* A range given back is not the next one handed out. */
        assert_int_equal(uidpool_take(&p, &b), 0);
        assert_int_not_equal(a, b);
        uidpool_done(&p);
}

static void test_claim(void **state)
{
        struct sbx_uid_pool cfg = {.start = 65536, .size = 100, .count = 4};
        struct uid_pool p;
        uint32_t a;
        assert_int_equal(uidpool_init(&p, &cfg), 0);
        assert_int_equal(uidpool_claim(&p, 65536 + 200), 0);
        assert_int_equal(uidpool_claim(&p, 65536 + 200), -EBUSY);
        assert_int_equal(uidpool_claim(&p, 65536 + 201), -EINVAL);
        assert_int_equal(uidpool_claim(&p, 65536 + 400), -EINVAL);
        assert_int_equal(uidpool_claim(&p, 100), -EINVAL);
        for (int i = 0; i < 3; i++) {
                assert_int_equal(uidpool_take(&p, &a), 0);
                assert_int_not_equal(a, 65536 + 200);
        }
        assert_int_equal(uidpool_take(&p, &a), -ENOSPC);
        uidpool_release(&p, 65536 + 201); /* not a range start: ignored */
        assert_int_equal(uidpool_take(&p, &a), -ENOSPC);
        uidpool_done(&p);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_take_release),
            cmocka_unit_test(test_next_fit),
            cmocka_unit_test(test_claim),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
