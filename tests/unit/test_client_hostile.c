/* libsandboxd against a daemon that misbehaves: every call of the library, each exec mode
 * included, against every bad answer a server can give. Each call must fail with an error,
 * and nothing may be freed twice or leak (this test runs under ASan in build-asan). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/macros.h"
#include "sandboxd/client.h"

#define SANDBOX_ID "k3v9q0x2m7c4b8n1z5a6"

/* What the fake server sends after the first request line: its bytes, with "@ID@" replaced
 * by the request's id, then it hangs up. */
struct answer {
        const char *name;
        char *(*make)(const char *id);
        bool result_any; /* a result of any type: valid for the raw sandboxd_call() */
};

static char *fmt(const char *f, const char *id)
{
        char *s = NULL;
        assert_true(asprintf(&s, f, id) >= 0);
        return s;
}

static char *a_array(const char *id)
{
        return fmt("[1,2,%s]\n", id);
}
static char *a_number(const char *id)
{
        return fmt("%s\n", id);
}
static char *a_string(const char *id)
{
        return fmt("\"%s\"\n", id);
}
static char *a_no_id(const char *id)
{
        (void)id;
        return strdup("{\"jsonrpc\":\"2.0\",\"result\":{}}\n");
}
static char *a_wrong_id(const char *id)
{
        return fmt("{\"jsonrpc\":\"2.0\",\"id\":\"x%s\",\"result\":{}}\n", id);
}
static char *a_wrong_type(const char *id)
{
        return fmt("{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":[42]}\n", id);
}
static char *a_bad_code(const char *id)
{
        return fmt("{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":\"x\",\"message\":7,"
                   "\"data\":[]}}\n",
                   id);
}
static char *a_error_not_object(const char *id)
{
        return fmt("{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":[1]}\n", id);
}
static char *a_truncated(const char *id)
{
        return fmt("{\"jsonrpc\":\"2.0\",\"id\":%s,\"result\":{\"exit_co", id);
}

/* One line of 2 MiB: a JSON string, well formed, but no answer. */
static char *a_huge(const char *id)
{
        (void)id;
        size_t n = 2u << 20;
        char *s = malloc(n + 4);
        assert_non_null(s);
        s[0] = '"';
        memset(s + 1, 'a', n);
        strcpy(s + n + 1, "\"\n");
        return s;
}

/* 20,000 notifications about other requests (and pty/output ones for ids never asked), then
 * the hang-up. */
static char *a_flood(const char *id)
{
        static const char line[] =
            "{\"jsonrpc\":\"2.0\",\"method\":\"sandbox.exec.output\",\"params\":{\"id\":%s9,"
            "\"stream\":\"stdout\",\"data\":\"x\"}}\n";
        size_t one = strlen(line) + strlen(id) + 4, n = 20000;
        char *s = malloc(one * n + 1), *p = s;
        assert_non_null(s);
        for (size_t i = 0; i < n; i++)
                p += sprintf(p, line, id);
        return s;
}

/* Output for our exec that is not what it claims (a number as data, no stream), then EOF. */
static char *a_bad_output(const char *id)
{
        return fmt("{\"jsonrpc\":\"2.0\",\"method\":\"sandbox.exec.output\",\"params\":{\"id\":%s,"
                   "\"stream\":3,\"data\":4}}\n",
                   id);
}

static const struct answer answers[] = {
    {"array", a_array, false},
    {"number", a_number, false},
    {"string", a_string, false},
    {"object without id", a_no_id, false},
    {"wrong id", a_wrong_id, false},
    {"result of the wrong type", a_wrong_type, true},
    {"error with a non-integer code", a_bad_code, false},
    {"error that is no object", a_error_not_object, false},
    {"truncated line, then EOF", a_truncated, false},
    {"2 MiB line", a_huge, false},
    {"notification flood", a_flood, false},
    {"bad output notification", a_bad_output, false},
};

struct fake {
        char dir[64];
        char path[108];
        int listen_fd;
        pthread_t thread;
        const struct answer *answer;
};

