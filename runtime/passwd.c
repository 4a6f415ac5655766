/* Lookup of an exec's user in passwd-format text (see passwd.h). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/macros.h"
#include "runtime/passwd.h"

/* A decimal id: digits only, below UINT32_MAX ((uid_t)-1 is no id). */
static bool parse_id(const char *s, uint32_t *ret)
{
        uint64_t v = 0;

        if (!s[0] || strspn(s, "0123456789") != strlen(s))
                return false;
        for (; *s; s++) {
                v = v * 10 + (uint64_t)(*s - '0');
                if (v >= UINT32_MAX)
                        return false;
        }
        *ret = (uint32_t)v;
        return true;
}

/* Splits one line (its '\n' removed) into its 7 fields; false if it has fewer or bad ids. */
static bool parse_entry(char *line, char *field[7], uint32_t *uid, uint32_t *gid)
{
        int n = 0;

        for (char *p = line; n < 7 && (field[n] = strsep(&p, ":")); n++)
                ;
        return n == 7 && parse_id(field[2], uid) && parse_id(field[3], gid);
}

static void fill(struct passwd_account *ret, uint32_t uid, uint32_t gid, const char *home)
{
        *ret = (struct passwd_account){(uid_t)uid, (gid_t)gid, ""};
        snprintf(ret->home, sizeof(ret->home), "%s", home[0] ? home : "/");
}

int passwd_find(FILE *f, const char *user, struct passwd_account *ret)
{
        uint32_t want = 0, uid, gid;
        bool numeric = parse_id(user, &want);
        _cleanup_free_ char *line = NULL;
        size_t cap = 0;
        ssize_t n;

        if (!numeric && strspn(user, "0123456789") == strlen(user))
                return -ENOENT; /* digits, but no uid */
        /* Whole lines, however long: a cut one would make its tail look like an entry. */
        while (f && (n = getline(&line, &cap, f)) >= 0) {
                char *field[7];

                if (n > 0 && line[n - 1] == '\n')
                        line[n - 1] = '\0';
                if (!parse_entry(line, field, &uid, &gid) ||
                    (numeric ? uid != want : strcmp(field[0], user) != 0))
                        continue;
                fill(ret, uid, gid, field[5]);
                return 0;
        }
        if (!numeric)
                return -ENOENT;
        fill(ret, want, want, "/");
        return 0;
}
