/* sandboxd-bench: latency and throughput of the core operations, measured through libsandboxd
 * against a running daemon, next to the host's own floors (fork+execve, a pipe), bubblewrap and
 * runc running `true`, and the host memory an idle sandbox costs. Every sandbox it creates is
 * tracked and killed before it exits, on success, on error and after SIGINT/SIGTERM/SIGHUP. */
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

#include "bench/bench.h"
#include "common/macros.h"
#include "sandboxd/client.h"

#define DEFAULT_N      200
#define DEFAULT_TPUT_N 20 /* 20 x 16 MiB: each capture row moves over 300 MiB */
#define DEFAULT_LIVE   1000
#define CREATE_TIMEOUT 600 /* a sandbox left behind by a crash still dies within 10 min */
#define LIST_LIMIT     100
#define GROUPS         10
#define EXIT_USAGE     2
#define EXIT_SIGNAL    130
#define CAPTURE_CAP    (16 * MIB) /* sandbox.exec capture returns at most this per stream */
#define BIG            (100 * MIB)
#define MEMINFO_READS  5

static volatile sig_atomic_t interrupted;

static double now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void on_signal(int sig)
{
        interrupted = sig;
}

/* No SA_RESTART: a blocking wait returns so the loops notice the flag and clean up. */
static void install_signals(void)
{
        static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
        struct sigaction sa = {.sa_handler = on_signal};

        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
                sigaction(sigs[i], &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
}

int report(int r, const char *what, const sandboxd_error *err)
{
        if (r == -EREMOTEIO)
                fprintf(stderr, "sandboxd-bench: %s: %s (%s)\n", what, err->message, err->reason);
        else if (err && err->message[0])
                fprintf(stderr, "sandboxd-bench: %s: %s\n", what, err->message);
        else
                fprintf(stderr, "sandboxd-bench: %s: %s\n", what, strerror(-r));
        return r;
}

/* Marks row k n/a with a reason; the first reason stays. */
static int mark_na(struct bench *b, enum op_id k, const char *reason)
{
        if (b->res[k].na)
                return 0;
        b->res[k].na = strdup(reason);
        return b->res[k].na ? 0 : -ENOMEM;
}

/* A command's wait status as an error: 0 when it exited 0. */
static int check_status(int status, const char *what)
{
        if (status < 0)
                return report(status, what, NULL);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        if (WIFEXITED(status))
                fprintf(stderr, "sandboxd-bench: %s exited %d\n", what, WEXITSTATUS(status));
        else
                fprintf(stderr, "sandboxd-bench: %s killed by signal %d\n", what, WTERMSIG(status));
        return -ECHILD;
}

/* --- tracker ------------------------------------------------------------------------------ */

static int track_add(struct tracker *t, const char *id)
{
        if (t->n == t->cap) {
                size_t cap = t->cap ? t->cap * 2 : 256;
                char **ids = realloc(t->ids, cap * sizeof(*ids));
                if (!ids)
                        return -ENOMEM;
                t->ids = ids;
                t->cap = cap;
        }
        t->ids[t->n] = strdup(id);
        if (!t->ids[t->n])
                return -ENOMEM;
        t->n++;
        return 0;
}

/* Forgets id, keeping the order; the search runs from the end, where the latest one is. */
static void track_remove(struct tracker *t, const char *id)
{
        for (size_t i = t->n; i-- > 0;)
                if (strcmp(t->ids[i], id) == 0) {
                        free(t->ids[i]);
                        memmove(t->ids + i, t->ids + i + 1, (--t->n - i) * sizeof(*t->ids));
                        return;
                }
}

static int bench_connect(struct bench *b)
{
        sandboxd_error err = {0};
        int r = sandboxd_connect(b->socket, &b->client, &err);

        return r < 0 ? report(r, "connect", &err) : 0;
}

/* Creates a sandbox with timeout CREATE_TIMEOUT and tracks it; ret_id borrows the tracked id. */
static int bench_create(struct bench *b, const sandboxd_kv *meta, size_t n_meta,
                        const char **ret_id)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        sandboxd_sandbox *s = NULL;
        sandboxd_error err = {0};
        int r;

        o.timeout = CREATE_TIMEOUT;
        o.metadata = meta;
        o.n_metadata = n_meta;
        r = sandboxd_create(b->client, &o, &s, &err);
        if (r < 0)
                return report(r, "sandbox.create", &err);
        r = track_add(&b->tr, s->sandbox_id);
        sandboxd_sandbox_free(s);
        if (r < 0)
                return report(r, "track", NULL);
        if (ret_id)
                *ret_id = b->tr.ids[b->tr.n - 1];
        return 0;
}

