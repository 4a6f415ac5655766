/* The user of an exec, looked up in the sandbox's own /etc/passwd by init. No json-c, no NSS:
 * init is a small static binary, and the sandbox's file is what counts, not the host's. */
#pragma once

#include <stdio.h>
#include <sys/types.h>

struct passwd_account {
        uid_t uid;
        gid_t gid;
        char home[256];
};

/* user is a name or a decimal uid. Reads passwd-format lines from f (may be NULL: no file) and
 * fills *ret from the first entry whose name, or uid, matches; a uid that is in no entry gets
 * gid = uid and home "/". Entries whose uid or gid is not a decimal number below 2^32 - 1 are
 * skipped, and so is a numeric user out of that range: (uid_t)-1 means "unchanged" to
 * setresuid(), and a larger number must not wrap around to root. 0 or -ENOENT. */
int passwd_find(FILE *f, const char *user, struct passwd_account *ret);
