/* bench/spawn: run a host command to completion. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/spawn.h"
#include "common/macros.h"

extern char **environ;

static void spawn_file_actions_destroyp(posix_spawn_file_actions_t **fa)
{
        if (*fa)
                posix_spawn_file_actions_destroy(*fa);
}

/* Reads fd to EOF, counting. EINTR is retried: the child must be drained and reaped. */
static int drain(int fd, uint64_t *ret_bytes)
{
        static char buf[1 << 16];
        uint64_t total = 0;

        for (;;) {
                ssize_t n = read(fd, buf, sizeof(buf));
                if (n < 0 && errno == EINTR)
                        continue;
                if (n < 0)
                        return negative_errno();
                if (n == 0)
                        break;
                total += (uint64_t)n;
        }
        *ret_bytes = total;
        return 0;
}

static int reap(pid_t pid)
{
        int status;

        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return negative_errno();
        return status;
}

/* The child's stdout: the write end of a pipe (COUNT) or /dev/null (DISCARD). */
static int child_stdout(enum spawn_out out, int ret_pipe[2])
{
        if (out == SPAWN_OUT_COUNT)
                return pipe2(ret_pipe, O_CLOEXEC) < 0 ? negative_errno() : ret_pipe[1];
        ret_pipe[0] = -1;
        ret_pipe[1] = open("/dev/null", O_WRONLY | O_CLOEXEC);
        return ret_pipe[1] < 0 ? negative_errno() : ret_pipe[1];
}

int spawn_run(char *const argv[], enum spawn_out out, uint64_t *ret_bytes)
{
        posix_spawn_file_actions_t fa_storage;
        _cleanup_(spawn_file_actions_destroyp) posix_spawn_file_actions_t *fa = NULL;
        _cleanup_close_ int rd = -1, wr = -1;
        int p[2], r;
        uint64_t bytes = 0;
        pid_t pid;

        if ((r = child_stdout(out, p)) < 0)
                return r;
        rd = p[0];
        wr = p[1];
        if ((r = posix_spawn_file_actions_init(&fa_storage)) != 0)
                return -r;
        fa = &fa_storage;
        /* dup2 clears close-on-exec on the target; every other fd of ours stays out. */
        if ((r = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0)) != 0 ||
            (r = posix_spawn_file_actions_adddup2(fa, wr, 1)) != 0)
                return -r;
        if ((r = posix_spawnp(&pid, argv[0], fa, NULL, argv, environ)) != 0)
                return -r;
        wr = safe_close(wr);
        r = rd >= 0 ? drain(rd, &bytes) : 0;
        rd = safe_close(rd); /* after a failed drain, the child gets EPIPE rather than blocking */
        int status = reap(pid);
        if (r < 0 || status < 0)
                return r < 0 ? r : status;
        if (ret_bytes)
                *ret_bytes = bytes;
        return status;
}

int argv_push(struct argv_buf *a, const char *s)
{
        if (a->n + 2 > a->cap) {
                size_t cap = a->cap ? a->cap * 2 : 32;
                char **v = realloc(a->v, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                a->v = v;
                a->cap = cap;
        }
        a->v[a->n] = strdup(s);
        if (!a->v[a->n])
                return -ENOMEM;
        a->v[++a->n] = NULL;
        return 0;
}

void argv_buf_done(struct argv_buf *a)
{
        for (size_t i = 0; i < a->n; i++)
                free(a->v[i]);
        free(a->v);
        *a = (struct argv_buf){0};
}