static int bench_kill(struct bench *b, const char *id)
{
        _cleanup_free_ char *copy = strdup(id);
        sandboxd_error err = {0};
        int r;

        if (!copy)
                return -ENOMEM;
        r = sandboxd_kill(b->client, copy, &err);
        /* not_found: it is gone already (its timeout, or the daemon killed it). */
        if (r < 0 && !(r == -EREMOTEIO && strcmp(err.reason, "not_found") == 0))
                return report(r, "sandbox.kill", &err);
        track_remove(&b->tr, copy);
        return 0;
}

static int bench_reconnect(struct bench *b)
{
        if (b->client)
                sandboxd_disconnect(b->client);
        b->client = NULL;
        return bench_connect(b);
}

/* Kills everything still tracked, newest first. A daemon error skips that sandbox; a broken
 * connection is reopened once. */
static void bench_kill_all(struct bench *b)
{
        bool reconnected = false;
        size_t i = b->tr.n;

        if (b->tr.n > 0)
                fprintf(stderr, "sandboxd-bench: killing %zu sandboxes\n", b->tr.n);
        while (i > 0) {
                int r = b->client ? bench_kill(b, b->tr.ids[i - 1]) : -ENOTCONN;
                if (r >= 0 || r == -EREMOTEIO) {
                        i--;
                        continue;
                }
                if (reconnected || bench_reconnect(b) < 0)
                        break;
                reconnected = true;
        }
        if (b->tr.n > 0)
                fprintf(stderr, "sandboxd-bench: %zu sandboxes could not be killed\n", b->tr.n);
}

static void bench_done(struct bench *b)
{
        bench_kill_all(b);
        if (b->client)
                sandboxd_disconnect(b->client);
        fdexec_done(&b->fdx);
        for (size_t i = 0; i < b->tr.n; i++)
                free(b->tr.ids[i]);
        free(b->tr.ids);
        if (b->json_f) {
                fclose(b->json_f);
                unlink(b->json_tmp);
        }
        free(b->json_tmp);
        free(b->exec_id);
        free(b->samples);
        argv_buf_done(&b->bwrap_argv);
        for (size_t k = 0; k < N_OPS; k++)
                free(b->res[k].na);
}

/* --- host floors and other tools ------------------------------------------------------------ */

static int step_floor(struct bench *b, const struct op *op, unsigned i)
{
        static char *const argv[] = {"true", NULL};
        static char *const envp[] = {NULL};
        int status;
        pid_t pid = fork();

        if (pid < 0)
                return report(negative_errno(), "fork", NULL);
        if (pid == 0) {
                execve("/bin/true", argv, envp);
                _exit(127);
        }
        while (waitpid(pid, &status, 0) < 0)
                if (errno != EINTR)
                        return report(negative_errno(), "waitpid", NULL);
        return check_status(status, "/bin/true");
}

/* `head -c BYTES /dev/zero` read to EOF through a pipe: what the exec throughput rows cost
 * with no sandbox and no JSON in between. */
static int step_pipe(struct bench *b, const struct op *op, unsigned i)
{
        char *const *argv = op->arg;
        uint64_t bytes = 0;
        int r = check_status(spawn_run(argv, SPAWN_OUT_COUNT, &bytes), argv[0]);

        if (r == 0 && bytes != op->bytes) {
                fprintf(stderr, "sandboxd-bench: host pipe: %llu bytes, expected %llu\n",
                        (unsigned long long)bytes, (unsigned long long)op->bytes);
                r = -EPROTO;
        }
        return r;
}

static int argv_push3(struct argv_buf *a, const char *x, const char *y, const char *z)
{
        int r = argv_push(a, x);

        r = r < 0 ? r : argv_push(a, y);
        return r < 0 ? r : argv_push(a, z);
}

/* bwrap's root, as close as bwrap gets to sandboxd's host template: the host's system
 * directories read-only (or the same symlink where the host has one), /etc, a fresh /proc and
 * /dev, a tmpfs /tmp, and the root itself read-only. */
