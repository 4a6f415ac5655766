/* Command options: each command declares a table of opt_spec; one getopt_long loop turns the
 * command line into the method's params object (and a few local flags). */
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <string.h>

#include "cli/ctl.h"

#define MAX_OPTS   32
#define LONG_VAL_0 256 /* getopt val of the first option without a short name */

int ctl_usage(const ctl *c, const char *fmt, ...)
{
        va_list ap;

        fputs("sandboxctl: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        if (c && c->cmd)
                fprintf(stderr, "\nTry 'sandboxctl %s --help'.\n", c->cmd->name);
        else
                fputs("\nTry 'sandboxctl --help'.\n", stderr);
        return CTL_USAGE;
}

/* Decimal integer, the whole string; range checks are the daemon's. */
bool parse_int64(const char *s, int64_t *ret)
{
        char *end;
        long long v;

        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0')
                return false;
        *ret = v;
        return true;
}

bool parse_number(const char *s, double *ret)
{
        char *end;
        double v;

        errno = 0;
        v = strtod(s, &end);
        /* JSON has no NaN nor infinity. */
        if (errno != 0 || end == s || *end != '\0' || !isfinite(v))
                return false;
        *ret = v;
        return true;
}

static bool all_digits(const char *s)
{
        return *s != '\0' && strspn(s, "0123456789") == strlen(s);
}

/* The object or array param key, created on first use. */
static json_object *param_child(ctl *c, const char *key, json_type type)
{
        json_object *child;

        if (json_object_object_get_ex(c->params, key, &child) && json_object_is_type(child, type))
                return child;
        child = type == json_type_array ? json_object_new_array() : json_object_new_object();
        if (child)
                json_object_object_add(c->params, key, child);
        return child;
}

static bool set_param(ctl *c, const char *key, json_object *value)
{
        if (!value)
                return false;
        return json_object_object_add(c->params, key, value) == 0;
}

static bool set_flag(ctl *c, const opt_spec *o, const char *arg)
{
        c->flags |= o->flag;
        return true;
}

static bool set_true(ctl *c, const opt_spec *o, const char *arg)
{
        return set_param(c, o->key, json_object_new_boolean(1));
}

static bool set_false(ctl *c, const opt_spec *o, const char *arg)
{
        return set_param(c, o->key, json_object_new_boolean(0));
}

static bool set_string(ctl *c, const opt_spec *o, const char *arg)
{
        return set_param(c, o->key, json_object_new_string(arg));
}

static bool set_int(ctl *c, const opt_spec *o, const char *arg)
{
        int64_t v;

        return parse_int64(arg, &v) && set_param(c, o->key, json_object_new_int64(v));
}

static bool set_number(ctl *c, const opt_spec *o, const char *arg)
{
        double v;

        return parse_number(arg, &v) && set_param(c, o->key, json_object_new_double(v));
}

/* KEY=VALUE into the object param; the daemon validates the key and the value. */
static bool set_kv(ctl *c, const opt_spec *o, const char *arg)
{
        const char *eq = strchr(arg, '=');
        _cleanup_free_ char *key = NULL;
        json_object *obj;

        if (!eq)
                return false;
        key = strndup(arg, eq - arg);
        obj = param_child(c, o->key, json_type_object);
        if (!key || !obj)
                return false;
        return json_object_object_add(obj, key, json_object_new_string(eq + 1)) == 0;
}

static bool set_append(ctl *c, const opt_spec *o, const char *arg)
{
        json_object *array = param_child(c, o->key, json_type_array);

        return array && json_object_array_add(array, json_object_new_string(arg)) == 0;
}

/* "all" is the daemon's default (every state), so it sends nothing. */
static bool set_state(ctl *c, const opt_spec *o, const char *arg)
{
        if (strcmp(arg, "all") == 0) {
                json_object_object_del(c->params, o->key);
                return true;
        }
        return set_append(c, o, arg);
}

/* Digits are epoch seconds (an integer); anything else goes as RFC 3339 text. */
static bool set_time(ctl *c, const opt_spec *o, const char *arg)
{
        int64_t v;

        if (all_digits(arg) && parse_int64(arg, &v))
                return set_param(c, o->key, json_object_new_int64(v));
        return set_string(c, o, arg);
}

const opt_kind OPT_FLAG = {false, NULL, set_flag};
const opt_kind OPT_TRUE = {false, NULL, set_true};
const opt_kind OPT_FALSE = {false, NULL, set_false};
const opt_kind OPT_STRING = {true, "a string", set_string};
const opt_kind OPT_INT = {true, "an integer", set_int};
const opt_kind OPT_NUMBER = {true, "a number", set_number};
const opt_kind OPT_KV = {true, "KEY=VALUE", set_kv};
const opt_kind OPT_APPEND = {true, "a string", set_append};
const opt_kind OPT_STATE = {true, "a state", set_state};
const opt_kind OPT_TIME = {true, "a time", set_time};

static const struct option HELP_OPTION = {"help", no_argument, NULL, 'h'};

/* Fills longopts and shortopts from the command's table; every command also takes -h/--help. */
static int build_getopt(const opt_spec *opts, struct option *longopts, char *shortopts)
{
        size_t i;
        char *s = shortopts;

        *s++ = ':'; /* report a missing argument as ':' */
        *s++ = 'h';
        for (i = 0; opts[i].name; i++) {
                if (i >= MAX_OPTS)
                        return -E2BIG;
                longopts[i] = (struct option){
                    opts[i].name, opts[i].kind->has_arg ? required_argument : no_argument, NULL,
                    opts[i].short_name ? opts[i].short_name : LONG_VAL_0 + (int)i};
                if (opts[i].short_name) {
                        *s++ = (char)opts[i].short_name;
                        if (opts[i].kind->has_arg)
                                *s++ = ':';
                }
        }
        longopts[i] = HELP_OPTION;
        longopts[i + 1] = (struct option){0};
        *s = '\0';
        return 0;
}

static const opt_spec *find_spec(const opt_spec *opts, int val)
{
        if (val >= LONG_VAL_0)
                return &opts[val - LONG_VAL_0];
        for (const opt_spec *o = opts; val > 0 && o->name; o++)
                if (o->short_name == val)
                        return o;
        return NULL;
}

/* getopt_long said '?' or ':'; optopt is 0 for an unknown long option, the option's val for a
 * missing or unwanted value, the character for an unknown short option. */
static int getopt_failure(const ctl *c, int r, char **argv)
{
        const opt_spec *o = find_spec(c->cmd->opts, optopt);
        const char *word = argv[optind - 1];

        if (r == ':' && o)
                return ctl_usage(c, "option '--%s' needs a value", o->name);
        if (optopt == 0)
                return ctl_usage(c, "unknown option '%s'", word);
        if (o && strncmp(word, "--", 2) == 0 && strchr(word, '='))
                return ctl_usage(c, "option '--%s' takes no value", o->name);
        return ctl_usage(c, "unknown option '-%c'", optopt);
}

static int apply_option(ctl *c, int val, const char *arg)
{
        const opt_spec *o = find_spec(c->cmd->opts, val);

        if (!o)
                return ctl_usage(c, "unexpected option");
        if (!o->kind->set(c, o, arg))
                return ctl_usage(c, "invalid value for --%s: '%s' (expected %s)", o->name, arg,
                                 o->kind->metavar);
        return CTL_OK;
}

int ctl_parse_options(ctl *c, int argc, char **argv, int *ret_optind)
{
        struct option longopts[MAX_OPTS + 2];
        char shortopts[2 + 2 * MAX_OPTS + 1];
        int r;

        if (build_getopt(c->cmd->opts, longopts, shortopts) < 0)
                return ctl_error("internal error: too many options for '%s'", c->cmd->name);
        optind = 0; /* GNU: start afresh, after the global options' run */
        opterr = 0;
        while ((r = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
                if (r == 'h') {
                        fputs(c->cmd->usage, stdout);
                        return CTL_HELP;
                }
                if (r == '?' || r == ':')
                        return getopt_failure(c, r, argv);
                r = apply_option(c, r, optarg);
                if (r != CTL_OK)
                        return r;
        }
        *ret_optind = optind;
        return CTL_OK;
}
