/* Security: the kernel surface a sandbox reaches (issue 9 §5). Every attack runs from inside
 * a real sandbox of a real sandboxd (the integration harness), as python3 probes calling raw
 * syscalls through ctypes, and asserts the concrete outcome: an errno, a count that stops at
 * the cap, a host resource still there, a core-dump helper that never ran.
 *
 *  - oom_score_adj: init gets the value the daemon sets (0), never the daemon's own; where the
 *    daemon holds CAP_SYS_RESOURCE that is also a floor nothing inside can go below.
 *  - socket families and protocols: an allow-list, with high bits in the arguments.
 *  - core dumps: RLIMIT_CORE stays 1 and a crash inside never starts a piped core_pattern.
 *  - devpts: at most 64 terminals per sandbox.
 *  - inotify: 16 instances per sandbox while the host and other sandboxes keep theirs.
 *  - personality() beyond docker's list and ioctl(TIOCSETD): EPERM. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <pty.h>
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
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"
#include "probe.h"

#define EXEC_TIMEOUT_S       60
#define CAP_SYS_RESOURCE_BIT 24

static struct harness H;
static sandboxd_sandbox *A, *B; /* two live sandboxes for the whole group */

/* ---- running things inside (as tests/security/test_escapes.c) ---- */

static sandboxd_exec_result *run_on(sandboxd_client *c, const char *id, const char *const *argv)
{
        sandboxd_exec_opts o = {.argv = argv, .timeout = EXEC_TIMEOUT_S};
        sandboxd_exec_result *res = NULL;
        sandboxd_error err = {0};
        int rc = sandboxd_exec(c, id, &o, &res, &err);
        if (rc != 0)
                fail_msg("exec %s: %d %s", argv[0], rc, err.message);
        return res;
}

static sandboxd_exec_result *py(const char *id, const char *script)
{
        const char *argv[] = {"python3", "-I", "-c", script, NULL};
        return run_on(H.client, id, argv);
}

/* Shared by every python probe: raw syscalls and errno names. */
#define PY_PRELUDE                                                                                 \
        "import ctypes, errno, os, signal, socket, sys, time\n"                                    \
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

/* A probe that takes a resource up to its cap, holds it until /tmp/release appears (or a
 * minute passes) and only then reports: the host and the other sandbox try theirs meanwhile. */
#define PY_HOLD                                                                                    \
        "open('/tmp/ready', 'w').close()\n"                                                        \
        "t0 = time.time()\n"                                                                       \
        "while not os.path.exists('/tmp/release') and time.time() < t0 + 60:\n"                    \
        "    time.sleep(0.05)\n"                                                                   \
        "os.unlink('/tmp/ready')\n"                                                                \
        "os.unlink('/tmp/release')\n"

struct bg_exec {
        const char *id;
        const char *script;
        sandboxd_exec_result *res;
        int rc;
        pthread_t thread;
};

static void *bg_exec_main(void *arg)
{
        struct bg_exec *b = arg;
        sandboxd_client *c = harness_connect(&H);
        b->rc = -ENOTCONN;
        if (c) {
                const char *argv[] = {"python3", "-I", "-c", b->script, NULL};
                sandboxd_exec_opts o = {.argv = argv, .timeout = EXEC_TIMEOUT_S + 30};
                b->rc = sandboxd_exec(c, b->id, &o, &b->res, NULL);
                sandboxd_disconnect(c);
        }
        return NULL;
}

static bool sandbox_has(const char *id, const char *path)
{
        const char *argv[] = {"test", "-e", path, NULL};
        sandboxd_exec_result *r = run_on(H.client, id, argv);
        bool yes = r->exit_code == 0;
        sandboxd_exec_result_free(r);
        return yes;
}

/* Starts a PY_HOLD probe and waits (a minute at most) until it holds what it took. */
static void hold_start(struct bg_exec *b, const char *id, const char *script)
{
        *b = (struct bg_exec){.id = id, .script = script};
        assert_int_equal(pthread_create(&b->thread, NULL, bg_exec_main, b), 0);
        for (int i = 0; i < 600 && !sandbox_has(id, "/tmp/ready"); i++)
                usleep(100 * 1000);
}

