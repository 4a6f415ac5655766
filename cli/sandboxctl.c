/* sandboxctl: the command-line client of sandboxd (SPEC §7). Global options, then a command
 * found in COMMANDS; each command's options are a table parsed in options.c. */
#include <getopt.h>
#include <string.h>

#include "cli/ctl.h"

static const command *const COMMANDS[] = {
    &CMD_CREATE, &CMD_LIST,   &CMD_INFO,        &CMD_EXEC,      &CMD_KILL,
    &CMD_PAUSE,  &CMD_RESUME, &CMD_SET_TIMEOUT, &CMD_TEMPLATES, &CMD_SYSTEM,
};

static const char MAIN_USAGE[] =
    "Usage: sandboxctl [--socket PATH] COMMAND ...\n"
    "Control sandboxd, the local sandbox runtime.\n\n"
    "  create [--template ID] [--meta KEY=VALUE]... [--timeout S] [--internet] [--env K=V]...\n"
    "         [--allow-out CIDR|DOMAIN]... [--deny-out CIDR|DOMAIN]...\n"
    "         [--cpus N] [--memory MB] [--pids N] [--disk MB] [--json]\n"
    "  list   [--state running|paused|all] [--meta KEY=VALUE]... [--has-meta KEY]...\n"
    "         [--since T] [--until T] [--internet | --no-internet] [--min-exec N] [--max-exec N]\n"
    "         [--template ID] [--order asc|desc] [--limit N] [--cursor C] [--all] [--json]\n"
    "  info ID [--json]\n"
    "  exec [-i] [-t] [--env K=V]... [--cwd DIR] [--timeout S] ID -- CMD [ARG]...\n"
    "  kill ID...\n"
    "  pause ID | resume ID [--timeout S] | set-timeout ID S\n"
    "  templates [--json] | system [--json]\n"
    "  help [COMMAND]\n\n"
    "An ID may be any unique prefix of at least 4 characters.\n"
    "  --socket PATH  the daemon's socket (default: $" SANDBOXD_SOCKET_ENV
    ", else " SANDBOXD_DEFAULT_SOCKET ")\n"
    "  -h, --help     show this help; 'sandboxctl COMMAND --help' shows a command's\n\n"
    "Exit status: 0 success, 1 an error from the daemon, 2 a usage error;\n"
    "exec exits with the command's status.\n";

static void ctl_done(ctl *c)
{
        if (c->client)
                sandboxd_disconnect(c->client);
        json_object_put(c->params);
}

static const command *find_command(const char *name)
{
        for (size_t i = 0; i < ELEMENTSOF(COMMANDS); i++)
                if (strcmp(COMMANDS[i]->name, name) == 0)
                        return COMMANDS[i];
        return NULL;
}

static int parse_global(ctl *c, int argc, char **argv, int *ret_optind)
{
        static const struct option longopts[] = {
            {"socket", required_argument, NULL, 's'},
            {"help", no_argument, NULL, 'h'},
            {0},
        };
        int r;

        opterr = 0;
        /* '+': stop at the command name, its options are its own. */
        while ((r = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
                if (r == 's')
                        c->socket = optarg;
                else if (r == 'h') {
                        fputs(MAIN_USAGE, stdout);
                        return CTL_HELP;
                } else if (r == ':')
                        return ctl_usage(NULL, "option '--socket' needs a value");
                else
                        return ctl_usage(NULL, "unknown option '%s'", argv[optind - 1]);
        }
        *ret_optind = optind;
        return CTL_OK;
}

/* Cuts argv at the first "--": the command line after it goes to c->tail. */
static void split_dashdash(ctl *c, int *argc, char **argv)
{
        for (int i = 1; i < *argc; i++)
                if (strcmp(argv[i], "--") == 0) {
                        c->tail = argv + i + 1;
                        c->n_tail = *argc - i - 1;
                        *argc = i;
                        return;
                }
}

static int check_args(const ctl *c, int n, char **args)
{
        const command *cmd = c->cmd;
        int n_ids = cmd->id_args == ARGS_ANY ? n : cmd->id_args;
        bool want_id = cmd->id_args == ARGS_ANY || n < cmd->id_args;

        if (n < cmd->min_args)
                return ctl_usage(c, "missing %s", want_id ? "sandbox id" : "argument");
        if (cmd->max_args != ARGS_ANY && n > cmd->max_args)
                return ctl_usage(c, "unexpected argument '%s'", args[cmd->max_args]);
        for (int i = 0; i < n && i < n_ids; i++)
                if (ctl_check_id(c, args[i]) != CTL_OK)
                        return CTL_USAGE;
        return CTL_OK;
}

static int run_command(ctl *c, const command *cmd, int argc, char **argv)
{
        int first = 0, r;

        c->cmd = cmd;
        c->params = json_object_new_object();
        if (!c->params)
                return ctl_error("out of memory");
        if (cmd->dashdash)
                split_dashdash(c, &argc, argv);
        r = ctl_parse_options(c, argc, argv, &first);
        if (r != CTL_OK)
                return r;
        if (cmd->dashdash && !c->tail)
                return ctl_usage(c, "missing '--' before the command");
        r = check_args(c, argc - first, argv + first);
        if (r != CTL_OK)
                return r;
        return cmd->run(c, argc - first, argv + first);
}

/* "help" alone is --help; "help COMMAND" is COMMAND --help. */
static int run_help(int argc, char **argv)
{
        const command *cmd;

        if (argc < 2) {
                fputs(MAIN_USAGE, stdout);
                return CTL_OK;
        }
        cmd = find_command(argv[1]);
        if (!cmd)
                return ctl_usage(NULL, "unknown command '%s'", argv[1]);
        fputs(cmd->usage, stdout);
        return CTL_OK;
}

/* argv[0] is the command's name. */
static int dispatch(ctl *c, int argc, char **argv)
{
        const command *cmd;

        if (argc == 0)
                return ctl_usage(NULL, "no command given");
        if (strcmp(argv[0], "help") == 0)
                return run_help(argc, argv);
        cmd = find_command(argv[0]);
        if (!cmd)
                return ctl_usage(NULL, "unknown command '%s'", argv[0]);
        return run_command(c, cmd, argc, argv);
}

int main(int argc, char **argv)
{
        _cleanup_(ctl_done) ctl c = {0};
        int first = 0, r;

        r = parse_global(&c, argc, argv, &first);
        if (r == CTL_OK)
                r = dispatch(&c, argc - first, argv + first);
        if (r == CTL_HELP)
                r = CTL_OK;
        if (fflush(stdout) != 0 && r == CTL_OK)
                r = ctl_error("cannot write the output: %s", strerror(errno));
        return r;
}
