/* Integration: internet access (docs/network.md) on a real sandboxd. The test builds its own
 * "internet": a network namespace behind the host, on a veth from the host's root namespace,
 * with documentation addresses only (sandboxes 198.51.100.0/26, the fake internet
 * 203.0.113.0/24), and a TCP server there that answers with the address it saw. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <nftables/libnftables.h>

#include "harness.h"

#define BRIDGE    "sbxt0"
#define TABLE     "sandboxd_test"
#define INET_NS   "sbxt-inet"
#define UPLINK    "sbxt-up" /* the host's end of the veth to the fake internet */
#define UPLINK_IP "203.0.113.1"
#define SERVER_IP "203.0.113.2"
#define SERVER    "8080"
#define HOST_PORT 18081 /* a service of the host, on every address */
#define GATEWAY   "198.51.100.1"
#define POOL_SIZE 61 /* a /26 less the network, gateway and broadcast addresses */
#define N_CLEANUP 50
#define N_LATENCY 20
#define LOCK_PATH "/run/sandboxd-test-network.lock"

#define CONFIG                                                                                     \
        "\"default_timeout\": 120, \"network\": {\"bridge\": \"" BRIDGE "\", \"subnet\": "         \
        "\"198.51.100.0/26\", \"nft_table\": \"" TABLE "\", \"dns\": [\"203.0.113.53\"], "         \
        "\"linger\": 1}"

/* Connects to argv[1]:argv[2] within argv[3] seconds; prints "ok <first line read>" or
 * "err <exception> <errno>". */
static const char probe_py[] = "import socket, sys\n"
                               "try:\n"
                               "    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), "
                               "timeout=float(sys.argv[3]))\n"
                               "    s.settimeout(3)\n"
                               "    print('ok', s.recv(200).decode().strip())\n"
                               "except OSError as e:\n"
                               "    print('err', type(e).__name__, e.errno)\n";

/* A server in the background of a sandbox: answers "hello" on port 9000. */
static const char server_sh[] =
    "python3 -c \"import socket\n"
    "s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
    "s.bind(('0.0.0.0', 9000)); s.listen()\n"
    "while True:\n"
    "    c, _ = s.accept(); c.sendall(b'hello\\\\n'); c.close()\" >/dev/null 2>&1 </dev/null &";

static struct harness H;
static pid_t server_pid;
static int host_listener = -1;
static int ip_forward_before = -1;
static int lock_fd = -1;

static int sh_quiet(const char *fmt, ...)
{
        char cmd[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(cmd, sizeof(cmd), fmt, ap);
        va_end(ap);
        int status = system(cmd);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int read_ip_forward(void)
{
        FILE *f = fopen("/proc/sys/net/ipv4/ip_forward", "re");
        int v = -1;
        if (f && fscanf(f, "%d", &v) != 1)
                v = -1;
        if (f)
                fclose(f);
        return v;
}

static bool table_exists(const char *table)
{
        struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "list table inet %s", table);
        nft_ctx_buffer_output(ctx);
        nft_ctx_buffer_error(ctx);
        bool found = nft_run_cmd_from_buffer(ctx, cmd) == 0;
        nft_ctx_free(ctx);
        return found;
}

static bool link_exists(const char *name)
{
        return if_nametoindex(name) != 0;
}

static void fake_internet_down(void)
{
        if (server_pid > 0) {
                kill(server_pid, SIGTERM);
                waitpid(server_pid, NULL, 0);
                server_pid = 0;
        }
        sh_quiet("ip link del " UPLINK " 2>/dev/null");
        sh_quiet("ip netns del " INET_NS " 2>/dev/null");
}

static bool server_answers(void *arg)
{
        return sh_quiet("socat -T1 - TCP:" SERVER_IP ":" SERVER " </dev/null >/dev/null 2>&1") == 0;
}

/* True once link arg is gone. */
static bool link_gone(void *arg)
{
        return !link_exists(arg);
}

/* The fake internet: 203.0.113.2 in its own namespace, reached from the host by a veth; it has
 * no route back to the sandboxes' subnet, so only masqueraded traffic gets an answer. */
static int fake_internet_up(void)
{
        fake_internet_down(); /* what a crashed run left */
        if (sh_quiet("ip netns add " INET_NS) != 0 ||
            sh_quiet("ip link add " UPLINK " type veth peer name eth0 netns " INET_NS) != 0 ||
            sh_quiet("ip addr add " UPLINK_IP "/24 dev " UPLINK) != 0 ||
            sh_quiet("ip link set " UPLINK " up") != 0 ||
            sh_quiet("ip -n " INET_NS " addr add " SERVER_IP "/24 dev eth0") != 0 ||
            sh_quiet("ip -n " INET_NS " link set eth0 up") != 0 ||
            sh_quiet("ip -n " INET_NS " link set lo up") != 0)
                return -1;
        server_pid = fork();
        if (server_pid == 0) {
                execlp("ip", "ip", "netns", "exec", INET_NS, "socat",
                       "TCP-LISTEN:" SERVER ",fork,reuseaddr", "SYSTEM:echo peer=$SOCAT_PEERADDR",
                       (char *)NULL);
                _exit(127);
        }
        return harness_poll_until(server_answers, NULL, HARNESS_DEADLINE_S) ? 0 : -1;
}

/* A service of the host: listening on every address; the kernel completes handshakes from the
 * backlog, so a connection that gets through succeeds without accept(). */
static int host_service_up(void)
{
        host_listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(HOST_PORT)};
        int one = 1;
        setsockopt(host_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(host_listener, (struct sockaddr *)&a, sizeof(a)) < 0 ||
            listen(host_listener, 64) < 0)
                return -1;
        return 0;
}