/* Lets the probe go and returns what it reported. */
static sandboxd_exec_result *hold_end(struct bg_exec *b)
{
        const char *argv[] = {"touch", "/tmp/release", NULL};
        sandboxd_exec_result_free(run_on(H.client, b->id, argv));
        pthread_join(b->thread, NULL);
        if (b->rc != 0 || !b->res)
                fail_msg("the holding probe's exec failed: %d", b->rc);
        return b->res;
}

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

static void kill_sandbox(sandboxd_sandbox **sb)
{
        if (!*sb)
                return;
        sandboxd_error err;
        if (sandboxd_kill(H.client, (*sb)->sandbox_id, &err) != 0)
                fprintf(stderr, "kill %s: %s\n", (*sb)->sandbox_id, err.message);
        sandboxd_sandbox_free(*sb);
        *sb = NULL;
}

static int setup(void **state)
{
        (void)state;
        if (harness_start(&H, NULL) != 0)
                return -1;
        A = create_sandbox();
        B = create_sandbox();
        return A && B ? 0 : -1;
}

static int teardown(void **state)
{
        (void)state;
        kill_sandbox(&A);
        kill_sandbox(&B);
        return harness_stop(&H);
}

/* ---- oom_score_adj ---- */

static int read_int_file(const char *path, long *ret)
{
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        int n = fscanf(f, "%ld", ret);
        fclose(f);
        return n == 1 ? 0 : -EIO;
}

static int write_daemon_oom(long value)
{
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)H.pid);
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        int r = dprintf(fd, "%ld", value) < 0 ? -errno : 0;
        close(fd);
        return r;
}

static bool daemon_has_cap(int cap)
{
        char path[64], line[256];
        snprintf(path, sizeof(path), "/proc/%d/status", (int)H.pid);
        FILE *f = fopen(path, "re");
        unsigned long long eff = 0;
        while (f && fgets(line, sizeof(line), f))
                if (sscanf(line, "CapEff: %llx", &eff) == 1)
                        break;
        if (f)
                fclose(f);
        return eff & (1ull << cap);
}

static const char oom_probe[] =
    PY_PRELUDE "out('init', open('/proc/1/oom_score_adj').read().strip())\n"
               "out('self', open('/proc/self/oom_score_adj').read().strip())\n";

/* A sandbox made while the daemon's own score is value: init must still get 0. */
static void check_oom_with_daemon_at(long value)
{
        char path[64];
        long before = 0;
        snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)H.pid);
        assert_int_equal(read_int_file(path, &before), 0);
        int r = write_daemon_oom(value);
        if (r < 0) {
                print_message("  the daemon's oom_score_adj cannot be set to %ld here (%s): "
                              "case not run\n",
                              value, strerror(-r));
                return;
        }
        sandboxd_sandbox *sb = create_sandbox();
        /* Back to the daemon's value before any assertion can leave it at `value`. */
        write_daemon_oom(before);
        assert_non_null(sb);
        sandboxd_exec_result *res = py(sb->sandbox_id, oom_probe);
        kill_sandbox(&sb);
        EXPECT(res, {"init", "0"}, {"self", "500"});
        sandboxd_exec_result_free(res);
}

static void test_oom_score_is_the_daemons_choice(void **state)
{
        (void)state;
        /* Raising needs no privilege, so a daemon at +300 shows here that its own score
         * does not pass to sandboxes; -900 (systemd's OOMScoreAdjust) where this host lets
         * us lower it. */
        check_oom_with_daemon_at(300);
        check_oom_with_daemon_at(-900);
}

static void test_oom_score_floor(void **state)
{
        (void)state;
        if (!daemon_has_cap(CAP_SYS_RESOURCE_BIT)) {
                print_message("  the daemon lacks CAP_SYS_RESOURCE on this host (root's CapEff), "
                              "so the kernel sets no floor when it writes init's "
                              "oom_score_adj: nothing to assert\n");
                skip();
        }
        static const char probe[] =
            PY_PRELUDE "def wr(v):\n"
                       "    try:\n"
                       "        with open('/proc/self/oom_score_adj', 'w') as f:\n"
                       "            f.write(v)\n"
                       "        return 'OK'\n"
                       "    except OSError as e:\n"
                       "        return en(e.errno)\n"
                       "out('to0', wr('0'))\n"
                       "out('to_1', wr('-1'))\n"
                       "out('to_900', wr('-900'))\n"
                       "out('to_1000', wr('-1000'))\n"
                       "out('now', open('/proc/self/oom_score_adj').read().strip())\n";
        sandboxd_exec_result *r = py(A->sandbox_id, probe);
        EXPECT(r, {"to0", "OK"}, {"to_1", "EACCES"}, {"to_900", "EACCES"}, {"to_1000", "EACCES"},
               {"now", "0"});
        sandboxd_exec_result_free(r);
}

