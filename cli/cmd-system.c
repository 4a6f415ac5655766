/* About the daemon: templates, system. */
#include "cli/ctl.h"

static int run_templates(ctl *c, int argc, char **argv)
{
        _cleanup_(json_object_putp) json_object *result = NULL;
        json_object *list = NULL;
        int r;

        r = ctl_call(c, "template.list", NULL, &result);
        if (r != CTL_OK)
                return r;
        if (c->flags & FLAG_JSON) {
                print_json(result);
                return CTL_OK;
        }
        if (!json_object_object_get_ex(result, "templates", &list) ||
            !json_object_is_type(list, json_type_array))
                return ctl_error("the daemon's answer has no templates array");
        print_object_table(list);
        return CTL_OK;
}

static int run_system(ctl *c, int argc, char **argv)
{
        _cleanup_(json_object_putp) json_object *result = NULL;
        int r;

        r = ctl_call(c, "system.info", NULL, &result);
        if (r != CTL_OK)
                return r;
        if (c->flags & FLAG_JSON)
                print_json(result);
        else
                print_keys(result, "");
        return CTL_OK;
}

static const opt_spec JSON_OPTS[] = {
    {"json", 0, &OPT_FLAG, NULL, FLAG_JSON},
    {NULL},
};

const command CMD_TEMPLATES = {
    .name = "templates",
    .run = run_templates,
    .opts = JSON_OPTS,
    .usage = "Usage: sandboxctl templates [--json]\n"
             "List the templates sandboxes can be created from.\n\n"
             "  --json      print the result object\n"
             "  -h, --help  show this help\n",
};

const command CMD_SYSTEM = {
    .name = "system",
    .run = run_system,
    .opts = JSON_OPTS,
    .usage = "Usage: sandboxctl system [--json]\n"
             "Show the daemon's version, cgroup mode, features and sandbox counts.\n\n"
             "  --json      print the result object\n"
             "  -h, --help  show this help\n",
};
