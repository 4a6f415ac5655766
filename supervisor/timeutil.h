/* Timestamps: microseconds since the epoch, UTC, and their RFC 3339 form (SPEC §4). */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define RFC3339_LEN 32 /* "2026-11-22T10:00:00.123456Z" plus NUL fits */

int64_t now_realtime_us(void);
int64_t now_monotonic_us(void);

/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" into buf (at least RFC3339_LEN bytes). */
void format_rfc3339(int64_t us, char buf[RFC3339_LEN]);

/* Parses RFC 3339: date 'T' (or 't' or ' ') time, optional fraction (up to 9 digits, truncated
 * to microseconds), then 'Z'/'z' or ±HH:MM. Strict: nothing before or after, and an instant
 * outside the years 0000-9999 of UTC (which format_rfc3339 cannot print) fails. 0 or -EINVAL. */
int parse_rfc3339(const char *text, int64_t *ret_us);