static int bwrap_root_args(struct argv_buf *a)
{
        static const char *const dirs[] = {"/usr",   "/bin",   "/sbin",   "/lib",
                                           "/lib32", "/lib64", "/libx32", "/etc"};
        static const char *const tail[] = {"--proc",  "/proc", "--dev",        "/dev",
                                           "--tmpfs", "/tmp",  "--remount-ro", "/"};
        int r = 0;

        for (size_t i = 0; i < ELEMENTSOF(dirs) && r >= 0; i++) {
                char target[PATH_MAX];
                struct stat st;
                ssize_t n;
                if (lstat(dirs[i], &st) < 0)
                        continue;
                if (!S_ISLNK(st.st_mode))
                        r = argv_push3(a, "--ro-bind", dirs[i], dirs[i]);
                else if ((n = readlink(dirs[i], target, sizeof(target) - 1)) > 0) {
                        target[n] = '\0';
                        r = argv_push3(a, "--symlink", target, dirs[i]);
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(tail) && r >= 0; i++)
                r = argv_push(a, tail[i]);
        return r;
}

/* The namespaces sandboxd unshares, user namespace included. */
static int prepare_bwrap(struct bench *b, enum op_id k)
{
        static const char *const ns[] = {"--unshare-user", "--unshare-pid", "--unshare-uts",
                                         "--unshare-ipc",  "--unshare-net", "--unshare-cgroup"};
        struct argv_buf *a = &b->bwrap_argv;
        int r;

        if (!b->bwrap)
                return mark_na(b, k, "no --bwrap given");
        r = argv_push(a, b->bwrap);
        for (size_t i = 0; i < ELEMENTSOF(ns) && r >= 0; i++)
                r = argv_push(a, ns[i]);
        if (r < 0 || (r = bwrap_root_args(a)) < 0 || (r = argv_push(a, "/bin/true")) < 0)
                return report(r, "bwrap argv", NULL);
        return 0;
}

static int step_bwrap(struct bench *b, const struct op *op, unsigned i)
{
        return check_status(spawn_run(b->bwrap_argv.v, SPAWN_OUT_DISCARD, NULL), "bwrap");
}

static int prepare_runc(struct bench *b, enum op_id k)
{
        if (!b->runc)
                return mark_na(b, k, "no --runc given");
        if (!b->runc_bundle || !b->runc_root)
                return mark_na(b, k, "--runc needs --runc-bundle and --runc-root");
        return 0;
}

/* `runc run` in the foreground, the whole command timed; each sample has its own id. */
static int step_runc(struct bench *b, const struct op *op, unsigned i)
{
        char *const argv[] = {(char *)b->runc, "--root",   (char *)b->runc_root,
                              "run",           "--bundle", (char *)b->runc_bundle,
                              b->runc_id,      NULL};

        snprintf(b->runc_id, sizeof(b->runc_id), "sandboxd-bench-%d-%u", (int)getpid(), i);
        return check_status(spawn_run(argv, SPAWN_OUT_DISCARD, NULL), "runc run");
}

/* runc run removes a container that exited; delete -f covers one it left behind. */
static int after_runc(struct bench *b, unsigned i)
{
        char *const argv[] = {(char *)b->runc, "--root", (char *)b->runc_root, "delete", "-f",
                              b->runc_id,      NULL};

        return check_status(spawn_run(argv, SPAWN_OUT_DISCARD, NULL), "runc delete");
}

/* --- sandboxd ----------------------------------------------------------------------------- */

static int step_create(struct bench *b, const struct op *op, unsigned i)
{
        return bench_create(b, NULL, 0, NULL);
}

/* A create with internet access and op->arg as its "network" (NULL for none), through the
 * generic call: the options struct has no egress policy. */
static int step_create_net(struct bench *b, const struct op *op, unsigned i)
{
        char params[512], *result = NULL;
        sandboxd_error err = {0};
        snprintf(params, sizeof(params), "{\"internet_access\": true, \"timeout\": %d%s%s}",
                 CREATE_TIMEOUT, op->arg ? ", \"network\": " : "",
                 op->arg ? (const char *)op->arg : "");
        int r = sandboxd_call(b->client, "sandbox.create", params, &result, &err);
        if (r < 0)
                return report(r, "sandbox.create (internet)", &err);
        const char *p = strstr(result, "\"sandbox_id\"");
        p = p ? strchr(p + 12, '"') : NULL;
        char id[24] = "";
        if (p)
                snprintf(id, sizeof(id), "%.20s", p + 1);
        free(result);
        r = id[0] ? track_add(&b->tr, id) : -EPROTO;
        return r < 0 ? report(r, "track", NULL) : 0;
}

/* The networked sandboxes go, so that the rows after see none of them. */
static int finish_kill_all(struct bench *b)
{
        int r = 0;
        while (b->tr.n > 0 && r >= 0)
                r = bench_kill(b, b->tr.ids[b->tr.n - 1]);
        return r;
}

/* An allow-list of a few CIDRs and names: a chain and six sets per sandbox, and its resolver. */
static const char egress_policy[] =
    "{\"deny_out\": [\"0.0.0.0/0\", \"::/0\"], \"allow_out\": [\"192.0.2.0/24\", "
    "\"2001:db8::/32\", \"198.51.100.7\", \"example.com\", \"*.example.org\"]}";

/* Tops the tracked sandboxes up to n, so each kill sample has one created beforehand. */
static int prepare_kill(struct bench *b, enum op_id k)
{
        int r;

        while (b->tr.n < b->n) {
                if (interrupted)
                        return -EINTR;
                if ((r = bench_create(b, NULL, 0, NULL)) < 0)
                        return r;
        }
        return 0;
}

static int step_kill(struct bench *b, const struct op *op, unsigned i)
{
        return bench_kill(b, b->tr.ids[b->tr.n - 1]);
}

static void sandboxd_exec_result_freep(sandboxd_exec_result **x)
{
        if (*x)
                sandboxd_exec_result_free(*x);
}

/* What an exec row runs and what it must get back. */
struct exec_case {
        const char *const *argv;
        bool base64;
        uint64_t stdout_len; /* bytes returned */
        bool truncated;      /* the command wrote more than the capture cap */
};

static int exec_check(struct bench *b, const sandboxd_exec_result *x, const struct exec_case *c)
{
        if (x->exit_code != 0) {
                fprintf(stderr, "sandboxd-bench: '%s' exited %d (signal %d) in %s\n", c->argv[0],
                        x->exit_code, x->signal, b->exec_id);
                return -EPROTO;
        }
        if (x->stdout_len != c->stdout_len || x->stdout_truncated != c->truncated) {
                fprintf(stderr, "sandboxd-bench: '%s' returned %zu bytes%s, expected %llu%s\n",
                        c->argv[0], x->stdout_len, x->stdout_truncated ? " (truncated)" : "",
                        (unsigned long long)c->stdout_len, c->truncated ? " (truncated)" : "");
                return -EPROTO;
        }
        return 0;
}

static int exec_run(struct bench *b, const char *id, const struct exec_case *c)
{
        _cleanup_(sandboxd_exec_result_freep) sandboxd_exec_result *x = NULL;
        sandboxd_exec_opts o = {.argv = c->argv, .base64 = c->base64};
        sandboxd_error err = {0};
        int r = sandboxd_exec(b->client, id, &o, &x, &err);

        return r < 0 ? report(r, "sandbox.exec", &err) : exec_check(b, x, c);
}

static const struct exec_case exec_true = {.argv = (const char *const[]){"true", NULL}};

static int prepare_exec(struct bench *b, enum op_id k)
{
        const char *id;
        int r = bench_create(b, NULL, 0, &id);

        if (r < 0)
                return r;
        b->exec_id = strdup(id);
        return b->exec_id ? 0 : -ENOMEM;
}

static int step_exec(struct bench *b, const struct op *op, unsigned i)
{
        return exec_run(b, b->exec_id, op->arg);
}

/* The exec sandbox goes, so that the list runs see exactly --live sandboxes. */
static int finish_exec(struct bench *b)
{
        _cleanup_free_ char *id = TAKE_PTR(b->exec_id);

        return id ? bench_kill(b, id) : 0;
}

static int step_cycle(struct bench *b, const struct op *op, unsigned i)
{
        _cleanup_free_ char *id = NULL;
        const char *tracked;
        int r = bench_create(b, NULL, 0, &tracked);

        if (r < 0)
                return r;
        id = strdup(tracked);
        if (!id)
                return -ENOMEM;
        r = exec_run(b, id, &exec_true);
        if (r < 0)
                return r;
        return bench_kill(b, id);
}

/* --- stdio "fds" -------------------------------------------------------------------------- */

static int fds_run(struct bench *b, const struct op *op, sandboxd_error *err)
{
        uint64_t bytes = 0;
        int exit_code = -1;
        int r = fdexec_run(&b->fdx, b->exec_id, op->arg, &bytes, &exit_code, err);

        if (r < 0)
                return r;
        if (exit_code != 0 || bytes != op->bytes) {
                fprintf(stderr, "sandboxd-bench: stdio fds: exit %d, %llu bytes, expected %llu\n",
                        exit_code, (unsigned long long)bytes, (unsigned long long)op->bytes);
                return -EPROTO;
        }
        return 0;
}

/* One untimed try tells whether the daemon has the mode: this version refuses it with
 * invalid_argument on "stdio". Any other refusal also leaves the row n/a, with its message. */
static int prepare_fds(struct bench *b, enum op_id k)
{
        sandboxd_error err = {0};
        int r;

        if ((r = prepare_exec(b, k)) < 0)
                return r;
        if ((r = fdexec_connect(b->socket, &b->fdx)) < 0)
                return report(r, "connect (stdio fds)", NULL);
        r = fds_run(b, &OPS[k], &err);
        if (r == -EREMOTEIO && strcmp(err.reason, "invalid_argument") == 0 &&
            strcmp(err.field, "stdio") == 0) {
                fprintf(stderr, "sandboxd-bench:   n/a: %s\n", err.message);
                return mark_na(b, k, "not implemented");
        }
        if (r == -EREMOTEIO) {
                report(r, "sandbox.exec (stdio fds)", &err);
                return mark_na(b, k, err.message);
        }
        return r < 0 ? report(r, "sandbox.exec (stdio fds)", NULL) : 0;
}

static int step_fds(struct bench *b, const struct op *op, unsigned i)
{
        sandboxd_error err = {0};
        int r = fds_run(b, op, &err);

        return r < 0 ? report(r, "sandbox.exec (stdio fds)", &err) : 0;
}

static int finish_fds(struct bench *b)
{
        fdexec_done(&b->fdx);
        return finish_exec(b);
}

/* --- live sandboxes: density and list ------------------------------------------------------- */

/* MemAvailable in KiB, or -errno. */
static long mem_available_kib(void)
{
        _cleanup_fclose_ FILE *f = fopen("/proc/meminfo", "re");
        char line[256];
        long kib;

        if (!f)
                return negative_errno();
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "MemAvailable: %ld kB", &kib) == 1)
                        return kib;
        return -ENODATA;
}

