/* Clocks and RFC 3339 timestamps. The calendar arithmetic is done here (proleptic Gregorian,
 * days-from-civil) rather than with gmtime()/timegm(), so that it is pure and needs no TZ. */
#include "supervisor/timeutil.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#define USEC_PER_SEC 1000000LL
#define SEC_PER_DAY  86400LL

/* 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z: what four year digits can say. */
#define MIN_DAYS (-719528LL)
#define MAX_DAYS 2932897LL /* days of 10000-01-01 */

static int64_t clock_us(clockid_t id)
{
        struct timespec ts;

        (void)clock_gettime(id, &ts);
        return (int64_t)ts.tv_sec * USEC_PER_SEC + ts.tv_nsec / 1000;
}

int64_t now_realtime_us(void)
{
        return clock_us(CLOCK_REALTIME);
}

int64_t now_monotonic_us(void)
{
        return clock_us(CLOCK_MONOTONIC);
}

static int64_t floor_div(int64_t a, int64_t b)
{
        return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
        int64_t era;
        unsigned yoe, doy, doe;

        y -= m <= 2;
        era = floor_div(y, 400);
        yoe = (unsigned)(y - era * 400);
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
        int64_t era;
        unsigned doe, yoe, doy, mp;

        z += 719468;
        era = floor_div(z, 146097);
        doe = (unsigned)(z - era * 146097);
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        *d = doy - (153 * mp + 2) / 5 + 1;
        *m = mp < 10 ? mp + 3 : mp - 9;
        *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static char *put_digits(char *p, int64_t v, int width)
{
        for (int i = width - 1; i >= 0; i--) {
                p[i] = (char)('0' + v % 10);
                v /= 10;
        }
        return p + width;
}

void format_rfc3339(int64_t us, char buf[RFC3339_LEN])
{
        const int64_t min_us = MIN_DAYS * SEC_PER_DAY * USEC_PER_SEC;
        const int64_t max_us = MAX_DAYS * SEC_PER_DAY * USEC_PER_SEC - 1;
        int64_t secs, sod, year;
        unsigned month, day;
        char *p = buf;

        /* Clamped so that the text is always a valid four-digit-year RFC 3339 timestamp. */
        us = us < min_us ? min_us : us > max_us ? max_us : us;
        secs = floor_div(us, USEC_PER_SEC);
        sod = secs - floor_div(secs, SEC_PER_DAY) * SEC_PER_DAY;
        civil_from_days(floor_div(secs, SEC_PER_DAY), &year, &month, &day);
        p = put_digits(p, year, 4);
        *p++ = '-';
        p = put_digits(p, month, 2);
        *p++ = '-';
        p = put_digits(p, day, 2);
        *p++ = 'T';
        p = put_digits(p, sod / 3600, 2);
        *p++ = ':';
        p = put_digits(p, sod / 60 % 60, 2);
        *p++ = ':';
        p = put_digits(p, sod % 60, 2);
        *p++ = '.';
        p = put_digits(p, us - secs * USEC_PER_SEC, 6);
        *p++ = 'Z';
        *p = '\0';
}

/* Reads exactly n digits at *p, advancing it. */
static bool take_digits(const char **p, int n, int *ret)
{
        int v = 0;

        for (int i = 0; i < n; i++) {
                char c = (*p)[i];

                if (c < '0' || c > '9')
                        return false;
                v = v * 10 + (c - '0');
        }
        *p += n;
        *ret = v;
        return true;
}

static bool take_char(const char **p, const char *set)
{
        if (**p == '\0' || !strchr(set, **p))
                return false;
        (*p)++;
        return true;
}

static bool is_leap(int y)
{
        return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
        static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

        return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* Optional ".digits": up to 9 digits, truncated to microseconds. */
static bool take_fraction(const char **p, int64_t *ret_us)
{
        int64_t us = 0;
        int n = 0;

        *ret_us = 0;
        if (**p != '.')
                return true;
        (*p)++;
        for (; **p >= '0' && **p <= '9'; (*p)++, n++) {
                if (n >= 9)
                        return false;
                if (n < 6)
                        us = us * 10 + (**p - '0');
        }
        if (n == 0)
                return false;
        for (int i = n; i < 6; i++)
                us *= 10;
        *ret_us = us;
        return true;
}

/* "Z", "z" or "±HH:MM", as an offset east of UTC in seconds. */
static bool take_offset(const char **p, int64_t *ret_s)
{
        int sign, hh, mm;

        if (take_char(p, "Zz")) {
                *ret_s = 0;
                return true;
        }
        sign = **p == '-' ? -1 : 1;
        if (!take_char(p, "+-") || !take_digits(p, 2, &hh) || !take_char(p, ":") ||
            !take_digits(p, 2, &mm) || hh > 23 || mm > 59)
                return false;
        *ret_s = sign * (hh * 3600LL + mm * 60LL);
        return true;
}

int parse_rfc3339(const char *text, int64_t *ret_us)
{
        int y, mo, d, h, mi, s;
        int64_t frac, off, secs;
        const char *p = text;

        if (!p || !take_digits(&p, 4, &y) || !take_char(&p, "-") || !take_digits(&p, 2, &mo) ||
            !take_char(&p, "-") || !take_digits(&p, 2, &d) || !take_char(&p, "Tt ") ||
            !take_digits(&p, 2, &h) || !take_char(&p, ":") || !take_digits(&p, 2, &mi) ||
            !take_char(&p, ":") || !take_digits(&p, 2, &s) || !take_fraction(&p, &frac) ||
            !take_offset(&p, &off) || *p != '\0')
                return -EINVAL;
        /* Second 60 is a leap second (RFC 3339 §5.7); POSIX time folds it into the next one. */
        if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
                return -EINVAL;
        secs = days_from_civil(y, (unsigned)mo, (unsigned)d) * SEC_PER_DAY + h * 3600LL +
               mi * 60LL + s - off;
        /* An offset can move the instant out of the years 0000-9999 of UTC, where
         * format_rfc3339 would clamp it: such a time would not print back as itself. */
        if (secs < MIN_DAYS * SEC_PER_DAY || secs >= MAX_DAYS * SEC_PER_DAY)
                return -EINVAL;
        *ret_us = secs * USEC_PER_SEC + frac;
        return 0;
}
