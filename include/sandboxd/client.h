/* libsandboxd: the C client of the sandboxd daemon.
 *
 * One sandboxd_client is one connection; calls on it are synchronous and must not be made from
 * two threads at once. Every call returns 0 on success or a negative errno on failure:
 * -EREMOTEIO when the daemon answered with an error (then *err holds its code, reason, message
 * and field), any other value for a local or transport failure (then err->code is 0 and
 * err->message says what failed). err may be NULL.
 */
#ifndef SANDBOXD_CLIENT_H
#define SANDBOXD_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(SANDBOXD_BUILDING_LIBRARY)
#define SANDBOXD_PUBLIC __attribute__((visibility("default")))
#else
#define SANDBOXD_PUBLIC
#endif

#define SANDBOXD_DEFAULT_SOCKET "/run/sandboxd/sandboxd.sock"
#define SANDBOXD_SOCKET_ENV     "SANDBOXD_SOCKET"

typedef struct sandboxd_client sandboxd_client;

typedef struct sandboxd_error {
        int code;        /* JSON-RPC code (SPEC §3), 0 for a local failure */
        char reason[32]; /* data.reason, e.g. "invalid_argument" */
        char message[256];
        char field[64]; /* data.field, "" when absent */
} sandboxd_error;

typedef struct sandboxd_kv {
        const char *key;
        const char *value;
} sandboxd_kv;

typedef enum sandboxd_state {
        SANDBOXD_STATE_RUNNING = 1,
        SANDBOXD_STATE_PAUSED = 2,
} sandboxd_state;

/* A sandbox object (SPEC §4). Strings are owned by the object. Timestamps are RFC 3339 text;
 * end_at is NULL when there is no timeout, ip_address NULL without network. */
typedef struct sandboxd_sandbox {
        char *sandbox_id;
        char *template_id;
        sandboxd_state state;
        sandboxd_kv *metadata; /* n_metadata pairs, strings owned */
        size_t n_metadata;
        char *created_at;
        char *started_at;
        char *end_at;
        uint64_t exec_count;
        bool internet_access;
        uid_t owner_uid;
        pid_t pid;
        char *ip_address;
        double cpu_count;
        uint64_t memory_mb;
        uint64_t pids_max;
        uint64_t disk_mb;
} sandboxd_sandbox;

/* Connects to path; NULL means $SANDBOXD_SOCKET, else SANDBOXD_DEFAULT_SOCKET. */
SANDBOXD_PUBLIC int sandboxd_connect(const char *path, sandboxd_client **ret, sandboxd_error *err);
SANDBOXD_PUBLIC void sandboxd_disconnect(sandboxd_client *client);
/* The connection's socket, for poll() (e.g. to notice the daemon going away). */
SANDBOXD_PUBLIC int sandboxd_fd(const sandboxd_client *client);

/* Any method: params_json is a JSON object as text (NULL: no params); *ret_result_json
 * (malloc'd, free()) receives the result as JSON text. */
SANDBOXD_PUBLIC int sandboxd_call(sandboxd_client *client, const char *method,
                                  const char *params_json, char **ret_result_json,
                                  sandboxd_error *err);

/* sandbox.create. Zero or NULL fields take the daemon's defaults; timeout < 0 means the
 * default, 0 no timeout. */
typedef struct sandboxd_create_opts {
        const char *template_id;
        const sandboxd_kv *metadata;
        size_t n_metadata;
        long timeout;
        bool internet_access;
        const sandboxd_kv *env;
        size_t n_env;
        double cpu_count;
        uint64_t memory_mb;
        uint64_t pids_max;
        uint64_t disk_mb;
} sandboxd_create_opts;

/* Opts with every field at its default (timeout -1). */
SANDBOXD_PUBLIC sandboxd_create_opts sandboxd_create_opts_default(void);

SANDBOXD_PUBLIC int sandboxd_create(sandboxd_client *client, const sandboxd_create_opts *opts,
                                    sandboxd_sandbox **ret, sandboxd_error *err);
SANDBOXD_PUBLIC int sandboxd_get(sandboxd_client *client, const char *sandbox_id,
                                 sandboxd_sandbox **ret, sandboxd_error *err);
SANDBOXD_PUBLIC int sandboxd_kill(sandboxd_client *client, const char *sandbox_id,
                                  sandboxd_error *err);
SANDBOXD_PUBLIC int sandboxd_set_timeout(sandboxd_client *client, const char *sandbox_id,
                                         long timeout, sandboxd_sandbox **ret, sandboxd_error *err);
SANDBOXD_PUBLIC int sandboxd_pause(sandboxd_client *client, const char *sandbox_id,
                                   sandboxd_sandbox **ret, sandboxd_error *err);
/* timeout < 0: the remaining time. */
SANDBOXD_PUBLIC int sandboxd_resume(sandboxd_client *client, const char *sandbox_id, long timeout,
                                    sandboxd_sandbox **ret, sandboxd_error *err);
SANDBOXD_PUBLIC void sandboxd_sandbox_free(sandboxd_sandbox *sandbox);

