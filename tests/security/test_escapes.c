/* Security: the "Escapes and leaks" table of SECURITY.md, one test per row. Every attack runs
 * from inside a real sandbox of a real sandboxd (the integration harness), mostly as python3
 * probes calling raw syscalls through ctypes, and each test asserts the concrete outcome the
 * table demands (an errno, an exit status, a file's content), never just that it ran.
 *
 * Probes print "key=value" lines; expect() checks each key against the values it may take and
 * reports every mismatch before failing. Probes never write to a host file even when an
 * attack would let them: a "write" is an open for writing, which is enough to show the write
 * would go through. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "harness.h"
#include "probe.h"

#define EXEC_TIMEOUT_S 30

static struct harness H;
static sandboxd_sandbox *A, *B; /* two live sandboxes for the whole group */

/* Host state planted by the setup and removed by the teardown. */
static const char *const marker_dirs[] = {"/root", "/tmp", "/home", "/run", "/var/tmp", "/var/lib"};
#define N_MARKERS (sizeof(marker_dirs) / sizeof(marker_dirs[0]))
static char marker_name[64];              /* the same file name in every directory */
static char marker_paths[N_MARKERS][128]; /* "" when it could not be planted */
static char abstract_name[64];            /* without the leading NUL */
static int abstract_fd = -1;
static int tcp_fd = -1; /* a host service on 127.0.0.1 */
static int tcp_port;
static char daemon_bin[512], init_bin[512];
static void *daemon_bin_data, *init_bin_data;
static size_t daemon_bin_len, init_bin_len;

/* ---- host helpers ---- */

static void *read_whole(const char *path, size_t *ret_len)
{
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        size_t cap = 1 << 20, len = 0;
        char *buf = malloc(cap);
        size_t n;
        while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
                len += n;
                if (len == cap)
                        buf = realloc(buf, cap *= 2);
        }
        fclose(f);
        *ret_len = len;
        return buf;
}

static bool same_content(const char *path, const void *data, size_t len)
{
        size_t now_len = 0;
        void *now = read_whole(path, &now_len);
        bool same = now && now_len == len && memcmp(now, data, len) == 0;
        free(now);
        return same;
}

static char *base64(const void *data, size_t len)
{
        static const char tbl[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const unsigned char *p = data;
        char *out = malloc((len + 2) / 3 * 4 + (len / 57 + 2) + 1), *o = out;
        for (size_t i = 0; i < len; i += 3) {
                uint32_t v = (uint32_t)p[i] << 16;
                if (i + 1 < len)
                        v |= (uint32_t)p[i + 1] << 8;
                if (i + 2 < len)
                        v |= p[i + 2];
                *o++ = tbl[(v >> 18) & 63];
                *o++ = tbl[(v >> 12) & 63];
                *o++ = i + 1 < len ? tbl[(v >> 6) & 63] : '=';
                *o++ = i + 2 < len ? tbl[v & 63] : '=';
                if ((i / 3 + 1) % 19 == 0)
                        *o++ = '\n';
        }
        *o++ = '\n';
        *o = '\0';
        return out;
}

/* ---- running things inside ---- */

static sandboxd_exec_result *run_cwd(const char *id, const char *const *argv, const char *cwd,
                                     const char *in, int *ret_rc, sandboxd_error *err)
{
        sandboxd_exec_opts o = {.argv = argv,
                                .cwd = cwd,
                                .stdin_data = in,
                                .stdin_len = in ? strlen(in) : 0,
                                .timeout = EXEC_TIMEOUT_S};
        sandboxd_exec_result *res = NULL;
        *ret_rc = sandboxd_exec(H.client, id, &o, &res, err);
        return res;
}

static sandboxd_exec_result *run(const char *id, const char *const *argv, const char *in)
{
        sandboxd_error err = {0};
        int rc = 0;
        sandboxd_exec_result *res = run_cwd(id, argv, NULL, in, &rc, &err);
        if (rc != 0)
                fail_msg("exec %s: %d %s", argv[0], rc, err.message);
        return res;
}

static sandboxd_exec_result *py(const char *id, const char *script, const char *in)
{
        const char *argv[] = {"python3", "-I", "-c", script, NULL};
        return run(id, argv, in);
}

static sandboxd_exec_result *sh(const char *id, const char *script, const char *in)
{
        const char *argv[] = {"sh", "-c", script, NULL};
        return run(id, argv, in);
}

/* Shared by every python probe: raw syscalls and errno names. */
#define PY_PRELUDE                                                                                 \
        "import ctypes, errno, os, socket, stat, sys, time\n"                                      \
        "libc = ctypes.CDLL(None, use_errno=True)\n"                                               \
        "libc.syscall.restype = ctypes.c_long\n"                                                   \
        "def en(e):\n"                                                                             \
        "    return errno.errorcode.get(e, 'E' + str(e)) if e else 'OK'\n"                         \
        "def arg(x):\n"                                                                            \
        "    return ctypes.c_long(x) if isinstance(x, int) else x\n"                               \
        "def sc(nr, *a):\n"                                                                        \
        "    ctypes.set_errno(0)\n"                                                                \
        "    r = libc.syscall(ctypes.c_long(nr), *[arg(x) for x in a])\n"                          \
        "    return 'OK' if r >= 0 else en(ctypes.get_errno())\n"                                  \
        "def tryf(f, *a):\n"                                                                       \
        "    try:\n"                                                                               \
        "        f(*a)\n"                                                                          \
        "        return 'OK'\n"                                                                    \
        "    except OSError as e:\n"                                                               \
        "        return en(e.errno) if e.errno else type(e).__name__\n"                            \
        "def out(k, v):\n"                                                                         \
        "    print(k + '=' + str(v), flush=True)\n"

/* ---- group setup and teardown ---- */

static sandboxd_sandbox *create_sandbox(void)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.timeout = 600;
        sandboxd_sandbox *sb = NULL;
        sandboxd_error err = {0};
        int r = sandboxd_create(H.client, &o, &sb, &err);
        if (r != 0) {
                fprintf(stderr, "create: %d %s\n", r, err.message);
                return NULL;
        }
        return sb;
}

static void plant_markers(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        snprintf(marker_name, sizeof(marker_name), "sbxtest-marker-%d-%lx", (int)getpid(),
                 (unsigned long)ts.tv_nsec);
        for (size_t i = 0; i < N_MARKERS; i++) {
                snprintf(marker_paths[i], sizeof(marker_paths[i]), "%s/%s", marker_dirs[i],
                         marker_name);
                FILE *f = fopen(marker_paths[i], "wx");
                if (!f) {
                        fprintf(stderr, "cannot plant %s: %s\n", marker_paths[i], strerror(errno));
                        marker_paths[i][0] = '\0';
                        continue;
                }
                fprintf(f, "secret %s\n", marker_name);
                fclose(f);
        }
}

static int open_host_sockets(void)
{
        snprintf(abstract_name, sizeof(abstract_name), "sandboxd-test-marker-%d", (int)getpid());
        abstract_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_un un = {.sun_family = AF_UNIX};
        memcpy(un.sun_path + 1, abstract_name, strlen(abstract_name));
        socklen_t unlen = offsetof(struct sockaddr_un, sun_path) + 1 + strlen(abstract_name);
        if (abstract_fd < 0 || bind(abstract_fd, (struct sockaddr *)&un, unlen) < 0 ||
            listen(abstract_fd, 16) < 0)
                return -1;
        tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t inlen = sizeof(in);
        if (tcp_fd < 0 || bind(tcp_fd, (struct sockaddr *)&in, sizeof(in)) < 0 ||
            listen(tcp_fd, 16) < 0 || getsockname(tcp_fd, (struct sockaddr *)&in, &inlen) < 0)
                return -1;
        tcp_port = ntohs(in.sin_port);
        return 0;
}

static int setup(void **state)
{
        if (harness_start(&H, NULL) != 0)
                return -1;
        char link[64];
        snprintf(link, sizeof(link), "/proc/%d/exe", (int)H.pid);
        ssize_t n = readlink(link, daemon_bin, sizeof(daemon_bin) - 1);
        if (n <= 0)
                return -1;
        daemon_bin[n] = '\0';
        snprintf(init_bin, sizeof(init_bin), "%.*s/sandboxd-init",
                 (int)(strrchr(daemon_bin, '/') - daemon_bin), daemon_bin);
        daemon_bin_data = read_whole(daemon_bin, &daemon_bin_len);
        init_bin_data = read_whole(init_bin, &init_bin_len);
        if (!daemon_bin_data || !init_bin_data)
                return -1;
        plant_markers();
        if (open_host_sockets() < 0)
                return -1;
        A = create_sandbox();
        B = create_sandbox();
        return A && B ? 0 : -1;
}