static int group_teardown(void **state)
{
        int r = H.pid > 0 ? harness_stop(&H) : 0;
        if (host_listener >= 0)
                close(host_listener);
        fake_internet_down();
        /* The daemon removes what it set up on the host when it stops. */
        if (link_exists(BRIDGE) || table_exists(TABLE) || read_ip_forward() != ip_forward_before) {
                fprintf(stderr, "test_network: the bridge, the table or ip_forward is left\n");
                sh_quiet("ip link del " BRIDGE " 2>/dev/null; nft delete table inet " TABLE
                         " 2>/dev/null");
                r = -1;
        }
        close(lock_fd); /* the next run's turn */
        return r;
}

/* Bridge, table, fake internet and ip_forward are the host's, one of each: two runs of this
 * test (from two build trees) take turns. */
static int lock_host(void)
{
        lock_fd = open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        return lock_fd >= 0 && flock(lock_fd, LOCK_EX) == 0 ? 0 : -1;
}

static int group_setup(void **state)
{
        if (lock_host() < 0)
                return -1;
        /* A run killed before its teardown may have left this test's own objects; with the
         * lock held they are no one else's. */
        sh_quiet("ip netns del " INET_NS " 2>/dev/null; ip link del " UPLINK " 2>/dev/null; "
                 "ip link del " BRIDGE " 2>/dev/null; nft delete table inet " TABLE
                 " 2>/dev/null; true");
        ip_forward_before = read_ip_forward();
        if (fake_internet_up() < 0 || host_service_up() < 0 || harness_start(&H, CONFIG) < 0) {
                group_teardown(state);
                return -1;
        }
        return 0;
}

static sandboxd_sandbox *create(bool internet)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.internet_access = internet;
        o.timeout = 120;
        sandboxd_sandbox *sb = NULL;
        sandboxd_error err;
        if (sandboxd_create(H.client, &o, &sb, &err) != 0)
                fail_msg("create: %s", err.message);
        return sb;
}

static void kill_and_free(sandboxd_sandbox *sb)
{
        sandboxd_error err;
        if (sandboxd_kill(H.client, sb->sandbox_id, &err) != 0)
                fail_msg("kill: %s", err.message);
        sandboxd_sandbox_free(sb);
}

/* Runs argv in the sandbox; returns its stdout (malloc'd). */
static char *run(const char *id, const char *const *argv)
{
        sandboxd_exec_opts o = {.argv = argv, .timeout = 30};
        sandboxd_exec_result *res = NULL;
        sandboxd_error err;
        if (sandboxd_exec(H.client, id, &o, &res, &err) != 0)
                fail_msg("exec: %s", err.message);
        char *out = strdup(res->stdout_data ? res->stdout_data : "");
        sandboxd_exec_result_free(res);
        return out;
}

