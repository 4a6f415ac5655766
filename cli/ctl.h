/* sandboxctl internals: the command table, option parsing into JSON params, daemon calls and
 * output helpers shared by the cli/ files.
 *
 * Every function that can fail prints its own message and returns an exit status (CTL_OK,
 * CTL_ERROR, CTL_USAGE), so a caller only passes the status up. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "common/macros.h"
#include "sandboxd/client.h"

enum {
        CTL_OK = 0,
        CTL_ERROR = 1, /* the daemon or the system said no */
        CTL_USAGE = 2, /* the command line is wrong */
        CTL_HELP = -1, /* --help was printed: stop, exit 0 */
};

#define SANDBOX_ID_LEN     20
#define SANDBOX_PREFIX_MIN 4

/* Local flags set by options (not sent to the daemon). */
enum {
        FLAG_JSON = 1u << 0,
        FLAG_ALL = 1u << 1,
        FLAG_STDIN = 1u << 2,
        FLAG_TTY = 1u << 3,
};

typedef struct ctl ctl;
typedef struct opt_spec opt_spec;

/* How an option's argument lands in the params object (or in ctl.flags). */
typedef struct opt_kind {
        bool has_arg;
        const char *metavar; /* shown in "invalid value" messages */
        bool (*set)(ctl *c, const opt_spec *o, const char *arg);
} opt_kind;

struct opt_spec {
        const char *name; /* long name, without "--" */
        int short_name;   /* 0: none */
        const opt_kind *kind;
        const char *key; /* JSON param it sets */
        unsigned flag;   /* for OPT_FLAG */
};

extern const opt_kind OPT_FLAG, OPT_TRUE, OPT_FALSE, OPT_STRING, OPT_INT, OPT_NUMBER, OPT_KV,
    OPT_APPEND, OPT_STATE, OPT_TIME;

#define ARGS_ANY (-1)

typedef struct command {
        const char *name;
        int (*run)(ctl *c, int argc, char **argv); /* argv: the positional arguments */
        const opt_spec *opts;                      /* ends with a {NULL} entry */
        int min_args, max_args;                    /* positional count; ARGS_ANY: no limit */
        int id_args;       /* how many leading positionals are sandbox ids (ARGS_ANY: all) */
        bool dashdash;     /* a "--" then a command line follows the positionals */
        const char *usage; /* printed by --help */
} command;

struct ctl {
        const char *socket; /* --socket; NULL: $SANDBOXD_SOCKET, else the default */
        sandboxd_client *client;
        const command *cmd;
        json_object *params; /* built from the options */
        unsigned flags;
        char **tail; /* after "--" for dashdash commands */
        int n_tail;
};

static inline void json_object_putp(json_object **o)
{
        if (*o)
                json_object_put(*o);
}

/* options.c */
/* "sandboxctl: <message>" and the --help hint on stderr; returns CTL_USAGE. */
_printf_(2, 3) int ctl_usage(const ctl *c, const char *fmt, ...);
/* Applies c->cmd's options to c->params and c->flags; *ret_optind: the first positional. */
int ctl_parse_options(ctl *c, int argc, char **argv, int *ret_optind);
bool parse_int64(const char *s, int64_t *ret);
bool parse_number(const char *s, double *ret);

/* call.c */
/* "sandboxctl: <message>" on stderr; returns CTL_ERROR. */
_printf_(1, 2) int ctl_error(const char *fmt, ...);
/* Connects c->client if it is not yet. */
int ctl_connect(ctl *c);
int ctl_call(ctl *c, const char *method, json_object *params, json_object **ret_result);
int ctl_call_id(ctl *c, const char *method, const char *id, json_object *params,
                json_object **ret_result);
int ctl_check_id(const ctl *c, const char *arg);
int ctl_resolve_id(ctl *c, const char *arg, char ret_id[SANDBOX_ID_LEN + 1]);
typedef int (*page_fn)(json_object *sandbox, void *userdata);
int ctl_walk(ctl *c, json_object *params, page_fn fn, void *userdata);

/* output.c */
const char *json_get_str(json_object *o, const char *key);
void print_json(json_object *o);
void print_keys(json_object *o, const char *prefix);
char *format_cell(json_object *v);
typedef struct column {
        const char *header;
        const char *key;
        char *(*format)(json_object *v); /* malloc'd text of the field's value */
} column;
char *format_time(json_object *v);
void print_table(json_object *rows, const column *cols, size_t n_cols);
void print_object_table(json_object *rows);

/* The command handlers, one file per group. */
extern const command CMD_CREATE, CMD_INFO, CMD_KILL, CMD_PAUSE, CMD_RESUME, CMD_SET_TIMEOUT;
extern const command CMD_LIST;
extern const command CMD_EXEC;
extern const command CMD_TEMPLATES, CMD_SYSTEM;