/* The id of the first request line: the text after "\"id\":" up to the next , or }. */
static char *request_id(const char *line)
{
        const char *p = strstr(line, "\"id\":");
        assert_non_null(p);
        p += 5;
        return strndup(p, strcspn(p, ",}"));
}

/* Reads up to the first newline; descriptors that come with it are closed. */
static char *read_request(int fd)
{
        size_t cap = 65536, n = 0;
        char *buf = calloc(1, cap + 1);
        assert_non_null(buf);
        while (!memchr(buf, '\n', n) && n < cap) {
                char cmsg[CMSG_SPACE(sizeof(int) * 8)];
                struct iovec iov = {buf + n, cap - n};
                struct msghdr mh = {.msg_iov = &iov,
                                    .msg_iovlen = 1,
                                    .msg_control = cmsg,
                                    .msg_controllen = sizeof(cmsg)};
                ssize_t k = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
                if (k <= 0)
                        break;
                for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
                        if (c->cmsg_type == SCM_RIGHTS)
                                for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
                                     i++)
                                        close(((int *)CMSG_DATA(c))[i]);
                n += (size_t)k;
        }
        return buf;
}

static void *fake_serve(void *arg)
{
        struct fake *f = arg;
        _cleanup_close_ int fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
                return NULL;
        _cleanup_free_ char *req = read_request(fd);
        _cleanup_free_ char *id = request_id(req);
        _cleanup_free_ char *out = f->answer->make(id);
        size_t len = strlen(out);
        for (size_t off = 0; off < len;) {
                ssize_t k = send(fd, out + off, len - off, MSG_NOSIGNAL);
                if (k <= 0)
                        break; /* the client gave up first: fine */
                off += (size_t)k;
        }
        shutdown(fd, SHUT_WR);
        return NULL;
}

static struct fake *fake_start(const struct answer *a)
{
        struct fake *f = calloc(1, sizeof(*f));
        assert_non_null(f);
        f->answer = a;
        strcpy(f->dir, "/tmp/test_client_hostile.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/sock", f->dir);
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        strcpy(sa.sun_path, f->path);
        f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(f->listen_fd >= 0);
        assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(f->listen_fd, 4), 0);
        assert_int_equal(pthread_create(&f->thread, NULL, fake_serve, f), 0);
        return f;
}

static void fake_stop(struct fake *f)
{
        pthread_join(f->thread, NULL);
        close(f->listen_fd);
        unlink(f->path);
        rmdir(f->dir);
        free(f);
}

/* ---- the calls: each returns what the library returned (< 0 expected) ---- */

static void ignore_output(int stream, const char *data, size_t len, void *userdata)
{
        (void)stream, (void)data, (void)len, (void)userdata;
}

static int c_raw(sandboxd_client *c, sandboxd_error *e)
{
        char *res = NULL;
        int r = sandboxd_call(c, "system.info", "{}", &res, e);
        free(res);
        return r;
}
static int c_create(sandboxd_client *c, sandboxd_error *e)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        sandboxd_sandbox *s = NULL;
        int r = sandboxd_create(c, &o, &s, e);
        sandboxd_sandbox_free(s);
        return r;
}
static int c_get(sandboxd_client *c, sandboxd_error *e)
{
        sandboxd_sandbox *s = NULL;
        int r = sandboxd_get(c, SANDBOX_ID, &s, e);
        sandboxd_sandbox_free(s);
        return r;
}
static int c_kill(sandboxd_client *c, sandboxd_error *e)
{
        return sandboxd_kill(c, SANDBOX_ID, e);
}
static int c_set_timeout(sandboxd_client *c, sandboxd_error *e)
{
        sandboxd_sandbox *s = NULL;
        int r = sandboxd_set_timeout(c, SANDBOX_ID, 10, &s, e);
        sandboxd_sandbox_free(s);
        return r;
}
static int c_pause(sandboxd_client *c, sandboxd_error *e)
{
        sandboxd_sandbox *s = NULL;
        int r = sandboxd_pause(c, SANDBOX_ID, &s, e);
        sandboxd_sandbox_free(s);
        return r;
}
static int c_resume(sandboxd_client *c, sandboxd_error *e)
{
        sandboxd_sandbox *s = NULL;
        int r = sandboxd_resume(c, SANDBOX_ID, -1, &s, e);
        sandboxd_sandbox_free(s);
        return r;
}
static int c_list(sandboxd_client *c, sandboxd_error *e)
{
        sandboxd_list_opts o = sandboxd_list_opts_default();
        sandboxd_page *p = NULL;
        int r = sandboxd_list(c, &o, &p, e);
        sandboxd_page_free(p);
        return r;
}