static int cmp_long(const void *a, const void *b)
{
        long x = *(const long *)a, y = *(const long *)b;

        return (x > y) - (x < y);
}

/* The median of a few reads 200 ms apart: one read catches whatever else the host is doing. */
static long mem_available_settled(void)
{
        long v[MEMINFO_READS];

        for (size_t i = 0; i < ELEMENTSOF(v); i++) {
                if (i > 0)
                        nanosleep(&(struct timespec){.tv_nsec = 200 * 1000 * 1000}, NULL);
                if ((v[i] = mem_available_kib()) < 0)
                        return v[i];
        }
        qsort(v, ELEMENTSOF(v), sizeof(*v), cmp_long);
        return v[ELEMENTSOF(v) / 2];
}

/* The memory charged to the sandboxes' cgroups (each under the daemon's parent) in KiB, or -1:
 * cgroup v1's memory controller, else v2. */
static long cgroup_charged_kib(const struct bench *b)
{
        static const char *const files[] = {"/sys/fs/cgroup/memory/%s/memory.usage_in_bytes",
                                            "/sys/fs/cgroup/%s/memory.current"};
        unsigned long long bytes;

        for (size_t i = 0; b->cgroup_parent && i < ELEMENTSOF(files); i++) {
                char path[PATH_MAX];
                snprintf(path, sizeof(path), files[i], b->cgroup_parent);
                _cleanup_fclose_ FILE *f = fopen(path, "re");
                if (f && fscanf(f, "%llu", &bytes) == 1)
                        return (long)(bytes / 1024);
        }
        return -1;
}

