/* Unit: the memory budget's accounting (supervisor/budget.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "supervisor/budget.h"

static void test_total_and_uids(void **state)
{
        struct budget b;
        budget_init(&b, 1000, 300);
        budget_update(&b, 1000, 0, 200);
        budget_update(&b, 0, 0, 500);
        assert_int_equal(b.total, 700);
        assert_int_equal(budget_uid_bytes(&b, 1000), 200);
        assert_int_equal(budget_room(&b, 1000), 100); /* its quota before the total */
        assert_int_equal(budget_room(&b, 0), 300);    /* root: the total only */
        assert_false(budget_over(&b, 1000));
        budget_update(&b, 1000, 200, 300);
        assert_true(budget_over(&b, 1000));
        assert_false(budget_over(&b, 2000));
        assert_false(budget_take_released(&b));
        budget_update(&b, 1000, 300, 0);
        assert_true(budget_take_released(&b));
        assert_false(budget_take_released(&b));
        assert_int_equal(budget_uid_bytes(&b, 1000), 0);
        assert_int_equal(b.n_uids, 1); /* an entry at zero is dropped */
        budget_update(&b, 0, 500, 1200);
        assert_true(budget_over(&b, 0));
        assert_int_equal(budget_room(&b, 2000), 0);
        budget_update(&b, 0, 1200, 0);
        assert_int_equal(b.total, 0);
        assert_int_equal(b.n_uids, 0);
        budget_done(&b);
}

static void test_no_uid_quota(void **state)
{
        struct budget b;
        budget_init(&b, 100, 0);
        budget_update(&b, 42, 0, 90);
        assert_int_equal(budget_room(&b, 42), 10);
        for (uid_t u = 1; u <= 50; u++) /* the table grows */
                budget_update(&b, 100 + u, 0, 1);
        assert_int_equal(b.n_uids, 51);
        assert_int_equal(b.total, 140);
        assert_true(budget_over(&b, 42));
        budget_done(&b);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_total_and_uids),
            cmocka_unit_test(test_no_uid_quota),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
