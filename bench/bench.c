/* sandboxd-bench: latency of the core operations, measured through libsandboxd against a
 * running daemon, next to the host's own fork+execve floor. Every sandbox it creates is tracked
 * and killed before it exits, on success, on error and after SIGINT/SIGTERM/SIGHUP. */
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "common/macros.h"
#include "sandboxd/client.h"

#define DEFAULT_N      200
#define DEFAULT_LIVE   1000
#define CREATE_TIMEOUT 600 /* a sandbox left behind by a crash still dies within 10 min */
#define LIST_LIMIT     100
#define GROUPS         10
#define EXIT_USAGE     2
#define EXIT_SIGNAL    130
#define MAX_OPS        16

static volatile sig_atomic_t interrupted;

/* The ids of every sandbox this run created and has not killed yet. */
struct tracker {
        char **ids;
        size_t n, cap;
};

struct stats {
        size_t n;
        double p50, p90, p99, mean, min, max;
};

struct bench {
        const char *socket;
        unsigned n, live;
        const char *json_path;
        char *json_tmp; /* json_path.tmp, renamed into place once written */
        FILE *json_f;   /* opened before the run, so a bad path fails at once */
        sandboxd_client *client;
        struct tracker tr;
        char *exec_id;      /* the sandbox the exec samples go into */
        bool live_ready;    /* the --live metadata sandboxes exist */
        size_t live_expect; /* sandboxes in group g3 a filtered page should return */
        double *samples;    /* n durations in ms, reused by every operation */
        struct stats stats[MAX_OPS];
};

/* One measured operation: prepare (untimed), n timed steps, finish (untimed). */
struct op {
        const char *key;   /* JSON key */
        const char *label; /* table row */
        bool ratio;        /* show p50 over the host floor's p50 */
        bool live;         /* runs with --live sandboxes alive */
        int (*prepare)(struct bench *b);
        int (*step)(struct bench *b, unsigned i);
        int (*finish)(struct bench *b);
};

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

static int report(int r, const char *what, const sandboxd_error *err)
{
        if (r == -EREMOTEIO)
                fprintf(stderr, "sandboxd-bench: %s: %s (%s)\n", what, err->message, err->reason);
        else if (err && err->message[0])
                fprintf(stderr, "sandboxd-bench: %s: %s\n", what, err->message);
        else
                fprintf(stderr, "sandboxd-bench: %s: %s\n", what, strerror(-r));
        return r;
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
}

/* --- operations --------------------------------------------------------------------------- */

static int step_floor(struct bench *b, unsigned i)
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
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
                return report(-ECHILD, "/bin/true did not exit 0", NULL);
        return 0;
}

static int step_create(struct bench *b, unsigned i)
{
        return bench_create(b, NULL, 0, NULL);
}

/* Tops the tracked sandboxes up to n, so each kill sample has one created beforehand. */
static int prepare_kill(struct bench *b)
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

static int step_kill(struct bench *b, unsigned i)
{
        return bench_kill(b, b->tr.ids[b->tr.n - 1]);
}

static int exec_true(struct bench *b, const char *id)
{
        static const char *const argv[] = {"true", NULL};
        sandboxd_exec_opts o = {.argv = argv};
        sandboxd_exec_result *x = NULL;
        sandboxd_error err = {0};
        int r = sandboxd_exec(b->client, id, &o, &x, &err);

        if (r < 0)
                return report(r, "sandbox.exec", &err);
        r = x->exit_code == 0 ? 0 : -EPROTO;
        if (r < 0)
                fprintf(stderr, "sandboxd-bench: 'true' exited %d (signal %d) in %s\n",
                        x->exit_code, x->signal, id);
        sandboxd_exec_result_free(x);
        return r;
}

static int prepare_exec(struct bench *b)
{
        const char *id;
        int r = bench_create(b, NULL, 0, &id);

        if (r < 0)
                return r;
        b->exec_id = strdup(id);
        return b->exec_id ? 0 : -ENOMEM;
}

static int step_exec(struct bench *b, unsigned i)
{
        return exec_true(b, b->exec_id);
}

/* The exec sandbox goes, so that the list runs see exactly --live sandboxes. */
static int finish_exec(struct bench *b)
{
        _cleanup_free_ char *id = TAKE_PTR(b->exec_id);

        return bench_kill(b, id);
}

