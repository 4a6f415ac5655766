/* Integration-test harness: a real sandboxd on a temporary socket, state directory and
 * cgroup parent, and checks that it leaves nothing behind. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sandboxd/client.h>

struct harness {
        char dir[64]; /* temporary directory: socket, state, config */
        char socket_path[128];
        char cgroup_parent[64];
        pid_t pid; /* the daemon */
        sandboxd_client *client;
};

/* Starts sandboxd with extra_config (JSON members, may be NULL) and connects. 0 or -errno. */
int harness_start(struct harness *h, const char *extra_config);
/* Kills every sandbox, SIGTERM, wait (it must exit 0), then asserts nothing is left: no
 * cgroup under the parent, no record; removes the temp dir. 0 or -1 with a message. */
int harness_stop(struct harness *h);

/* Stops the daemon with sig (SIGKILL: a crash; SIGTERM: a clean stop), which leaves its
 * sandboxes running, starts it again on the same socket, state and cgroups, and reconnects
 * h->client. 0 or -errno. */
int harness_restart(struct harness *h, int sig);
/* Kills every sandbox through the API; how many it killed, or -1. */
int harness_kill_all(struct harness *h);

/* A new connection to the daemon. */
sandboxd_client *harness_connect(struct harness *h);
/* A raw connected socket to the daemon (for malformed input). */
int harness_raw(struct harness *h);
/* Writes line (a '\n' is added) and reads one response line into a malloc'd string. */
char *raw_roundtrip(int fd, const char *line);
/* Reads one line (blocking, 10 s at most); malloc'd, without '\n'; NULL on EOF/timeout. */
char *raw_read_line(int fd);

/* A deadline for waiting on an event: generous, since the machine may be busy. Waits end
 * as soon as the event comes, so a long deadline costs nothing on a passing run. */
#define HARNESS_DEADLINE_S 60.0

/* Calls cond(arg) until it returns true, with a short back-off, for at most deadline_s
 * seconds. True when cond held: wait on an event with this rather than sleep and assert. */
bool harness_poll_until(bool (*cond)(void *arg), void *arg, double deadline_s);
/* Waits until the daemon answers not_found for sandbox id (gone from get and list). */
bool harness_wait_gone(struct harness *h, const char *id);
/* Waits until the daemon released sandbox id: no cgroup and no record of it left. */
bool harness_wait_released(struct harness *h, const char *id);

/* The pid of a process in one of this daemon's sandboxes (its cgroup is under cgroup_parent)
 * whose command line, arguments joined by spaces, is cmdline; 0 when there is none. */
pid_t harness_find_process(const struct harness *h, const char *cmdline);

/* Counts of the daemon's open fds and its VmRSS in KiB. */
int harness_fd_count(const struct harness *h);
long harness_rss_kb(const struct harness *h);
/* True when any directory named cgroup_parent/<name> exists in any hierarchy. */
bool harness_cgroup_exists(const struct harness *h, const char *name);