static char *sh(const char *id, const char *script)
{
        const char *argv[] = {"sh", "-c", script, NULL};
        return run(id, argv);
}

static char *probe(const char *id, const char *host, int port, const char *timeout)
{
        char port_s[16];
        snprintf(port_s, sizeof(port_s), "%d", port);
        const char *argv[] = {"python3", "-c", probe_py, host, port_s, timeout, NULL};
        return run(id, argv);
}

static bool in_pool(const char *ip)
{
        struct in_addr a;
        if (!ip || inet_pton(AF_INET, ip, &a) != 1)
                return false;
        uint32_t h = ntohl(a.s_addr);
        return (h & 0xffffffc0u) == 0xc6336400u && (h & 0x3f) >= 2 && (h & 0x3f) <= 62;
}

/* The interfaces of the sandbox, from /proc/net/dev, as " lo eth0". */
static char *interfaces(const char *id)
{
        return sh(id, "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' ' | sort | "
                      "sed 's/^/ /' | tr -d '\\n'");
}

static void test_internet_is_masqueraded(void **state)
{
        sandboxd_sandbox *sb = create(true);
        assert_true(sb->internet_access);
        assert_true(in_pool(sb->ip_address));
        char *ifs = interfaces(sb->sandbox_id);
        assert_string_equal(ifs, " eth0 lo");
        free(ifs);
        char *out = probe(sb->sandbox_id, SERVER_IP, atoi(SERVER), "5");
        /* The server saw the host's address on its uplink, not the sandbox's. */
        assert_string_equal(out, "ok peer=" UPLINK_IP "\n");
        free(out);
        sandboxd_sandbox *got = NULL;
        assert_int_equal(sandboxd_get(H.client, sb->sandbox_id, &got, NULL), 0);
        assert_string_equal(got->ip_address, sb->ip_address);
        sandboxd_sandbox_free(got);
        kill_and_free(sb);
}

/* The host's resolver is handed on (this host's is not a loopback stub), else the configured
 * one: either way one a sandbox can reach, never 127.0.0.0/8. */
static void test_resolv_conf(void **state)
{
        sandboxd_sandbox *sb = create(true);
        char *out = sh(sb->sandbox_id, "grep -c '^nameserver' /etc/resolv.conf; "
                                       "grep '^nameserver' /etc/resolv.conf | grep -c "
                                       "-e ' 127\\.' -e ':'");
        int n_servers = -1, n_unreachable = -1;
        assert_int_equal(sscanf(out, "%d %d", &n_servers, &n_unreachable), 2);
        assert_true(n_servers >= 1);
        assert_int_equal(n_unreachable, 0);
        free(out);
        kill_and_free(sb);
}

static void test_no_internet_only_lo(void **state)
{
        sandboxd_sandbox *sb = create(false);
        assert_false(sb->internet_access);
        assert_null(sb->ip_address);
        char *ifs = interfaces(sb->sandbox_id);
        assert_string_equal(ifs, " lo");
        free(ifs);
        char *out = probe(sb->sandbox_id, SERVER_IP, atoi(SERVER), "2");
        assert_string_equal(out, "err OSError 101\n"); /* ENETUNREACH */
        free(out);
        kill_and_free(sb);
}

static bool listed(bool internet, const char *id)
{
        sandboxd_list_opts o = sandboxd_list_opts_default();
        o.internet_access = internet;
        sandboxd_page *page = NULL;
        assert_int_equal(sandboxd_list(H.client, &o, &page, NULL), 0);
        bool found = false;
        for (size_t i = 0; i < page->count; i++)
                found |= strcmp(page->sandboxes[i]->sandbox_id, id) == 0;
        sandboxd_page_free(page);
        return found;
}

static void test_list_filter(void **state)
{
        sandboxd_sandbox *with = create(true), *without = create(false);
        assert_true(listed(true, with->sandbox_id));
        assert_false(listed(true, without->sandbox_id));
        assert_true(listed(false, without->sandbox_id));
        assert_false(listed(false, with->sandbox_id));
        kill_and_free(with);
        kill_and_free(without);
}

