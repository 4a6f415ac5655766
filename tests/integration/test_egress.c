/* Integration: the egress policy (docs/network.md, "Egress policy") on a real sandboxd. The
 * test builds its own networks behind the host, each a network namespace on a veth from the
 * host, with documentation or test addresses only:
 *   - "public": 203.0.113.7 and .8 (TEST-NET-3), and the test's DNS server at .53;
 *   - "link-local": 169.254.77.7 (not the metadata address);
 *   - "LAN": 192.168.251.7.
 * Each runs a TCP server that answers with the address it saw. Sandboxes get 198.51.100.64/26. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
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
#include <dirent.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <json-c/json.h>
#include <nftables/libnftables.h>

#include "harness.h"

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

#define BRIDGE     "sbxe0"
#define TABLE      "sandboxd_egress"
#define GATEWAY    "198.51.100.65"
#define PUBLIC     "203.0.113.7"
#define PUBLIC2    "203.0.113.8"
#define DNS_SERVER "203.0.113.53"
#define LINKLOCAL  "169.254.77.7"
#define LAN        "192.168.251.7"
#define UPLINK_IP  "203.0.113.1" /* the host's own address on the public network */
#define PORT       8080          /* answers "peer=<address>" */
#define HOLD_PORT  8081          /* holds connections open */
#define HOST_PORT  18082         /* a service of the host, on every address */
#define CT_MAX     8
#define LOCK_PATH  "/run/sandboxd-test-network.lock" /* test_network's: 203.0.113.0/24 too */

#define CONFIG                                                                                     \
        "\"default_timeout\": 120, \"network\": {\"bridge\": \"" BRIDGE "\", \"subnet\": "         \
        "\"198.51.100.64/26\", \"nft_table\": \"" TABLE "\", \"dns\": [\"" DNS_SERVER "\"], "      \
        "\"linger\": 1, \"conntrack_max\": 8}"

/* The test's networks: namespace, the host's end of the veth, its address, the addresses in
 * the namespace. */
static const struct testnet {
        const char *ns, *uplink, *host_cidr, *addrs[3];
} nets[] = {
    {"sbxe-pub", "sbxe-pub", UPLINK_IP "/24", {PUBLIC "/24", PUBLIC2 "/24", DNS_SERVER "/24"}},
    {"sbxe-ll", "sbxe-ll", "169.254.77.1/24", {LINKLOCAL "/24"}},
    {"sbxe-lan", "sbxe-lan", "192.168.251.1/24", {LAN "/24"}},
};

/* Connects to argv[1]:argv[2]; prints "ok <first line read>" or "err <exception>". */
static const char probe_py[] = "import socket, sys\n"
                               "try:\n"
                               "    s = socket.create_connection((sys.argv[1], int(sys.argv[2])), "
                               "timeout=4)\n"
                               "    s.settimeout(4)\n"
                               "    print('ok', s.recv(200).decode().strip())\n"
                               "except OSError as e:\n"
                               "    print('err', type(e).__name__)\n";

/* Asks server argv[2] for the A record of argv[1]: "ok <address>", "rcode <n>" or "err ...". */
static const char dig_py[] =
    "import socket, struct, sys, os\n"
    "name, server = sys.argv[1], sys.argv[2]\n"
    "q = os.urandom(2) + struct.pack('>HHHHH', 0x0100, 1, 0, 0, 0)\n"
    "q += b''.join(bytes([len(p)]) + p.encode() for p in name.split('.')) + b'\\0'\n"
    "q += struct.pack('>HH', 1, 1)\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "s.settimeout(4)\n"
    "try:\n"
    "    s.sendto(q, (server, 53)); m = s.recv(4096)\n"
    "except OSError as e:\n"
    "    print('err', type(e).__name__); sys.exit()\n"
    "rcode, an = m[3] & 15, struct.unpack('>H', m[6:8])[0]\n"
    "if rcode or not an:\n"
    "    print('rcode', rcode); sys.exit()\n"
    "off = len(q) + 2\n"
    "t, c, ttl, n = struct.unpack('>HHIH', m[off:off + 10])\n"
    "print('ok', socket.inet_ntoa(m[off + 10:off + 14]))\n";