/* ---- socket families and protocols ---- */

static void test_socket_allow_list(void **state)
{
        (void)state;
        /* Every family up to AF_MAX and a few beyond, with high bits too, by socket() and
         * socketpair(); netlink protocols; inet protocols that are modules. A denied call must
         * be EPERM (the filter), not whatever the kernel says after loading a module. */
        static const char probe[] = PY_PRELUDE
            "ALLOWED = {1, 2, 10, 16}\n"
            "fds = (ctypes.c_int * 2)()\n"
            "bad = []\n"
            "def deny(what, r):\n"
            "    if r != 'EPERM':\n"
            "        bad.append(what + ':' + r)\n"
            "for fam in list(range(0, 50)) + [255, 256, 1 << 16, 0x7fffffff]:\n"
            "    for typ in (1, 2, 3, 5):\n"
            "        for hn, hi in (('', 0), ('hi32', 1 << 32), ('hiall', 0xffffffff00000000)):\n"
            "            a = fam | hi\n"
            "            if fam in ALLOWED:\n"
            "                continue\n"
            "            deny('socket(%s%d,%d)' % (hn, fam, typ), sc(41, a, typ, 0))\n"
            "            deny('socketpair(%s%d,%d)' % (hn, fam, typ), "
            "sc(53, a, typ, 0, ctypes.byref(fds)))\n"
            "for proto in list(range(1, 32)) + [1 << 32 | 4]:\n"
            "    deny('netlink(%d)' % proto, sc(41, 16, 3, proto))\n"
            "    deny('netlink_pair(%d)' % proto, sc(53, 16, 3, proto, ctypes.byref(fds)))\n"
            "for fam in (2, 10):\n"
            "    for typ in (1, 2, 5):\n"
            "        for proto in (33, 115, 132, 256, 2, 4, 41, 47, 103, 255, 0x10000):\n"
            "            deny('inet(%d,%d,%d)' % (fam, typ, proto), sc(41, fam, typ, proto))\n"
            "            deny('inet_pair(%d,%d,%d)' % (fam, typ, proto), "
            "sc(53, fam, typ, proto, ctypes.byref(fds)))\n"
            "for fam in (2, 10):\n"
            "    for typ in (4, 5, 6, 10, 6 | 0o4000 | 0o2000000, 10 | (1 << 32), 15):\n"
            "        deny('inet_type(%d,%d)' % (fam, typ), sc(41, fam, typ, 0))\n"
            "        deny('inet_type_pair(%d,%d)' % (fam, typ), "
            "sc(53, fam, typ, 0, ctypes.byref(fds)))\n"
            "out('bad', ' '.join(bad) or 'none')\n"
            "out('tcp_flags', tryf(socket.socket, socket.AF_INET, "
            "socket.SOCK_STREAM | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC))\n"
            "out('unix', tryf(socket.socket, socket.AF_UNIX, socket.SOCK_STREAM))\n"
            "out('unix_pair', tryf(socket.socketpair, socket.AF_UNIX, socket.SOCK_DGRAM))\n"
            "out('tcp', tryf(socket.socket, socket.AF_INET, socket.SOCK_STREAM, 6))\n"
            "out('udp6', tryf(socket.socket, socket.AF_INET6, socket.SOCK_DGRAM, 17))\n"
            "out('tcp0', tryf(socket.socket, socket.AF_INET, socket.SOCK_STREAM, 0))\n"
            "out('rtnl', tryf(socket.socket, socket.AF_NETLINK, socket.SOCK_RAW, 0))\n"
            "out('ifaddrs', len(socket.if_nameindex()) > 0)\n";
        struct stat st;
        bool have_modules = stat("/proc/modules", &st) == 0;
        char *mods_before = NULL;
        size_t len = 0;
        if (have_modules) {
                FILE *f = fopen("/proc/modules", "re");
                assert_non_null(f);
                assert_true(getdelim(&mods_before, &len, '\0', f) >= 0 || feof(f));
                fclose(f);
        } else {
                print_message("  no /proc/modules: this kernel loads no modules; only the "
                              "errnos are checked\n");
        }
        sandboxd_exec_result *r = py(A->sandbox_id, probe);
        EXPECT(r, {"bad", "none"}, {"unix", "OK"}, {"unix_pair", "OK"}, {"tcp", "OK"},
               {"udp6", "OK"}, {"tcp0", "OK"}, {"tcp_flags", "OK"}, {"rtnl", "OK"},
               {"ifaddrs", "True"});
        sandboxd_exec_result_free(r);
        if (have_modules) {
                char *mods_after = NULL;
                size_t len2 = 0;
                FILE *f = fopen("/proc/modules", "re");
                assert_non_null(f);
                assert_true(getdelim(&mods_after, &len2, '\0', f) >= 0 || feof(f));
                fclose(f);
                /* Another test may load a module meanwhile; none of ours may appear. */
                static const char *const ours[] = {
                    "sctp ",  "dccp",      "tipc", "rds ", "kcm ",      "smc ", "rxrpc",
                    "af_key", "bluetooth", "l2tp", "can ", "appletalk", "x25",  "ax25"};
                for (size_t i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
                        if (strstr(mods_after, ours[i]) && !strstr(mods_before, ours[i]))
                                fail_msg("module %s was loaded", ours[i]);
                free(mods_after);
        }
        free(mods_before);
}

/* ---- core dumps and a piped core_pattern ---- */

#define CORE_PATTERN "/proc/sys/kernel/core_pattern"

static struct {
        char saved[256]; /* "" when not (yet) changed */
        char dir[64];
        int lock;
} core = {.lock = -1};

static int write_file(const char *path, const char *data)
{
        int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        ssize_t n = write(fd, data, strlen(data));
        int r = n == (ssize_t)strlen(data) ? 0 : -errno;
        close(fd);
        return r;
}

static void core_restore(void)
{
        if (core.saved[0]) {
                if (write_file(CORE_PATTERN, core.saved) < 0)
                        fprintf(stderr, "could not restore %s to %s\n", CORE_PATTERN, core.saved);
                core.saved[0] = '\0';
        }
}

static int core_setup(void **state)
{
        (void)state;
        /* One user of core_pattern at a time among concurrent runs of this test: a lock on
         * the sysctl file itself, which leaves no file behind. */
        core.lock = open(CORE_PATTERN, O_RDONLY | O_CLOEXEC);
        if (core.lock < 0 || flock(core.lock, LOCK_EX) < 0)
                return -1;
        snprintf(core.dir, sizeof(core.dir), "/tmp/sbxtest-core-XXXXXX");
        if (!mkdtemp(core.dir))
                return -1;
        char helper[128], script[256], pattern[160];
        snprintf(helper, sizeof(helper), "%s/helper", core.dir);
        /* The helper runs as root on the host: it only marks that it ran, and drains. */
        snprintf(script, sizeof(script), "#!/bin/sh\ntouch \"%s/ran-$1\"\nexec cat >/dev/null\n",
                 core.dir);
        int fd = open(helper, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
        if (fd < 0 || write(fd, script, strlen(script)) != (ssize_t)strlen(script))
                return -1;
        close(fd);
        FILE *f = fopen(CORE_PATTERN, "re");
        if (!f || !fgets(core.saved, sizeof(core.saved), f)) {
                if (f)
                        fclose(f);
                core.saved[0] = '\0';
                return -1;
        }
        fclose(f);
        atexit(core_restore);
        snprintf(pattern, sizeof(pattern), "|%s %%e", helper);
        return write_file(CORE_PATTERN, pattern) < 0 ? -1 : 0;
}

static int core_teardown(void **state)
{
        (void)state;
        core_restore();
        /* The helper and its marks (other crashes on the host while the pattern was ours
         * left marks too): all of it is ours. */
        DIR *d = core.dir[0] ? opendir(core.dir) : NULL;
        for (struct dirent *e; d && (e = readdir(d));)
                if (e->d_name[0] != '.')
                        unlinkat(dirfd(d), e->d_name, 0);
        if (d)
                closedir(d);
        if (core.dir[0])
                rmdir(core.dir);
        if (core.lock >= 0)
                close(core.lock);
        core.lock = -1;
        return 0;
}

static bool helper_ran(const char *comm)
{
        char path[160];
        snprintf(path, sizeof(path), "%s/ran-%s", core.dir, comm);
        return access(path, F_OK) == 0;
}

/* A host process named comm crashes with RLIMIT_CORE at limit; its exit status. */
static int crash_on_host(const char *comm, rlim_t limit)
{
        pid_t pid = fork();
        if (pid == 0) {
                struct rlimit rl = {limit, limit};
                setrlimit(RLIMIT_CORE, &rl);
                prctl(PR_SET_NAME, comm, 0, 0, 0);
                signal(SIGSEGV, SIG_DFL);
                raise(SIGSEGV);
                _exit(0);
        }
        int status = 0;
        waitpid(pid, &status, 0);
        return status;
}

static bool wait_helper(const char *comm)
{
        for (int i = 0; i < 300 && !helper_ran(comm); i++)
                usleep(100 * 1000);
        return helper_ran(comm);
}

static void test_core_dump_helper(void **state)
{
        (void)state;
        /* The kernel's rule, on this host: RLIMIT_CORE 0 still runs the helper, 1 does not.
         * The crash with 1 comes first; the helper of the later one ran after it would have. */
        crash_on_host("sbxcore-one", 1);
        crash_on_host("sbxcore-host", 0);
        if (!wait_helper("sbxcore-host")) {
                print_message("  a crash on the host never started the piped core_pattern "
                              "helper: this kernel cannot show the attack\n");
                skip();
        }
        assert_false(helper_ran("sbxcore-one"));

        static const char probe[] = PY_PRELUDE
            "import resource\n"
            "R = resource.RLIMIT_CORE\n"
            "out('limit', '%d,%d' % resource.getrlimit(R))\n"
            "new = (ctypes.c_uint64 * 2)(0, 0)\n"
            "soft0 = (ctypes.c_uint64 * 2)(0, 1)\n"
            "ctypes.set_errno(0)\n"
            "out('set0', en(ctypes.get_errno()) if libc.setrlimit(R, new) else 'OK')\n"
            "out('set_soft0', en(ctypes.get_errno()) if libc.setrlimit(R, soft0) else 'OK')\n"
            "old = (ctypes.c_uint64 * 2)()\n"
            "out('setrlimit', sc(160, R, ctypes.byref(new)))\n"
            "out('setrlimit_hi', sc(160, R | (1 << 32), ctypes.byref(new)))\n"
            "out('prlimit', sc(302, 0, R, ctypes.byref(new), 0))\n"
            "out('prlimit_hi', sc(302, 0, R | (1 << 32), ctypes.byref(new), 0))\n"
            "out('prlimit_init', sc(302, 1, R, ctypes.byref(new), 0))\n"
            "out('prlimit_get', sc(302, 0, R, 0, ctypes.byref(old)))\n"
            "out('nofile', tryf(resource.setrlimit, resource.RLIMIT_NOFILE, (1024, 4096)))\n"
            "out('limit_after', '%d,%d' % resource.getrlimit(R))\n"
            "pid = os.fork()\n"
            "if pid == 0:\n"
            "    libc.prctl(15, b'sbxcore-in', 0, 0, 0)\n"
            "    os.kill(os.getpid(), signal.SIGSEGV)\n"
            "    os._exit(0)\n"
            "_, st = os.waitpid(pid, 0)\n"
            "out('crash', os.WTERMSIG(st) if os.WIFSIGNALED(st) else 'exit')\n";
        sandboxd_exec_result *r = py(A->sandbox_id, probe);
        /* Whatever the sandbox did reached the helper before this later host crash's. */
        crash_on_host("sbxcore-after", 0);
        bool after = wait_helper("sbxcore-after");
        bool inside = helper_ran("sbxcore-in");
        if (inside)
                print_message("  the crash inside started the host's helper\n");
        EXPECT(r, {"limit", "1,1"}, {"set0", "EPERM"}, {"set_soft0", "EPERM"},
               {"setrlimit", "EPERM"}, {"setrlimit_hi", "EPERM"}, {"prlimit", "EPERM"},
               {"prlimit_hi", "EPERM"}, {"prlimit_init", "EPERM"}, {"prlimit_get", "OK"},
               {"nofile", "OK"}, {"limit_after", "1,1"}, {"crash", "11"});
        sandboxd_exec_result_free(r);
        assert_true(after);
        if (inside)
                fail_msg("a crash inside the sandbox started the host's core_pattern helper");
}

/* ---- devpts ---- */

static void test_devpts_max(void **state)
{
        (void)state;
        static const char probe[] =
            PY_PRELUDE "held = []\n"
                       "err = 'none'\n"
                       "while len(held) < 300:\n"
                       "    try:\n"
                       "        held.append(os.open('/dev/ptmx', os.O_RDWR | os.O_NOCTTY))\n"
                       "    except OSError as e:\n"
                       "        err = en(e.errno)\n"
                       "        break\n" PY_HOLD "out('count', len(held))\n"
                       "out('err', err)\n";
        static const char other[] = PY_PRELUDE "m, s = os.openpty()\n"
                                               "out('pty', os.ttyname(s))\n";
        struct bg_exec hold;
        hold_start(&hold, A->sandbox_id, probe);
        /* While A holds all it may: the host and B still get terminals. */
        int m = -1, s = -1;
        int host_pty = openpty(&m, &s, NULL, NULL, NULL);
        int host_err = errno;
        if (m >= 0)
                close(m);
        if (s >= 0)
                close(s);
        sandboxd_exec_result *rb = py(B->sandbox_id, other);
        sandboxd_exec_result *ra = hold_end(&hold);
        EXPECT(ra, {"count", "64"}, {"err", "ENOSPC"});
        EXPECT(rb, {"pty", "/dev/pts/0"});
        sandboxd_exec_result_free(ra);
        sandboxd_exec_result_free(rb);
        if (host_pty < 0)
                fail_msg("the host could not open a pty: %s", strerror(host_err));
}

/* ---- inotify ---- */

static void test_inotify_caps(void **state)
{
        (void)state;
        static const char probe[] =
            PY_PRELUDE "held = []\n"
                       "err = 'none'\n"
                       "while len(held) < 1000:\n"
                       "    fd = libc.inotify_init1(os.O_CLOEXEC)\n"
                       "    if fd < 0:\n"
                       "        err = en(ctypes.get_errno())\n"
                       "        break\n"
                       "    held.append(fd)\n" PY_HOLD "out('count', len(held))\n"
                       "out('err', err)\n";
        static const char other[] =
            PY_PRELUDE "fd = libc.inotify_init1(os.O_CLOEXEC)\n"
                       "out('inotify', 'OK' if fd >= 0 else en(ctypes.get_errno()))\n";
        struct bg_exec hold;
        hold_start(&hold, A->sandbox_id, probe);
        int fd = inotify_init1(IN_CLOEXEC);
        int host_err = errno;
        if (fd >= 0)
                close(fd);
        sandboxd_exec_result *rb = py(B->sandbox_id, other);
        sandboxd_exec_result *ra = hold_end(&hold);
        EXPECT(ra, {"count", "16"}, {"err", "EMFILE"});
        EXPECT(rb, {"inotify", "OK"});
        sandboxd_exec_result_free(ra);
        sandboxd_exec_result_free(rb);
        if (fd < 0)
                fail_msg("the host could not create an inotify instance: %s", strerror(host_err));
}

static void test_inotify_watches_and_sysctls(void **state)
{
        (void)state;
        static const char probe[] =
            PY_PRELUDE "def rd(n):\n"
                       "    return open('/proc/sys/user/' + n).read().strip()\n"
                       "def wr(n, v):\n"
                       "    try:\n"
                       "        with open('/proc/sys/user/' + n, 'w') as f:\n"
                       "            f.write(v)\n"
                       "        return 'OK'\n"
                       "    except OSError as e:\n"
                       "        return en(e.errno)\n"
                       "out('instances', rd('max_inotify_instances'))\n"
                       "out('watches', rd('max_inotify_watches'))\n"
                       "out('raise_instances', wr('max_inotify_instances', '100000'))\n"
                       "out('raise_watches', wr('max_inotify_watches', '10000000'))\n"
                       "os.makedirs('/tmp/w', exist_ok=True)\n"
                       "fd = libc.inotify_init1(os.O_CLOEXEC)\n"
                       "n, err = 0, 'none'\n"
                       "while n < 9000:\n"
                       "    p = '/tmp/w/%d' % n\n"
                       "    open(p, 'w').close()\n"
                       "    if libc.inotify_add_watch(fd, p.encode(), 2) < 0:\n"
                       "        err = en(ctypes.get_errno())\n"
                       "        break\n"
                       "    n += 1\n"
                       "out('count', n)\n"
                       "out('err', err)\n"
                       "os.close(fd)\n"
                       "for name in os.listdir('/tmp/w'):\n"
                       "    os.unlink('/tmp/w/' + name)\n";
        sandboxd_exec_result *r = py(A->sandbox_id, probe);
        EXPECT(r, {"instances", "16"}, {"watches", "8192"}, {"raise_instances", "EROFS|EACCES"},
               {"raise_watches", "EROFS|EACCES"}, {"count", "8192"}, {"err", "ENOSPC"});
        sandboxd_exec_result_free(r);
}

/* ---- personality() and TIOCSETD ---- */

static void test_personality_and_ldisc(void **state)
{
        (void)state;
        static const char probe[] = PY_PRELUDE
            "for n, v in (('linux', 0), ('uname26', 0x20000), ('linux32', 8), "
            "('linux32_uname26', 0x20008), ('query', 0xffffffff), ('hi_linux', 1 << 32), "
            "('addr_no_randomize', 0x0040000), ('read_implies_exec', 0x0400000), "
            "('mmap_page_zero', 0x0100000), ('short_inode', 0x1000000), ('bsd', 6), "
            "('svr4', 0x68), ('addr_compat', 0x0200000), "
            "('hi_addr_no_randomize', (1 << 32) | 0x0040000), ('minus2', 0xfffffffe)):\n"
            "    out('pers_' + n, sc(135, v))\n"
            "    libc.syscall(ctypes.c_long(135), ctypes.c_long(0))\n"
            "out('pers_now', libc.syscall(ctypes.c_long(135), ctypes.c_long(0xffffffff)))\n"
            "m, s = os.openpty()\n"
            "ld = ctypes.c_int(0)\n" /* N_TTY: harmless itself; the request must be refused */
            "out('tiocgetd', sc(16, s, 0x5424, ctypes.byref(ld)))\n"
            "for hn, hi in (('', 0), ('_hi32', 1 << 32), ('_hiall', 0xffffffff00000000)):\n"
            "    for fn, fd in (('slave', s), ('master', m)):\n"
            "        out('tiocsetd%s_%s' % (hn, fn), sc(16, fd, 0x5423 | hi, ctypes.byref(ld)))\n";
        sandboxd_exec_result *r = py(A->sandbox_id, probe);
        EXPECT(r, {"pers_linux", "OK"}, {"pers_uname26", "OK"}, {"pers_linux32", "OK"},
               {"pers_linux32_uname26", "OK"}, {"pers_query", "OK"}, {"pers_hi_linux", "OK"},
               {"pers_addr_no_randomize", "EPERM"}, {"pers_read_implies_exec", "EPERM"},
               {"pers_mmap_page_zero", "EPERM"}, {"pers_short_inode", "EPERM"},
               {"pers_bsd", "EPERM"}, {"pers_svr4", "EPERM"}, {"pers_addr_compat", "EPERM"},
               {"pers_hi_addr_no_randomize", "EPERM"}, {"pers_minus2", "EPERM"}, {"pers_now", "0"},
               {"tiocgetd", "OK"}, {"tiocsetd_slave", "EPERM"}, {"tiocsetd_master", "EPERM"},
               {"tiocsetd_hi32_slave", "EPERM"}, {"tiocsetd_hi32_master", "EPERM"},
               {"tiocsetd_hiall_slave", "EPERM"}, {"tiocsetd_hiall_master", "EPERM"});
        sandboxd_exec_result_free(r);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_oom_score_is_the_daemons_choice),
            cmocka_unit_test(test_oom_score_floor),
            cmocka_unit_test(test_socket_allow_list),
            cmocka_unit_test_setup_teardown(test_core_dump_helper, core_setup, core_teardown),
            cmocka_unit_test(test_devpts_max),
            cmocka_unit_test(test_inotify_caps),
            cmocka_unit_test(test_inotify_watches_and_sysctls),
            cmocka_unit_test(test_personality_and_ldisc),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