static int teardown(void **state)
{
        sandboxd_sandbox *both[] = {A, B};
        for (size_t i = 0; i < 2; i++)
                if (both[i]) {
                        sandboxd_error err;
                        if (sandboxd_kill(H.client, both[i]->sandbox_id, &err) != 0)
                                fprintf(stderr, "kill %s: %s\n", both[i]->sandbox_id, err.message);
                        sandboxd_sandbox_free(both[i]);
                }
        A = B = NULL;
        for (size_t i = 0; i < N_MARKERS; i++)
                if (marker_paths[i][0])
                        unlink(marker_paths[i]);
        if (abstract_fd >= 0)
                close(abstract_fd);
        if (tcp_fd >= 0)
                close(tcp_fd);
        abstract_fd = tcp_fd = -1;
        free(daemon_bin_data);
        free(init_bin_data);
        return harness_stop(&H);
}

/* ---- write through /proc/<pid>/exe during an exec (runc CVE-2019-5736) ---- */

struct bg_exec {
        const char *id;
        const char *script;
        sandboxd_exec_result *res;
        int rc;
        atomic_bool done;
};

static void *bg_exec_main(void *arg)
{
        struct bg_exec *b = arg;
        sandboxd_client *c = harness_connect(&H);
        b->rc = -ENOTCONN;
        if (c) {
                const char *argv[] = {"python3", "-I", "-c", b->script, NULL};
                sandboxd_exec_opts o = {.argv = argv, .timeout = EXEC_TIMEOUT_S};
                b->rc = sandboxd_exec(c, b->id, &o, &b->res, NULL);
                sandboxd_disconnect(c);
        }
        atomic_store(&b->done, true);
        return NULL;
}

static void test_proc_exe_overwrite(void **state)
{
        /* The PoC's trick: a "binary" whose interpreter is /proc/self/exe makes the exec run the
         * runtime's own binary (here: init's, copied into a sealed memfd) as the new process. */
        sandboxd_exec_result *r = sh(A->sandbox_id,
                                     "printf '#!/proc/self/exe\\n' > /tmp/evil && "
                                     "chmod +x /tmp/evil",
                                     NULL);
        assert_exit0(r);
        sandboxd_exec_result_free(r);

        /* For 2 s, every process it can see: open its exe for writing, directly and by
         * reopening a read-only fd through /proc/self/fd. */
        static const char probe[] =
            PY_PRELUDE "me = os.getpid()\n"
                       "seen = set(); wr = []\n"
                       "end = time.time() + 2.0\n"
                       "while time.time() < end:\n"
                       "    for p in os.listdir('/proc'):\n"
                       "        if not p.isdigit():\n"
                       "            continue\n"
                       "        e = '/proc/%s/exe' % p\n"
                       "        try:\n"
                       "            fd = os.open(e, os.O_WRONLY)\n"
                       "            os.close(fd)\n"
                       "            wr.append(p + ':direct:' + os.readlink(e))\n"
                       "        except OSError as x:\n"
                       "            if x.errno not in (errno.ENOENT, errno.ESRCH):\n"
                       "                seen.add(int(p))\n"
                       "        try:\n"
                       "            fd = os.open(e, os.O_RDONLY)\n"
                       "        except OSError:\n"
                       "            continue\n"
                       "        seen.add(int(p))\n"
                       "        try:\n"
                       "            fd2 = os.open('/proc/self/fd/%d' % fd, os.O_WRONLY)\n"
                       "            os.close(fd2)\n"
                       "            wr.append(p + ':reopen')\n"
                       "        except OSError:\n"
                       "            pass\n"
                       "        os.close(fd)\n"
                       "out('write_opens', len(wr))\n"
                       "out('detail', ' '.join(wr))\n"
                       "out('seen_others', len(seen - {1, me}))\n";
        struct bg_exec bg = {.id = A->sandbox_id, .script = probe};
        pthread_t t;
        assert_int_equal(pthread_create(&t, NULL, bg_exec_main, &bg), 0);
        const char *evil[] = {"/tmp/evil", NULL};
        const char *sleeper[] = {"sh", "-c", "sleep 0.05", NULL};
        int n = 0;
        while (!atomic_load(&bg.done) || n < 10) {
                sandboxd_error err = {0};
                int rc = 0;
                r = run_cwd(A->sandbox_id, n % 2 ? evil : sleeper, NULL, NULL, &rc, &err);
                if (rc == 0)
                        sandboxd_exec_result_free(r);
                n++;
        }
        pthread_join(t, NULL);
        assert_int_equal(bg.rc, 0);
        print_message("  %d execs ran during the probe\n", n);
        EXPECT(bg.res, {"write_opens", "0"});
        /* The probe did see the exec'd processes: the race was run. */
        char buf[32];
        const char *seen = value_of(bg.res->stdout_data, "seen_others", buf, sizeof(buf));
        assert_non_null(seen);
        assert_true(atoi(seen) > 0);
        sandboxd_exec_result_free(bg.res);
        assert_true(same_content(daemon_bin, daemon_bin_data, daemon_bin_len));
        assert_true(same_content(init_bin, init_bin_data, init_bin_len));
}

/* ---- /proc/self/fd in an exec'd process and in init (runc CVE-2024-21626) ---- */

/* init itself, seen from the host: exactly its control socket on 0 and /dev/null on 1 and 2;
 * nothing else, and nothing of the host's file system. */
static void check_init_fds_from_host(void)
{
        char dir[64];
        snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)A->pid);
        DIR *d = opendir(dir);
        assert_non_null(d);
        struct dirent *e;
        int n = 0;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.')
                        continue;
                char path[384], target[256];
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                ssize_t len = readlink(path, target, sizeof(target) - 1);
                assert_true(len > 0);
                target[len] = '\0';
                int fd = atoi(e->d_name);
                print_message("  init fd %d -> %s\n", fd, target);
                if (fd == 0)
                        assert_int_equal(strncmp(target, "socket:", 7), 0);
                else if (fd <= 2)
                        assert_string_equal(target, "/dev/null");
                else
                        fail_msg("init holds fd %d on %s", fd, target);
                n++;
        }
        closedir(d);
        assert_int_equal(n, 3);
}

static void test_fd_leak(void **state)
{
        check_init_fds_from_host();
        /* ls's own listing is fd 3. */
        const char *ls[] = {"ls", "-1", "/proc/self/fd", NULL};
        sandboxd_exec_result *r = run(A->sandbox_id, ls, NULL);
        assert_exit0(r);
        assert_string_equal(r->stdout_data, "0\n1\n2\n3\n");
        sandboxd_exec_result_free(r);

        static const char probe[] =
            PY_PRELUDE "fds = []\n"
                       "for x in sorted(os.listdir('/proc/self/fd'), key=int):\n"
                       "    try:\n"
                       "        t = os.readlink('/proc/self/fd/' + x)\n"
                       "    except OSError:\n"
                       "        continue\n" /* the listing's own fd, closed by now */
                       "    fds.append(x)\n"
                       "    if t.startswith('/') and t != '/dev/null':\n"
                       "        out('fd_path_' + x, t)\n"
                       "out('fds', ','.join(fds))\n"
                       /* init's table: not listable, or exactly 0, 1, 2; and whether any
                        * entry can be followed */
                       "try:\n"
                       "    ents = sorted(os.listdir('/proc/1/fd'), key=int)\n"
                       "except OSError as e:\n"
                       "    out('init_fd', errno.errorcode[e.errno])\n"
                       "    ents = [str(i) for i in range(16)]\n"
                       "else:\n"
                       "    out('init_fd', ','.join(ents))\n"
                       "usable = [e for e in ents if tryf(os.readlink, '/proc/1/fd/' + e) == 'OK' "
                       "or tryf(os.open, '/proc/1/fd/' + e, os.O_RDONLY) == 'OK']\n"
                       "out('init_fd_usable', ','.join(usable) or 'none')\n";
        r = py(A->sandbox_id, probe, "some stdin");
        EXPECT(r, {"fds", "0,1,2"}, {"init_fd", "EACCES|EPERM|0,1,2"}, {"init_fd_usable", "none"});
        assert_null(strstr(r->stdout_data, "fd_path_"));
        sandboxd_exec_result_free(r);
}

/* ---- exec with cwd /proc/self/fd/N or ".." past the root (runc CVE-2024-21626) ---- */