/* The test's DNS server: A records of a few names, NXDOMAIN for the rest. */
static const char dns_server_py[] =
    "import socket, struct\n"
    "A = {'allowed.test': '" PUBLIC "', 'blocked.test': '" PUBLIC2 "',\n"
    "     'www.wild.test': '" PUBLIC "', 'lan.rebind.test': '" LAN "'}\n"
    "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
    "s.bind(('" DNS_SERVER "', 53))\n"
    "while True:\n"
    "    m, a = s.recvfrom(4096)\n"
    "    off, labels = 12, []\n"
    "    while m[off]:\n"
    "        labels.append(m[off + 1:off + 1 + m[off]].decode()); off += 1 + m[off]\n"
    "    qend, qtype = off + 5, struct.unpack('>H', m[off + 1:off + 3])[0]\n"
    "    ip = A.get('.'.join(labels).lower()) if qtype == 1 else None\n"
    "    hdr = m[:2] + struct.pack('>HHHHH', 0x8180 if ip else 0x8183, 1, 1 if ip else 0, 0, 0)\n"
    "    ans = b'\\xc0\\x0c' + struct.pack('>HHIH', 1, 1, 60, 4) + socket.inet_aton(ip) "
    "if ip else b''\n"
    "    s.sendto(hdr + m[12:qend] + ans, a)\n";

/* Opens argv[1] connections to the public host's HOLD_PORT and holds them, then one more: a
 * word per connection, "ok" or "err". */
static const char hold_py[] = "import socket, sys\n"
                              "held, out = [], []\n"
                              "for i in range(int(sys.argv[1]) + 1):\n"
                              "    try:\n"
                              "        held.append(socket.create_connection(('" PUBLIC
                              "', 8081), timeout=4)); out.append('ok')\n"
                              "    except OSError as e:\n"
                              "        out.append('err')\n"
                              "print(' '.join(out))\n";

static struct harness H;
static pid_t servers[8];
static size_t n_servers;
static int host_listener = -1;
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

/* Runs argv on the host; its stdout (malloc'd). */
static char *host_run(const char *const *argv)
{
        int p[2];
        if (pipe2(p, O_CLOEXEC) < 0)
                return strdup("");
        pid_t pid = fork();
        if (pid == 0) {
                dup2(p[1], 1);
                execvp(argv[0], (char *const *)argv);
                _exit(127);
        }
        close(p[1]);
        char buf[512];
        size_t len = 0;
        ssize_t n;
        while (len < sizeof(buf) - 1 && (n = read(p[0], buf + len, sizeof(buf) - 1 - len)) > 0)
                len += (size_t)n;
        buf[len] = '\0';
        close(p[0]);
        waitpid(pid, NULL, 0);
        return strdup(buf);
}

/* A server in namespace ns, in a process group of its own (socat forks per connection). */
static void server_start(const char *ns, const char *const *cmd)
{
        pid_t pid = fork();
        if (pid == 0) {
                setpgid(0, 0);
                const char *argv[16] = {"ip", "netns", "exec", ns};
                size_t n = 4;
                for (size_t i = 0; cmd[i] && n < 15; i++)
                        argv[n++] = cmd[i];
                argv[n] = NULL;
                int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
                dup2(devnull, 0);
                dup2(devnull, 1);
                execvp("ip", (char *const *)argv);
                _exit(127);
        }
        setpgid(pid, pid);
        servers[n_servers++] = pid;
}

static void testnets_down(void)
{
        for (size_t i = 0; i < n_servers; i++) {
                kill(-servers[i], SIGKILL);
                waitpid(servers[i], NULL, 0);
        }
        n_servers = 0;
        for (size_t i = 0; i < ELEMENTSOF(nets); i++)
                sh_quiet("ip link del %s 2>/dev/null; ip netns del %s 2>/dev/null", nets[i].uplink,
                         nets[i].ns);
}

