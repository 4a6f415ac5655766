/* One sandbox at a time: create, info, kill, pause, resume, set-timeout. */
#include <string.h>

#include "cli/ctl.h"

static int run_create(ctl *c, int argc, char **argv)
{
        _cleanup_(json_object_putp) json_object *sandbox = NULL;
        const char *id;
        int r;

        r = ctl_call(c, "sandbox.create", c->params, &sandbox);
        if (r != CTL_OK)
                return r;
        if (c->flags & FLAG_JSON) {
                print_json(sandbox);
                return CTL_OK;
        }
        id = json_get_str(sandbox, "sandbox_id");
        if (!id)
                return ctl_error("the daemon's answer has no sandbox_id");
        puts(id);
        return CTL_OK;
}

/* Resolves argv's id, calls method with c->params plus the id; *ret_result may be NULL. */
static int call_on(ctl *c, const char *method, const char *arg, json_object **ret_result)
{
        _cleanup_(json_object_putp) json_object *result = NULL;
        char id[SANDBOX_ID_LEN + 1];
        int r;

        r = ctl_resolve_id(c, arg, id);
        if (r == CTL_OK)
                r = ctl_call_id(c, method, id, c->params, &result);
        if (r == CTL_OK && ret_result)
                *ret_result = TAKE_PTR(result);
        return r;
}

static int run_info(ctl *c, int argc, char **argv)
{
        _cleanup_(json_object_putp) json_object *sandbox = NULL;
        int r;

        r = call_on(c, "sandbox.get", argv[0], &sandbox);
        if (r != CTL_OK)
                return r;
        if (c->flags & FLAG_JSON)
                print_json(sandbox);
        else
                print_keys(sandbox, "");
        return CTL_OK;
}

/* Every id is tried; the status says whether any failed. */
static int run_kill(ctl *c, int argc, char **argv)
{
        int status = CTL_OK;

        for (int i = 0; i < argc; i++)
                if (call_on(c, "sandbox.kill", argv[i], NULL) != CTL_OK)
                        status = CTL_ERROR;
        return status;
}

static int run_pause(ctl *c, int argc, char **argv)
{
        return call_on(c, "sandbox.pause", argv[0], NULL);
}

static int run_resume(ctl *c, int argc, char **argv)
{
        return call_on(c, "sandbox.resume", argv[0], NULL);
}

static int run_set_timeout(ctl *c, int argc, char **argv)
{
        int64_t timeout;

        if (!parse_int64(argv[1], &timeout))
                return ctl_usage(c, "invalid timeout '%s' (expected seconds)", argv[1]);
        json_object_object_add(c->params, "timeout", json_object_new_int64(timeout));
        return call_on(c, "sandbox.set_timeout", argv[0], NULL);
}

/* --allow-out X, --deny-out Y: appended to params.network.allow_out / deny_out; an egress
 * policy needs internet access, so they ask for it too. */
static bool set_egress(ctl *c, const opt_spec *o, const char *arg)
{
        json_object *net = NULL, *list = NULL;
        if (!json_object_object_get_ex(c->params, "network", &net)) {
                net = json_object_new_object();
                if (!net || json_object_object_add(c->params, "network", net) < 0)
                        return false;
        }
        if (!json_object_object_get_ex(net, o->key, &list)) {
                list = json_object_new_array();
                if (!list || json_object_object_add(net, o->key, list) < 0)
                        return false;
        }
        return json_object_array_add(list, json_object_new_string(arg)) == 0 &&
               json_object_object_add(c->params, "internet_access", json_object_new_boolean(1)) ==
                   0;
}

static const opt_kind OPT_EGRESS = {true, "a CIDR or a domain name", set_egress};