static int step_cycle(struct bench *b, unsigned i)
{
        _cleanup_free_ char *id = NULL;
        const char *tracked;
        int r = bench_create(b, NULL, 0, &tracked);

        if (r < 0)
                return r;
        id = strdup(tracked);
        if (!id)
                return -ENOMEM;
        r = exec_true(b, id);
        if (r < 0)
                return r;
        return bench_kill(b, id);
}

static int create_live_one(struct bench *b, unsigned i)
{
        char group[16];
        const sandboxd_kv meta[] = {{"bench", "yes"}, {"group", group}};

        snprintf(group, sizeof(group), "g%u", i % GROUPS);
        return bench_create(b, meta, ELEMENTSOF(meta), NULL);
}

static int prepare_list(struct bench *b)
{
        double t0 = now_ms();
        int r;

        if (b->live_ready)
                return 0;
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

static int step_list_filtered(struct bench *b, unsigned i)
{
        static const sandboxd_kv group[] = {{"group", "g3"}};
        sandboxd_list_opts o = sandboxd_list_opts_default();

        o.metadata_equals = group;
        o.n_metadata_equals = ELEMENTSOF(group);
        o.limit = LIST_LIMIT;
        return list_page(b, &o, b->live_expect);
}

static int step_list_all(struct bench *b, unsigned i)
{
        sandboxd_list_opts o = sandboxd_list_opts_default();

        o.limit = LIST_LIMIT;
        return list_page(b, &o, b->live < LIST_LIMIT ? b->live : LIST_LIMIT);
}

/* The host floor comes first: the ratios divide by its p50. */
static const struct op OPS[] = {
    {"host_fork_exec", "host fork+exec", false, false, NULL, step_floor, NULL},
    {"create", "create", false, false, NULL, step_create, NULL},
    /* kill takes the sandboxes the create samples left. */
    {"kill", "kill", false, false, prepare_kill, step_kill, NULL},
    {"exec", "exec true", true, false, prepare_exec, step_exec, finish_exec},
    {"create_exec_kill", "create+exec+kill", false, false, NULL, step_cycle, NULL},
    {"list_filtered", "list 100, g3 filter", false, true, prepare_list, step_list_filtered, NULL},
    {"list_unfiltered", "list 100, no filter", false, true, prepare_list, step_list_all, NULL},
};

_Static_assert(ELEMENTSOF(OPS) <= MAX_OPS, "raise MAX_OPS");

/* --- statistics and output ---------------------------------------------------------------- */

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
        };
}

static int run_op(struct bench *b, size_t k)
{
        const struct op *op = &OPS[k];
        int r;

        fprintf(stderr, "sandboxd-bench: %s x %u\n", op->label, b->n);
        if (op->prepare && (r = op->prepare(b)) < 0)
                return r;
        for (unsigned i = 0; i < b->n; i++) {
                if (interrupted)
                        return -EINTR;
                double t0 = now_ms();
                if ((r = op->step(b, i)) < 0)
                        return r;
                b->samples[i] = now_ms() - t0;
        }
        b->stats[k] = compute_stats(b->samples, b->n);
        return op->finish ? op->finish(b) : 0;
}

static double floor_ratio(const struct bench *b, size_t k)
{
        return b->stats[k].p50 / b->stats[0].p50;
}

static void print_table(const struct bench *b)
{
        printf("%-22s %7s %9s %9s %9s %9s %9s %9s %8s\n", "operation", "samples", "p50_ms",
               "p90_ms", "p99_ms", "mean_ms", "min_ms", "max_ms", "p50/host");
        for (size_t k = 0; k < ELEMENTSOF(OPS); k++) {
                const struct stats *s = &b->stats[k];
                printf("%-22s %7zu %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f", OPS[k].label, s->n, s->p50,
                       s->p90, s->p99, s->mean, s->min, s->max);
                if (OPS[k].ratio)
                        printf(" %7.1fx", floor_ratio(b, k));
                putchar('\n');
        }
        printf("(%u live sandboxes for the list rows; host = fork+execve /bin/true+waitpid)\n",
               b->live);
}