/* sandbox.list. Unset filters: state_mask 0 (both), NULL/0 arrays, NULL strings,
 * internet_access < 0, min/max_exec_count < 0, order NULL ("desc"), limit 0 (100). since and
 * until are RFC 3339 text or decimal epoch seconds. */
typedef struct sandboxd_list_opts {
        unsigned state_mask; /* SANDBOXD_STATE_* values or-ed together (each is one bit) */
        const sandboxd_kv *metadata_equals;
        size_t n_metadata_equals;
        const char *const *metadata_exists;
        size_t n_metadata_exists;
        const char *since;
        const char *until;
        int internet_access;
        int64_t min_exec_count;
        int64_t max_exec_count;
        const char *template_id;
        const char *order;
        unsigned limit;
        const char *cursor;
} sandboxd_list_opts;

SANDBOXD_PUBLIC sandboxd_list_opts sandboxd_list_opts_default(void);

typedef struct sandboxd_page {
        sandboxd_sandbox **sandboxes;
        size_t count;
        bool has_more;
        char *next_cursor; /* NULL when has_more is false */
} sandboxd_page;

SANDBOXD_PUBLIC int sandboxd_list(sandboxd_client *client, const sandboxd_list_opts *opts,
                                  sandboxd_page **ret, sandboxd_error *err);
SANDBOXD_PUBLIC void sandboxd_page_free(sandboxd_page *page);

/* sandbox.exec with captured output. timeout <= 0: none. base64: ask for base64 output,
 * which this call decodes, so stdout/stderr are the exact bytes either way. */
typedef struct sandboxd_exec_opts {
        const char *const *argv; /* NULL-terminated, non-empty */
        const sandboxd_kv *env;
        size_t n_env;
        const char *cwd;
        const void *stdin_data;
        size_t stdin_len;
        double timeout;
        bool base64;
} sandboxd_exec_opts;

typedef struct sandboxd_exec_result {
        int exit_code; /* -1 when killed by a signal */
        int signal;    /* 0 when it exited */
        bool timed_out;
        char *stdout_data; /* NUL-terminated for convenience; stdout_len excludes the NUL */
        size_t stdout_len;
        char *stderr_data;
        size_t stderr_len;
        bool stdout_truncated;
        bool stderr_truncated;
        double duration_ms;
} sandboxd_exec_result;

SANDBOXD_PUBLIC int sandboxd_exec(sandboxd_client *client, const char *sandbox_id,
                                  const sandboxd_exec_opts *opts, sandboxd_exec_result **ret,
                                  sandboxd_error *err);
SANDBOXD_PUBLIC void sandboxd_exec_result_free(sandboxd_exec_result *result);

/* An exec with stdio "fds", started and not yet waited for. */
typedef struct sandboxd_exec_handle sandboxd_exec_handle;

/* Starts sandbox.exec with stdio "fds": fds (stdin, stdout, stderr) are handed to the
 * process itself, which then reads and writes them directly. With tty, fds must be NULL:
 * the process runs on a new terminal of the sandbox, and *ret_pty_fd receives its master
 * end (the caller relays it, sets its size with TIOCSWINSZ, and closes it). opts->stdin_data
 * and opts->base64 do not apply. The exec runs until sandboxd_exec_wait() says it ended; the
 * connection must not be used for anything else meanwhile but sandboxd_exec_signal(). */
SANDBOXD_PUBLIC int sandboxd_exec_start(sandboxd_client *client, const char *sandbox_id,
                                        const sandboxd_exec_opts *opts, const int fds[3], bool tty,
                                        sandboxd_exec_handle **ret, int *ret_pty_fd,
                                        sandboxd_error *err);
/* Waits up to timeout_ms (-1: without end) for the exec to end: 0 with *ret (no output in
 * it), -ETIMEDOUT when it still runs. */
SANDBOXD_PUBLIC int sandboxd_exec_wait(sandboxd_exec_handle *h, int timeout_ms,
                                       sandboxd_exec_result **ret, sandboxd_error *err);
/* Sends a signal to the exec's process group (sandbox.exec_signal); does not wait. */
SANDBOXD_PUBLIC int sandboxd_exec_signal(sandboxd_exec_handle *h, int signo, sandboxd_error *err);
SANDBOXD_PUBLIC void sandboxd_exec_handle_free(sandboxd_exec_handle *h);

/* sandbox.exec with stdio "stream": on_output gets each chunk of output, in order, as it
 * comes (stream 1 is stdout, 2 stderr; with opts->base64 the exact bytes, else UTF-8 text);
 * *ret gets the result (with no output in it). */
typedef void (*sandboxd_output_fn)(int stream, const char *data, size_t len, void *userdata);
SANDBOXD_PUBLIC int sandboxd_exec_stream(sandboxd_client *client, const char *sandbox_id,
                                         const sandboxd_exec_opts *opts,
                                         sandboxd_output_fn on_output, void *userdata,
                                         sandboxd_exec_result **ret, sandboxd_error *err);

#ifdef __cplusplus
}
#endif
#endif