static void test_cwd_escape(void **state)
{
        /* Where is the cwd? Walk up by ".." until the sandbox's "/" (inside) or a root that is
         * not it (outside). */
        char probe[1024];
        snprintf(probe, sizeof(probe),
                 "import os\n"
                 "root = os.stat('/'); cur = '.'; where = 'outside'\n"
                 "for i in range(256):\n"
                 "    st = os.stat(cur); up = os.stat(cur + '/..')\n"
                 "    if (st.st_dev, st.st_ino) == (root.st_dev, root.st_ino):\n"
                 "        where = 'inside'; break\n"
                 "    if (up.st_dev, up.st_ino) == (st.st_dev, st.st_ino):\n"
                 "        break\n"
                 "    cur += '/..'\n"
                 "print('where=' + where)\n"
                 "print('marker=' + str(os.path.lexists(cur + '/tmp/%s')))\n",
                 marker_name);
        const char *argv[] = {"python3", "-I", "-c", probe, NULL};
        const char *cwds[40];
        char fdcwds[16][32];
        size_t n = 0;
        for (int i = 0; i < 16; i++) {
                snprintf(fdcwds[i], sizeof(fdcwds[i]), "/proc/self/fd/%d", i);
                cwds[n++] = fdcwds[i];
        }
        const char *more[] = {"/..",
                              "/../../..",
                              "/root/../../../..",
                              "/proc/1/cwd",
                              "/proc/1/root/..",
                              "/proc/self/root/../..",
                              "/proc/self/cwd/..",
                              "/proc/1/cwd/../..",
                              "/tmp/../../../tmp",
                              "/dev/fd/3"};
        for (size_t i = 0; i < sizeof(more) / sizeof(more[0]); i++)
                cwds[n++] = more[i];
        int bad = 0, ran = 0, refused = 0;
        for (size_t i = 0; i < n; i++) {
                sandboxd_error err = {0};
                int rc = 0;
                sandboxd_exec_result *r = run_cwd(A->sandbox_id, argv, cwds[i], NULL, &rc, &err);
                if (rc == -EREMOTEIO) {
                        refused++; /* rejected by the daemon */
                        continue;
                }
                if (rc != 0) {
                        print_message("  cwd %s: exec failed: %d %s\n", cwds[i], rc, err.message);
                        bad++;
                        continue;
                }
                if (r->exit_code == 126) {
                        refused++; /* the chdir failed inside */
                } else if (r->exit_code == 0 &&
                           strcmp(r->stdout_data, "where=inside\nmarker=False\n") == 0) {
                        ran++;
                } else {
                        print_message("  cwd %s: exit %d signal %d: %s%s\n", cwds[i], r->exit_code,
                                      r->signal, r->stdout_data, r->stderr_data);
                        bad++;
                }
                sandboxd_exec_result_free(r);
        }
        print_message("  %d cwds ran inside, %d were refused\n", ran, refused);
        assert_int_equal(bad, 0);

        /* "/../../.." lands on the sandbox's own "/": its content, not the host's. */
        const char *ls[] = {"sh", "-c", "pwd; ls -a; ls tmp", NULL};
        sandboxd_error err = {0};
        int rc = 0;
        sandboxd_exec_result *r = run_cwd(A->sandbox_id, ls, "/../../..", NULL, &rc, &err);
        assert_int_equal(rc, 0);
        assert_exit0(r);
        assert_true(strncmp(r->stdout_data, "/\n", 2) == 0);
        assert_null(strstr(r->stdout_data, marker_name));
        assert_non_null(strstr(r->stdout_data, "\nproc\n"));
        sandboxd_exec_result_free(r);
}

/* ---- host secrets ---- */

static void test_host_secrets(void **state)
{
        char probe[4096];
        int len = snprintf(
            probe, sizeof(probe),
            PY_PRELUDE "import glob\n"
                       "def rd(p):\n"
                       "    with open(p, 'rb') as f:\n"
                       "        f.read(1)\n"
                       "out('shadow', tryf(rd, '/etc/shadow'))\n"
                       "out('gshadow', tryf(rd, '/etc/gshadow'))\n"
                       "keys = glob.glob('/etc/ssh/ssh_host_*')\n"
                       "out('ssh_host_keys_readable', sum(tryf(rd, k) == 'OK' for k in keys))\n"
                       "out('root_ssh', tryf(os.listdir, '/root/.ssh'))\n"
                       "out('root_pyenv', tryf(os.listdir, '/root/.pyenv'))\n"
                       "out('var_lib', tryf(os.listdir, '/var/lib'))\n"
                       "out('var_log', tryf(os.listdir, '/var/log'))\n"
                       "M = '%s'\n"
                       "for d in ('/root', '/tmp', '/home', '/run', '/var/tmp', '/var/lib'):\n"
                       "    out('marker' + d, tryf(rd, d + '/' + M))\n"
                       "found = []\n"
                       "for top in ('/root', '/home', '/tmp', '/run', '/var', '/srv', '/mnt'):\n"
                       "    for dp, dn, fn in os.walk(top):\n"
                       "        found += [os.path.join(dp, x) for x in dn + fn if M in x]\n"
                       "out('marker_found', len(found))\n",
            marker_name);
        assert_true(len < (int)sizeof(probe));
        for (size_t i = 0; i < N_MARKERS; i++)
                assert_true(marker_paths[i][0] != '\0'); /* every marker is planted */
        sandboxd_exec_result *r = py(A->sandbox_id, probe, NULL);
        EXPECT(r, {"shadow", "ENOENT|EACCES"}, {"gshadow", "ENOENT|EACCES"},
               {"ssh_host_keys_readable", "0"}, {"root_ssh", "ENOENT|EACCES"},
               {"root_pyenv", "ENOENT|EACCES"}, {"var_lib", "ENOENT|EACCES"},
               {"var_log", "ENOENT|EACCES"}, {"marker/root", "ENOENT|EACCES"},
               {"marker/tmp", "ENOENT|EACCES"}, {"marker/home", "ENOENT|EACCES"},
               {"marker/run", "ENOENT|EACCES"}, {"marker/var/tmp", "ENOENT|EACCES"},
               {"marker/var/lib", "ENOENT|EACCES"}, {"marker_found", "0"});
        sandboxd_exec_result_free(r);
}

/* ---- the daemon's socket and host Unix sockets (containerd CVE-2020-15257) ---- */

static void test_host_sockets(void **state)
{
        /* Every socket of the host bound to a path, the daemon's among them. */
        char list[8192] = "";
        size_t used = 0;
        int n_paths = 0;
        FILE *f = fopen("/proc/net/unix", "re");
        assert_non_null(f);
        char line[1024];
        while (fgets(line, sizeof(line), f)) {
                char *slash = strstr(line, " /");
                if (!slash || used + strlen(slash) + 1 >= sizeof(list) || n_paths >= 64)
                        continue;
                used += snprintf(list + used, sizeof(list) - used, "%s", slash + 1);
                n_paths++;
        }
        fclose(f);
        assert_non_null(strstr(list, H.socket_path));

        char probe[4096];
        snprintf(probe, sizeof(probe),
                 PY_PRELUDE
                 "MARK = '%s'\n"
                 "lines = open('/proc/net/unix').read().splitlines()[1:]\n"
                 "paths = [l.split()[7] for l in lines if len(l.split()) >= 8]\n"
                 "out('abstract_listed', sum(p.startswith('@') for p in paths))\n"
                 "out('marker_listed', sum(MARK in l for l in lines))\n"
                 "host = [p.strip() for p in sys.stdin.read().splitlines() if p.strip()]\n"
                 "out('host_paths_listed', sum(p in host for p in paths))\n"
                 "def conn(a):\n"
                 "    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
                 "    s.settimeout(2)\n"
                 "    try:\n"
                 "        s.connect(a)\n"
                 "    finally:\n"
                 "        s.close()\n"
                 "out('abstract_connect', tryf(conn, '\\0' + MARK))\n"
                 "out('daemon_socket', tryf(os.lstat, '%s'))\n"
                 "out('daemon_dir', tryf(os.lstat, '%s'))\n"
                 "out('default_socket', tryf(os.lstat, '/run/sandboxd/sandboxd.sock'))\n"
                 "reached = [p for p in host if tryf(conn, p) == 'OK']\n"
                 "out('host_sockets_tried', len(host))\n"
                 "out('host_sockets_reached', ' '.join(reached) or 'none')\n",
                 abstract_name, H.socket_path, H.dir);
        sandboxd_exec_result *r = py(A->sandbox_id, probe, list);
        char tried[16];
        snprintf(tried, sizeof(tried), "%d", n_paths);
        EXPECT(r, {"abstract_listed", "0"}, {"marker_listed", "0"}, {"host_paths_listed", "0"},
               {"abstract_connect", "ECONNREFUSED"}, {"daemon_socket", "ENOENT"},
               {"daemon_dir", "ENOENT"}, {"default_socket", "ENOENT"},
               {"host_sockets_tried", tried}, {"host_sockets_reached", "none"});
        sandboxd_exec_result_free(r);
}

/* ---- writes under /usr, /etc, /bin of the host template ---- */