static int create_live_one(struct bench *b, unsigned i)
{
        char group[16];
        const sandboxd_kv meta[] = {{"bench", "yes"}, {"group", group}};

        snprintf(group, sizeof(group), "g%u", i % GROUPS);
        return bench_create(b, meta, ELEMENTSOF(meta), NULL);
}

static int create_live(struct bench *b)
{
        double t0 = now_ms();
        int r;

        fprintf(stderr, "sandboxd-bench: creating %u live sandboxes\n", b->live);
        for (unsigned i = 0; i < b->live; i++) {
                if (interrupted)
                        return -EINTR;
                if ((r = create_live_one(b, i)) < 0) {
                        fprintf(stderr, "sandboxd-bench: live sandbox %u of %u failed\n", i + 1,
                                b->live);
                        return r;
                }
                if ((i + 1) % 250 == 0)
                        fprintf(stderr, "sandboxd-bench:   %u alive, %.1f s\n", i + 1,
                                (now_ms() - t0) / 1e3);
                if (i % GROUPS == 3 && b->live_expect < LIST_LIMIT)
                        b->live_expect++;
        }
        b->density.create_s = (now_ms() - t0) / 1e3;
        return 0;
}

/* Density: host memory per idle sandbox, as the fall of MemAvailable over creating them all
 * (no other sandbox of this run is alive before). */
