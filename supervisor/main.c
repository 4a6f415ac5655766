/* sandboxd: the supervisor daemon (SPEC §8). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ipc/frame.h"
#include "supervisor/daemon.h"
#include "supervisor/log.h"

#define DEFAULT_SOCKET    "/run/sandboxd/sandboxd.sock"
#define DEFAULT_STATE_DIR "/run/sandboxd"

static void usage(FILE *f)
{
        fprintf(f, "Usage: sandboxd [--socket PATH] [--state-dir DIR] [--config FILE]\n"
                   "                [--log-level error|warning|info|debug]\n"
                   "\n"
                   "Runs the sandbox supervisor in the foreground, logging to stderr.\n"
                   "Defaults: --socket " DEFAULT_SOCKET ", --state-dir " DEFAULT_STATE_DIR ".\n");
}

int main(int argc, char **argv)
{
        static const struct option options[] = {
            {"socket", required_argument, NULL, 's'},
            {"state-dir", required_argument, NULL, 'd'},
            {"config", required_argument, NULL, 'c'},
            {"log-level", required_argument, NULL, 'l'},
            {"help", no_argument, NULL, 'h'},
            {"version", no_argument, NULL, 'V'},
            {0},
        };
        const char *socket_path = DEFAULT_SOCKET, *state_dir = DEFAULT_STATE_DIR, *config = NULL;
        enum log_level level;
        int c;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
                switch (c) {
                case 's':
                        socket_path = optarg;
                        break;
                case 'd':
                        state_dir = optarg;
                        break;
                case 'c':
                        config = optarg;
                        break;
                case 'l':
                        if (log_level_from_name(optarg, &level) < 0) {
                                fprintf(stderr, "sandboxd: unknown log level '%s'\n", optarg);
                                return 2;
                        }
                        log_set_level(level);
                        break;
                case 'h':
                        usage(stdout);
                        return 0;
                case 'V':
                        printf("sandboxd %s\n", SANDBOXD_VERSION);
                        return 0;
                default:
                        usage(stderr);
                        return 2;
                }
        }
        if (optind < argc) {
                fprintf(stderr, "sandboxd: unexpected argument '%s'\n", argv[optind]);
                return 2;
        }
        if (geteuid() != 0)
                fprintf(stderr, "sandboxd: warning: not running as root; creating sandboxes "
                                "will fail\n");

        struct daemon d;
        int r = daemon_start(&d, config, socket_path, state_dir);
        if (r >= 0)
                r = daemon_run(&d);
        daemon_done(&d);
        return r < 0 ? 1 : 0;
}