static void test_readonly_system(void **state)
{
        /* Creating new names (removed from the host afterwards should one appear) and opening
         * existing files for writing without writing: enough to show a write would go through,
         * harmless if it would. */
        char probe[4096];
        snprintf(
            probe, sizeof(probe),
            PY_PRELUDE
            "N = 'sbxtest-rofs-%d'\n"
            "def create(p):\n"
            "    os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))\n"
            "for d in ('/usr', '/usr/bin', '/usr/lib', '/usr/local', '/etc', '/bin', "
            "'/sbin', '/lib', '/lib64', ''):\n"
            "    out('create' + (d or '/'), tryf(create, d + '/' + N))\n"
            "out('mkdir/etc', tryf(os.mkdir, '/etc/' + N))\n"
            "out('mkdir/usr/share', tryf(os.mkdir, '/usr/share/' + N))\n"
            "out('symlink/bin', tryf(os.symlink, '/tmp', '/bin/' + N))\n"
            "out('open/etc/passwd', tryf(os.open, '/etc/passwd', os.O_WRONLY | os.O_APPEND))\n"
            "out('open/etc/hosts', tryf(os.open, '/etc/hosts', os.O_RDWR))\n"
            "out('open/usr/bin/env', tryf(os.open, '/usr/bin/env', os.O_WRONLY))\n"
            "out('open/bin/sh', tryf(os.open, '/bin/sh', os.O_WRONLY))\n"
            "m = stat.S_IMODE(os.stat('/usr/bin/env').st_mode)\n"
            "out('chmod/usr/bin/env', tryf(os.chmod, '/usr/bin/env', m))\n"
            "out('utime/etc/passwd', tryf(os.utime, '/etc/passwd'))\n"
            "out('setxattr/usr/bin/env', tryf(os.setxattr, '/usr/bin/env', "
            "'user.sbxtest', b'1'))\n"
            /* the mounts themselves: read-only, every submount too */
            "for d in ('/', '/usr', '/usr/bin', '/etc', '/bin', '/sbin', '/lib', '/lib64'):\n"
            "    out('statvfs' + d, 'ro' if os.statvfs(d).f_flag & os.ST_RDONLY else 'rw')\n"
            "rw = []\n"
            "for l in open('/proc/self/mountinfo'):\n"
            "    f = l.split()\n"
            "    mp = f[4]\n"
            "    if any(mp == t or mp.startswith(t + '/') for t in ('/usr', '/etc', '/bin', "
            "'/sbin', '/lib', '/lib32', '/lib64', '/libx32')) and 'ro' not in f[5].split(','):\n"
            "        rw.append(mp)\n"
            "out('rw_system_mounts', ' '.join(rw) or 'none')\n",
            (int)getpid());
        sandboxd_exec_result *r = py(A->sandbox_id, probe, NULL);
        /* Should anything have been created on the host, take it away again. */
        const char *dirs[] = {"/usr", "/usr/bin", "/usr/lib", "/usr/local", "/etc",
                              "/bin", "/sbin",    "/lib",     "/lib64",     "/usr/share"};
        for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
                char p[128];
                snprintf(p, sizeof(p), "%s/sbxtest-rofs-%d", dirs[i], (int)getpid());
                if (unlink(p) == 0 || rmdir(p) == 0)
                        print_message("  %s was created on the host (removed)\n", p);
        }
        EXPECT(r, {"create/usr", "EROFS"}, {"create/usr/bin", "EROFS"}, {"create/usr/lib", "EROFS"},
               {"create/usr/local", "EROFS"}, {"create/etc", "EROFS"}, {"create/bin", "EROFS"},
               {"create/sbin", "EROFS"}, {"create/lib", "EROFS"}, {"create/lib64", "EROFS"},
               {"create/", "EROFS"}, {"mkdir/etc", "EROFS"}, {"mkdir/usr/share", "EROFS"},
               {"symlink/bin", "EROFS"}, {"open/etc/passwd", "EROFS|EACCES"},
               {"open/etc/hosts", "EROFS|EACCES"}, {"open/usr/bin/env", "EROFS|EACCES"},
               {"open/bin/sh", "EROFS|EACCES"}, {"chmod/usr/bin/env", "EROFS"},
               {"utime/etc/passwd", "EROFS"}, {"setxattr/usr/bin/env", "EROFS"}, {"statvfs/", "ro"},
               {"statvfs/usr", "ro"}, {"statvfs/usr/bin", "ro"}, {"statvfs/etc", "ro"},
               {"statvfs/bin", "ro"}, {"statvfs/sbin", "ro"}, {"statvfs/lib", "ro"},
               {"statvfs/lib64", "ro"}, {"rw_system_mounts", "none"});
        sandboxd_exec_result_free(r);
}

/* ---- /proc/kcore, /proc/keys, /proc/timer_list, /proc/sched_debug, /sys/firmware ---- */

static void test_proc_info_leaks(void **state)
{
        static const char probe[] =
            PY_PRELUDE "def peek(p):\n"
                       "    try:\n"
                       "        with open(p, 'rb') as f:\n"
                       "            n = len(f.read(4096))\n"
                       "    except FileNotFoundError:\n"
                       "        return 'absent'\n"
                       "    except PermissionError:\n"
                       "        return 'unreadable'\n"
                       "    return 'empty' if n == 0 else 'LEAKS-%d-bytes' % n\n"
                       "for p in ('kcore', 'keys', 'timer_list', 'sched_debug'):\n"
                       "    out(p, peek('/proc/' + p))\n"
                       "try:\n"
                       "    l = os.listdir('/sys/firmware')\n"
                       "    out('sys_firmware', 'empty' if not l else 'LEAKS:' + ','.join(l))\n"
                       "except FileNotFoundError:\n"
                       "    out('sys_firmware', 'absent')\n"
                       "except PermissionError:\n"
                       "    out('sys_firmware', 'unreadable')\n";
        sandboxd_exec_result *r = py(A->sandbox_id, probe, NULL);
        EXPECT(r, {"kcore", "empty|absent|unreadable"}, {"keys", "empty|absent|unreadable"},
               {"timer_list", "empty|absent|unreadable"},
               {"sched_debug", "empty|absent|unreadable"},
               {"sys_firmware", "empty|absent|unreadable"});
        sandboxd_exec_result_free(r);
}

/* ---- writes to /proc/sysrq-trigger, /proc/sys, /sys and /sys/fs/cgroup ---- */

static void test_proc_sys_writes(void **state)
{
        /* Every file with a write bit under /proc/sys and /sys is opened for writing (which has
         * no effect by itself): none may open. */
        static const char probe[] = PY_PRELUDE
            "W = os.O_WRONLY | os.O_NONBLOCK\n"
            "out('sysrq', tryf(os.open, '/proc/sysrq-trigger', W))\n"
            "out('hostname', tryf(os.open, '/proc/sys/kernel/hostname', W))\n"
            "out('core_pattern', tryf(os.open, '/proc/sys/kernel/core_pattern', W))\n"
            "out('uevent_helper', tryf(os.open, '/sys/kernel/uevent_helper', W))\n"
            "def sweep(top, limit):\n"
            "    tried = 0; opened = []\n"
            "    for dp, dn, fn in os.walk(top):\n"
            "        for x in fn:\n"
            "            p = os.path.join(dp, x)\n"
            "            try:\n"
            "                st = os.lstat(p)\n"
            "            except OSError:\n"
            "                continue\n"
            "            if not stat.S_ISREG(st.st_mode) or not st.st_mode & 0o222:\n"
            "                continue\n"
            "            tried += 1\n"
            "            if tryf(os.open, p, W) == 'OK':\n"
            "                opened.append(p)\n"
            "            if tried >= limit:\n"
            "                return tried, opened\n"
            "    return tried, opened\n"
            "for name, top in (('proc_sys', '/proc/sys'), ('sys', '/sys'), "
            "('cgroup', '/sys/fs/cgroup')):\n"
            "    t, o = sweep(top, 20000)\n"
            "    out(name + '_tried', t)\n"
            "    out(name + '_writable', ' '.join(o[:10]) or 'none')\n"
            "out('cgroup_mkdir', tryf(os.mkdir, '/sys/fs/cgroup/sbxtest'))\n"
            "out('sys_create', tryf(os.open, '/sys/sbxtest', W | os.O_CREAT))\n"
            "for d in ('/proc/sys', '/proc/sysrq-trigger', '/sys', '/sys/fs/cgroup'):\n"
            "    try:\n"
            "        out('statvfs' + d, 'ro' if os.statvfs(d).f_flag & os.ST_RDONLY else 'rw')\n"
            "    except FileNotFoundError:\n"
            "        out('statvfs' + d, 'absent')\n";
        sandboxd_exec_result *r = py(A->sandbox_id, probe, NULL);
        /* Files this kernel does not have may be absent inside too. */
        bool sysrq = access("/proc/sysrq-trigger", F_OK) == 0;
        bool helper = access("/sys/kernel/uevent_helper", F_OK) == 0;
        bool cgroup = access("/sys/fs/cgroup", F_OK) == 0;
        const char *refused = "EROFS|EACCES|EPERM", *or_absent = "EROFS|EACCES|EPERM|ENOENT";
        EXPECT(r, {"sysrq", sysrq ? refused : or_absent}, {"hostname", "EROFS|EACCES|EPERM"},
               {"core_pattern", "EROFS|EACCES|EPERM"},
               {"uevent_helper", helper ? refused : or_absent}, {"statvfs/proc/sys", "ro"},
               {"statvfs/proc/sysrq-trigger", sysrq ? "ro" : "ro|absent"}, {"statvfs/sys", "ro"},
               {"statvfs/sys/fs/cgroup", cgroup ? "ro|absent" : "ro|absent"},
               {"proc_sys_writable", "none"}, {"sys_writable", "none"}, {"cgroup_writable", "none"},
               {"cgroup_mkdir", "EROFS|EACCES|EPERM|ENOENT"}, {"sys_create", "EROFS|EACCES|EPERM"});
        char buf[32];
        /* The sweeps did try something. */
        assert_true(atoi(value_of(r->stdout_data, "proc_sys_tried", buf, sizeof(buf))) > 10);
        assert_true(atoi(value_of(r->stdout_data, "sys_tried", buf, sizeof(buf))) > 10);
        sandboxd_exec_result_free(r);
}

