/* Integration: authorization by peer credentials (SPEC §5 visibility). Two unprivileged uids
 * each see and touch only their own sandboxes; another's is not_found, never a hint; root sees
 * all. Each user runs in a child process that dropped to its uid (as setpriv would). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static struct harness H;

static int setup(void **state)
{
        if (harness_start(&H, NULL) != 0)
                return -1;
        /* Let other users on the socket (normally: members of group sandboxd). */
        return chmod(H.socket_path, 0666) == 0 && chmod(H.dir, 0755) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
        return harness_stop(&H);
}

/* What a child reports back through a pipe: one line per fact. */
static void say(int fd, const char *fmt, ...)
{
        char line[256];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        (void)!write(fd, line, n);
}

/* As uid: create one sandbox, then report what it sees of `other` (a sandbox of someone
 * else) and of its own. */
static void as_user(uid_t uid, const char *other, int out)
{
        if (setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
                _exit(2);
        sandboxd_client *c = NULL;
        if (sandboxd_connect(H.socket_path, &c, NULL) != 0)
                _exit(3);
        sandboxd_create_opts o = sandboxd_create_opts_default();
        sandboxd_sandbox *mine = NULL;
        if (sandboxd_create(c, &o, &mine, NULL) != 0)
                _exit(4);
        say(out, "owner %u\n", (unsigned)mine->owner_uid);
        sandboxd_list_opts lo = sandboxd_list_opts_default();
        sandboxd_page *p = NULL;
        sandboxd_list(c, &lo, &p, NULL);
        say(out, "listed %zu\n", p->count);
        sandboxd_page_free(p);
        sandboxd_error err = {0};
        sandboxd_sandbox *sb = NULL;
        say(out, "get-other %d\n", sandboxd_get(c, other, &sb, &err) == 0 ? 0 : err.code);
        say(out, "kill-other %d\n", sandboxd_kill(c, other, &err) == 0 ? 0 : err.code);
        const char *argv[] = {"true", NULL};
        sandboxd_exec_opts eo = {.argv = argv};
        sandboxd_exec_result *r = NULL;
        say(out, "exec-other %d\n", sandboxd_exec(c, other, &eo, &r, &err) == 0 ? 0 : err.code);
        say(out, "exec-own %d\n",
            sandboxd_exec(c, mine->sandbox_id, &eo, &r, &err) == 0 ? r->exit_code : err.code);
        say(out, "pause-other %d\n", sandboxd_pause(c, other, &sb, &err) == 0 ? 0 : err.code);
        say(out, "timeout-other %d\n",
            sandboxd_set_timeout(c, other, 5, &sb, &err) == 0 ? 0 : err.code);
        sandboxd_disconnect(c);
        _exit(0);
}

static char *run_as(uid_t uid, const char *other)
{
        int p[2];
        assert_int_equal(pipe(p), 0);
        pid_t pid = fork();
        if (pid == 0) {
                close(p[0]);
                as_user(uid, other, p[1]);
        }
        close(p[1]);
        static char buf[4][1024];
        static int k;
        char *out = buf[k++ % 4];
        size_t len = 0;
        ssize_t n;
        while (len < 1023 && (n = read(p[0], out + len, 1023 - len)) > 0)
                len += n;
        out[len] = '\0';
        close(p[0]);
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                fail_msg("user %u: status 0x%x, said: %s", (unsigned)uid, status, out);
        return out;
}

static void test_each_sees_its_own(void **state)
{
        /* A sandbox of root's, which neither user may see. */
        sandboxd_create_opts o = sandboxd_create_opts_default();
        sandboxd_sandbox *roots = NULL;
        assert_int_equal(sandboxd_create(H.client, &o, &roots, NULL), 0);

        char *a = run_as(61001, roots->sandbox_id);
        char *b = run_as(61002, roots->sandbox_id);
        for (int i = 0; i < 2; i++) {
                char *out = i ? b : a;
                assert_non_null(strstr(out, i ? "owner 61002\n" : "owner 61001\n"));
                assert_non_null(strstr(out, "listed 1\n")); /* its own only */
                assert_non_null(strstr(out, "get-other -32001\n"));
                assert_non_null(strstr(out, "kill-other -32001\n"));
                assert_non_null(strstr(out, "exec-other -32001\n"));
                assert_non_null(strstr(out, "pause-other -32001\n"));
                assert_non_null(strstr(out, "timeout-other -32001\n"));
                assert_non_null(strstr(out, "exec-own 0\n"));
        }
        /* Root sees all three, with their owners. */
        sandboxd_list_opts lo = sandboxd_list_opts_default();
        sandboxd_page *p = NULL;
        assert_int_equal(sandboxd_list(H.client, &lo, &p, NULL), 0);
        assert_int_equal(p->count, 3);
        int owners = 0;
        for (size_t i = 0; i < p->count; i++)
                owners |= p->sandboxes[i]->owner_uid == 61001   ? 1
                          : p->sandboxes[i]->owner_uid == 61002 ? 2
                          : p->sandboxes[i]->owner_uid == 0     ? 4
                                                                : 8;
        assert_int_equal(owners, 7);
        sandboxd_page_free(p);
        /* The root sandbox was not touched by their attempts. */
        sandboxd_sandbox *sb = NULL;
        assert_int_equal(sandboxd_get(H.client, roots->sandbox_id, &sb, NULL), 0);
        assert_int_equal(sb->exec_count, 0);
        assert_int_equal(sb->state, SANDBOXD_STATE_RUNNING);
        sandboxd_sandbox_free(sb);
        sandboxd_sandbox_free(roots);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_each_sees_its_own),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