/* Probes port 9000 of ip from sandbox id until it answers; out holds the last answer. */
struct probe_wait {
        const char *id, *ip;
        char *out;
};

static bool probe_ok(void *arg)
{
        struct probe_wait *w = arg;
        free(w->out);
        w->out = probe(w->id, w->ip, 9000, "2");
        return strncmp(w->out, "ok", 2) == 0;
}

static void test_sandboxes_walled_off(void **state)
{
        sandboxd_sandbox *a = create(true), *b = create(true);
        assert_string_not_equal(a->ip_address, b->ip_address);
        free(sh(b->sandbox_id, server_sh));
        /* b's server answers b itself, on its own address... */
        struct probe_wait w = {b->sandbox_id, b->ip_address, NULL};
        harness_poll_until(probe_ok, &w, HARNESS_DEADLINE_S);
        assert_string_equal(w.out, "ok hello\n");
        free(w.out);
        /* ...but nothing of a's reaches it, on the bridge or routed through the host. */
        char *out = probe(a->sandbox_id, b->ip_address, 9000, "2");
        assert_true(strncmp(out, "err", 3) == 0);
        free(out);
        /* a itself is not cut off. */
        out = probe(a->sandbox_id, SERVER_IP, atoi(SERVER), "5");
        assert_true(strncmp(out, "ok peer=", 8) == 0);
        free(out);
        kill_and_free(a);
        kill_and_free(b);
}

static void test_host_services_unreachable(void **state)
{
        sandboxd_sandbox *sb = create(true);
        struct ifaddrs *ifa = NULL;
        assert_int_equal(getifaddrs(&ifa), 0);
        int n = 0;
        for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
                if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
                        continue;
                char ip[INET_ADDRSTRLEN];
                inet_ntop(AF_INET, &((struct sockaddr_in *)i->ifa_addr)->sin_addr, ip, sizeof(ip));
                if (strncmp(ip, "127.", 4) == 0)
                        continue;
                /* The host itself reaches its service there... */
                char cmd[128];
                snprintf(cmd, sizeof(cmd), "socat -T1 - TCP:%s:%d </dev/null >/dev/null 2>&1", ip,
                         HOST_PORT);
                assert_int_equal(sh_quiet("%s", cmd), 0);
                /* ...a sandbox does not: refused at once. */
                char *out = probe(sb->sandbox_id, ip, HOST_PORT, "3");
                if (strncmp(out, "err ConnectionRefusedError", 26) != 0)
                        fail_msg("the host's %s (%s) answered a sandbox: %s", ip, i->ifa_name, out);
                free(out);
                n++;
        }
        freeifaddrs(ifa);
        assert_true(n >= 3); /* the host's own, the uplink, the gateway */
        char *out = probe(sb->sandbox_id, GATEWAY, HOST_PORT, "3");
        assert_true(strncmp(out, "err", 3) == 0);
        free(out);
        kill_and_free(sb);
}

/* A networked sandbox that reaches its timeout leaves nothing either. */
static void test_expiry(void **state)
{
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.internet_access = true;
        o.timeout = 1;
        sandboxd_sandbox *sb = NULL;
        assert_int_equal(sandboxd_create(H.client, &o, &sb, NULL), 0);
        char veth[IF_NAMESIZE];
        snprintf(veth, sizeof(veth), "sbx%.8s", sb->sandbox_id);
        assert_true(link_exists(veth));
        assert_true(harness_wait_gone(&H, sb->sandbox_id));
        /* Gone from list and get at once; its veth within the kernel's few tens of ms. */
        assert_true(harness_poll_until(link_gone, veth, HARNESS_DEADLINE_S));
        sandboxd_sandbox_free(sb);
}

static bool host_clean(void *arg)
{
        return !link_exists(BRIDGE) && !table_exists(TABLE) &&
               read_ip_forward() == ip_forward_before;
}

/* Waits for the host to be clean once the linger (1 s) is over. */
static void assert_host_clean(void)
{
        harness_poll_until(host_clean, NULL, HARNESS_DEADLINE_S);
        assert_false(link_exists(BRIDGE));
        assert_false(table_exists(TABLE));
        assert_int_equal(read_ip_forward(), ip_forward_before);
}