static int prepare_list(struct bench *b, enum op_id k)
{
        struct density *d = &b->density;
        int r;

        if (b->live_ready)
                return 0;
        if ((d->before_kib = mem_available_settled()) < 0)
                return report((int)d->before_kib, "/proc/meminfo", NULL);
        d->cg_before_kib = cgroup_charged_kib(b);
        if ((r = create_live(b)) < 0)
                return r;
        if ((d->after_kib = mem_available_settled()) < 0)
                return report((int)d->after_kib, "/proc/meminfo", NULL);
        d->cg_after_kib = cgroup_charged_kib(b);
        d->ran = true;
        b->live_ready = true;
        return 0;
}

static int list_page(struct bench *b, const sandboxd_list_opts *o, size_t expect)
{
        sandboxd_page *page = NULL;
        sandboxd_error err = {0};
        int r = sandboxd_list(b->client, o, &page, &err);

        if (r < 0)
                return report(r, "sandbox.list", &err);
        if (page->count < expect) {
                fprintf(stderr, "sandboxd-bench: sandbox.list returned %zu, expected %zu\n",
                        page->count, expect);
                r = -EPROTO;
        }
        sandboxd_page_free(page);
        return r;
}

static int step_list_filtered(struct bench *b, const struct op *op, unsigned i)
{
        static const sandboxd_kv group[] = {{"group", "g3"}};
        sandboxd_list_opts o = sandboxd_list_opts_default();

        o.metadata_equals = group;
        o.n_metadata_equals = ELEMENTSOF(group);
        o.limit = LIST_LIMIT;
        return list_page(b, &o, b->live_expect);
}

static int step_list_all(struct bench *b, const struct op *op, unsigned i)
{
        sandboxd_list_opts o = sandboxd_list_opts_default();

        o.limit = LIST_LIMIT;
        return list_page(b, &o, b->live < LIST_LIMIT ? b->live : LIST_LIMIT);
}

/* --- the rows ----------------------------------------------------------------------------- */

#define HEAD_ZERO(n) ((const char *const[]){"head", "-c", #n, "/dev/zero", NULL})
#define HEAD_16      HEAD_ZERO(16777216)
#define HEAD_100     HEAD_ZERO(104857600)

/* utf8 of text: zeros would come back as \u0000, six bytes of JSON each. */
static const struct exec_case capture_b64 = {HEAD_16, true, CAPTURE_CAP, false};
static const struct exec_case capture_utf8 = {
    (const char *const[]){"sh", "-c", "head -c 16777216 /dev/zero | tr '\\0' a", NULL}, false,
    CAPTURE_CAP, false};
/* The command writes 100 MiB; the first 16 come back, the daemon reads and drops the rest. */
static const struct exec_case capture_100 = {HEAD_100, true, CAPTURE_CAP, true};

const struct op OPS[N_OPS] = {
    [OP_HOST] = {"host_fork_exec", "host fork+exec true", NO_REF, .step = step_floor},
    [OP_PIPE_16] = {"host_pipe_16mib", "host pipe 16 MiB", NO_REF, .tput = true,
                    .bytes = CAPTURE_CAP, .arg = HEAD_16, .step = step_pipe},
    [OP_PIPE_100] = {"host_pipe_100mib", "host pipe 100 MiB", NO_REF, .tput = true, .bytes = BIG,
                     .arg = HEAD_100, .step = step_pipe},
    [OP_BWRAP] = {"bwrap_true", "bwrap true", OP_HOST, .prepare = prepare_bwrap,
                  .step = step_bwrap},
    [OP_RUNC] = {"runc_true", "runc run true", OP_HOST, .prepare = prepare_runc, .step = step_runc,
                 .after = after_runc},
    [OP_CREATE] = {"create", "create", OP_HOST, .step = step_create},
    /* kill takes the sandboxes the create samples left. */
    [OP_KILL] = {"kill", "kill", OP_HOST, .prepare = prepare_kill, .step = step_kill},
    [OP_CREATE_NET] = {"create_internet", "create --internet", OP_CREATE, .step = step_create_net,
                       .finish = finish_kill_all},
    [OP_CREATE_EGRESS] = {"create_egress", "create --internet, egress", OP_CREATE_NET,
                          .arg = egress_policy, .step = step_create_net, .finish = finish_kill_all},
    [OP_EXEC] = {"exec", "exec true", OP_HOST, .arg = &exec_true, .prepare = prepare_exec,
                 .step = step_exec, .finish = finish_exec},
    [OP_CYCLE] = {"create_exec_kill", "create+exec true+kill", OP_HOST, .vs_tools = true,
                  .step = step_cycle},
    [OP_CAPTURE_B64] = {"exec_capture_base64_16mib", "exec 16 MiB capture base64", OP_PIPE_16,
                        .tput = true, .bytes = CAPTURE_CAP, .arg = &capture_b64,
                        .prepare = prepare_exec, .step = step_exec, .finish = finish_exec},
    [OP_CAPTURE_UTF8] = {"exec_capture_utf8_16mib", "exec 16 MiB capture utf8", OP_PIPE_16,
                         .tput = true, .bytes = CAPTURE_CAP, .arg = &capture_utf8,
                         .prepare = prepare_exec, .step = step_exec, .finish = finish_exec},
    [OP_CAPTURE_100] = {"exec_capture_base64_100mib", "exec 100 MiB capture (16 kept)", OP_PIPE_100,
                        .tput = true, .bytes = BIG, .arg = &capture_100, .prepare = prepare_exec,
                        .step = step_exec, .finish = finish_exec},
    [OP_FDS_100] = {"exec_fds_100mib", "exec 100 MiB stdio fds", OP_PIPE_100, .tput = true,
                    .bytes = BIG, .arg = HEAD_100, .prepare = prepare_fds, .step = step_fds,
                    .finish = finish_fds},
    [OP_LIST_FILTERED] = {"list_filtered", "list 100, g3 filter", OP_HOST, .live = true,
                          .prepare = prepare_list, .step = step_list_filtered},
    [OP_LIST_ALL] = {"list_unfiltered", "list 100, no filter", OP_HOST, .live = true,
                     .prepare = prepare_list, .step = step_list_all},
};