static const char *const argv_true[] = {"true", NULL};

static int c_exec_capture(sandboxd_client *c, sandboxd_error *e)
{
        sandboxd_exec_opts o = {.argv = argv_true};
        sandboxd_exec_result *x = NULL;
        int r = sandboxd_exec(c, SANDBOX_ID, &o, &x, e);
        sandboxd_exec_result_free(x);
        return r;
}
static int c_exec_stream(sandboxd_client *c, sandboxd_error *e)
{
        sandboxd_exec_opts o = {.argv = argv_true};
        sandboxd_exec_result *x = NULL;
        int r = sandboxd_exec_stream(c, SANDBOX_ID, &o, ignore_output, NULL, &x, e);
        sandboxd_exec_result_free(x);
        return r;
}
static int c_exec_fds(sandboxd_client *c, sandboxd_error *e)
{
        sandboxd_exec_opts o = {.argv = argv_true};
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        int fds[3] = {null, null, null};
        sandboxd_exec_handle *h = NULL;
        sandboxd_exec_result *x = NULL;
        int r = sandboxd_exec_start(c, SANDBOX_ID, &o, fds, false, &h, NULL, e);
        close(null);
        if (r < 0)
                return r;
        r = sandboxd_exec_wait(h, 20000, &x, e);
        sandboxd_exec_result_free(x);
        sandboxd_exec_handle_free(h);
        return r;
}
static int c_exec_tty(sandboxd_client *c, sandboxd_error *e)
{
        sandboxd_exec_opts o = {.argv = argv_true};
        sandboxd_exec_handle *h = NULL;
        sandboxd_exec_result *x = NULL;
        int pty = -1;
        int r = sandboxd_exec_start(c, SANDBOX_ID, &o, NULL, true, &h, &pty, e);
        if (r < 0)
                return r;
        r = sandboxd_exec_wait(h, 20000, &x, e);
        if (pty >= 0)
                close(pty);
        sandboxd_exec_result_free(x);
        sandboxd_exec_handle_free(h);
        return r;
}

static const struct {
        const char *name;
        int (*call)(sandboxd_client *c, sandboxd_error *e);
        bool raw;
} calls[] = {
    {"call", c_raw, true},
    {"create", c_create, false},
    {"get", c_get, false},
    {"kill", c_kill, false},
    {"set_timeout", c_set_timeout, false},
    {"pause", c_pause, false},
    {"resume", c_resume, false},
    {"list", c_list, false},
    {"exec capture", c_exec_capture, false},
    {"exec stream", c_exec_stream, false},
    {"exec fds", c_exec_fds, false},
    {"exec tty", c_exec_tty, false},
};

static void test_every_call_every_answer(void **state)
{
        (void)state;
        for (size_t a = 0; a < ELEMENTSOF(answers); a++)
                for (size_t i = 0; i < ELEMENTSOF(calls); i++) {
                        struct fake *f = fake_start(&answers[a]);
                        sandboxd_client *c = NULL;
                        sandboxd_error e = {0};
                        assert_int_equal(sandboxd_connect(f->path, &c, &e), 0);
                        int r = calls[i].call(c, &e);
                        if (!(calls[i].raw && answers[a].result_any) && r >= 0)
                                fail_msg("%s answered by %s: no error", calls[i].name,
                                         answers[a].name);
                        if (r < 0 && !e.message[0])
                                fail_msg("%s answered by %s: an error without a message",
                                         calls[i].name, answers[a].name);
                        sandboxd_disconnect(c);
                        fake_stop(f);
                }
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_every_call_every_answer),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
