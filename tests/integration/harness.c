/* Integration-test harness (see harness.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static int write_config(const struct harness *h, const char *extra)
{
        char path[128];
        snprintf(path, sizeof(path), "%s/config.json", h->dir);
        FILE *f = fopen(path, "we");
        if (!f)
                return -errno;
        fprintf(f, "{\"cgroup_parent\": \"%s\"%s%s}\n", h->cgroup_parent, extra ? ", " : "",
                extra ? extra : "");
        return fclose(f) == 0 ? 0 : -errno;
}

static pid_t spawn_daemon(const struct harness *h)
{
        char config[128], state[128];
        snprintf(config, sizeof(config), "%s/config.json", h->dir);
        snprintf(state, sizeof(state), "%s/state", h->dir);
        pid_t pid = fork();
        if (pid == 0) {
                /* A test that dies takes its daemon (and so its sandboxes) with it. */
                prctl(PR_SET_PDEATHSIG, SIGTERM);
                const char *level = getenv("SANDBOXD_TEST_LOG_LEVEL");
                execl(SANDBOXD_BIN_DIR "/sandboxd", "sandboxd", "--socket", h->socket_path,
                      "--state-dir", state, "--config", config, "--log-level",
                      level ? level : "warning", (char *)NULL);
                _exit(127);
        }
        return pid;
}

static int wait_for_socket(struct harness *h);

sandboxd_client *harness_connect(struct harness *h)
{
        sandboxd_client *c = NULL;
        return sandboxd_connect(h->socket_path, &c, NULL) == 0 ? c : NULL;
}

int harness_start(struct harness *h, const char *extra_config)
{
        memset(h, 0, sizeof(*h));
        strcpy(h->dir, "/tmp/sandboxd-test-XXXXXX");
        if (!mkdtemp(h->dir))
                return -errno;
        snprintf(h->socket_path, sizeof(h->socket_path), "%s/sandboxd.sock", h->dir);
        snprintf(h->cgroup_parent, sizeof(h->cgroup_parent), "sandboxd-test-%d", (int)getpid());
        int r = write_config(h, extra_config);
        if (r < 0)
                return r;
        h->pid = spawn_daemon(h);
        if (h->pid < 0)
                return -errno;
        return wait_for_socket(h);
}

static bool dir_has_cgroup(const char *base, const char *parent, const char *name, int depth)
{
        char path[512];
        snprintf(path, sizeof(path), "%s/%s%s%s", base, parent, name ? "/" : "", name ? name : "");
        struct stat st;
        if (stat(path, &st) == 0)
                return true;
        if (depth == 0)
                return false;
        DIR *d = opendir(base);
        if (!d)
                return false;
        bool found = false;
        struct dirent *e;
        while (!found && (e = readdir(d))) {
                if (e->d_type != DT_DIR || e->d_name[0] == '.')
                        continue;
                char sub[512];
                snprintf(sub, sizeof(sub), "%s/%s", base, e->d_name);
                found = dir_has_cgroup(sub, parent, name, depth - 1);
        }
        closedir(d);
        return found;
}

bool harness_cgroup_exists(const struct harness *h, const char *name)
{
        /* Each hierarchy is one level down on v1 and hybrid hosts, the root itself on v2. */
        return dir_has_cgroup("/sys/fs/cgroup", h->cgroup_parent, name, 1);
}

static int rm_rf(const char *path)
{
        char cmd[256];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
        return system(cmd);
}

static int wait_for_socket(struct harness *h)
{
        for (int i = 0; i < 1000; i++) { /* 10 s */
                h->client = harness_connect(h);
                if (h->client)
                        return 0;
                if (waitpid(h->pid, NULL, WNOHANG) == h->pid) {
                        h->pid = 0;
                        return -ECHILD;
                }
                usleep(10000);
        }
        return -ETIMEDOUT;
}

int harness_restart(struct harness *h, int sig)
{
        if (h->client)
                sandboxd_disconnect(h->client);
        h->client = NULL;
        kill(h->pid, sig);
        waitpid(h->pid, NULL, 0);
        h->pid = spawn_daemon(h);
        return h->pid < 0 ? -errno : wait_for_socket(h);
}

int harness_kill_all(struct harness *h)
{
        int n = 0;
        for (;;) {
                sandboxd_list_opts o = sandboxd_list_opts_default();
                sandboxd_page *p = NULL;
                if (!h->client || sandboxd_list(h->client, &o, &p, NULL) != 0)
                        return -1;
                size_t count = p->count;
                for (size_t i = 0; i < count; i++)
                        n += sandboxd_kill(h->client, p->sandboxes[i]->sandbox_id, NULL) == 0;
                sandboxd_page_free(p);
                if (count == 0)
                        return n;
        }
}

static bool records_left(const struct harness *h)
{
        char path[128];
        snprintf(path, sizeof(path), "%s/state/sandboxes", h->dir);
        DIR *d = opendir(path);
        bool any = false;
        struct dirent *e;
        while (d && !any && (e = readdir(d)))
                any = e->d_name[0] != '.';
        if (d)
                closedir(d);
        return any;
}