/* ---- mount, umount, pivot_root, unshare, setns, clone with namespace flags ---- */

static void test_namespace_syscalls(void **state)
{
        static const char probe[] = PY_PRELUDE
            "NS = (('NEWNS', 0x20000), ('NEWUTS', 0x4000000), ('NEWIPC', 0x8000000), "
            "('NEWUSER', 0x10000000), ('NEWPID', 0x20000000), ('NEWNET', 0x40000000), "
            "('NEWCGROUP', 0x2000000))\n"
            "def child(r):\n"
            "    if r == 0:\n"
            "        os._exit(0)\n"
            "    if r > 0:\n"
            "        os.waitpid(r, 0)\n"
            "        return 'OK'\n"
            "    return en(ctypes.get_errno())\n"
            "def clone(flags):\n"
            "    ctypes.set_errno(0)\n"
            "    return child(libc.syscall(ctypes.c_long(56), ctypes.c_long(flags | 17), "
            "ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(0)))\n"
            "def clone3(flags):\n"
            "    a = (ctypes.c_uint64 * 11)()\n"
            "    a[0] = flags; a[4] = 17\n"
            "    ctypes.set_errno(0)\n"
            "    return child(libc.syscall(ctypes.c_long(435), ctypes.byref(a), "
            "ctypes.c_long(88)))\n"
            "out('mount_tmpfs', sc(165, b'none', b'/tmp', b'tmpfs', 0, None))\n"
            "out('mount_bind', sc(165, b'/tmp', b'/mnt', None, 0x1000, None))\n"
            "out('mount_remount_rw', sc(165, None, b'/usr', None, 0x1000 | 0x20, None))\n"
            "out('mount_proc', sc(165, b'proc', b'/tmp', b'proc', 0, None))\n"
            "out('umount2_proc', sc(166, b'/proc', 2))\n"
            "out('umount2_usr', sc(166, b'/usr', 0))\n"
            "out('pivot_root', sc(155, b'/tmp', b'/tmp'))\n"
            "out('fsopen', sc(430, b'tmpfs', 0))\n"
            "out('fsmount', sc(432, -1, 0, 0))\n"
            "out('open_tree', sc(428, -100, b'/tmp', 1))\n"
            "out('move_mount', sc(429, -100, b'/tmp', -100, b'/mnt', 0))\n"
            "attr = (ctypes.c_uint64 * 4)()\n"
            "out('mount_setattr', sc(442, -100, b'/usr', 0x8000, ctypes.byref(attr), 32))\n"
            "fd = os.open('/proc/self/ns/net', os.O_RDONLY)\n"
            "out('setns_net', sc(308, fd, 0))\n"
            "out('setns_mnt', sc(308, os.open('/proc/1/ns/mnt', os.O_RDONLY) "
            "if os.access('/proc/1/ns/mnt', os.R_OK) else fd, 0))\n"
            "for n, f in NS:\n"
            "    out('unshare_' + n, sc(272, f))\n"
            "    out('clone_' + n, clone(f))\n"
            "    r = clone3(f)\n"
            "    out('clone3_' + n, 'refused' if r in ('EPERM', 'ENOSYS') else r)\n"
            "out('clone_plain', clone(0))\n";
        sandboxd_exec_result *r = py(A->sandbox_id, probe, NULL);
        EXPECT(r, {"mount_tmpfs", "EPERM"}, {"mount_bind", "EPERM"}, {"mount_remount_rw", "EPERM"},
               {"mount_proc", "EPERM"}, {"umount2_proc", "EPERM"}, {"umount2_usr", "EPERM"},
               {"pivot_root", "EPERM"}, {"fsopen", "EPERM"}, {"fsmount", "EPERM"},
               {"open_tree", "EPERM"}, {"move_mount", "EPERM"}, {"mount_setattr", "EPERM"},
               {"setns_net", "EPERM"}, {"setns_mnt", "EPERM"}, {"unshare_NEWNS", "EPERM"},
               {"unshare_NEWUTS", "EPERM"}, {"unshare_NEWIPC", "EPERM"},
               {"unshare_NEWUSER", "EPERM"}, {"unshare_NEWPID", "EPERM"},
               {"unshare_NEWNET", "EPERM"}, {"unshare_NEWCGROUP", "EPERM"},
               {"clone_NEWNS", "EPERM"}, {"clone_NEWUTS", "EPERM"}, {"clone_NEWIPC", "EPERM"},
               {"clone_NEWUSER", "EPERM"}, {"clone_NEWPID", "EPERM"}, {"clone_NEWNET", "EPERM"},
               {"clone_NEWCGROUP", "EPERM"}, {"clone3_NEWNS", "refused"},
               {"clone3_NEWUTS", "refused"}, {"clone3_NEWIPC", "refused"},
               {"clone3_NEWUSER", "refused"}, {"clone3_NEWPID", "refused"},
               {"clone3_NEWNET", "refused"}, {"clone3_NEWCGROUP", "refused"},
               /* the filter is not a blanket ban: a plain fork works */
               {"clone_plain", "OK"});
        sandboxd_exec_result_free(r);
}

/* ---- keyctl, add_key, request_key ---- */

static void test_keyring(void **state)
{
        static const char probe[] =
            PY_PRELUDE "out('keyctl_get_keyring_id', sc(250, 0, -3, 0))\n"
                       "out('keyctl_join_session', sc(250, 1, b'sbxtest'))\n"
                       "out('keyctl_describe', sc(250, 6, -4, None, 0))\n"
                       "out('add_key', sc(248, b'user', b'sbxtest', b'x', 1, -4))\n"
                       "out('request_key', sc(249, b'user', b'sbxtest', None, 0))\n";
        sandboxd_exec_result *r = py(A->sandbox_id, probe, NULL);
        EXPECT(r, {"keyctl_get_keyring_id", "EPERM"}, {"keyctl_join_session", "EPERM"},
               {"keyctl_describe", "EPERM"}, {"add_key", "EPERM"}, {"request_key", "EPERM"});
        sandboxd_exec_result_free(r);
}

/* ---- ptrace another process, process_vm_readv, perf_event_open, bpf ---- */

static void test_process_spying(void **state)
{
        static const char probe[] = PY_PRELUDE
            "class iovec(ctypes.Structure):\n"
            "    _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]\n"
            "secret = ctypes.create_string_buffer(b'secret-of-the-child', 64)\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    time.sleep(30)\n"
            "    os._exit(0)\n"
            "loc = ctypes.create_string_buffer(64)\n"
            "li = iovec(ctypes.cast(loc, ctypes.c_void_p), 64)\n"
            "ri = iovec(ctypes.cast(secret, ctypes.c_void_p), 64)\n"
            "out('process_vm_readv', sc(310, pid, ctypes.byref(li), 1, ctypes.byref(ri), 1, 0))\n"
            "out('process_vm_writev', sc(311, pid, ctypes.byref(li), 1, ctypes.byref(ri), 1, 0))\n"
            "out('ptrace_attach', sc(101, 16, pid, 0, 0))\n"
            "out('ptrace_seize', sc(101, 0x4206, pid, 0, 0))\n"
            "out('ptrace_attach_init', sc(101, 16, 1, 0, 0))\n"
            "out('ptrace_traceme', sc(101, 0, 0, 0, 0))\n"
            "pa = (ctypes.c_uint32 * 32)()\n"
            "pa[0] = 1; pa[1] = 128\n" /* PERF_TYPE_SOFTWARE, size; config 0: cpu-clock */
            "out('perf_event_open', sc(298, ctypes.byref(pa), 0, -1, -1, 0))\n"
            "out('perf_event_open_child', sc(298, ctypes.byref(pa), pid, -1, -1, 0))\n"
            "ba = (ctypes.c_uint32 * 32)()\n"
            "ba[0] = 2; ba[1] = 4; ba[2] = 4; ba[3] = 1\n" /* an array map of one int */
            "out('bpf_map_create', sc(321, 0, ctypes.byref(ba), 128))\n"
            "insns = (ctypes.c_uint8 * 16)(0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0)\n"
            "lic = ctypes.create_string_buffer(b'GPL')\n"
            "pl = (ctypes.c_uint64 * 16)()\n"
            "pl[0] = 1 | (2 << 32)\n" /* BPF_PROG_TYPE_SOCKET_FILTER, 2 instructions */
            "pl[1] = ctypes.addressof(insns); pl[2] = ctypes.addressof(lic)\n"
            "out('bpf_prog_load', sc(321, 5, ctypes.byref(pl), 128))\n"
            "os.kill(pid, 9)\n"
            "os.waitpid(pid, 0)\n";
        sandboxd_exec_result *r = py(A->sandbox_id, probe, NULL);
        EXPECT(r, {"process_vm_readv", "EPERM"}, {"process_vm_writev", "EPERM"},
               {"ptrace_attach", "EPERM"}, {"ptrace_seize", "EPERM"},
               {"ptrace_attach_init", "EPERM"}, {"ptrace_traceme", "EPERM"},
               {"perf_event_open", "EPERM"}, {"perf_event_open_child", "EPERM"},
               {"bpf_map_create", "EPERM"}, {"bpf_prog_load", "EPERM"});
        sandboxd_exec_result_free(r);
}