static void test_no_leftovers(void **state)
{
        sandboxd_sandbox *sbs[POOL_SIZE + 1];
        for (int i = 0; i < N_CLEANUP; i++) {
                sbs[i] = create(true);
                for (int j = 0; j < i; j++)
                        assert_string_not_equal(sbs[i]->ip_address, sbs[j]->ip_address);
        }
        assert_true(link_exists(BRIDGE));
        assert_true(table_exists(TABLE));
        for (int i = 0; i < N_CLEANUP; i++) {
                char veth[IF_NAMESIZE];
                snprintf(veth, sizeof(veth), "sbx%.8s", sbs[i]->sandbox_id);
                assert_true(link_exists(veth));
                kill_and_free(sbs[i]);
                assert_false(link_exists(veth)); /* gone when the kill is answered */
        }
        assert_host_clean();
        /* Every address came back: the whole pool can be taken again, and no more. */
        for (int i = 0; i < POOL_SIZE; i++)
                sbs[i] = create(true);
        sandboxd_create_opts o = sandboxd_create_opts_default();
        o.internet_access = true;
        sandboxd_error err;
        assert_int_equal(sandboxd_create(H.client, &o, &sbs[POOL_SIZE], &err), -EREMOTEIO);
        assert_string_equal(err.reason, "resource_exhausted");
        for (int i = 0; i < POOL_SIZE; i++)
                kill_and_free(sbs[i]);
        assert_host_clean();
}

static bool connected(void *arg)
{
        H.client = harness_connect(&H);
        return H.client != NULL;
}

/* Starts sandboxd again on the harness's socket, state directory and configuration, as a
 * service manager restarts it after a crash. */
static void daemon_restart(void)
{
        char exe[512], config[128], state[128];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 16);
        assert_true(n > 0);
        exe[n] = '\0';
        strcpy(strrchr(exe, '/') + 1, "sandboxd"); /* every program is in the build's bin/ */
        snprintf(config, sizeof(config), "%s/config.json", H.dir);
        snprintf(state, sizeof(state), "%s/state", H.dir);
        H.pid = fork();
        if (H.pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGTERM);
                const char *level = getenv("SANDBOXD_TEST_LOG_LEVEL");
                execl(exe, "sandboxd", "--socket", H.socket_path, "--state-dir", state, "--config",
                      config, "--log-level", level ? level : "warning", (char *)NULL);
                _exit(127);
        }
        sandboxd_disconnect(H.client);
        H.client = NULL;
        assert_true(harness_poll_until(connected, NULL, HARNESS_DEADLINE_S));
        /* It accepts connections before it has set itself up; it answers only after. */
        sandboxd_page *page = NULL;
        assert_int_equal(sandboxd_list(H.client, NULL, &page, NULL), 0);
        sandboxd_page_free(page);
}

/* What a crashed daemon's sandboxes leave in the cgroup tree (not the network's business). */
static void remove_stale_cgroups(const char *id)
{
        char path[512];
        snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/%s", H.cgroup_parent, id);
        rmdir(path);
        DIR *d = opendir("/sys/fs/cgroup");
        for (struct dirent *e; d && (e = readdir(d));) {
                snprintf(path, sizeof(path), "/sys/fs/cgroup/%s/%s/%s", e->d_name, H.cgroup_parent,
                         id);
                rmdir(path);
        }
        if (d)
                closedir(d);
}

/* The daemon dies by SIGKILL with networked sandboxes, and so do they: at its next start the
 * daemon removes the bridge, the table and the forwarding it left, and starts afresh. */
