/* sandboxd-bench's output: one table with ratios beside the figures, and the same as JSON. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "bench/bench.h"
#include "common/macros.h"

/* p50 of row k over p50 of row ref, when both were measured. */
static bool ratio(const struct bench *b, enum op_id k, int ref, double *ret)
{
        if (ref == NO_REF || !b->res[k].ran || !b->res[ref].ran)
                return false;
        *ret = b->res[k].st.p50 / b->res[ref].st.p50;
        return true;
}

/* MiB/s at the p50 sample. */
static double mib_per_s(const struct bench *b, enum op_id k)
{
        return (double)OPS[k].bytes / (double)MIB / (b->res[k].st.p50 / 1e3);
}

static void print_ratio(const struct bench *b, enum op_id k, int ref)
{
        double x;

        if (ratio(b, k, ref, &x))
                printf(" %7.2fx", x);
        else
                printf(" %8s", "");
}

static void print_row(const struct bench *b, enum op_id k)
{
        const struct op *op = &OPS[k];
        const struct stats *s = &b->res[k].st;

        printf("%-31s", op->label);
        if (!b->res[k].ran) {
                printf(" n/a (%s)\n", b->res[k].na ? b->res[k].na : "not run");
                return;
        }
        printf(" %4zu %9.3f %9.3f %9.3f %9.3f", s->n, s->p50, s->p90, s->p99, s->mean);
        if (op->tput)
                printf(" %8.1f", mib_per_s(b, k));
        else
                printf(" %8s", "");
        print_ratio(b, k, op->ref);
        print_ratio(b, k, op->vs_tools ? OP_BWRAP : NO_REF);
        print_ratio(b, k, op->vs_tools ? OP_RUNC : NO_REF);
        putchar('\n');
}

static double load_now(void)
{
        double load;

        return getloadavg(&load, 1) == 1 ? load : -1;
}

static void print_density(const struct bench *b)
{
        const struct density *d = &b->density;
        long delta = d->before_kib - d->after_kib;

        if (!d->ran)
                return;
        printf("density: %u idle sandboxes created in %.1f s; MemAvailable fell %.1f MiB, "
               "%.0f KiB per sandbox\n",
               b->live, d->create_s, (double)delta / 1024.0, (double)delta / b->live);
        if (d->cg_before_kib >= 0 && d->cg_after_kib >= 0)
                printf("         charged to the sandboxes' cgroups: %.0f KiB per sandbox\n",
                       (double)(d->cg_after_kib - d->cg_before_kib) / b->live);
        if (b->res[OP_LIST_FILTERED].ran)
                printf("         list (page of 100, metadata filter) at %u live: p50 %.3f ms, "
                       "p99 %.3f ms\n",
                       b->live, b->res[OP_LIST_FILTERED].st.p50, b->res[OP_LIST_FILTERED].st.p99);
}

void print_table(const struct bench *b)
{
        printf("%-31s %4s %9s %9s %9s %9s %8s %8s %8s %8s\n", "operation", "n", "p50_ms", "p90_ms",
               "p99_ms", "mean_ms", "MiB/s", "x host", "x bwrap", "x runc");
        for (enum op_id k = 0; k < N_OPS; k++)
                print_row(b, k);
        printf("x host: p50 over the host's p50: fork+execve /bin/true+waitpid, or for the MiB "
               "rows the host pipe of\n"
               "  the same size (head -c N /dev/zero read to EOF). x bwrap, x runc: p50 over "
               "theirs. MiB/s: bytes of a sample\n"
               "  over the p50. capture returns at most 16 MiB a stream: the 16 MiB rows come "
               "back whole (base64 of zeros;\n"
               "  utf8 of 'a's from head|tr), the 100 MiB row returns 16 MiB and the daemon "
               "reads and drops the other 84.\n"
               "  stdio fds: the command writes into a pipe this process reads. bwrap and runc: "
               "the whole command,\n"
               "  posix_spawn to waitpid; bwrap unshares user/pid/uts/ipc/net/cgroup over "
               "read-only /usr and /etc, runc\n"
               "  runs a busybox bundle from 'runc spec --rootless' plus net and cgroup "
               "namespaces. list rows: %u live.\n",
               b->live);
        print_density(b);
        printf("host load (1-minute average): %.2f at the start, %.2f at the end\n", b->load_start,
               load_now());
}

static void json_add_double(json_object *o, const char *key, double v)
{
        json_object_object_add(o, key, json_object_new_double(v));
}

static void json_add_ratio(const struct bench *b, json_object *o, enum op_id k, int ref,
                           const char *key)
{
        double x;

        if (ratio(b, k, ref, &x))
                json_add_double(o, key, x);
}

static char *joined(char *const *argv)
{
        _cleanup_free_ char *s = NULL;
        size_t len;
        FILE *f = open_memstream(&s, &len);

        if (!f)
                return NULL;
        for (size_t i = 0; argv[i]; i++)
                fprintf(f, "%s%s", i ? " " : "", argv[i]);
        return fclose(f) == 0 ? TAKE_PTR(s) : NULL;
}

/* The exact command a tool row ran, for the record. */
static void json_add_command(const struct bench *b, json_object *o, enum op_id k)
{
        char *const runc_argv[] = {(char *)b->runc,
                                   "--root",
                                   (char *)b->runc_root,
                                   "run",
                                   "--bundle",
                                   (char *)b->runc_bundle,
                                   "sandboxd-bench-PID-N",
                                   NULL};
        _cleanup_free_ char *s = NULL;

        if (k == OP_BWRAP)
                s = joined(b->bwrap_argv.v);
        else if (k == OP_RUNC)
                s = joined(runc_argv);
        if (s)
                json_object_object_add(o, "command", json_object_new_string(s));
}

