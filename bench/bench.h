/* sandboxd-bench's rows and state, shared by the driver (bench.c) and the output (report.c). */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bench/fdexec.h"
#include "bench/spawn.h"
#include "sandboxd/client.h"

#define MIB (1024ull * 1024ull)

/* The rows, in the order they run: floors and other tools first, then sandboxd with no other
 * sandbox alive, then the rows that need --live sandboxes. */
enum op_id {
        OP_HOST,
        OP_PIPE_16,
        OP_PIPE_100,
        OP_BWRAP,
        OP_RUNC,
        OP_CREATE,
        OP_KILL,
        OP_CREATE_NET,
        OP_CREATE_EGRESS,
        OP_EXEC,
        OP_CYCLE,
        OP_CAPTURE_B64,
        OP_CAPTURE_UTF8,
        OP_CAPTURE_100,
        OP_FDS_100,
        OP_LIST_FILTERED,
        OP_LIST_ALL,
        N_OPS,
        NO_REF = -1,
};

/* The ids of every sandbox this run created and has not killed yet. */
struct tracker {
        char **ids;
        size_t n, cap;
};

struct stats {
        size_t n;
        double p50, p90, p99, mean, min, max, total;
};

/* What one row came to: figures, or why there are none. */
struct result {
        bool ran;
        char *na; /* malloc'd reason the row was not measured */
        struct stats st;
};

/* MemAvailable, and the memory charged to the daemon's cgroup parent, around the creation of
 * the --live sandboxes. */
struct density {
        bool ran;
        long before_kib, after_kib;
        long cg_before_kib, cg_after_kib; /* -1: no --cgroup-parent, or no memory controller */
        double create_s;
};

struct bench {
        const char *socket;
        unsigned n, tput_n, live;
        const char *json_path;
        char *json_tmp; /* json_path.tmp, renamed into place once written */
        FILE *json_f;   /* opened before the run, so a bad path fails at once */
        const char *bwrap, *runc, *runc_bundle, *runc_root;
        const char *cgroup_parent; /* the daemon's, relative to the cgroup root */
        sandboxd_client *client;
        struct fdexec fdx; /* the raw connection of the stdio "fds" row; sock -1 when closed */
        struct tracker tr;
        char *exec_id;      /* the sandbox the exec samples go into */
        bool live_ready;    /* the --live metadata sandboxes exist */
        size_t live_expect; /* sandboxes in group g3 a filtered page should return */
        struct argv_buf bwrap_argv;
        char runc_id[64]; /* the container of the current runc sample */
        double *samples;  /* durations in ms, reused by every operation */
        struct result res[N_OPS];
        struct density density;
        double load_start; /* the 1-minute load average when the run began: others' noise */
};

/* One measured row: prepare (untimed), samples timed steps each followed by an untimed after,
 * finish (untimed). A prepare may set the row n/a instead. */
struct op {
        const char *key;   /* JSON key */
        const char *label; /* table row */
        int ref;           /* the row whose p50 divides this one's ("x host"), or NO_REF */
        bool vs_tools;     /* also shown over bwrap's and runc's p50 */
        bool live;         /* runs with --live sandboxes alive */
        bool tput;         /* --tput-n samples of bytes each, with MiB/s */
        uint64_t bytes;
        const void *arg; /* what the step runs, for the generic steps */
        int (*prepare)(struct bench *b, enum op_id k);
        int (*step)(struct bench *b, const struct op *op, unsigned i);
        int (*after)(struct bench *b, unsigned i);
        int (*finish)(struct bench *b);
};

extern const struct op OPS[N_OPS];

/* Prints "sandboxd-bench: WHAT: why" to stderr; returns r. */
int report(int r, const char *what, const sandboxd_error *err);

/* report.c: the table on stdout; the JSON file, opened before the run and written after. */
void print_table(const struct bench *b);
int open_json(struct bench *b);
int write_json(struct bench *b);
