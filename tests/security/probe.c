/* Checking a probe's key=value outcomes (see probe.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "probe.h"

void assert_exit0(const sandboxd_exec_result *r)
{
        if (r->exit_code != 0 || r->signal != 0 || r->timed_out)
                fail_msg("probe failed: exit %d, signal %d, timed out %d\nstdout: %s\nstderr: %s",
                         r->exit_code, r->signal, r->timed_out, r->stdout_data, r->stderr_data);
}

const char *value_of(const char *out, const char *key, char *buf, size_t size)
{
        size_t klen = strlen(key);
        for (const char *line = out; line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t)(end - line) : strlen(line);
                if (len > klen && strncmp(line, key, klen) == 0 && line[klen] == '=') {
                        snprintf(buf, size, "%.*s", (int)(len - klen - 1), line + klen + 1);
                        return buf;
                }
                line = end ? end + 1 : NULL;
        }
        return NULL;
}

static bool allowed(const char *value, const char *set)
{
        size_t vlen = strlen(value);
        for (const char *p = set; p;) {
                const char *bar = strchr(p, '|');
                size_t len = bar ? (size_t)(bar - p) : strlen(p);
                if (len == vlen && strncmp(p, value, len) == 0)
                        return true;
                p = bar ? bar + 1 : NULL;
        }
        return false;
}

void expect(const sandboxd_exec_result *r, const struct want *w, size_t n)
{
        if (getenv("SANDBOXD_TEST_VERBOSE"))
                print_message("%s", r->stdout_data);
        assert_exit0(r);
        int bad = 0;
        char buf[4096];
        for (size_t i = 0; i < n; i++) {
                const char *v = value_of(r->stdout_data, w[i].key, buf, sizeof(buf));
                if (!v) {
                        print_message("  %s: missing from the probe's output\n", w[i].key);
                        bad++;
                } else if (!allowed(v, w[i].allowed)) {
                        print_message("  %s=%s, must be %s\n", w[i].key, v, w[i].allowed);
                        bad++;
                }
        }
        if (bad)
                fail_msg("%d of %zu outcomes are wrong\nstdout:\n%sstderr:\n%s", bad, n,
                         r->stdout_data, r->stderr_data);
}
