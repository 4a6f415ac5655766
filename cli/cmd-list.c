/* list: one page of sandbox.list, or with --all every page as one. */
#include "cli/ctl.h"

static const column LIST_COLUMNS[] = {
    {"ID", "sandbox_id", format_cell},      {"TEMPLATE", "template_id", format_cell},
    {"STATE", "state", format_cell},        {"EXECS", "exec_count", format_cell},
    {"CREATED", "created_at", format_time}, {"ENDS", "end_at", format_time},
    {"METADATA", "metadata", format_cell},
};

static json_object *page_sandboxes(json_object *page)
{
        json_object *list = NULL;

        json_object_object_get_ex(page, "sandboxes", &list);
        return json_object_is_type(list, json_type_array) ? list : NULL;
}

/* Without --all or --limit, a page that is not the last one says how to get the next. */
static void hint_next(const ctl *c, json_object *page)
{
        json_object *more;
        const char *cursor = json_get_str(page, "next_cursor");

        if (json_object_object_get_ex(c->params, "limit", NULL) ||
            !json_object_object_get_ex(page, "has_more", &more) || !json_object_get_boolean(more) ||
            !cursor)
                return;
        fflush(stdout);
        fprintf(stderr, "sandboxctl: more sandboxes: add --cursor %s for the next page, or --all\n",
                cursor);
}

static int list_page(ctl *c)
{
        _cleanup_(json_object_putp) json_object *page = NULL;
        json_object *list;
        int r;

        r = ctl_call(c, "sandbox.list", c->params, &page);
        if (r != CTL_OK)
                return r;
        if (c->flags & FLAG_JSON) {
                print_json(page);
                return CTL_OK;
        }
        list = page_sandboxes(page);
        if (!list)
                return ctl_error("the daemon's list answer has no sandboxes array");
        print_table(list, LIST_COLUMNS, ELEMENTSOF(LIST_COLUMNS));
        hint_next(c, page);
        return CTL_OK;
}

static int collect(json_object *sandbox, void *userdata)
{
        if (json_object_array_add(userdata, json_object_get(sandbox)) < 0)
                return ctl_error("out of memory");
        return CTL_OK;
}

/* The pages as one result object, shaped like a last page. */
static json_object *merged_page(json_object *all)
{
        json_object *page = json_object_new_object();

        if (!page)
                return NULL;
        json_object_object_add(page, "sandboxes", json_object_get(all));
        json_object_object_add(page, "count", json_object_new_int64(json_object_array_length(all)));
        json_object_object_add(page, "has_more", json_object_new_boolean(0));
        json_object_object_add(page, "next_cursor", NULL);
        return page;
}

static int list_all(ctl *c)
{
        _cleanup_(json_object_putp) json_object *all = json_object_new_array();
        _cleanup_(json_object_putp) json_object *page = NULL;
        int r;

        if (!all)
                return ctl_error("out of memory");
        r = ctl_walk(c, c->params, collect, all);
        if (r != CTL_OK)
                return r;
        if (!(c->flags & FLAG_JSON)) {
                print_table(all, LIST_COLUMNS, ELEMENTSOF(LIST_COLUMNS));
                return CTL_OK;
        }
        page = merged_page(all);
        if (!page)
                return ctl_error("out of memory");
        print_json(page);
        return CTL_OK;
}

static int run_list(ctl *c, int argc, char **argv)
{
        return c->flags & FLAG_ALL ? list_all(c) : list_page(c);
}

static const opt_spec LIST_OPTS[] = {
    {"state", 0, &OPT_STATE, "state", 0},
    {"meta", 0, &OPT_KV, "metadata_equals", 0},
    {"has-meta", 0, &OPT_APPEND, "metadata_exists", 0},
    {"since", 0, &OPT_TIME, "since", 0},
    {"until", 0, &OPT_TIME, "until", 0},
    {"internet", 0, &OPT_TRUE, "internet_access", 0},
    {"no-internet", 0, &OPT_FALSE, "internet_access", 0},
    {"min-exec", 0, &OPT_INT, "min_exec_count", 0},
    {"max-exec", 0, &OPT_INT, "max_exec_count", 0},
    {"template", 0, &OPT_STRING, "template_id", 0},
    {"order", 0, &OPT_STRING, "order", 0},
    {"limit", 0, &OPT_INT, "limit", 0},
    {"cursor", 0, &OPT_STRING, "cursor", 0},
    {"all", 0, &OPT_FLAG, NULL, FLAG_ALL},
    {"json", 0, &OPT_FLAG, NULL, FLAG_JSON},
    {NULL},
};

const command CMD_LIST = {
    .name = "list",
    .run = run_list,
    .opts = LIST_OPTS,
    .usage = "Usage: sandboxctl list [OPTION]...\n"
             "List sandboxes, newest first; every filter given must match.\n\n"
             "  --state running|paused|all  by state (default: all)\n"
             "  --meta KEY=VALUE            metadata KEY equals VALUE (repeatable)\n"
             "  --has-meta KEY              metadata KEY is set (repeatable)\n"
             "  --since T                   created at or after T (epoch seconds or RFC 3339)\n"
             "  --until T                   created before T\n"
             "  --internet, --no-internet   with or without internet access\n"
             "  --min-exec N, --max-exec N  exec count bounds (inclusive)\n"
             "  --template ID               made from template ID\n"
             "  --order asc|desc            oldest or newest first (default: desc)\n"
             "  --limit N                   at most N per page (1..100, default 100)\n"
             "  --cursor C                  the page after the one that gave cursor C\n"
             "  --all                       every page, printed as one\n"
             "  --json                      print the result object\n"
             "  -h, --help                  show this help\n",
};