static int testnet_up(const struct testnet *t)
{
        if (sh_quiet("ip netns add %s", t->ns) != 0 ||
            sh_quiet("ip link add %s type veth peer name eth0 netns %s", t->uplink, t->ns) != 0 ||
            sh_quiet("ip addr add %s dev %s", t->host_cidr, t->uplink) != 0 ||
            sh_quiet("ip link set %s up", t->uplink) != 0 ||
            sh_quiet("ip -n %s link set eth0 up && ip -n %s link set lo up", t->ns, t->ns) != 0)
                return -1;
        for (size_t i = 0; i < ELEMENTSOF(t->addrs) && t->addrs[i]; i++)
                if (sh_quiet("ip -n %s addr add %s dev eth0", t->ns, t->addrs[i]) != 0)
                        return -1;
        const char *echo[] = {"socat", "TCP-LISTEN:8080,fork,reuseaddr",
                              "SYSTEM:echo peer=$SOCAT_PEERADDR", NULL};
        server_start(t->ns, echo);
        return 0;
}

/* Waits (10 s at most) until the host itself reaches addr:port. */
static int wait_tcp(const char *addr, int port)
{
        for (int i = 0; i < 200; i++) {
                if (sh_quiet("socat -T1 - TCP:%s:%d </dev/null >/dev/null 2>&1", addr, port) == 0)
                        return 0;
                usleep(50000);
        }
        return -1;
}

static int wait_dns(void)
{
        const char *argv[] = {"python3", "-c", dig_py, "allowed.test", DNS_SERVER, NULL};
        for (int i = 0; i < 100; i++) {
                char *out = host_run(argv);
                bool ok = strcmp(out, "ok " PUBLIC "\n") == 0;
                free(out);
                if (ok)
                        return 0;
                usleep(100000);
        }
        return -1;
}

static int testnets_up(void)
{
        testnets_down(); /* what a crashed run left */
        for (size_t i = 0; i < ELEMENTSOF(nets); i++)
                if (testnet_up(&nets[i]) < 0)
                        return -1;
        const char *hold[] = {"socat", "TCP-LISTEN:8081,fork,reuseaddr", "SYSTEM:sleep 60", NULL};
        server_start("sbxe-pub", hold);
        const char *dns[] = {"python3", "-c", dns_server_py, NULL};
        server_start("sbxe-pub", dns);
        if (wait_tcp(PUBLIC, PORT) < 0 || wait_tcp(LINKLOCAL, PORT) < 0 || wait_tcp(LAN, PORT) < 0)
                return -1;
        return wait_dns();
}

static bool nft_has(const char *what)
{
        struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "list %s", what);
        nft_ctx_buffer_output(ctx);
        nft_ctx_buffer_error(ctx);
        bool found = nft_run_cmd_from_buffer(ctx, cmd) == 0;
        nft_ctx_free(ctx);
        return found;
}

static int group_teardown(void **state)
{
        int r = H.pid > 0 ? harness_stop(&H) : 0;
        if (host_listener >= 0)
                close(host_listener);
        testnets_down();
        for (int i = 0; i < 100 && (if_nametoindex(BRIDGE) || nft_has("table inet " TABLE)); i++)
                usleep(50000);
        if (if_nametoindex(BRIDGE) || nft_has("table inet " TABLE)) {
                fprintf(stderr, "test_egress: the bridge or the table is left\n");
                sh_quiet("ip link del " BRIDGE " 2>/dev/null");
                r = -1;
        }
        close(lock_fd);
        return r;
}

static int host_service_up(void)
{
        host_listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(HOST_PORT)};
        int one = 1;
        setsockopt(host_listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        return bind(host_listener, (struct sockaddr *)&a, sizeof(a)) < 0 ||
                       listen(host_listener, 64) < 0
                   ? -1
                   : 0;
}

