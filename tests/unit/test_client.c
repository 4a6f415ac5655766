/* libsandboxd against a fake daemon: a thread answering canned lines on a temporary socket.
 * Checks what the library sends and how it decodes results and errors. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "common/macros.h"
#include "ipc/frame.h"
#include "ipc/rpc.h"
#include "sandboxd/client.h"

#define MAX_EXCHANGES 4

/* The fake daemon: for the i-th request it receives it sends replies[i], in which every "@ID@"
 * becomes the request's id. replies[i] may hold several lines. */
struct fake {
        char dir[64];
        char path[108];
        int listen_fd;
        pthread_t thread;
        const char *replies[MAX_EXCHANGES];
        size_t n_replies;
        json_object *requests[MAX_EXCHANGES];
        size_t n_requests;
        bool hang_up; /* close right after the last reply, else wait for the client's */
};

#define SANDBOX_JSON                                                                               \
        "{\"sandbox_id\":\"k3v9q0x2m7c4b8n1z5a6\",\"template_id\":\"host\",\"state\":\"running\"," \
        "\"metadata\":{\"env\":\"dev\",\"user_id\":\"123\"},"                                      \
        "\"created_at\":\"2026-11-22T10:00:00.123456Z\","                                          \
        "\"started_at\":\"2026-11-22T10:00:00.125012Z\","                                          \
        "\"end_at\":\"2026-11-22T10:05:00.125012Z\",\"exec_count\":3,\"internet_access\":false,"   \
        "\"owner_uid\":1000,\"pid\":4242,\"ip_address\":null,"                                     \
        "\"resources\":{\"cpu_count\":1.5,\"memory_mb\":512,\"pids_max\":256,\"disk_mb\":1024}}"

#define PAUSED_JSON                                                                                \
        "{\"sandbox_id\":\"aaaaaaaaaaaaaaaaaaaa\",\"template_id\":\"alpine\",\"state\":"           \
        "\"paused\","                                                                              \
        "\"metadata\":{},\"created_at\":\"2026-11-22T09:00:00.000000Z\","                          \
        "\"started_at\":\"2026-11-22T09:00:00.000001Z\",\"end_at\":null,\"exec_count\":0,"         \
        "\"internet_access\":true,\"owner_uid\":0,\"pid\":17,\"ip_address\":\"10.88.0.2\","        \
        "\"resources\":{\"cpu_count\":2,\"memory_mb\":16,\"pids_max\":8,\"disk_mb\":1}}"

static void json_object_putp(json_object **o)
{
        json_object_put(*o);
}

static void frame_reader_donep(struct frame_reader *fr)
{
        frame_reader_done(fr);
}

/* reply with every "@ID@" replaced by id. */
static char *fill_id(const char *reply, const char *id)
{
        size_t cap = strlen(reply) * 2 + 64, n = 0;
        char *out = malloc(cap);
        const char *at;

        assert_non_null(out);
        while ((at = strstr(reply, "@ID@"))) {
                memcpy(out + n, reply, (size_t)(at - reply));
                n += (size_t)(at - reply);
                memcpy(out + n, id, strlen(id));
                n += strlen(id);
                reply = at + 4;
        }
        strcpy(out + n, reply);
        return out;
}

static json_object *read_request(int fd, struct frame_reader *fr)
{
        json_object *req = NULL;
        char *line;
        size_t len;
        int r;

        while ((r = frame_reader_next(fr, &line, &len)) == 0)
                if (frame_reader_fill(fr, fd) <= 0)
                        return NULL;
        if (r < 0 || rpc_parse_value(line, len, &req) < 0)
                return NULL;
        return req;
}