/* ---- userfaultfd, io_uring_setup ---- */

static void test_exploit_primitives(void **state)
{
        static const char probe[] =
            PY_PRELUDE "out('userfaultfd', sc(323, 0))\n"
                       "out('userfaultfd_user_only', sc(323, 1))\n"
                       "out('dev_userfaultfd', tryf(os.open, '/dev/userfaultfd', os.O_RDWR))\n"
                       "p = (ctypes.c_uint8 * 120)()\n"
                       "out('io_uring_setup', sc(425, 8, ctypes.byref(p)))\n"
                       "out('io_uring_enter', sc(426, 0, 1, 0, 0, None, 0))\n"
                       "out('io_uring_register', sc(427, 0, 0, None, 0))\n";
        sandboxd_exec_result *r = py(A->sandbox_id, probe, NULL);
        EXPECT(r, {"userfaultfd", "EPERM"}, {"userfaultfd_user_only", "EPERM"},
               {"dev_userfaultfd", "ENOENT|EACCES|EPERM"}, {"io_uring_setup", "EPERM"},
               {"io_uring_enter", "EPERM"}, {"io_uring_register", "EPERM"});
        sandboxd_exec_result_free(r);
}

/* ---- ioctl(TIOCSTI), ioctl(TIOCLINUX), also with high bits in the request ---- */

static void test_tty_injection(void **state)
{
        static const char probe[] = PY_PRELUDE
            "m, s = os.openpty()\n" /* /dev/ptmx of the sandbox's own devpts */
            "c = ctypes.c_char(b'x')\n"
            "sub = ctypes.c_char(b'\\x06')\n" /* TIOCL_GETSHIFTSTATE: harmless anyway */
            "ws = (ctypes.c_uint16 * 4)()\n"
            "out('tiocgwinsz', sc(16, s, 0x5413, ctypes.byref(ws)))\n"
            "for hn, hi in (('', 0), ('_hi32', 1 << 32), ('_hi63', 1 << 63), "
            "('_hiall', 0xffffffff00000000)):\n"
            "    for fn, fd in (('slave', s), ('master', m)):\n"
            "        out('TIOCSTI%s_%s' % (hn, fn), sc(16, fd, 0x5412 | hi, ctypes.byref(c)))\n"
            "        out('TIOCLINUX%s_%s' % (hn, fn), sc(16, fd, 0x541C | hi, "
            "ctypes.byref(sub)))\n";
        sandboxd_exec_result *r = py(A->sandbox_id, probe, NULL);
        EXPECT(r, {"tiocgwinsz", "OK"}, {"TIOCSTI_slave", "EPERM"}, {"TIOCSTI_master", "EPERM"},
               {"TIOCLINUX_slave", "EPERM"}, {"TIOCLINUX_master", "EPERM"},
               {"TIOCSTI_hi32_slave", "EPERM"}, {"TIOCSTI_hi32_master", "EPERM"},
               {"TIOCLINUX_hi32_slave", "EPERM"}, {"TIOCLINUX_hi32_master", "EPERM"},
               {"TIOCSTI_hi63_slave", "EPERM"}, {"TIOCSTI_hi63_master", "EPERM"},
               {"TIOCLINUX_hi63_slave", "EPERM"}, {"TIOCLINUX_hi63_master", "EPERM"},
               {"TIOCSTI_hiall_slave", "EPERM"}, {"TIOCSTI_hiall_master", "EPERM"},
               {"TIOCLINUX_hiall_slave", "EPERM"}, {"TIOCLINUX_hiall_master", "EPERM"});
        sandboxd_exec_result_free(r);
}

/* ---- socket(AF_ALG), socket(AF_VSOCK), 32-bit syscalls ---- */

#ifdef SYSCALL32_PROBE
/* The probe (tests/security/syscall32_probe.c, built with the tests), base64-encoded. */
static char *probe_base64(void)
{
        size_t len = 0;
        void *data = read_whole(SYSCALL32_PROBE, &len);
        char *b64 = data && len > 0 ? base64(data, len) : NULL;
        free(data);
        return b64;
}

/* Runs the probe on the host; its wait status. */
static int probe_on_host(const char *arg)
{
        pid_t pid = fork();
        if (pid == 0) {
                execl(SYSCALL32_PROBE, "syscall32_probe", arg, (char *)NULL);
                _exit(127);
        }
        int status = 0;
        return pid > 0 && waitpid(pid, &status, 0) == pid ? status : -1;
}
#endif

static void test_risky_sockets(void **state)
{
        /* The family is an int to the kernel: high bits must not slip past the filter. And
         * socketpair() makes a socket of the family too (its create hook runs, the module may
         * be loaded) before the family says it has no pairs. */
        static const char probe[] =
            PY_PRELUDE "fds = (ctypes.c_int * 2)()\n"
                       "for n, fam, typ in (('AF_ALG', 38, 5), ('AF_VSOCK', 40, 1)):\n"
                       "    out(n, sc(41, fam, typ, 0))\n"
                       "    out(n + '_dgram', sc(41, fam, 2, 0))\n"
                       "    out(n + '_hi32', sc(41, fam | (1 << 32), typ, 0))\n"
                       "    out(n + '_hiall', sc(41, fam | 0xffffffff00000000, typ, 0))\n"
                       "    out(n + '_socketpair', sc(53, fam, typ, 0, ctypes.byref(fds)))\n";
        sandboxd_exec_result *r = py(A->sandbox_id, probe, NULL);
        EXPECT(r, {"AF_ALG", "EPERM"}, {"AF_ALG_dgram", "EPERM"}, {"AF_ALG_hi32", "EPERM"},
               {"AF_ALG_hiall", "EPERM"}, {"AF_ALG_socketpair", "EPERM"}, {"AF_VSOCK", "EPERM"},
               {"AF_VSOCK_dgram", "EPERM"}, {"AF_VSOCK_hi32", "EPERM"}, {"AF_VSOCK_hiall", "EPERM"},
               {"AF_VSOCK_socketpair", "EPERM"});
        sandboxd_exec_result_free(r);
}

static void test_syscall32(void **state)
{
#ifndef SYSCALL32_PROBE
        skip(); /* not x86-64: no i386 or x32 ABI to try */
#else
        /* A kernel without IA32 emulation (CONFIG_IA32_EMULATION off, or ia32_emulation=0)
         * answers int 0x80 with SIGSEGV on the host too: there the sandbox's answer proves
         * nothing about the filter, and only "it did not run" is asserted. */
        int host = probe_on_host(NULL);
        assert_true(host != -1 && !(WIFEXITED(host) && WEXITSTATUS(host) == 127));
        bool host_has_ia32 = WIFEXITED(host) && WEXITSTATUS(host) == 100;
        if (!host_has_ia32)
                print_message("  the host itself cannot make 32-bit calls (int 0x80: exit %d "
                              "signal %d): checking that it does not run, and the x32 ABI\n",
                              WIFEXITED(host) ? WEXITSTATUS(host) : -1,
                              WIFSIGNALED(host) ? WTERMSIG(host) : 0);
        sandboxd_exec_result *r;
        char *b64 = probe_base64();
        assert_non_null(b64);
        r = sh(A->sandbox_id, "base64 -d > /tmp/sys32 && chmod +x /tmp/sys32", b64);
        free(b64);
        assert_exit0(r);
        sandboxd_exec_result_free(r);

        /* int 0x80: EPERM (exit 1) or killed (SIGSYS from the filter, or SIGKILL). */
        const char *int80[] = {"/tmp/sys32", NULL};
        r = run(A->sandbox_id, int80, NULL);
        print_message("  int 0x80: exit %d signal %d\n", r->exit_code, r->signal);
        bool refused =
            (r->signal == 0 && r->exit_code == 1) || r->signal == SIGSYS || r->signal == SIGKILL;
        if (host_has_ia32 ? !refused : r->signal == 0 && r->exit_code == 100)
                fail_msg("int 0x80: exit %d signal %d (exit 100: the 32-bit syscall ran)",
                         r->exit_code, r->signal);
        sandboxd_exec_result_free(r);

        /* The x32 ABI (a 64-bit syscall with bit 30 set): refused, killed, or not in the
         * kernel at all (ENOSYS, 38); never run. */
        const char *x32[] = {"/tmp/sys32", "x", NULL};
        r = run(A->sandbox_id, x32, NULL);
        print_message("  x32: exit %d signal %d\n", r->exit_code, r->signal);
        if (!((r->signal == 0 && (r->exit_code == 1 || r->exit_code == 38)) ||
              r->signal == SIGSYS || r->signal == SIGKILL))
                fail_msg("x32 syscall: exit %d signal %d", r->exit_code, r->signal);
        sandboxd_exec_result_free(r);
#endif
}

