/* libFuzzer harness for libsandboxd's reply decoders (ipc/client.c), through the public API
 * only: a fake daemon on a socket in a temporary directory has the input written and its end
 * shut before the call, so the library reads the input as the answer to request id 1 (a
 * hostile or broken daemon, or another program on the socket path). The first byte picks the
 * call. The library must never crash nor leak, and an error must leave a printable message. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/macros.h"
#include "sandboxd/client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ID       "k3v9q0x2m7c4b8n1z5a6"
#define MAX_SIZE (64 * 1024) /* fits in the socket buffer: written before the call reads it */

static char dir[64], sock_path[108];
static int listen_fd = -1;

static void cleanup(void)
{
        close(listen_fd);
        unlink(sock_path);
        rmdir(dir);
}

static void setup(void)
{
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        const char *tmp = getenv("TMPDIR");

        snprintf(dir, sizeof(dir), "%s/fuzz-client.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        if (!mkdtemp(dir))
                abort();
        snprintf(sock_path, sizeof(sock_path), "%s/s", dir);
        memcpy(sa.sun_path, sock_path, strlen(sock_path));
        listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
            listen(listen_fd, 4) < 0)
                abort();
        atexit(cleanup);
}

static void on_output(int stream, const char *chunk, size_t len, void *userdata)
{
        if ((stream != 1 && stream != 2) || (len > 0 && !chunk))
                abort();
        *(size_t *)userdata += len;
}

static void check_result(sandboxd_exec_result *x)
{
        if (x && ((x->stdout_data && x->stdout_data[x->stdout_len] != '\0') ||
                  (x->stderr_data && x->stderr_data[x->stderr_len] != '\0')))
                abort();
        sandboxd_exec_result_free(x);
}

static int call_exec(sandboxd_client *c, unsigned op, sandboxd_error *err)
{
        static const char *const argv[] = {"true", NULL};
        sandboxd_exec_opts o = {.argv = argv, .base64 = op & 1};
        sandboxd_exec_result *x = NULL;
        size_t streamed = 0;
        int r = op & 2 ? sandboxd_exec_stream(c, ID, &o, on_output, &streamed, &x, err)
                       : sandboxd_exec(c, ID, &o, &x, err);

        check_result(x);
        return r;
}

static int call_sandbox(sandboxd_client *c, unsigned op, sandboxd_error *err)
{
        sandboxd_create_opts co = sandboxd_create_opts_default();
        sandboxd_sandbox *s = NULL;
        int r;

        switch (op) {
        case 0:
                r = sandboxd_get(c, ID, &s, err);
                break;
        case 1:
                r = sandboxd_create(c, &co, &s, err);
                break;
        default:
                r = sandboxd_pause(c, ID, &s, err);
                break;
        }
        sandboxd_sandbox_free(s);
        return r;
}

static int call(sandboxd_client *c, unsigned op, sandboxd_error *err)
{
        _cleanup_free_ char *text = NULL;
        sandboxd_page *page = NULL;
        int r;

        switch (op % 8) {
        case 0:
                return sandboxd_call(c, "sandbox.get", "{\"sandbox_id\":\"" ID "\"}", &text, err);
        case 1:
                r = sandboxd_list(c, NULL, &page, err);
                sandboxd_page_free(page);
                return r;
        case 2:
        case 3:
        case 4:
        case 5:
                return call_exec(c, op % 8 - 2, err);
        default:
                return call_sandbox(c, op % 8 - 6 + (op / 8) % 2, err);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        sandboxd_client *c = NULL;
        sandboxd_error err;
        _cleanup_close_ int fd = -1;
        int r;

        if (size < 1 || size > MAX_SIZE)
                return 0;
        if (listen_fd < 0)
                setup();
        if (sandboxd_connect(sock_path, &c, &err) < 0)
                abort();
        fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0 || write(fd, data + 1, size - 1) != (ssize_t)(size - 1) ||
            shutdown(fd, SHUT_WR) < 0)
                abort();
        r = call(c, data[0], &err);
        if (r < 0 && !memchr(err.message, '\0', sizeof(err.message)))
                abort();
        sandboxd_disconnect(c);
        return 0;
}
