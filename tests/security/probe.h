/* What the security tests share: a probe run inside a sandbox prints one "key=value" line per
 * outcome, and the test checks each value against the outcomes it allows. */
#pragma once

#include <stddef.h>

#include <sandboxd/client.h>

struct want {
        const char *key;
        const char *allowed; /* values separated by '|' */
};

/* Fails the test unless the probe exited 0 by itself. */
void assert_exit0(const sandboxd_exec_result *r);
/* The value of "key=value" in out, copied to buf; NULL when the key is missing. */
const char *value_of(const char *out, const char *key, char *buf, size_t size);
/* Fails the test, naming every wrong or missing outcome, unless the probe exited 0 and every
 * key has an allowed value. */
void expect(const sandboxd_exec_result *r, const struct want *w, size_t n);

#define EXPECT(r, ...)                                                                             \
        do {                                                                                       \
                const struct want w_[] = {__VA_ARGS__};                                            \
                expect((r), w_, sizeof(w_) / sizeof(w_[0]));                                       \
        } while (0)