/* ---- /proc/self/status and the uid map ---- */

struct idmap {
        unsigned long inside, base, size;
};

static struct idmap read_map(const char *id, const char *which)
{
        char cmd[64];
        snprintf(cmd, sizeof(cmd), "cat /proc/self/%s", which);
        sandboxd_exec_result *r = sh(id, cmd, NULL);
        assert_exit0(r);
        struct idmap m = {0};
        int lines = 0;
        for (const char *p = r->stdout_data; *p; p++)
                lines += *p == '\n';
        if (lines != 1 || sscanf(r->stdout_data, "%lu %lu %lu", &m.inside, &m.base, &m.size) != 3)
                fail_msg("%s of %s: %s", which, id, r->stdout_data);
        sandboxd_exec_result_free(r);
        return m;
}

static void test_status_and_idmap(void **state)
{
        static const char probe[] =
            "f = dict(l.split(':', 1) for l in open('/proc/self/status').read().splitlines())\n"
            "for k in ('CapInh', 'CapAmb', 'NoNewPrivs', 'Seccomp'):\n"
            "    print('%s=%s' % (k, f.get(k, 'missing').strip()))\n";
        sandboxd_exec_result *r = py(A->sandbox_id, probe, NULL);
        EXPECT(r, {"CapInh", "0000000000000000"}, {"CapAmb", "0000000000000000"},
               {"NoNewPrivs", "1"}, {"Seccomp", "2"});
        sandboxd_exec_result_free(r);
        /* A shell (another binary, another exec path) too. */
        r = sh(B->sandbox_id,
               "grep -E '^(CapInh|CapAmb|NoNewPrivs|Seccomp):' /proc/self/status | tr -d '\\t' | "
               "tr ':' '='",
               NULL);
        EXPECT(r, {"CapInh", "0000000000000000"}, {"CapAmb", "0000000000000000"},
               {"NoNewPrivs", "1"}, {"Seccomp", "2"});
        sandboxd_exec_result_free(r);

        struct idmap ua = read_map(A->sandbox_id, "uid_map"),
                     ub = read_map(B->sandbox_id, "uid_map");
        struct idmap ga = read_map(A->sandbox_id, "gid_map"),
                     gb = read_map(B->sandbox_id, "gid_map");
        print_message("  uid maps: A 0 -> %lu (+%lu), B 0 -> %lu (+%lu)\n", ua.base, ua.size,
                      ub.base, ub.size);
        struct idmap maps[] = {ua, ub, ga, gb};
        for (size_t i = 0; i < 4; i++) {
                assert_int_equal(maps[i].inside, 0);
                assert_true(maps[i].size > 0);
                /* Root inside is not root, nor any id of the host's own users. */
                assert_true(maps[i].base >= 65536);
        }
        /* Distinct, non-overlapping ranges. */
        assert_true(ua.base + ua.size <= ub.base || ub.base + ub.size <= ua.base);
        assert_true(ga.base + ga.size <= gb.base || gb.base + gb.size <= ga.base);
        /* And the host agrees: init of A runs as the range's first id. */
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)A->pid);
        FILE *f = fopen(path, "re");
        assert_non_null(f);
        unsigned long uid[4] = {0};
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "Uid: %lu %lu %lu %lu", &uid[0], &uid[1], &uid[2], &uid[3]) == 4)
                        break;
        fclose(f);
        for (int i = 0; i < 4; i++)
                assert_int_equal(uid[i], ua.base);
}

/* ---- a setuid binary gains nothing ---- */

static const char *const setuid_bins[] = {"/usr/bin/su",     "/usr/bin/mount",  "/usr/bin/umount",
                                          "/usr/bin/passwd", "/usr/bin/newgrp", "/usr/bin/chsh",
                                          "/usr/bin/chfn",   "/usr/bin/gpasswd"};

/* exec with "user": "nobody" through the raw API; NULL when the daemon does not take the
 * param yet (then *ret_unsupported). */
static sandboxd_exec_result *exec_as_user(const char *id, const char *script, bool *ret_unsupported)
{
        json_object *p = json_object_new_object(), *argv = json_object_new_array();
        json_object_array_add(argv, json_object_new_string("python3"));
        json_object_array_add(argv, json_object_new_string("-I"));
        json_object_array_add(argv, json_object_new_string("-c"));
        json_object_array_add(argv, json_object_new_string(script));
        json_object_object_add(p, "sandbox_id", json_object_new_string(id));
        json_object_object_add(p, "argv", argv);
        json_object_object_add(p, "user", json_object_new_string("nobody"));
        json_object_object_add(p, "timeout", json_object_new_int(EXEC_TIMEOUT_S));
        /* nobody's home, /nonexistent, is not in the sandbox */
        json_object_object_add(p, "cwd", json_object_new_string("/tmp"));
        char *res = NULL;
        sandboxd_error err = {0};
        int rc = sandboxd_call(H.client, "sandbox.exec", json_object_to_json_string(p), &res, &err);
        json_object_put(p);
        *ret_unsupported = false;
        if (rc == -EREMOTEIO && err.code == -32602 && strcmp(err.field, "user") == 0) {
                print_message("  the daemon does not take \"user\" yet (%s): setuid inside\n",
                              err.message);
                *ret_unsupported = true;
                return NULL;
        }
        if (rc != 0)
                fail_msg("exec as nobody: %d %s", rc, err.message);
        json_object *o = json_tokener_parse(res);
        free(res);
        assert_non_null(o);
        sandboxd_exec_result *r = calloc(1, sizeof(*r));
        json_object *v;
        if (json_object_object_get_ex(o, "exit_code", &v))
                r->exit_code = json_object_get_int(v);
        if (json_object_object_get_ex(o, "signal", &v) && v)
                r->signal = json_object_get_int(v);
        if (json_object_object_get_ex(o, "timed_out", &v))
                r->timed_out = json_object_get_boolean(v);
        r->stdout_data =
            strdup(json_object_object_get_ex(o, "stdout", &v) ? json_object_get_string(v) : "");
        r->stderr_data =
            strdup(json_object_object_get_ex(o, "stderr", &v) ? json_object_get_string(v) : "");
        r->stdout_len = strlen(r->stdout_data);
        r->stderr_len = strlen(r->stderr_data);
        json_object_put(o);
        return r;
}