static void *fake_serve(void *arg)
{
        struct fake *f = arg;
        _cleanup_(frame_reader_donep) struct frame_reader fr;
        _cleanup_close_ int fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);

        frame_reader_init(&fr);
        for (size_t i = 0; fd >= 0 && i < f->n_replies; i++) {
                _cleanup_free_ char *reply = NULL;
                json_object *req = read_request(fd, &fr), *id = NULL;

                if (!req)
                        break;
                f->requests[f->n_requests++] = req;
                json_object_object_get_ex(req, "id", &id);
                reply = fill_id(f->replies[i], json_object_to_json_string(id));
                if (write(fd, reply, strlen(reply)) != (ssize_t)strlen(reply))
                        break;
        }
        /* Else wait for the client to hang up, so that it never sees an early EOF. */
        if (fd >= 0 && !f->hang_up)
                while (frame_reader_fill(&fr, fd) > 0)
                        ;
        return NULL;
}

/* Starts a fake daemon that gives the replies in order. */
static struct fake *fake_start_full(const char *const *replies, size_t n, bool hang_up)
{
        struct fake *f = calloc(1, sizeof(*f));
        struct sockaddr_un sa = {.sun_family = AF_UNIX};

        assert_non_null(f);
        assert_true(n <= MAX_EXCHANGES);
        strcpy(f->dir, "/tmp/test_client.XXXXXX");
        assert_non_null(mkdtemp(f->dir));
        snprintf(f->path, sizeof(f->path), "%s/sock", f->dir);
        strcpy(sa.sun_path, f->path);
        f->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(f->listen_fd >= 0);
        assert_int_equal(bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        assert_int_equal(listen(f->listen_fd, 4), 0);
        for (size_t i = 0; i < n; i++)
                f->replies[i] = replies[i];
        f->n_replies = n;
        f->hang_up = hang_up;
        assert_int_equal(pthread_create(&f->thread, NULL, fake_serve, f), 0);
        return f;
}

static struct fake *fake_start(const char *const *replies, size_t n)
{
        return fake_start_full(replies, n, false);
}

static void fake_stop(struct fake *f)
{
        assert_int_equal(pthread_join(f->thread, NULL), 0);
        for (size_t i = 0; i < f->n_requests; i++)
                json_object_put(f->requests[i]);
        safe_close(f->listen_fd);
        unlink(f->path);
        rmdir(f->dir);
        free(f);
}

static sandboxd_client *fake_connect(struct fake *f)
{
        sandboxd_client *c = NULL;
        sandboxd_error err;

        assert_int_equal(sandboxd_connect(f->path, &c, &err), 0);
        return c;
}

/* Checks the i-th request: JSON-RPC 2.0, an integer id, method, and params equal to want
 * (NULL: no params member). */
static void expect_request(struct fake *f, size_t i, const char *method, const char *want)
{
        _cleanup_(json_object_putp) json_object *expected = NULL;
        json_object *req = f->requests[i], *v = NULL;

        assert_true(i < f->n_requests);
        assert_true(json_object_object_get_ex(req, "jsonrpc", &v));
        assert_string_equal(json_object_get_string(v), "2.0");
        assert_true(json_object_object_get_ex(req, "id", &v));
        assert_true(json_object_is_type(v, json_type_int));
        assert_true(json_object_object_get_ex(req, "method", &v));
        assert_string_equal(json_object_get_string(v), method);
        if (!want) {
                assert_false(json_object_object_get_ex(req, "params", NULL));
                return;
        }
        assert_true(json_object_object_get_ex(req, "params", &v));
        assert_int_equal(rpc_parse_value(want, strlen(want), &expected), 0);
        if (!json_object_equal(v, expected))
                fail_msg("params %s, want %s", json_object_to_json_string(v), want);
}

static void check_sandbox(const sandboxd_sandbox *s)
{
        assert_string_equal(s->sandbox_id, "k3v9q0x2m7c4b8n1z5a6");
        assert_string_equal(s->template_id, "host");
        assert_int_equal(s->state, SANDBOXD_STATE_RUNNING);
        assert_int_equal(s->n_metadata, 2);
        assert_string_equal(s->metadata[0].key, "env");
        assert_string_equal(s->metadata[0].value, "dev");
        assert_string_equal(s->metadata[1].key, "user_id");
        assert_string_equal(s->metadata[1].value, "123");
        assert_string_equal(s->created_at, "2026-11-22T10:00:00.123456Z");
        assert_string_equal(s->started_at, "2026-11-22T10:00:00.125012Z");
        assert_string_equal(s->end_at, "2026-11-22T10:05:00.125012Z");
        assert_int_equal(s->exec_count, 3);
        assert_false(s->internet_access);
        assert_int_equal(s->owner_uid, 1000);
        assert_int_equal(s->pid, 4242);
        assert_null(s->ip_address);
        assert_true(s->cpu_count == 1.5);
        assert_int_equal(s->memory_mb, 512);
        assert_int_equal(s->pids_max, 256);
        assert_int_equal(s->disk_mb, 1024);
}

static void test_connect(void **state)
{
        const char *replies[] = {"{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":{\"a\":1}}\n"};
        struct fake *f = fake_start(replies, 1);
        sandboxd_client *c = NULL;
        sandboxd_error err;
        char *result = NULL;

        /* $SANDBOXD_SOCKET when no path is given. */
        assert_int_equal(setenv(SANDBOXD_SOCKET_ENV, f->path, 1), 0);
        assert_int_equal(sandboxd_connect(NULL, &c, &err), 0);
        unsetenv(SANDBOXD_SOCKET_ENV);
        assert_true(fcntl(sandboxd_fd(c), F_GETFD) & FD_CLOEXEC);
        assert_int_equal(sandboxd_call(c, "system.info", NULL, &result, &err), 0);
        assert_string_equal(result, "{\"a\":1}");
        expect_request(f, 0, "system.info", NULL);
        free(result);
        sandboxd_disconnect(c);
        fake_stop(f);
}

static void test_connect_fails(void **state)
{
        sandboxd_client *c = (sandboxd_client *)&c;
        sandboxd_error err = {.code = 99};
        char path[200];

        assert_int_equal(sandboxd_connect("/nonexistent/sandboxd.sock", &c, &err), -ENOENT);
        assert_ptr_equal(c, (sandboxd_client *)&c);
        assert_int_equal(err.code, 0);
        assert_non_null(strstr(err.message, "/nonexistent/sandboxd.sock"));
        assert_int_equal(err.reason[0], '\0');
        memset(path, 'p', sizeof(path) - 1);
        path[0] = '/';
        path[sizeof(path) - 1] = '\0';
        assert_int_equal(sandboxd_connect(path, &c, NULL), -ENAMETOOLONG);
        assert_int_equal(sandboxd_connect("/x", NULL, &err), -EINVAL);
}

static void test_create(void **state)
{
        const char *replies[] = {
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":" SANDBOX_JSON "}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":" PAUSED_JSON "}\n",
        };
        struct fake *f = fake_start(replies, 2);
        sandboxd_client *c = fake_connect(f);
        sandboxd_kv meta[] = {{"env", "dev"}, {"user_id", "123"}};
        sandboxd_kv env[] = {{"LANG", "C.UTF-8"}};
        sandboxd_create_opts opts = sandboxd_create_opts_default();
        sandboxd_sandbox *s = NULL;
        sandboxd_error err;

        assert_int_equal(opts.timeout, -1);
        opts.template_id = "host";
        opts.metadata = meta;
        opts.n_metadata = 2;
        opts.timeout = 0;
        opts.env = env;
        opts.n_env = 1;
        opts.memory_mb = 512;
        opts.cpu_count = 1.5;
        assert_int_equal(sandboxd_create(c, &opts, &s, &err), 0);
        check_sandbox(s);
        sandboxd_sandbox_free(s);
        expect_request(
            f, 0, "sandbox.create",
            "{\"template_id\":\"host\",\"metadata\":{\"env\":\"dev\",\"user_id\":\"123\"},"
            "\"timeout\":0,\"env\":{\"LANG\":\"C.UTF-8\"},\"cpu_count\":1.5,"
            "\"memory_mb\":512}");

        /* Defaults: nothing is sent. */
        opts = sandboxd_create_opts_default();
        opts.internet_access = true;
        assert_int_equal(sandboxd_create(c, &opts, &s, &err), 0);
        expect_request(f, 1, "sandbox.create", "{\"internet_access\":true}");
        assert_int_equal(s->state, SANDBOXD_STATE_PAUSED);
        assert_null(s->end_at);
        assert_string_equal(s->ip_address, "10.88.0.2");
        assert_int_equal(s->n_metadata, 0);
        assert_true(s->cpu_count == 2.0);
        assert_true(s->internet_access);
        sandboxd_sandbox_free(s);

        sandboxd_disconnect(c);
        fake_stop(f);
}

static void test_skips_notifications_and_other_ids(void **state)
{
        const char *replies[] = {
            "{\"jsonrpc\":\"2.0\",\"method\":\"sandbox.exec.output\",\"params\":{\"id\":9}}\n"
            "{\"jsonrpc\":\"2.0\",\"id\":12345,\"result\":{}}\r\n"
            "{\"jsonrpc\":\"2.0\",\"id\":\"@ID@\",\"result\":{}}\n"
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":" SANDBOX_JSON "}\n",
        };
        struct fake *f = fake_start(replies, 1);
        sandboxd_client *c = fake_connect(f);
        sandboxd_sandbox *s = NULL;
        sandboxd_error err;

        assert_int_equal(sandboxd_get(c, "k3v9q0x2m7c4b8n1z5a6", &s, &err), 0);
        check_sandbox(s);
        sandboxd_sandbox_free(s);
        expect_request(f, 0, "sandbox.get", "{\"sandbox_id\":\"k3v9q0x2m7c4b8n1z5a6\"}");
        sandboxd_disconnect(c);
        fake_stop(f);
}

static void test_lifecycle_params(void **state)
{
        const char *replies[] = {
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":" SANDBOX_JSON "}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":" SANDBOX_JSON "}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":" SANDBOX_JSON "}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":{\"sandbox_id\":\"x\",\"killed\":true}}\n",
        };
        struct fake *f = fake_start(replies, 4);
        sandboxd_client *c = fake_connect(f);
        sandboxd_sandbox *s = NULL;
        sandboxd_error err;

        /* A caller may make the socket non-blocking (to poll it): calls still wait. */
        assert_int_equal(fcntl(sandboxd_fd(c), F_SETFL, O_NONBLOCK), 0);
        assert_int_equal(sandboxd_set_timeout(c, "x", 30, &s, &err), 0);
        check_sandbox(s);
        sandboxd_sandbox_free(s);
        assert_int_equal(sandboxd_pause(c, "x", NULL, &err), 0);
        assert_int_equal(sandboxd_resume(c, "x", -1, NULL, &err), 0);
        assert_int_equal(sandboxd_kill(c, "x", &err), 0);
        expect_request(f, 0, "sandbox.set_timeout", "{\"sandbox_id\":\"x\",\"timeout\":30}");
        expect_request(f, 1, "sandbox.pause", "{\"sandbox_id\":\"x\"}");
        expect_request(f, 2, "sandbox.resume", "{\"sandbox_id\":\"x\"}");
        expect_request(f, 3, "sandbox.kill", "{\"sandbox_id\":\"x\"}");

        /* Refused locally: nothing reaches the daemon. */
        assert_int_equal(sandboxd_kill(c, NULL, &err), -EINVAL);
        assert_int_equal(err.code, 0);
        sandboxd_disconnect(c);
        fake_stop(f);
}

static void test_list(void **state)
{
        const char *replies[] = {
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":{\"sandboxes\":[" SANDBOX_JSON
            "," PAUSED_JSON "],\"count\":2,\"has_more\":true,\"next_cursor\":\"Y3Vyc29y\"}}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":{\"sandboxes\":[],\"count\":0,"
            "\"has_more\":false,\"next_cursor\":null}}\n",
        };
        struct fake *f = fake_start(replies, 2);
        sandboxd_client *c = fake_connect(f);
        sandboxd_kv equals[] = {{"env", "dev"}};
        const char *exists[] = {"user_id", "team"};
        sandboxd_list_opts opts = sandboxd_list_opts_default();
        sandboxd_page *page = NULL;
        sandboxd_error err;

        opts.state_mask = SANDBOXD_STATE_RUNNING;
        opts.metadata_equals = equals;
        opts.n_metadata_equals = 1;
        opts.metadata_exists = exists;
        opts.n_metadata_exists = 2;
        opts.since = "1700000000";
        opts.until = "2026-12-01T00:00:00Z";
        opts.internet_access = 0;
        opts.min_exec_count = 1;
        opts.template_id = "host";
        opts.order = "asc";
        opts.limit = 2;
        opts.cursor = "abc";
        assert_int_equal(sandboxd_list(c, &opts, &page, &err), 0);
        expect_request(f, 0, "sandbox.list",
                       "{\"state\":[\"running\"],\"metadata_equals\":{\"env\":\"dev\"},"
                       "\"metadata_exists\":[\"user_id\",\"team\"],\"since\":1700000000,"
                       "\"until\":\"2026-12-01T00:00:00Z\",\"internet_access\":false,"
                       "\"min_exec_count\":1,\"template_id\":\"host\",\"order\":\"asc\","
                       "\"limit\":2,\"cursor\":\"abc\"}");
        assert_int_equal(page->count, 2);
        check_sandbox(page->sandboxes[0]);
        assert_string_equal(page->sandboxes[1]->sandbox_id, "aaaaaaaaaaaaaaaaaaaa");
        assert_true(page->has_more);
        assert_string_equal(page->next_cursor, "Y3Vyc29y");
        sandboxd_page_free(page);

        assert_int_equal(sandboxd_list(c, NULL, &page, &err), 0);
        expect_request(f, 1, "sandbox.list", "{}");
        assert_int_equal(page->count, 0);
        assert_false(page->has_more);
        assert_null(page->next_cursor);
        sandboxd_page_free(page);
        sandboxd_disconnect(c);
        fake_stop(f);
}

static void test_exec_utf8(void **state)
{
        const char *replies[] = {
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":{\"exit_code\":3,\"signal\":null,"
            "\"timed_out\":false,\"stdout\":\"out\\u0000\\n\",\"stderr\":\"\","
            "\"stdout_truncated\":true,\"stderr_truncated\":false,\"duration_ms\":1.9}}\n",
        };
        struct fake *f = fake_start(replies, 1);
        sandboxd_client *c = fake_connect(f);
        const char *argv[] = {"/bin/sh", "-c", "cat; exit 3", NULL};
        sandboxd_kv env[] = {{"A", "b"}};
        sandboxd_exec_opts opts = {
            .argv = argv,
            .env = env,
            .n_env = 1,
            .cwd = "/tmp",
            .stdin_data = "héllo",
            .stdin_len = 6,
            .timeout = 2.5,
        };
        sandboxd_exec_result *x = NULL;
        sandboxd_error err;

        assert_int_equal(sandboxd_exec(c, "sbx", &opts, &x, &err), 0);
        expect_request(f, 0, "sandbox.exec",
                       "{\"sandbox_id\":\"sbx\",\"argv\":[\"/bin/sh\",\"-c\",\"cat; exit 3\"],"
                       "\"env\":{\"A\":\"b\"},\"cwd\":\"/tmp\",\"stdin\":\"héllo\","
                       "\"timeout\":2.5}");
        assert_int_equal(x->exit_code, 3);
        assert_int_equal(x->signal, 0);
        assert_false(x->timed_out);
        assert_int_equal(x->stdout_len, 5);
        assert_memory_equal(x->stdout_data, "out\0\n", 6);
        assert_int_equal(x->stderr_len, 0);
        assert_string_equal(x->stderr_data, "");
        assert_true(x->stdout_truncated);
        assert_false(x->stderr_truncated);
        assert_true(x->duration_ms > 1.8 && x->duration_ms < 2.0);
        sandboxd_exec_result_free(x);
        sandboxd_disconnect(c);
        fake_stop(f);
}

static void test_exec_base64(void **state)
{
        const char *replies[] = {
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":{\"exit_code\":null,\"signal\":9,"
            "\"timed_out\":true,\"stdout\":\"AGJ5dGVz/w==\",\"stderr\":\"YWI=\","
            "\"stdout_truncated\":false,\"stderr_truncated\":false,\"duration_ms\":5000}}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":{\"exit_code\":0,\"signal\":null,"
            "\"timed_out\":false,\"stdout\":\"AGJ5dGVz/w=\",\"stderr\":\"\"}}\n",
        };
        struct fake *f = fake_start(replies, 2);
        sandboxd_client *c = fake_connect(f);
        const char *argv[] = {"true", NULL};
        sandboxd_exec_opts opts = {.argv = argv, .base64 = true};
        sandboxd_exec_result *x = NULL;
        sandboxd_error err;

        assert_int_equal(sandboxd_exec(c, "sbx", &opts, &x, &err), 0);
        expect_request(f, 0, "sandbox.exec",
                       "{\"sandbox_id\":\"sbx\",\"argv\":[\"true\"],\"encoding\":\"base64\"}");
        assert_int_equal(x->exit_code, -1);
        assert_int_equal(x->signal, 9);
        assert_true(x->timed_out);
        assert_int_equal(x->stdout_len, 7);
        assert_memory_equal(x->stdout_data, "\0bytes\xff", 7);
        assert_int_equal(x->stderr_len, 2);
        assert_string_equal(x->stderr_data, "ab");
        assert_true(x->duration_ms == 5000.0);
        sandboxd_exec_result_free(x);

        /* Bad base64 from the daemon is a malformed reply, not garbage bytes. */
        x = NULL;
        assert_int_equal(sandboxd_exec(c, "sbx", &opts, &x, &err), -EBADMSG);
        assert_null(x);
        assert_int_equal(err.code, 0);
        assert_non_null(strstr(err.message, "stdout"));
        sandboxd_disconnect(c);
        fake_stop(f);
}

static void test_exec_refused_locally(void **state)
{
        struct fake *f = fake_start(NULL, 0);
        sandboxd_client *c = fake_connect(f);
        const char *argv[] = {"cat", NULL}, *no_argv[] = {NULL};
        sandboxd_exec_opts opts = {.argv = argv, .stdin_data = "\xff\xfe", .stdin_len = 2};
        sandboxd_kv bad_env[] = {{"\xc0\x80", "x"}};
        sandboxd_exec_result *x = NULL;
        sandboxd_error err;

        /* The protocol carries text: raw bytes cannot be stdin. */
        assert_int_equal(sandboxd_exec(c, "sbx", &opts, &x, &err), -EINVAL);
        assert_int_equal(err.code, 0);
        assert_non_null(strstr(err.message, "stdin"));
        opts.stdin_data = NULL;
        opts.env = bad_env;
        opts.n_env = 1;
        assert_int_equal(sandboxd_exec(c, "sbx", &opts, &x, &err), -EINVAL);
        assert_non_null(strstr(err.message, "env"));
        opts.env = NULL;
        opts.n_env = 0;
        opts.argv = no_argv;
        assert_int_equal(sandboxd_exec(c, "sbx", &opts, &x, &err), -EINVAL);
        assert_null(x);
        sandboxd_disconnect(c);
        fake_stop(f);
}

static void test_errors(void **state)
{
        const char *replies[] = {
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"error\":{\"code\":-32602,\"message\":\"limit "
            "must be 1..100\",\"data\":{\"reason\":\"invalid_argument\",\"field\":\"limit\"}}}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"error\":{\"code\":-32001,\"message\":\"no such "
            "sandbox\",\"data\":{\"reason\":\"not_found\"}}}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"bad\"}}\n",
            "{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":{\"nothing\":1}}\n",
        };
        struct fake *f = fake_start(replies, 4);
        sandboxd_client *c = fake_connect(f);
        sandboxd_list_opts opts = sandboxd_list_opts_default();
        sandboxd_sandbox *s = (sandboxd_sandbox *)&s;
        sandboxd_page *page = NULL;
        sandboxd_error err;

        opts.limit = 1000;
        assert_int_equal(sandboxd_list(c, &opts, &page, &err), -EREMOTEIO);
        assert_null(page);
        assert_int_equal(err.code, -32602);
        assert_string_equal(err.reason, "invalid_argument");
        assert_string_equal(err.message, "limit must be 1..100");
        assert_string_equal(err.field, "limit");

        assert_int_equal(sandboxd_get(c, "nope", &s, &err), -EREMOTEIO);
        assert_ptr_equal(s, (sandboxd_sandbox *)&s);
        assert_int_equal(err.code, -32001);
        assert_string_equal(err.reason, "not_found");
        assert_string_equal(err.field, "");

        /* An error with a null id answers the one request outstanding; no data: reason from
         * the code. */
        assert_int_equal(sandboxd_get(c, "x", &s, &err), -EREMOTEIO);
        assert_int_equal(err.code, -32600);
        assert_string_equal(err.reason, "invalid_request");

        /* A result that is not a sandbox object. */
        assert_int_equal(sandboxd_get(c, "x", &s, NULL), -EBADMSG);
        assert_ptr_equal(s, (sandboxd_sandbox *)&s);
        sandboxd_disconnect(c);
        fake_stop(f);
}

static void test_daemon_gone(void **state)
{
        const char *replies[] = {"{}\n"};
        struct fake *f = fake_start(replies, 1);
        sandboxd_client *c = fake_connect(f);
        sandboxd_error err;

        /* A socket we can no longer write to. */
        assert_int_equal(shutdown(sandboxd_fd(c), SHUT_WR), 0);
        assert_int_equal(sandboxd_call(c, "system.info", "{}", NULL, &err), -EPIPE);
        assert_int_equal(err.code, 0);
        sandboxd_disconnect(c);
        fake_stop(f);
}

static void test_eof_while_waiting(void **state)
{
        const char *replies[] = {"{\"jsonrpc\":\"2.0\",\"method\":\"note\"}\n{\"jsonrpc\""};
        struct fake *f = fake_start_full(replies, 1, true);
        sandboxd_client *c = fake_connect(f);
        sandboxd_error err;
        char *result = NULL;

        /* A notification, half a line, and the daemon is gone. */
        assert_int_equal(sandboxd_call(c, "m", NULL, &result, &err), -ECONNRESET);
        assert_null(result);
        assert_int_equal(err.code, 0);
        assert_non_null(strstr(err.message, "closed"));
        sandboxd_disconnect(c);
        fake_stop(f);
}

static void test_call_params(void **state)
{
        const char *replies[] = {"{\"jsonrpc\":\"2.0\",\"id\":@ID@,\"result\":null}\n"};
        struct fake *f = fake_start(replies, 1);
        sandboxd_client *c = fake_connect(f);
        sandboxd_error err;
        char *result = NULL;

        assert_int_equal(sandboxd_call(c, "m", "[1]", &result, &err), -EINVAL);
        assert_int_equal(sandboxd_call(c, "m", "{\"a\":", &result, &err), -EINVAL);
        assert_int_equal(sandboxd_call(c, "template.list", "{\"a\":\"/\"}", &result, &err), 0);
        expect_request(f, 0, "template.list", "{\"a\":\"/\"}");
        assert_string_equal(result, "null");
        free(result);
        sandboxd_disconnect(c);
        fake_stop(f);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_connect),
            cmocka_unit_test(test_connect_fails),
            cmocka_unit_test(test_create),
            cmocka_unit_test(test_skips_notifications_and_other_ids),
            cmocka_unit_test(test_lifecycle_params),
            cmocka_unit_test(test_list),
            cmocka_unit_test(test_exec_utf8),
            cmocka_unit_test(test_exec_base64),
            cmocka_unit_test(test_exec_refused_locally),
            cmocka_unit_test(test_errors),
            cmocka_unit_test(test_daemon_gone),
            cmocka_unit_test(test_eof_while_waiting),
            cmocka_unit_test(test_call_params),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