int harness_stop(struct harness *h)
{
        int failed = 0;
        if (harness_kill_all(h) < 0) {
                fprintf(stderr, "harness: cannot kill the sandboxes before stopping\n");
                failed = -1;
        }
        if (h->client)
                sandboxd_disconnect(h->client);
        if (h->pid > 0) {
                kill(h->pid, SIGTERM);
                int status = 0;
                waitpid(h->pid, &status, 0);
                if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                        fprintf(stderr, "harness: sandboxd ended with status 0x%x\n", status);
                        failed = -1;
                }
        }
        if (records_left(h)) {
                fprintf(stderr, "harness: sandbox records are left behind\n");
                failed = -1;
        }
        if (harness_cgroup_exists(h, NULL)) {
                fprintf(stderr, "harness: cgroup %s is left behind\n", h->cgroup_parent);
                failed = -1;
        }
        rm_rf(h->dir);
        return failed;
}

int harness_raw(struct harness *h)
{
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        strcpy(addr.sun_path, h->socket_path);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
                close(fd);
                return -1;
        }
        return fd;
}

char *raw_read_line(int fd)
{
        size_t cap = 4096, len = 0;
        char *buf = malloc(cap);
        for (;;) {
                struct pollfd p = {fd, POLLIN, 0};
                if (poll(&p, 1, 10000) <= 0)
                        break;
                char ch;
                if (read(fd, &ch, 1) != 1)
                        break;
                if (ch == '\n') {
                        buf[len] = '\0';
                        return buf;
                }
                if (len + 1 >= cap)
                        buf = realloc(buf, cap *= 2);
                buf[len++] = ch;
        }
        free(buf);
        return NULL;
}

char *raw_roundtrip(int fd, const char *line)
{
        size_t n = strlen(line);
        if (write(fd, line, n) != (ssize_t)n || write(fd, "\n", 1) != 1)
                return NULL;
        return raw_read_line(fd);
}

static double monotonic_s(void)
{
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        return t.tv_sec + t.tv_nsec / 1e9;
}

bool harness_poll_until(bool (*cond)(void *arg), void *arg, double deadline_s)
{
        double end = monotonic_s() + deadline_s;
        useconds_t pause_us = 1000;
        for (;;) {
                if (cond(arg))
                        return true;
                if (monotonic_s() > end)
                        return false;
                usleep(pause_us);
                if (pause_us < 50000)
                        pause_us *= 2;
        }
}

struct sandbox_ref {
        struct harness *h;
        const char *id;
};

static bool is_gone(void *arg)
{
        struct sandbox_ref *ref = arg;
        sandboxd_sandbox *sb = NULL;
        sandboxd_error err = {0};
        int r = sandboxd_get(ref->h->client, ref->id, &sb, &err);
        sandboxd_sandbox_free(sb);
        return r == -EREMOTEIO && err.code == -32001; /* not_found */
}

bool harness_wait_gone(struct harness *h, const char *id)
{
        struct sandbox_ref ref = {h, id};
        return harness_poll_until(is_gone, &ref, HARNESS_DEADLINE_S);
}

static bool is_released(void *arg)
{
        struct sandbox_ref *ref = arg;
        char path[256];
        snprintf(path, sizeof(path), "%s/state/sandboxes/%s.json", ref->h->dir, ref->id);
        return access(path, F_OK) != 0 && !harness_cgroup_exists(ref->h, ref->id);
}

bool harness_wait_released(struct harness *h, const char *id)
{
        struct sandbox_ref ref = {h, id};
        return harness_poll_until(is_released, &ref, HARNESS_DEADLINE_S);
}

/* Reads /proc/<pid>/<what> into buf (NUL-terminated); its length or -1. */
static ssize_t read_proc(pid_t pid, const char *what, char *buf, size_t size)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -1;
        ssize_t n = read(fd, buf, size - 1);
        close(fd);
        if (n >= 0)
                buf[n] = '\0';
        return n;
}

static bool process_matches(const struct harness *h, pid_t pid, const char *cmdline)
{
        char buf[4096], want_cg[96];
        ssize_t n = read_proc(pid, "cmdline", buf, sizeof(buf));
        if (n <= 0)
                return false;
        for (ssize_t i = 0; i < n - 1; i++)
                if (buf[i] == '\0')
                        buf[i] = ' ';
        if (strcmp(buf, cmdline) != 0)
                return false;
        snprintf(want_cg, sizeof(want_cg), "/%s/", h->cgroup_parent);
        return read_proc(pid, "cgroup", buf, sizeof(buf)) > 0 && strstr(buf, want_cg);
}

pid_t harness_find_process(const struct harness *h, const char *cmdline)
{
        DIR *d = opendir("/proc");
        pid_t found = 0;
        struct dirent *e;
        while (d && !found && (e = readdir(d))) {
                pid_t pid = (pid_t)atoi(e->d_name);
                if (pid > 0 && process_matches(h, pid, cmdline))
                        found = pid;
        }
        if (d)
                closedir(d);
        return found;
}

int harness_fd_count(const struct harness *h)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/fd", (int)h->pid);
        DIR *d = opendir(path);
        if (!d)
                return -1;
        int n = 0;
        while (readdir(d))
                n++;
        closedir(d);
        return n - 2;
}

long harness_rss_kb(const struct harness *h)
{
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)h->pid);
        FILE *f = fopen(path, "re");
        long kb = -1;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "VmRSS: %ld", &kb) == 1)
                        break;
        if (f)
                fclose(f);
        return kb;
}
