/* libFuzzer harness for init's /etc/passwd lookup (runtime/passwd.c). The input's first line is
 * the exec's user, the rest the sandbox's /etc/passwd. A sandbox writes that file itself and
 * the client names the user, so both are untrusted; what must hold: a numeric user gets exactly
 * that uid (never a wrapped one, never (uid_t)-1, which setresuid() takes as "unchanged"), and a
 * name only an entry with that name. */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macros.h"
#include "runtime/passwd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The user as a number, or -1 when it is not all digits or too large to be a uid. */
static int64_t user_number(const char *user)
{
        int64_t v = 0;

        if (!user[0] || strspn(user, "0123456789") != strlen(user))
                return -1;
        for (; *user; user++) {
                v = v * 10 + (*user - '0');
                if (v >= UINT32_MAX)
                        return -1;
        }
        return v;
}

static void check(const char *user, const struct passwd_account *a, int r)
{
        int64_t want = user_number(user);
        bool digits = strspn(user, "0123456789") == strlen(user);

        if (r < 0) {
                if (r != -ENOENT || want >= 0)
                        abort(); /* a valid uid always resolves */
                return;
        }
        if ((digits && (want < 0 || a->uid != (uid_t)want)) || a->uid == (uid_t)-1 ||
            a->gid == (gid_t)-1 || !memchr(a->home, '\0', sizeof(a->home)) || !a->home[0])
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        const uint8_t *nl = memchr(data, '\n', size);
        size_t ulen = nl ? (size_t)(nl - data) : size;
        _cleanup_free_ char *user = strndup((const char *)data, ulen);
        _cleanup_fclose_ FILE *f = NULL;
        struct passwd_account a = {};
        size_t rest = nl ? size - ulen - 1 : 0;
        int r;

        if (!user || strlen(user) != ulen || ulen == 0)
                return 0;
        /* fmemopen() of zero bytes fails; then there is no file, as when it is missing. */
        f = rest ? fmemopen((void *)(nl + 1), rest, "r") : NULL;
        r = passwd_find(f, user, &a);
        check(user, &a, r);
        return 0;
}