/* --- statistics --------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least p% of the samples at or below it. */
static double percentile(const double *sorted, size_t n, double p)
{
        size_t rank = (size_t)ceil(p / 100.0 * (double)n);

        return sorted[rank > 0 ? rank - 1 : 0];
}

static struct stats compute_stats(double *v, size_t n)
{
        double sum = 0;

        qsort(v, n, sizeof(*v), cmp_double);
        for (size_t i = 0; i < n; i++)
                sum += v[i];
        return (struct stats){
            .n = n,
            .p50 = percentile(v, n, 50),
            .p90 = percentile(v, n, 90),
            .p99 = percentile(v, n, 99),
            .mean = sum / (double)n,
            .min = v[0],
            .max = v[n - 1],
            .total = sum,
        };
}

static unsigned op_samples(const struct bench *b, enum op_id k)
{
        return OPS[k].tput ? b->tput_n : b->n;
}

/* The timed loop; after runs untimed after every step, a failed one too. */
static int sample(struct bench *b, enum op_id k)
{
        const struct op *op = &OPS[k];
        unsigned n = op_samples(b, k);
        int r;

        for (unsigned i = 0; i < n; i++) {
                if (interrupted)
                        return -EINTR;
                double t0 = now_ms();
                r = op->step(b, op, i);
                b->samples[i] = now_ms() - t0;
                if (op->after) {
                        int q = op->after(b, i);
                        r = r < 0 ? r : q;
                }
                if (r < 0)
                        return r;
        }
        b->res[k].st = compute_stats(b->samples, n);
        b->res[k].ran = true;
        return 0;
}

static int run_op(struct bench *b, enum op_id k)
{
        const struct op *op = &OPS[k];
        int r;

        if (b->res[k].na)
                return 0;
        fprintf(stderr, "sandboxd-bench: %s x %u\n", op->label, op_samples(b, k));
        if (op->prepare && (r = op->prepare(b, k)) < 0)
                return r;
        if (!b->res[k].na && (r = sample(b, k)) < 0)
                return r;
        return op->finish ? op->finish(b) : 0;
}

/* --- command line ------------------------------------------------------------------------- */

static const char USAGE[] =
    "Usage: sandboxd-bench [OPTION]...\n"
    "Measure sandboxd's core operations (p50/p90/p99, mean in ms; MiB/s for output), the host's\n"
    "floors, bwrap and runc running true, and host memory per idle sandbox.\n\n"
    "  --socket PATH       the daemon's socket (default: $" SANDBOXD_SOCKET_ENV
    ", else " SANDBOXD_DEFAULT_SOCKET ")\n"
    "  --n N               samples per latency row (default 200)\n"
    "  --tput-n N          samples per throughput row (default 20)\n"
    "  --live N            idle sandboxes for density and the list rows (default 1000)\n"
    "  --json FILE         also write the figures as JSON to FILE\n"
    "  --bwrap PATH        time PATH running true (else that row is n/a)\n"
    "  --runc PATH         time 'PATH run' of the bundle below (else that row is n/a)\n"
    "  --runc-bundle DIR   an OCI bundle whose process is /bin/true\n"
    "  --runc-root DIR     runc's state directory (--root)\n"
    "  --na KEY=REASON     do not run row KEY (its JSON key); show REASON instead\n"
    "  --cgroup-parent P   the daemon's cgroup_parent: density also reports what its cgroups\n"
    "                      are charged\n";