static void test_setuid_gains_nothing(void **state)
{
        /* As nobody (65534), run each setuid-root binary on a terminal of its own (so that su
         * and passwd stop at their prompt) and read its ids and capabilities from
         * /proc/<pid>/status once it has exec'd. */
        static const char probe[] =
            PY_PRELUDE "out('start_uid', os.getuid())\n"
                       "if os.getuid() == 0:\n"
                       "    os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
                       "out('uid', '%d,%d' % (os.getuid(), os.geteuid()))\n"
                       "def fields(pid):\n"
                       "    t = open('/proc/%d/status' % pid).read()\n"
                       "    return dict((a, b.strip()) for a, b in (l.split(':', 1) for l in "
                       "t.splitlines()))\n"
                       "for b in sys.argv[1:]:\n"
                       "    if not os.path.exists(b) or not os.stat(b).st_mode & 0o4000:\n"
                       "        out(os.path.basename(b), 'not-setuid')\n"
                       "        continue\n"
                       "    m, s = os.openpty()\n"
                       "    pid = os.fork()\n"
                       "    if pid == 0:\n"
                       "        os.setsid()\n"
                       "        for fd in (0, 1, 2):\n"
                       "            os.dup2(s, fd)\n"
                       "        try:\n"
                       "            os.execv(b, [b])\n"
                       "        finally:\n"
                       "            os._exit(127)\n"
                       "    res = 'no-exec'\n"
                       "    for i in range(500):\n"
                       "        f = fields(pid)\n"
                       "        if f['Name'] != 'python3':\n"
                       "            u = f['Uid'].split(); g = f['Gid'].split()\n"
                       "            res = 'euid:%s,egid:%s,capeff:%s,capprm:%s' % (u[1], g[1], "
                       "f['CapEff'], f['CapPrm'])\n"
                       "            break\n"
                       "        time.sleep(0.01)\n"
                       "    os.kill(pid, 9); os.waitpid(pid, 0); os.close(m); os.close(s)\n"
                       "    out(os.path.basename(b), res)\n";
        size_t nb = sizeof(setuid_bins) / sizeof(setuid_bins[0]);
        sandboxd_exec_result *r = NULL;
        bool unsupported = false;
        /* The script reads the binaries from argv: pass them via a wrapper. */
        char script[8192];
        int len = snprintf(script, sizeof(script), "import sys\nsys.argv = ['p'");
        for (size_t i = 0; i < nb; i++)
                len += snprintf(script + len, sizeof(script) - len, ", '%s'", setuid_bins[i]);
        len += snprintf(script + len, sizeof(script) - len, "]\n%s", probe);
        assert_true(len < (int)sizeof(script));
        r = exec_as_user(A->sandbox_id, script, &unsupported);
        if (unsupported)
                r = py(A->sandbox_id, script, NULL);
        else
                EXPECT(r, {"start_uid", "65534"}); /* "user" was honoured */

        struct want w[16];
        char names[16][32];
        size_t n = 0;
        w[n++] = (struct want){"uid", "65534,65534"};
        int n_setuid = 0;
        for (size_t i = 0; i < nb; i++) {
                struct stat st;
                snprintf(names[i], sizeof(names[i]), "%s", strrchr(setuid_bins[i], '/') + 1);
                bool is_setuid = stat(setuid_bins[i], &st) == 0 && (st.st_mode & S_ISUID);
                n_setuid += is_setuid;
                w[n++] = (struct want){names[i], is_setuid ? "euid:65534,egid:65534,capeff:"
                                                             "0000000000000000,capprm:"
                                                             "0000000000000000"
                                                           : "not-setuid"};
        }
        assert_true(n_setuid > 0); /* the host has some to try */
        expect(r, w, n);
        sandboxd_exec_result_free(r);
}

/* ---- seeing or signalling processes of the host or of another sandbox ---- */

static void test_process_visibility(void **state)
{
        /* Something running in B to look for. */
        sandboxd_exec_result *r =
            sh(B->sandbox_id, "sleep 60 </dev/null >/dev/null 2>&1 & echo started", NULL);
        assert_exit0(r);
        sandboxd_exec_result_free(r);

        char probe[2048];
        snprintf(probe, sizeof(probe),
                 PY_PRELUDE
                 "for k, p in (('daemon', %d), ('test_process', %d), ('other_init', %d), "
                 "('own_init_host_pid', %d)):\n"
                 "    if os.path.exists('/proc/%%d' %% p):\n"
                 "        out(k, 'VISIBLE')\n"
                 "        continue\n"
                 "    out(k, tryf(os.kill, p, 0))\n"
                 "pids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
                 "names = sorted(open('/proc/%%s/comm' %% p).read().strip() for p in pids "
                 "if p != '1' and int(p) != os.getpid())\n"
                 "out('others', ','.join(names) or 'none')\n",
                 (int)H.pid, (int)getpid(), (int)B->pid, (int)A->pid);
        r = py(A->sandbox_id, probe, NULL);
        EXPECT(r, {"daemon", "ESRCH"}, {"test_process", "ESRCH"}, {"other_init", "ESRCH"},
               {"own_init_host_pid", "ESRCH"}, {"others", "none"});
        sandboxd_exec_result_free(r);

        /* ps -e: ps itself and init (if /proc shows it), nothing else. */
        const char *ps[] = {"ps", "-e", "-o", "pid=,comm=", NULL};
        r = run(A->sandbox_id, ps, NULL);
        assert_exit0(r);
        int lines = 0, pid1 = 0;
        for (const char *p = r->stdout_data; p && *p;) {
                int pid = 0;
                char comm[64] = "";
                if (sscanf(p, "%d %63s", &pid, comm) == 2) {
                        lines++;
                        if (pid == 1)
                                pid1++;
                        else if (strcmp(comm, "ps") != 0)
                                fail_msg("ps -e lists %d %s:\n%s", pid, comm, r->stdout_data);
                }
                p = strchr(p, '\n');
                p = p ? p + 1 : NULL;
        }
        assert_true(pid1 <= 1);
        assert_int_equal(lines - pid1, 1); /* ps itself */
        assert_null(strstr(r->stdout_data, "sleep"));
        sandboxd_exec_result_free(r);
}

/* ---- without internet access: only lo ---- */

static void test_network_lo_only(void **state)
{
        /* The host's own addresses, to try from inside. */
        char list[2048] = "";
        size_t used = 0;
        int n_addrs = 0;
        struct ifaddrs *ifa = NULL;
        assert_int_equal(getifaddrs(&ifa), 0);
        for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
                if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK) || n_addrs >= 16)
                        continue;
                char a[INET6_ADDRSTRLEN] = "";
                int fam = i->ifa_addr->sa_family;
                if (fam == AF_INET)
                        inet_ntop(fam, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, a,
                                  sizeof(a));
                else if (fam == AF_INET6 &&
                         !IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
                        inet_ntop(fam, &((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr, a,
                                  sizeof(a));
                if (!a[0])
                        continue;
                used += snprintf(list + used, sizeof(list) - used, "%s\n", a);
                n_addrs++;
        }
        freeifaddrs(ifa);

        char probe[4096];
        snprintf(probe, sizeof(probe),
                 PY_PRELUDE
                 "def tcp(fam, addr):\n"
                 "    s = socket.socket(fam, socket.SOCK_STREAM)\n"
                 "    s.settimeout(3)\n"
                 "    try:\n"
                 "        s.connect(addr)\n"
                 "    finally:\n"
                 "        s.close()\n"
                 "def udp(addr):\n"
                 "    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
                 "    try:\n"
                 "        s.sendto(b'x', addr)\n"
                 "    finally:\n"
                 "        s.close()\n"
                 "devs = [l.split(':')[0].strip() for l in "
                 "open('/proc/net/dev').read().splitlines()[2:]]\n"
                 "out('interfaces', ','.join(sorted(devs)))\n"
                 "out('tcp_192.0.2.1', tryf(tcp, socket.AF_INET, ('192.0.2.1', 53)))\n"
                 "out('udp_192.0.2.1', tryf(udp, ('192.0.2.1', 53)))\n"
                 "out('tcp_2001:db8::1', tryf(tcp, socket.AF_INET6, ('2001:db8::1', 53)))\n"
                 "n = 0\n"
                 "for a in sys.stdin.read().split():\n"
                 "    fam = socket.AF_INET6 if ':' in a else socket.AF_INET\n"
                 "    out('host_' + a, tryf(tcp, fam, (a, 22)))\n"
                 "out('host_loopback_service', tryf(tcp, socket.AF_INET, ('127.0.0.1', %d)))\n",
                 tcp_port);
        sandboxd_exec_result *r = py(A->sandbox_id, probe, list);
        struct want w[24];
        char keys[16][64];
        size_t n = 0;
        w[n++] = (struct want){"interfaces", "lo"};
        w[n++] = (struct want){"tcp_192.0.2.1", "ENETUNREACH"};
        w[n++] = (struct want){"udp_192.0.2.1", "ENETUNREACH"};
        w[n++] = (struct want){"tcp_2001:db8::1", "ENETUNREACH"};
        /* The host's service on 127.0.0.1 is not the sandbox's 127.0.0.1. */
        w[n++] = (struct want){"host_loopback_service", "ECONNREFUSED"};
        int k = 0;
        for (char *a = list; *a && k < 16; k++) {
                char *nl = strchr(a, '\n');
                snprintf(keys[k], sizeof(keys[k]), "host_%.*s", (int)(nl - a), a);
                w[n++] = (struct want){keys[k], "ENETUNREACH"};
                a = nl + 1;
        }
        print_message("  %d host addresses tried\n", n_addrs);
        expect(r, w, n);
        sandboxd_exec_result_free(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_proc_exe_overwrite),
            cmocka_unit_test(test_fd_leak),
            cmocka_unit_test(test_cwd_escape),
            cmocka_unit_test(test_host_secrets),
            cmocka_unit_test(test_host_sockets),
            cmocka_unit_test(test_readonly_system),
            cmocka_unit_test(test_proc_info_leaks),
            cmocka_unit_test(test_proc_sys_writes),
            cmocka_unit_test(test_namespace_syscalls),
            cmocka_unit_test(test_keyring),
            cmocka_unit_test(test_process_spying),
            cmocka_unit_test(test_exploit_primitives),
            cmocka_unit_test(test_tty_injection),
            cmocka_unit_test(test_risky_sockets),
            cmocka_unit_test(test_syscall32),
            cmocka_unit_test(test_status_and_idmap),
            cmocka_unit_test(test_setuid_gains_nothing),
            cmocka_unit_test(test_process_visibility),
            cmocka_unit_test(test_network_lo_only),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