static int group_setup(void **state)
{
        lock_fd = open(LOCK_PATH, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock_fd < 0 || flock(lock_fd, LOCK_EX) < 0)
                return -1;
        sh_quiet("ip link del " BRIDGE " 2>/dev/null; true");
        if (testnets_up() < 0 || host_service_up() < 0 || harness_start(&H, CONFIG) < 0 ||
            chmod(H.socket_path, 0666) < 0 || chmod(H.dir, 0755) < 0) {
                group_teardown(state);
                return -1;
        }
        return 0;
}

/* sandbox.create with internet access and network (JSON text, or NULL); its id (malloc'd). */
static char *create(const char *network)
{
        char params[1024];
        snprintf(params, sizeof(params), "{\"internet_access\": true, \"timeout\": 120%s%s}",
                 network ? ", \"network\": " : "", network ? network : "");
        char *result = NULL;
        sandboxd_error err = {0};
        if (sandboxd_call(H.client, "sandbox.create", params, &result, &err) != 0)
                fail_msg("create %s: %s", params, err.message);
        char *p = strstr(result, "\"sandbox_id\":");
        assert_non_null(p);
        p = strchr(p + 13, '"');
        char *id = strndup(p + 1, 20);
        free(result);
        return id;
}

static void kill_sandbox(char *id)
{
        sandboxd_error err;
        if (sandboxd_kill(H.client, id, &err) != 0)
                fail_msg("kill: %s", err.message);
        free(id);
}

static char *run(const char *id, const char *const *argv)
{
        sandboxd_exec_opts o = {.argv = argv, .timeout = 60};
        sandboxd_exec_result *res = NULL;
        sandboxd_error err;
        if (sandboxd_exec(H.client, id, &o, &res, &err) != 0)
                fail_msg("exec: %s", err.message);
        char *out = strdup(res->stdout_data ? res->stdout_data : "");
        sandboxd_exec_result_free(res);
        return out;
}

/* "ok peer=..." or "err ...", without the newline. */
static char *probe(const char *id, const char *host, int port)
{
        char port_s[16];
        snprintf(port_s, sizeof(port_s), "%d", port);
        const char *argv[] = {"python3", "-c", probe_py, host, port_s, NULL};
        char *out = run(id, argv);
        out[strcspn(out, "\n")] = '\0';
        return out;
}

static void assert_reaches(const char *id, const char *host, bool reached)
{
        char *out = probe(id, host, PORT);
        if (reached != (strncmp(out, "ok peer=", 8) == 0))
                fail_msg("%s %s: %s", reached ? "should reach" : "should not reach", host, out);
        free(out);
}

static char *dig(const char *id, const char *name)
{
        const char *argv[] = {"python3", "-c", dig_py, name, DNS_SERVER, NULL};
        char *out = run(id, argv);
        out[strcspn(out, "\n")] = '\0';
        return out;
}

