/* Sandbox records on disk (<state>/sandboxes/<id>.json): what a restarted daemon needs to
 * take a sandbox back, or to release what a crash left half made. Written to a temporary file
 * and renamed into place, so a record is whole or absent. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "supervisor/record.h"

enum saved_phase {
        SAVED_CREATING, /* resources being made; init may not be running yet */
        SAVED_LIVE,
        SAVED_KILLING, /* being released */
};

struct sbx_saved {
        struct sbx_record rec; /* the SPEC object, exec_count and state included */
        enum saved_phase phase;
        pid_t pid;           /* init's host pid, 0 before it exists */
        uint64_t start_time; /* init's start time (/proc/<pid>/stat field 22) */
        uint32_t uid_base;   /* its uid range, when has_uids */
        bool has_uids;
        int64_t timeout_s;      /* creating: the timeout asked for */
        int64_t paused_left_us; /* paused: the time it had left, -1 for none */
        json_object *env;       /* default environment of its execs, or NULL */
};

/* Writes <dir>/<id>.json (dir is created if missing). 0 or -errno. */
int state_save(const char *dir, const struct sbx_saved *s);
/* Removes <dir>/<id>.json; a missing file is not an error. */
int state_remove(const char *dir, const char *id);

/* Reads every record of dir and calls fn for each (the callee takes what it wants out of
 * *s; state_saved_done frees the rest). A record that cannot be read is passed with
 * ok=false and only rec.id set, so that its leftovers can still be found by id. */
typedef void (*state_fn)(struct sbx_saved *s, bool ok, void *userdata);
int state_load_all(const char *dir, state_fn fn, void *userdata);
void state_saved_done(struct sbx_saved *s);

/* A secret key of len bytes kept in the file path (the list cursors' signing key), so that it
 * outlives a restart: read when the file holds one (a regular file of len bytes, ours, mode
 * 0600), else made with getrandom() and written 0600, to a temporary file renamed into place.
 * 0 when read, 1 when made, or -errno; ret_key is untouched on failure. */
int state_secret_key(const char *path, uint8_t *ret_key, size_t len);

/* The start time of pid in clock ticks since boot, which with the pid names one process for
 * good (a reused pid has another start time). -ESRCH when there is no such process. */
int proc_start_time(pid_t pid, uint64_t *ret);
/* The same from the text of a /proc/<pid>/stat (NUL-terminated): 0, or -EIO when malformed. */
int proc_stat_start_time(const char *stat, uint64_t *ret);