static void json_add_stats(json_object *o, const struct stats *s)
{
        json_object_object_add(o, "samples", json_object_new_int64((int64_t)s->n));
        json_add_double(o, "p50_ms", s->p50);
        json_add_double(o, "p90_ms", s->p90);
        json_add_double(o, "p99_ms", s->p99);
        json_add_double(o, "mean_ms", s->mean);
        json_add_double(o, "min_ms", s->min);
        json_add_double(o, "max_ms", s->max);
}

static json_object *json_op(const struct bench *b, enum op_id k)
{
        const struct op *op = &OPS[k];
        json_object *o = json_object_new_object();

        json_object_object_add(o, "label", json_object_new_string(op->label));
        json_object_object_add(o, "available", json_object_new_boolean(b->res[k].ran));
        if (!b->res[k].ran) {
                json_object_object_add(
                    o, "reason", json_object_new_string(b->res[k].na ? b->res[k].na : "not run"));
                return o;
        }
        json_add_stats(o, &b->res[k].st);
        if (op->tput) {
                json_object_object_add(o, "bytes_per_sample",
                                       json_object_new_int64((int64_t)op->bytes));
                json_add_double(o, "mib_per_s_p50", mib_per_s(b, k));
                json_add_double(o, "mib_per_s_overall",
                                (double)op->bytes * (double)b->res[k].st.n / (double)MIB /
                                    (b->res[k].st.total / 1e3));
        }
        if (op->ref != NO_REF)
                json_object_object_add(o, "host_ref", json_object_new_string(OPS[op->ref].key));
        json_add_ratio(b, o, k, op->ref, "p50_over_host_p50");
        json_add_ratio(b, o, k, op->vs_tools ? OP_BWRAP : NO_REF, "p50_over_bwrap_p50");
        json_add_ratio(b, o, k, op->vs_tools ? OP_RUNC : NO_REF, "p50_over_runc_p50");
        if (op->live)
                json_object_object_add(o, "live_sandboxes", json_object_new_int64(b->live));
        json_add_command(b, o, k);
        return o;
}

static json_object *json_density(const struct bench *b)
{
        const struct density *d = &b->density;
        json_object *o = json_object_new_object();
        long delta = d->before_kib - d->after_kib;

        json_object_object_add(o, "available", json_object_new_boolean(d->ran));
        if (!d->ran)
                return o;
        json_object_object_add(o, "idle_sandboxes", json_object_new_int64(b->live));
        json_add_double(o, "create_all_s", d->create_s);
        json_object_object_add(o, "mem_available_before_kib", json_object_new_int64(d->before_kib));
        json_object_object_add(o, "mem_available_after_kib", json_object_new_int64(d->after_kib));
        json_add_double(o, "mem_per_sandbox_kib", (double)delta / b->live);
        if (d->cg_before_kib >= 0 && d->cg_after_kib >= 0)
                json_add_double(o, "cgroup_charged_per_sandbox_kib",
                                (double)(d->cg_after_kib - d->cg_before_kib) / b->live);
        if (b->res[OP_LIST_FILTERED].ran) {
                json_add_double(o, "list_filtered_p50_ms", b->res[OP_LIST_FILTERED].st.p50);
                json_add_double(o, "list_filtered_p99_ms", b->res[OP_LIST_FILTERED].st.p99);
        }
        return o;
}

static json_object *json_config(const struct bench *b)
{
        json_object *o = json_object_new_object();

        json_object_object_add(o, "samples", json_object_new_int64(b->n));
        json_object_object_add(o, "throughput_samples", json_object_new_int64(b->tput_n));
        json_object_object_add(o, "live_sandboxes", json_object_new_int64(b->live));
        json_object_object_add(o, "cpus", json_object_new_int64(sysconf(_SC_NPROCESSORS_ONLN)));
        json_add_double(o, "loadavg_1min_start", b->load_start);
        json_add_double(o, "loadavg_1min_end", load_now());
        return o;
}

static void json_object_putp(json_object **o)
{
        json_object_put(*o);
}

int open_json(struct bench *b)
{
        if (asprintf(&b->json_tmp, "%s.tmp", b->json_path) < 0) {
                b->json_tmp = NULL;
                return -ENOMEM;
        }
        b->json_f = fopen(b->json_tmp, "we");
        return b->json_f ? 0 : report(negative_errno(), b->json_tmp, NULL);
}

int write_json(struct bench *b)
{
        _cleanup_(json_object_putp) json_object *root = json_object_new_object();
        FILE *f = TAKE_PTR(b->json_f);
        int r;

        json_c_set_serialization_double_format("%.6f", JSON_C_OPTION_GLOBAL);
        json_object_object_add(root, "config", json_config(b));
        for (enum op_id k = 0; k < N_OPS; k++)
                json_object_object_add(root, OPS[k].key, json_op(b, k));
        json_object_object_add(root, "density", json_density(b));
        fputs(json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                       JSON_C_TO_STRING_SPACED |
                                                       JSON_C_TO_STRING_NOSLASHESCAPE),
              f);
        fputc('\n', f);
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
