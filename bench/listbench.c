/* sandboxd-listbench: the daemon's side of sandbox.list without the daemon. A registry of live
 * records like those of bench/run.sh (metadata bench=yes, group=g0..g9), timed through
 * query_parse + query_run + rpc_format_result (what m_list and methods_dispatch do), then the
 * client's parse of the reply line (rpc_parse_value, what libsandboxd does first).
 *
 *   sandboxd-listbench [RECORDS [ITERATIONS [CASE]]]   (defaults 1000, 2000, every case)
 *
 * Not a test: nothing here is registered with add_test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/macros.h"
#include "ipc/rpc.h"
#include "supervisor/query.h"

#define SEC    1000000LL
#define GROUPS 10

struct fixture {
        struct sbx_registry *reg;
        struct sbx_record *recs;
        size_t n;
};

static double now_us(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void fill_record(struct sbx_record *r, unsigned i)
{
        char group[16];

        snprintf(r->id, sizeof(r->id), "b%019u", i);
        snprintf(group, sizeof(group), "g%u", i % GROUPS);
        r->template_id = strdup("host");
        r->state = SBX_RUNNING;
        r->metadata = json_object_new_object();
        json_object_object_add(r->metadata, "bench", json_object_new_string("yes"));
        json_object_object_add(r->metadata, "group", json_object_new_string(group));
        r->created_us = 1795000000 * SEC + i * 1000;
        r->started_us = r->created_us + 1700;
        r->end_us = r->created_us + 300 * SEC;
        r->owner_uid = 0;
        r->pid = 10000 + (pid_t)i;
        if (i % 200 == 7) /* 5 in 1,000: a filter that scans everything for a small page */
                json_object_object_add(r->metadata, "rare", json_object_new_string("yes"));
        r->res = (struct sbx_resources){1.0, 512, 256, 1024};
}

static int fixture_init(struct fixture *f, size_t n)
{
        f->reg = registry_new();
        f->recs = calloc(n, sizeof(*f->recs));
        f->n = n;
        if (!f->reg || !f->recs)
                return -1;
        for (size_t i = 0; i < n; i++) {
                fill_record(&f->recs[i], (unsigned)i);
                if (registry_add(f->reg, &f->recs[i]) < 0)
                        return -1;
        }
        return 0;
}

static void fixture_done(struct fixture *f)
{
        for (size_t i = 0; i < f->n && f->recs; i++) {
                registry_remove(f->reg, &f->recs[i]);
                sbx_record_done(&f->recs[i]);
        }
        free(f->recs);
        registry_free(f->reg);
}

/* One sandbox.list as the daemon answers it: the reply line, or NULL. */
static char *list_line(const struct fixture *f, json_object *params, json_object *id,
                       size_t *ret_len)
{
        struct rpc_error err = {0};
        struct sbx_query *q = NULL;
        json_object *res;

        if (query_parse(params, &q, &err) < 0) {
                fprintf(stderr, "sandboxd-listbench: %s\n", err.message);
                return NULL;
        }
        res = query_run(f->reg, q, true, 0);
        query_free(q);
        return res ? rpc_format_result(id, res, ret_len) : NULL;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;

        return (x > y) - (x < y);
}

struct stats {
        double p50, p99, mean;
};

static struct stats stats_of(double *v, unsigned n)
{
        struct stats s = {0};

        for (unsigned i = 0; i < n; i++)
                s.mean += v[i] / n;
        qsort(v, n, sizeof(*v), cmp_double);
        s.p50 = v[n / 2];
        s.p99 = v[(size_t)(n * 0.99)];
        return s;
}

/* The daemon's side: touches every `touch_every`-th record before each list (0: none), as
 * execs would, then times one reply line. Keeps the last line in *ret_line. */
static int time_serve(struct fixture *f, json_object *params, unsigned touch_every, double *v,
                      unsigned n, char **ret_line, size_t *ret_len)
{
        json_object *id = json_object_new_int(7);
        int r = 0;

        for (unsigned i = 0; i < n && r == 0; i++) {
                for (size_t k = 0; touch_every && k < f->n; k += touch_every) {
                        f->recs[k].exec_count++;
                        sbx_record_touch(&f->recs[k]);
                }
                double t0 = now_us();
                char *line = list_line(f, params, id, ret_len);

                v[i] = now_us() - t0;
                if (!line)
                        r = -1;
                free(*ret_line);
                *ret_line = line;
        }
        json_object_put(id);
        return r;
}

/* The client's side: the first thing libsandboxd does with the line. */
static int time_parse(const char *line, size_t len, double *v, unsigned n)
{
        for (unsigned i = 0; i < n; i++) {
                json_object *reply = NULL;
                double t0 = now_us();
                int r = rpc_parse_value(line, len - 1, &reply);

                v[i] = now_us() - t0;
                json_object_put(reply);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int run_case(struct fixture *f, const char *label, const char *doc, unsigned n,
                    unsigned touch_every)
{
        json_object *params = json_tokener_parse(doc);
        double *serve = calloc(n, sizeof(double)), *parse = calloc(n, sizeof(double));
        _cleanup_free_ char *line = NULL;
        size_t len = 0;
        int r = -1;

        if (params && serve && parse &&
            time_serve(f, params, touch_every, serve, n, &line, &len) == 0 &&
            time_parse(line, len, parse, n) == 0) {
                struct stats s = stats_of(serve, n), p = stats_of(parse, n);

                printf("%-37s %6zu B  serve p50 %6.1f p99 %6.1f mean %6.1f us | "
                       "client parse p50 %6.1f us\n",
                       label, len, s.p50, s.p99, s.mean, p.p50);
                r = 0;
        }
        free(serve);
        free(parse);
        json_object_put(params);
        return r;
}

static const struct {
        const char *label;
        const char *params;
        unsigned touch_every; /* before each list, touch every n-th record (0: none) */
} cases[] = {
    {"page of 100, group=g3 filter", "{\"metadata_equals\":{\"group\":\"g3\"},\"limit\":100}", 0},
    {"page of 100, no filter", "{\"limit\":100}", 0},
    {"5 matches (full scan)", "{\"metadata_equals\":{\"rare\":\"yes\"},\"limit\":100}", 0},
    {"page of 100, no filter, 1/10 touched", "{\"limit\":100}", 10},
    {"page of 100, no filter, all touched", "{\"limit\":100}", 1},
};

int main(int argc, char **argv)
{
        unsigned n = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000;
        unsigned it = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 2000;
        unsigned only = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 0;
        struct fixture f = {0};
        int r = 0;

        if (n == 0 || it == 0 || only > ELEMENTSOF(cases) || fixture_init(&f, n) < 0) {
                fprintf(stderr, "usage: sandboxd-listbench [RECORDS [ITERATIONS [CASE 1..%zu]]]\n",
                        ELEMENTSOF(cases));
                fixture_done(&f);
                return 2;
        }
        printf("%u records, %u iterations per case\n", n, it);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (only == 0 || only == i + 1)
                        r |=
                            run_case(&f, cases[i].label, cases[i].params, it, cases[i].touch_every);
        fixture_done(&f);
        return r ? 1 : 0;
}
