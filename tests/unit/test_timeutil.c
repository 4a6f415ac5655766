/* Unit tests of supervisor/timeutil: RFC 3339 both ways, and the clocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "common/macros.h"
#include "supervisor/timeutil.h"

static void check_format(int64_t us, const char *want)
{
        char buf[RFC3339_LEN];

        format_rfc3339(us, buf);
        assert_string_equal(buf, want);
}

static void test_format(void **state)
{
        check_format(0, "1970-01-01T00:00:00.000000Z");
        check_format(1, "1970-01-01T00:00:00.000001Z");
        check_format(-1, "1969-12-31T23:59:59.999999Z");
        check_format(1795341600123456LL, "2026-11-22T10:00:00.123456Z");
        check_format(951782400000000LL, "2000-02-29T00:00:00.000000Z");
        check_format(4107542400000000LL, "2100-03-01T00:00:00.000000Z");
        /* Clamped to what four year digits can say. */
        check_format(INT64_MAX, "9999-12-31T23:59:59.999999Z");
        check_format(INT64_MIN, "0000-01-01T00:00:00.000000Z");
}

static void check_parse(const char *text, int64_t want)
{
        int64_t us = 42;

        if (parse_rfc3339(text, &us) != 0)
                fail_msg("rejected: %s", text);
        if (us != want)
                fail_msg("%s: got %lld, want %lld", text, (long long)us, (long long)want);
}

static void test_parse(void **state)
{
        check_parse("1970-01-01T00:00:00Z", 0);
        check_parse("2026-11-22T10:00:00.123456Z", 1795341600123456LL);
        check_parse("2026-11-22t10:00:00.123456z", 1795341600123456LL);
        check_parse("2026-11-22 10:00:00.123456Z", 1795341600123456LL);
        /* Fractions: fewer digits scale up, more than six are truncated. */
        check_parse("1970-01-01T00:00:01.5Z", 1500000);
        check_parse("1970-01-01T00:00:01.000001Z", 1000001);
        check_parse("1970-01-01T00:00:01.123456789Z", 1123456);
        /* Offsets east are subtracted, offsets west added. */
        check_parse("1970-01-01T01:00:00+01:00", 0);
        check_parse("1969-12-31T19:00:00-05:00", 0);
        check_parse("1970-01-01T05:30:00+05:30", 0);
        check_parse("1970-01-01T00:00:00-00:00", 0);
        check_parse("2026-11-22T12:00:00.123456+02:00", 1795341600123456LL);
        /* Leap years: 2000 and 2024 are, 1900 and 2100 are not. */
        check_parse("2000-02-29T00:00:00Z", 951782400000000LL);
        check_parse("2024-02-29T00:00:00Z", 1709164800000000LL);
        check_parse("1969-12-31T23:59:59Z", -1000000);
        check_parse("0000-01-01T00:00:00Z", -62167219200000000LL);
        check_parse("9999-12-31T23:59:59.999999Z", 253402300799999999LL);
        /* A leap second counts as the next second, as POSIX time does. */
        check_parse("2016-12-31T23:59:60Z", 1483228800000000LL);
}

static void test_parse_rejects(void **state)
{
        static const char *const bad[] = {
            "",
            "2026-11-22",
            "2026-11-22T10:00:00",             /* no zone */
            "2026-11-22T10:00Z",               /* no seconds */
            "2026-11-22T10:00:00.Z",           /* empty fraction */
            "2026-11-22T10:00:00.1234567890Z", /* ten digits */
            "2026-13-01T00:00:00Z",
            "2026-00-01T00:00:00Z",
            "2026-11-00T00:00:00Z",
            "2026-11-31T00:00:00Z",
            "1900-02-29T00:00:00Z",
            "2100-02-29T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2026-11-22T24:00:00Z",
            "2026-11-22T10:60:00Z",
            "2026-11-22T10:00:61Z",
            "2026-11-22T10:00:00+24:00",
            "2026-11-22T10:00:00+01:60",
            "2026-11-22T10:00:00+0100",
            "2026-11-22T10:00:00+01",
            " 2026-11-22T10:00:00Z",
            "2026-11-22T10:00:00Z ",
            "2026-11-22T10:00:00Zjunk",
            "2026-11-22X10:00:00Z",
            "26-11-22T10:00:00Z",
            "+2026-11-22T10:00:00Z",
            "2026-1-22T10:00:00Z",
            "2026-11-22T1:00:00Z",
            "１９７０-01-01T00:00:00Z",
            /* Instants before year 0000 or past 9999 in UTC: they would not print back. */
            "0000-01-01T00:00:00+00:01",
            "9999-12-31T23:59:59.999999-00:01",
        };

        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                int64_t us = 42;

                if (parse_rfc3339(bad[i], &us) != -EINVAL)
                        fail_msg("accepted: \"%s\"", bad[i]);
                assert_int_equal(us, 42); /* untouched */
        }
        assert_int_equal(parse_rfc3339(NULL, NULL), -EINVAL);
}

static void test_round_trip(void **state)
{
        srand(7);
        for (int i = 0; i < 100000; i++) {
                /* Anything from year 0 to 9999. */
                int64_t span = 253402300799999999LL + 62167219200000000LL;
                uint64_t r = ((uint64_t)rand() << 42) ^ ((uint64_t)rand() << 21) ^ (uint64_t)rand();
                int64_t us = (int64_t)(r % (uint64_t)span) - 62167219200000000LL, back;
                char buf[RFC3339_LEN];

                format_rfc3339(us, buf);
                assert_int_equal(strlen(buf), 27);
                assert_int_equal(parse_rfc3339(buf, &back), 0);
                assert_int_equal(back, us);
        }
}

static void test_matches_gmtime(void **state)
{
        /* Every day of 1900..2400, checked against the C library. */
        for (int64_t s = -2208988800LL; s < 13569465600LL; s += 86400 + 3601) {
                time_t t = (time_t)s;
                struct tm tm;
                char want[64], got[RFC3339_LEN];

                gmtime_r(&t, &tm);
                strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S.000000Z", &tm);
                format_rfc3339(s * 1000000, got);
                assert_string_equal(got, want);
        }
}

static void test_clocks(void **state)
{
        int64_t a = now_monotonic_us(), b = now_monotonic_us();
        int64_t rt = now_realtime_us();

        assert_true(b >= a);
        assert_true(rt > 1600000000LL * 1000000); /* after 2020 */
        assert_true(rt / 1000000 - (int64_t)time(NULL) <= 1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_format),         cmocka_unit_test(test_parse),
            cmocka_unit_test(test_parse_rejects),  cmocka_unit_test(test_round_trip),
            cmocka_unit_test(test_matches_gmtime), cmocka_unit_test(test_clocks),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