static void json_op(FILE *f, const struct bench *b, size_t k)
{
        const struct stats *s = &b->stats[k];

        fprintf(f,
                "  \"%s\": {\"samples\": %zu, \"p50_ms\": %.6f, \"p90_ms\": %.6f, "
                "\"p99_ms\": %.6f, \"mean_ms\": %.6f, \"min_ms\": %.6f, \"max_ms\": %.6f",
                OPS[k].key, s->n, s->p50, s->p90, s->p99, s->mean, s->min, s->max);
        if (OPS[k].ratio)
                fprintf(f, ", \"p50_over_host_p50\": %.3f", floor_ratio(b, k));
        if (OPS[k].live)
                fprintf(f, ", \"live_sandboxes\": %u", b->live);
        fputs(k + 1 < ELEMENTSOF(OPS) ? "},\n" : "}\n", f);
}

static int open_json(struct bench *b)
{
        if (asprintf(&b->json_tmp, "%s.tmp", b->json_path) < 0) {
                b->json_tmp = NULL;
                return -ENOMEM;
        }
        b->json_f = fopen(b->json_tmp, "we");
        return b->json_f ? 0 : report(negative_errno(), b->json_tmp, NULL);
}

static int write_json(struct bench *b)
{
        FILE *f = b->json_f;
        int r;

        fputs("{\n", f);
        for (size_t k = 0; k < ELEMENTSOF(OPS); k++)
                json_op(f, b, k);
        fputs("}\n", f);
        b->json_f = NULL;
        r = ferror(f) ? -EIO : 0;
        if (fclose(f) != 0 && r == 0)
                r = negative_errno();
        if (r == 0 && rename(b->json_tmp, b->json_path) < 0)
                r = negative_errno();
        if (r < 0) {
                unlink(b->json_tmp);
                return report(r, b->json_path, NULL);
        }
        return 0;
}

/* --- command line ------------------------------------------------------------------------- */

static const char USAGE[] =
    "Usage: sandboxd-bench [--socket PATH] [--n N] [--live N] [--json FILE]\n"
    "Measure sandboxd's core operations (p50/p90/p99, mean, min, max in ms).\n\n"
    "  --socket PATH  the daemon's socket (default: $" SANDBOXD_SOCKET_ENV
    ", else " SANDBOXD_DEFAULT_SOCKET ")\n"
    "  --n N          samples per operation (default 200)\n"
    "  --live N       sandboxes alive during the list runs (default 1000)\n"
    "  --json FILE    also write the figures as JSON to FILE\n";

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

/* Returns -1 to go on, else the exit status. */
static int parse_args(struct bench *b, int argc, char **argv)
{
        static const struct option longopts[] = {
            {"socket", required_argument, NULL, 's'}, {"n", required_argument, NULL, 'n'},
            {"live", required_argument, NULL, 'l'},   {"json", required_argument, NULL, 'j'},
            {"help", no_argument, NULL, 'h'},         {0},
        };
        int c;

        opterr = 0;
        while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
                if (c == 's')
                        b->socket = optarg;
                else if (c == 'j')
                        b->json_path = optarg;
                else if ((c == 'n' && !parse_count(optarg, &b->n)) ||
                         (c == 'l' && !parse_count(optarg, &b->live)))
                        return usage_error("invalid count '%s'", optarg);
                else if (c == 'h') {
                        fputs(USAGE, stdout);
                        return EXIT_SUCCESS;
                } else if (c == ':')
                        return usage_error("option '%s' needs a value", argv[optind - 1]);
                else if (c == '?')
                        return usage_error("unknown option '%s'", argv[optind - 1]);
        }
        if (optind < argc)
                return usage_error("unexpected argument '%s'", argv[optind]);
        return -1;
}

static int run(struct bench *b)
{
        int r;

        b->samples = calloc(b->n, sizeof(*b->samples));
        if (!b->samples)
                return -ENOMEM;
        if (b->json_path && (r = open_json(b)) < 0)
                return r;
        if ((r = bench_connect(b)) < 0)
                return r;
        for (size_t k = 0; k < ELEMENTSOF(OPS); k++)
                if ((r = run_op(b, k)) < 0)
                        return r;
        print_table(b);
        fflush(stdout);
        return b->json_path ? write_json(b) : 0;
}

int main(int argc, char **argv)
{
        _cleanup_(bench_done) struct bench b = {.n = DEFAULT_N, .live = DEFAULT_LIVE};
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