static const opt_spec CREATE_OPTS[] = {
    {"template", 0, &OPT_STRING, "template_id", 0},
    {"meta", 0, &OPT_KV, "metadata", 0},
    {"timeout", 0, &OPT_INT, "timeout", 0},
    {"internet", 0, &OPT_TRUE, "internet_access", 0},
    {"env", 0, &OPT_KV, "env", 0},
    {"cpus", 0, &OPT_NUMBER, "cpu_count", 0},
    {"memory", 0, &OPT_INT, "memory_mb", 0},
    {"pids", 0, &OPT_INT, "pids_max", 0},
    {"disk", 0, &OPT_INT, "disk_mb", 0},
    {"allow-out", 0, &OPT_EGRESS, "allow_out", 0},
    {"deny-out", 0, &OPT_EGRESS, "deny_out", 0},
    {"json", 0, &OPT_FLAG, NULL, FLAG_JSON},
    {NULL},
};

static const opt_spec JSON_OPTS[] = {
    {"json", 0, &OPT_FLAG, NULL, FLAG_JSON},
    {NULL},
};

static const opt_spec NO_OPTS[] = {
    {NULL},
};

static const opt_spec RESUME_OPTS[] = {
    {"timeout", 0, &OPT_INT, "timeout", 0},
    {NULL},
};

const command CMD_CREATE = {
    .name = "create",
    .run = run_create,
    .opts = CREATE_OPTS,
    .usage = "Usage: sandboxctl create [OPTION]...\n"
             "Create a sandbox and print its id.\n\n"
             "  --template ID     the template (default: host)\n"
             "  --meta KEY=VALUE  a metadata pair (repeatable)\n"
             "  --timeout S       seconds until it is killed (0: never)\n"
             "  --internet        give it internet access\n"
             "  --env K=V         default environment of every exec (repeatable)\n"
             "  --cpus N          CPU count (may be fractional)\n"
             "  --memory MB       memory limit\n"
             "  --pids N          process limit\n"
             "  --disk MB         size of the writable layer\n"
             "  --allow-out X     open a CIDR or domain (*.example.com) beyond the public\n"
             "                    internet (repeatable; implies --internet)\n"
             "  --deny-out X      close a CIDR or domain (repeatable; 0.0.0.0/0 with\n"
             "                    --allow-out makes an allow-list; implies --internet)\n"
             "  --json            print the whole sandbox object\n"
             "  -h, --help        show this help\n",
};

const command CMD_INFO = {
    .name = "info",
    .run = run_info,
    .opts = JSON_OPTS,
    .min_args = 1,
    .max_args = 1,
    .id_args = 1,
    .usage = "Usage: sandboxctl info ID [--json]\n"
             "Show a sandbox (ID: the id or a unique prefix of at least 4 characters).\n\n"
             "  --json      print the sandbox object\n"
             "  -h, --help  show this help\n",
};

const command CMD_KILL = {
    .name = "kill",
    .run = run_kill,
    .opts = NO_OPTS,
    .min_args = 1,
    .max_args = ARGS_ANY,
    .id_args = ARGS_ANY,
    .usage = "Usage: sandboxctl kill ID...\n"
             "Kill sandboxes; each ID is tried even if another fails.\n\n"
             "  -h, --help  show this help\n",
};

const command CMD_PAUSE = {
    .name = "pause",
    .run = run_pause,
    .opts = NO_OPTS,
    .min_args = 1,
    .max_args = 1,
    .id_args = 1,
    .usage = "Usage: sandboxctl pause ID\n"
             "Freeze every process of a sandbox; its timeout clock stops.\n\n"
             "  -h, --help  show this help\n",
};

const command CMD_RESUME = {
    .name = "resume",
    .run = run_resume,
    .opts = RESUME_OPTS,
    .min_args = 1,
    .max_args = 1,
    .id_args = 1,
    .usage = "Usage: sandboxctl resume ID [--timeout S]\n"
             "Thaw a paused sandbox.\n\n"
             "  --timeout S  seconds from now until it is killed (default: what was left)\n"
             "  -h, --help   show this help\n",
};

const command CMD_SET_TIMEOUT = {
    .name = "set-timeout",
    .run = run_set_timeout,
    .opts = NO_OPTS,
    .min_args = 2,
    .max_args = 2,
    .id_args = 1,
    .usage = "Usage: sandboxctl set-timeout ID S\n"
             "Kill the sandbox S seconds from now (0: never); replaces the old timeout.\n\n"
             "  -h, --help  show this help\n",
};