static bool parse_count(const char *s, unsigned *ret)
{
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || *s == '-' || v == 0 || v > 1000000)
                return false;
        *ret = (unsigned)v;
        return true;
}

static int usage_error(const char *fmt, const char *arg)
{
        fputs("sandboxd-bench: ", stderr);
        fprintf(stderr, fmt, arg);
        fputs("\nTry 'sandboxd-bench --help'.\n", stderr);
        return EXIT_USAGE;
}

/* --na KEY=REASON. */
static bool parse_na(struct bench *b, const char *s)
{
        const char *eq = strchr(s, '=');

        for (enum op_id k = 0; eq && k < N_OPS; k++)
                if (strlen(OPS[k].key) == (size_t)(eq - s) && strncmp(OPS[k].key, s, eq - s) == 0)
                        return mark_na(b, k, eq + 1) == 0;
        return false;
}

/* One option; false when its value is invalid. */
static bool apply_option(struct bench *b, int c, const char *v)
{
        switch (c) {
        case 's':
                b->socket = v;
                return true;
        case 'j':
                b->json_path = v;
                return true;
        case 'n':
                return parse_count(v, &b->n);
        case 't':
                return parse_count(v, &b->tput_n);
        case 'l':
                return parse_count(v, &b->live);
        case 'B':
                b->bwrap = v;
                return true;
        case 'R':
                b->runc = v;
                return true;
        case 'U':
                b->runc_bundle = v;
                return true;
        case 'T':
                b->runc_root = v;
                return true;
        case 'a':
                return parse_na(b, v);
        case 'c':
                b->cgroup_parent = v;
                return true;
        default:
                return false;
        }
}

/* Returns -1 to go on, else the exit status. */
static int parse_args(struct bench *b, int argc, char **argv)
{
        static const struct option longopts[] = {
            {"socket", required_argument, NULL, 's'},
            {"n", required_argument, NULL, 'n'},
            {"tput-n", required_argument, NULL, 't'},
            {"live", required_argument, NULL, 'l'},
            {"json", required_argument, NULL, 'j'},
            {"bwrap", required_argument, NULL, 'B'},
            {"runc", required_argument, NULL, 'R'},
            {"runc-bundle", required_argument, NULL, 'U'},
            {"runc-root", required_argument, NULL, 'T'},
            {"na", required_argument, NULL, 'a'},
            {"cgroup-parent", required_argument, NULL, 'c'},
            {"help", no_argument, NULL, 'h'},
            {0},
        };
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
                if (c == 'h') {
                        fputs(USAGE, stdout);
                        return EXIT_SUCCESS;
                }
                if (c == ':')
                        return usage_error("option '%s' needs a value", argv[optind - 1]);
                if (c == '?')
                        return usage_error("unknown option '%s'", argv[optind - 1]);
                if (!apply_option(b, c, optarg))
                        return usage_error("invalid value '%s'", optarg);
        }
        if (optind < argc)
                return usage_error("unexpected argument '%s'", argv[optind]);
        return -1;
}

static int run(struct bench *b)
{
        int r;

        b->samples = calloc(b->n > b->tput_n ? b->n : b->tput_n, sizeof(*b->samples));
        if (!b->samples)
                return -ENOMEM;
        if (b->json_path && (r = open_json(b)) < 0)
                return r;
        if ((r = bench_connect(b)) < 0)
                return r;
        if (getloadavg(&b->load_start, 1) < 1)
                b->load_start = -1;
        for (enum op_id k = 0; k < N_OPS; k++)
                if ((r = run_op(b, k)) < 0)
                        return r;
        print_table(b);
        fflush(stdout);
        return b->json_path ? write_json(b) : 0;
}

int main(int argc, char **argv)
{
        _cleanup_(bench_done) struct bench b = {
            .n = DEFAULT_N, .tput_n = DEFAULT_TPUT_N, .live = DEFAULT_LIVE, .fdx.sock = -1};
        int r = parse_args(&b, argc, argv);

        if (r >= 0)
                return r;
        install_signals();
        r = run(&b);
        if (interrupted) {
                fprintf(stderr, "sandboxd-bench: interrupted by signal %d\n", (int)interrupted);
                return EXIT_SIGNAL;
        }
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