static void test_crash_restart(void **state)
{
        sandboxd_sandbox *sbs[3];
        for (int i = 0; i < 3; i++)
                sbs[i] = create(true);
        assert_true(link_exists(BRIDGE));
        if (ip_forward_before == 0)
                assert_int_equal(read_ip_forward(), 1);
        kill(H.pid, SIGKILL);
        waitpid(H.pid, NULL, 0);
        for (int i = 0; i < 3; i++)
                kill(sbs[i]->pid, SIGKILL);
        char veth[IF_NAMESIZE];
        for (int i = 0; i < 3; i++) {
                snprintf(veth, sizeof(veth), "sbx%.8s", sbs[i]->sandbox_id);
                /* gone with their network namespace */
                assert_true(harness_poll_until(link_gone, veth, HARNESS_DEADLINE_S));
        }
        assert_true(link_exists(BRIDGE));
        assert_true(table_exists(TABLE));
        daemon_restart();
        assert_false(link_exists(BRIDGE));
        assert_false(table_exists(TABLE));
        assert_int_equal(read_ip_forward(), ip_forward_before);
        for (int i = 0; i < 3; i++) {
                remove_stale_cgroups(sbs[i]->sandbox_id);
                sandboxd_sandbox_free(sbs[i]);
        }
        sandboxd_sandbox *sb = create(true);
        assert_true(in_pool(sb->ip_address));
        kill_and_free(sb);
        assert_host_clean();
}

/* Sandboxes outlive their daemon, stopped or killed: the next takes them back with their
 * address, and their network keeps working. */
static void restart_keeps_network(int sig)
{
        sandboxd_sandbox *sb = create(true);
        char veth[IF_NAMESIZE];
        snprintf(veth, sizeof(veth), "sbx%.8s", sb->sandbox_id);
        int status = 0;
        kill(H.pid, sig);
        waitpid(H.pid, &status, 0);
        assert_true(link_exists(veth));
        assert_true(link_exists(BRIDGE));
        assert_true(table_exists(TABLE));
        daemon_restart();
        assert_true(link_exists(veth));
        sandboxd_sandbox *got = NULL;
        assert_int_equal(sandboxd_get(H.client, sb->sandbox_id, &got, NULL), 0);
        assert_string_equal(got->ip_address, sb->ip_address);
        sandboxd_sandbox_free(got);
        char *out = probe(sb->sandbox_id, SERVER_IP, atoi(SERVER), "5");
        assert_string_equal(out, "ok peer=" UPLINK_IP "\n");
        free(out);
        kill_and_free(sb);
        assert_false(link_exists(veth));
        assert_host_clean();
}

static void test_stop_restart_keeps_network(void **state)
{
        restart_keeps_network(SIGTERM);
}

static void test_crash_restart_keeps_network(void **state)
{
        restart_keeps_network(SIGKILL);
}

static double now_ms(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

static double p50(double *v, size_t n)
{
        qsort(v, n, sizeof(*v), cmp_double);
        return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* N creates, then N kills; p50 of each, in ms. */
static void measure(bool internet, double *ret_create, double *ret_kill)
{
        sandboxd_sandbox *sbs[N_LATENCY];
        double c[N_LATENCY], k[N_LATENCY];
        for (int i = 0; i < N_LATENCY; i++) {
                double t = now_ms();
                sbs[i] = create(internet);
                c[i] = now_ms() - t;
        }
        for (int i = 0; i < N_LATENCY; i++) {
                double t = now_ms();
                kill_and_free(sbs[i]);
                k[i] = now_ms() - t;
        }
        *ret_create = p50(c, N_LATENCY);
        *ret_kill = p50(k, N_LATENCY);
}

/* Not a pass/fail test: the figures of the report, printed. */
static void test_latency(void **state)
{
        double c0, k0, c1, k1;
        measure(false, &c0, &k0);
        measure(true, &c1, &k1);
        fprintf(stderr,
                "test_network: p50 of %d: create %.1f ms, kill %.1f ms without network; "
                "create %.1f ms (x%.1f), kill %.1f ms with network\n",
                N_LATENCY, c0, k0, c1, c1 / c0, k1);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_internet_is_masqueraded),
            cmocka_unit_test(test_resolv_conf),
            cmocka_unit_test(test_no_internet_only_lo),
            cmocka_unit_test(test_list_filter),
            cmocka_unit_test(test_sandboxes_walled_off),
            cmocka_unit_test(test_host_services_unreachable),
            cmocka_unit_test(test_expiry),
            cmocka_unit_test(test_no_leftovers),
            cmocka_unit_test(test_latency),
            cmocka_unit_test(test_crash_restart),
            cmocka_unit_test(test_stop_restart_keeps_network),
            cmocka_unit_test(test_crash_restart_keeps_network),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