/* sandbox.get's "network" member as JSON text, or "null". */
static char *policy_of(const char *id)
{
        char params[64], *result = NULL;
        snprintf(params, sizeof(params), "{\"sandbox_id\": \"%s\"}", id);
        assert_int_equal(sandboxd_call(H.client, "sandbox.get", params, &result, NULL), 0);
        json_object *o = json_tokener_parse(result), *net = NULL;
        assert_non_null(o);
        json_object_object_get_ex(o, "network", &net);
        char *out = strdup(json_object_to_json_string_ext(net, JSON_C_TO_STRING_PLAIN |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
        free(result);
        return out;
}

/* Without a policy: the public host, and none of the host's networks nor the host itself. */
static void test_default_is_public_only(void **state)
{
        char *id = create(NULL);
        assert_reaches(id, PUBLIC, true);
        assert_reaches(id, LINKLOCAL, false);
        assert_reaches(id, LAN, false);
        char *out = probe(id, UPLINK_IP, HOST_PORT);
        assert_true(strncmp(out, "err", 3) == 0);
        free(out);
        out = probe(id, GATEWAY, HOST_PORT);
        assert_true(strncmp(out, "err", 3) == 0);
        free(out);
        out = policy_of(id);
        assert_string_equal(out, "null");
        free(out);
        kill_sandbox(id);
}

static void test_allow_lan_cidr(void **state)
{
        char *id = create("{\"allow_out\": [\"192.168.251.0/24\"]}");
        assert_reaches(id, LAN, true);
        assert_reaches(id, LINKLOCAL, false);
        assert_reaches(id, PUBLIC, true);
        char *out = policy_of(id);
        assert_string_equal(out, "{\"allow_out\":[\"192.168.251.0/24\"],\"deny_out\":[]}");
        free(out);
        kill_sandbox(id);
}

/* Even allowing everything leaves the host's own addresses closed. */
static void test_allow_all_not_host(void **state)
{
        char *id = create("{\"allow_out\": [\"0.0.0.0/0\", \"::/0\"]}");
        assert_reaches(id, LAN, true);
        assert_reaches(id, LINKLOCAL, true);
        char *out = probe(id, UPLINK_IP, HOST_PORT);
        assert_true(strncmp(out, "err", 3) == 0);
        free(out);
        kill_sandbox(id);
}

static void test_allow_list(void **state)
{
        char *id = create("{\"deny_out\": [\"0.0.0.0/0\"], \"allow_out\": [\"" PUBLIC "/32\"]}");
        assert_reaches(id, PUBLIC, true);
        assert_reaches(id, PUBLIC2, false);
        assert_reaches(id, LAN, false);
        kill_sandbox(id);
}

static void test_deny_public(void **state)
{
        char *id = create("{\"deny_out\": [\"" PUBLIC2 "\"]}");
        assert_reaches(id, PUBLIC, true);
        assert_reaches(id, PUBLIC2, false);
        kill_sandbox(id);
}

/* An allow-list by name: its resolver answers allowed.test and opens the answer; blocked.test
 * is refused, and its address stays closed. The query goes to the test's server by address: the
 * daemon's resolver takes it on the way. */
static void test_domain_allow_list(void **state)
{
        char *id = create("{\"deny_out\": [\"0.0.0.0/0\"], \"allow_out\": [\"allowed.test\", "
                          "\"*.wild.test\"]}");
        assert_reaches(id, PUBLIC, false); /* not resolved yet */
        char *out = dig(id, "allowed.test");
        assert_string_equal(out, "ok " PUBLIC);
        free(out);
        assert_reaches(id, PUBLIC, true);
        out = dig(id, "www.wild.test");
        assert_string_equal(out, "ok " PUBLIC);
        free(out);
        out = dig(id, "blocked.test");
        assert_string_equal(out, "rcode 5"); /* REFUSED */
        free(out);
        assert_reaches(id, PUBLIC2, false);
        out = dig(id, "wild.test"); /* "*.wild.test" is the names under it only */
        assert_string_equal(out, "rcode 5");
        free(out);
        kill_sandbox(id);
}

/* The N+1th connection of one sandbox is refused; another sandbox is not affected. */
static void test_conntrack_cap(void **state)
{
        char *id = create(NULL), *other = create(NULL);
        char n[8];
        snprintf(n, sizeof(n), "%d", CT_MAX);
        const char *argv[] = {"python3", "-c", hold_py, n, NULL};
        char *out = run(id, argv);
        assert_string_equal(out, "ok ok ok ok ok ok ok ok err\n");
        free(out);
        assert_reaches(other, PUBLIC, true);
        /* Once its connections are closed, it may open new ones. */
        bool reached = false;
        for (int i = 0; i < 20 && !reached; i++) {
                out = probe(id, PUBLIC, PORT);
                reached = strncmp(out, "ok", 2) == 0;
                free(out);
                if (!reached)
                        usleep(500000);
        }
        assert_true(reached);
        kill_sandbox(id);
        kill_sandbox(other);
}

static void expect_error(const char *params, const char *reason, const char *field)
{
        char *result = NULL;
        sandboxd_error err = {0};
        if (sandboxd_call(H.client, "sandbox.create", params, &result, &err) == 0)
                fail_msg("created with %s: %s", params, result);
        assert_string_equal(err.reason, reason);
        assert_string_equal(err.field, field);
}

static void test_invalid(void **state)
{
        expect_error("{\"network\": {\"allow_out\": [\"10.0.0.0/8\"]}}", "invalid_argument",
                     "network");
        expect_error("{\"internet_access\": true, \"network\": {\"allow_out\": [\"10.0.0.1/8\"]}}",
                     "invalid_argument", "network.allow_out");
        expect_error("{\"internet_access\": true, \"network\": {\"deny_out\": [\"a..b\"]}}",
                     "invalid_argument", "network.deny_out");
        expect_error("{\"internet_access\": true, \"network\": {\"deny_out\": \"1.2.3.4\"}}",
                     "invalid_argument", "network.deny_out");
        expect_error("{\"internet_access\": true, \"network\": {\"allow\": []}}",
                     "invalid_argument", "network");
        char params[4096];
        size_t off = (size_t)snprintf(params, sizeof(params),
                                      "{\"internet_access\": true, \"network\": {\"allow_out\": [");
        for (int i = 0; i < 65; i++)
                off += (size_t)snprintf(params + off, sizeof(params) - off, "%s\"203.0.113.%d\"",
                                        i ? "," : "", i);
        snprintf(params + off, sizeof(params) - off, "]}}");
        expect_error(params, "invalid_argument", "network.allow_out");
}

/* As a caller that is not root (in a child, no cmocka): its sandbox allows a name that
 * resolves into the LAN; the name is answered, the address stays closed. 0 when so. */
static int rebinding_stays_closed(sandboxd_client *c)
{
        char *res = NULL;
        sandboxd_error err = {0};
        if (sandboxd_call(c, "sandbox.create",
                          "{\"internet_access\": true, \"timeout\": 60, \"network\": "
                          "{\"allow_out\": [\"lan.rebind.test\"]}}",
                          &res, &err) != 0)
                return 5;
        json_object *o = json_tokener_parse(res), *idv = NULL;
        char id[32] = "";
        if (o && json_object_object_get_ex(o, "sandbox_id", &idv))
                snprintf(id, sizeof(id), "%s", json_object_get_string(idv));
        json_object_put(o);
        free(res);
        const char *dig_argv[] = {"python3", "-c", dig_py, "lan.rebind.test", DNS_SERVER, NULL};
        const char *probe_argv[] = {"python3", "-c", probe_py, LAN, "8080", NULL};
        sandboxd_exec_opts d = {.argv = dig_argv, .timeout = 60},
                           p = {.argv = probe_argv, .timeout = 60};
        sandboxd_exec_result *dr = NULL, *pr = NULL;
        int status = 6;
        if (sandboxd_exec(c, id, &d, &dr, &err) == 0 && sandboxd_exec(c, id, &p, &pr, &err) == 0)
                status = strcmp(dr->stdout_data ? dr->stdout_data : "", "ok " LAN "\n") != 0 ? 7
                         : strncmp(pr->stdout_data ? pr->stdout_data : "", "err", 3) != 0    ? 8
                                                                                          : 0;
        sandboxd_exec_result_free(dr);
        sandboxd_exec_result_free(pr);
        if (sandboxd_kill(c, id, &err) != 0)
                status = 9;
        sandboxd_disconnect(c);
        return status;
}

/* A caller that is not root may not open the host's networks (the default configuration),
 * neither by CIDR nor through a name that resolves into them (DNS rebinding). */
static void test_non_root_private(void **state)
{
        pid_t pid = fork();
        if (pid == 0) {
                if (setresgid(61005, 61005, 61005) < 0 || setresuid(61005, 61005, 61005) < 0)
                        _exit(2);
                sandboxd_client *c = NULL;
                if (sandboxd_connect(H.socket_path, &c, NULL) != 0)
                        _exit(3);
                sandboxd_error err = {0};
                char *res = NULL;
                int r = sandboxd_call(c, "sandbox.create",
                                      "{\"internet_access\": true, \"network\": {\"allow_out\": "
                                      "[\"169.254.0.0/16\"]}}",
                                      &res, &err);
                if (r == 0 || strcmp(err.reason, "permission_denied") != 0 ||
                    strcmp(err.field, "network.allow_out") != 0)
                        _exit(4);
                _exit(rebinding_stays_closed(c));
        }
        int status = 0;
        waitpid(pid, &status, 0);
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
        /* Root's sandbox with the same name: the answer is opened. */
        char *id = create("{\"allow_out\": [\"lan.rebind.test\"]}");
        char *out = dig(id, "lan.rebind.test");
        assert_string_equal(out, "ok " LAN);
        free(out);
        assert_reaches(id, LAN, true);
        kill_sandbox(id);
}

/* The table's text, as nft lists it (malloc'd). */
static char *table_text(void)
{
        struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
        nft_ctx_buffer_output(ctx);
        nft_ctx_buffer_error(ctx);
        nft_run_cmd_from_buffer(ctx, "list table inet " TABLE);
        char *text = strdup(nft_ctx_get_output_buffer(ctx));
        nft_ctx_free(ctx);
        return text;
}

static char *ip_of(const char *id)
{
        char params[64], *result = NULL;
        snprintf(params, sizeof(params), "{\"sandbox_id\": \"%s\"}", id);
        assert_int_equal(sandboxd_call(H.client, "sandbox.get", params, &result, NULL), 0);
        json_object *o = json_tokener_parse(result), *ip = NULL;
        assert_true(json_object_object_get_ex(o, "ip_address", &ip));
        char *out = strdup(json_object_get_string(ip));
        json_object_put(o);
        free(result);
        return out;
}

/* Kill releases the sandbox's elements: its CIDRs, its DNS redirect, what its resolver opened. */
static void test_kill_releases(void **state)
{
        char *id = create("{\"allow_out\": [\"192.168.251.0/24\", \"allowed.test\"]}");
        char *ip = ip_of(id), *out = dig(id, "allowed.test");
        assert_string_equal(out, "ok " PUBLIC);
        free(out);
        char *text = table_text();
        char allow[64], open[64];
        snprintf(allow, sizeof(allow), "%s . 192.168.251.0/24", ip);
        snprintf(open, sizeof(open), "%s . " PUBLIC, ip);
        if (!strstr(text, allow) || !strstr(text, open))
                fail_msg("no \"%s\" or \"%s\" in\n%s", allow, open, text);
        free(text);
        kill_sandbox(id);
        text = table_text();
        if (strstr(text, ip))
                fail_msg("%s is left in\n%s", ip, text);
        free(text);
        free(ip);
}

/* A daemon started again takes the sandbox back with its policy, in force. */
static void test_restart_keeps_policy(void **state)
{
        char *id = create("{\"deny_out\": [\"0.0.0.0/0\"], \"allow_out\": [\"" PUBLIC
                          "/32\", \"blocked.test\"]}");
        assert_reaches(id, PUBLIC2, false);
        assert_int_equal(harness_restart(&H, SIGTERM), 0);
        char *out = policy_of(id);
        assert_string_equal(out, "{\"allow_out\":[\"" PUBLIC "/32\",\"blocked.test\"],"
                                 "\"deny_out\":[\"0.0.0.0/0\"]}");
        free(out);
        assert_reaches(id, PUBLIC, true);
        assert_reaches(id, PUBLIC2, false);
        assert_reaches(id, LAN, false);
        out = dig(id, "blocked.test"); /* the resolver is back too */
        assert_string_equal(out, "ok " PUBLIC2);
        free(out);
        assert_reaches(id, PUBLIC2, true);
        kill_sandbox(id);
}

/* Starts sandboxd again on the harness's socket, state directory and configuration (the
 * harness's own restart signals the old pid first, which is gone here). */
static void daemon_start_again(void)
{
        char exe[512], config[128], state[128];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 16);
        assert_true(n > 0);
        exe[n] = '\0';
        strcpy(strrchr(exe, '/') + 1, "sandboxd");
        snprintf(config, sizeof(config), "%s/config.json", H.dir);
        snprintf(state, sizeof(state), "%s/state", H.dir);
        H.pid = fork();
        if (H.pid == 0) {
                prctl(PR_SET_PDEATHSIG, SIGTERM);
                execl(exe, "sandboxd", "--socket", H.socket_path, "--state-dir", state, "--config",
                      config, "--log-level", "warning", (char *)NULL);
                _exit(127);
        }
        sandboxd_disconnect(H.client);
        H.client = NULL;
        for (int i = 0; i < 500 && !H.client; i++) {
                usleep(10000);
                H.client = harness_connect(&H);
        }
        assert_non_null(H.client);
        sandboxd_page *page = NULL;
        assert_int_equal(sandboxd_list(H.client, NULL, &page, NULL), 0);
        sandboxd_page_free(page);
}

/* What a sandbox killed while no daemon ran leaves in the cgroup tree. */
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

/* The daemon crashes; one sandbox dies meanwhile. The table outlives the daemon, with both
 * sandboxes' elements (the living one stays under its policy all along); the next daemon
 * removes the dead one's and keeps the living one's. */
static void test_crash_forgets_the_dead(void **state)
{
        char *dead = create("{\"allow_out\": [\"192.168.251.0/24\"]}"),
             *live = create("{\"deny_out\": [\"0.0.0.0/0\"], \"allow_out\": [\"" PUBLIC "\"]}");
        char *dead_ip = ip_of(dead), *live_ip = ip_of(live);
        char params[64], *result = NULL;
        snprintf(params, sizeof(params), "{\"sandbox_id\": \"%s\"}", dead);
        assert_int_equal(sandboxd_call(H.client, "sandbox.get", params, &result, NULL), 0);
        json_object *o = json_tokener_parse(result), *pidv = NULL;
        assert_true(json_object_object_get_ex(o, "pid", &pidv));
        pid_t dead_pid = (pid_t)json_object_get_int(pidv);
        json_object_put(o);
        free(result);
        assert_true(dead_pid > 1);
        kill(H.pid, SIGKILL);
        waitpid(H.pid, NULL, 0);
        kill(dead_pid, SIGKILL);
        char veth[IF_NAMESIZE], allow[64];
        snprintf(veth, sizeof(veth), "sbx%.8s", dead);
        for (int i = 0; i < 200 && if_nametoindex(veth); i++)
                usleep(50000);
        bool veth_gone = if_nametoindex(veth) == 0;
        snprintf(allow, sizeof(allow), "%s . 192.168.251.0/24", dead_ip);
        char *text = table_text();
        bool kept = strstr(text, allow) != NULL; /* no daemon: the table is as it was */
        free(text);
        daemon_start_again(); /* before any assertion: a failure leaves a daemon to clean up */
        assert_true(veth_gone);
        assert_true(kept);
        text = table_text();
        if (strstr(text, dead_ip) || !strstr(text, live_ip))
                fail_msg("%s should be gone and %s there:\n%s", dead_ip, live_ip, text);
        free(text);
        assert_reaches(live, PUBLIC, true);
        assert_reaches(live, PUBLIC2, false);
        remove_stale_cgroups(dead);
        free(dead);
        free(dead_ip);
        free(live_ip);
        kill_sandbox(live);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(test_default_is_public_only),
            cmocka_unit_test(test_allow_lan_cidr),
            cmocka_unit_test(test_allow_all_not_host),
            cmocka_unit_test(test_allow_list),
            cmocka_unit_test(test_deny_public),
            cmocka_unit_test(test_domain_allow_list),
            cmocka_unit_test(test_conntrack_cap),
            cmocka_unit_test(test_invalid),
            cmocka_unit_test(test_non_root_private),
            cmocka_unit_test(test_kill_releases),
            cmocka_unit_test(test_restart_keeps_policy),
            cmocka_unit_test(test_crash_forgets_the_dead),
        };
        return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
