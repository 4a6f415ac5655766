/* The daemon's side of internet access: the address pool, the host set up on first use and
 * cleaned after the last, and the wait for each dead sandbox's veth. Every failure is logged
 * here, with the step and the library's own text. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "runtime/nft.h"
#include "supervisor/dns.h"
#include "supervisor/log.h"
#include "supervisor/network.h"
#include "supervisor/timeutil.h"

#define POLL_US          5000    /* how often the veths going away are looked for */
#define RELEASE_DEADLINE 2000000 /* past it, the daemon deletes a veth itself */
#define PROBE_MAX        64      /* veths looked for in one round */

static struct in_addr in_addr_of(uint32_t host_order)
{
        return (struct in_addr){.s_addr = htonl(host_order)};
}

static int log_net(int r, const struct net_error *e)
{
        return log_warning_errno(r, "network: cannot %s: %s", e->step ? e->step : "?", e->detail);
}

static int sys_fail(struct net_error *e, const char *step, int r)
{
        e->step = step;
        snprintf(e->detail, sizeof(e->detail), "%s", strerror(-r));
        return r;
}

/* The marker is written first: a daemon that dies after turning forwarding on still knows, at
 * its next start, to turn it off. */
static int forward_on(struct network *net, struct net_error *e)
{
        _cleanup_close_ int fd =
            open(net->forward_marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return sys_fail(e, "record that forwarding is ours", negative_errno());
        net->forward_changed = true;
        int r = net_ip_forward_set(true);
        return r < 0 ? sys_fail(e, "turn on net.ipv4.ip_forward", r) : 0;
}

static void forward_off(struct network *net)
{
        int r = net_ip_forward_set(false);
        if (r < 0) {
                log_warning_errno(r, "network: cannot turn net.ipv4.ip_forward off");
                return;
        }
        log_info("network: IPv4 forwarding turned off again");
        net->forward_changed = false;
        if (unlink(net->forward_marker) < 0 && errno != ENOENT)
                log_warning_errno(negative_errno(), "network: unlink %s", net->forward_marker);
}

/* Removes the bridge and its ports, forwarding if it is ours, then the table: the reverse of
 * host_up, so that the walls stand as long as anything could cross them. Goes on past a
 * failure, so that as much as can be is removed. */
/* libnftables waits on its netlink socket with select(), which aborts the process for a
 * descriptor of 1024 or more — and a daemon with a few hundred sandboxes holds more than that.
 * A few low numbers are held from the start and given up for the time of an nftables call,
 * so that its socket gets one of them. */
static void nft_room(struct network *net, bool give)
{
        for (size_t i = 0; i < ELEMENTSOF(net->low_fds); i++)
                net->low_fds[i] =
                    give ? safe_close(net->low_fds[i]) : open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void host_down_locked(struct network *net);
static void egress_remove(struct network *net, struct net_lease *l);

static void host_down(struct network *net)
{
        nft_room(net, true);
        host_down_locked(net);
        nft_room(net, false);
}

static void host_down_locked(struct network *net)
{
        struct net_error e = {0};
        int r;
        if ((r = net_bridge_remove(net->cfg->bridge, &e)) < 0)
                log_net(r, &e);
        if (net->forward_changed)
                forward_off(net);
        if ((r = nft_walls_remove(net->cfg->nft_table, &e)) < 0)
                log_net(r, &e);
        dns_proxy_close(net->dns); /* its redirect went with the table */
        net->dns = NULL;
        if (net->host_ready)
                log_info("network: bridge %s and table inet %s removed", net->cfg->bridge,
                         net->cfg->nft_table);
        net->host_ready = false;
        net->table_kept = false;
}

/* Walls first, then forwarding, then the bridge: no packet ever crosses the host unwalled. */
static int host_up_locked(struct network *net, struct net_error *e);

static int host_up(struct network *net, struct net_error *e)
{
        /* Its sockets are opened first: they must not take the low numbers kept for nft. */
        int r = net->dns
                    ? 0
                    : dns_proxy_open(net, in_addr_of(netpool_gateway(net->cfg->subnet)), &net->dns);
        if (r < 0)
                return sys_fail(e, "open the sandboxes' resolver", r);
        nft_room(net, true);
        r = host_up_locked(net, e);
        nft_room(net, false);
        return r;
}

static int host_up_locked(struct network *net, struct net_error *e)
{
        const struct sbx_network *cfg = net->cfg;
        int on = net_ip_forward_get();
        if (on < 0)
                return sys_fail(e, "read net.ipv4.ip_forward", on);
        struct in_addr gw = in_addr_of(netpool_gateway(cfg->subnet));
        struct nft_walls walls = {.table = cfg->nft_table,
                                  .bridge = cfg->bridge,
                                  .subnet = in_addr_of(cfg->subnet),
                                  .prefixlen = cfg->prefixlen,
                                  .bridge_only = !on || net->forward_changed,
                                  .gateway = gw,
                                  .dns_port = dns_proxy_port(net->dns),
                                  .conntrack_max = cfg->conntrack_max,
                                  .deny4 = egress_default_elements(AF_INET),
                                  .deny6 = egress_default_elements(AF_INET6),
                                  .resolvers = net->resolvers};
        int r = nft_walls_apply(&walls, e);
        if (r >= 0 && !on)
                r = forward_on(net, e);
        struct net_bridge bridge = {.name = cfg->bridge,
                                    .gateway = in_addr_of(netpool_gateway(cfg->subnet)),
                                    .prefixlen = cfg->prefixlen};
        if (r >= 0)
                r = net_bridge_ensure(&bridge, e);
        if (r < 0)
                return r;
        net->host_ready = true;
        log_info("network: bridge %s up, table inet %s installed%s", cfg->bridge, cfg->nft_table,
                 net->forward_changed ? ", IPv4 forwarding turned on" : "");
        return 0;
}

/* One-shot, re-armed: every POLL_US while veths are going away; else at the end of the
 * linger, while the host is set up and unused; else never. */
static void schedule(struct network *net)
{
        int64_t us = 0;
        if (!list_empty(&net->releasing))
                us = POLL_US;
        else if (net->host_ready && net->n_leases == 0)
                us =
                    net->idle_since_us + net->cfg->linger_s * INT64_C(1000000) - now_monotonic_us();
        if (us <= 0 && net->host_ready && net->n_leases == 0)
                us = 1; /* due now: a zero would disarm */
        struct itimerspec its = {.it_value = {us / 1000000, (us % 1000000) * 1000}};
        if (timerfd_settime(net->timer_fd, 0, &its, NULL) < 0)
                log_warning_errno(negative_errno(), "network: timerfd");
}

/* The sandbox's elements in the table's shared sets, from the lease's policy. */
static int egress_fill(const struct network *net, const struct net_lease *l, struct nft_egress *ne,
                       char **ret_allow, char **ret_deny)
{
        char prefix[INET_ADDRSTRLEN + 4];
        inet_ntop(AF_INET, &l->link.addr, prefix, INET_ADDRSTRLEN);
        strcat(prefix, " . ");
        *ret_allow = egress_elements(&l->egress->allow, EGRESS_V4, prefix);
        *ret_deny = egress_elements(&l->egress->deny, EGRESS_V4, prefix);
        *ne = (struct nft_egress){.table = net->cfg->nft_table,
                                  .addr = l->link.addr,
                                  .allow = *ret_allow,
                                  .deny = *ret_deny,
                                  .opened = l->opened,
                                  .n_opened = l->n_opened,
                                  .dns = l->egress->has_domains};
        return *ret_allow && *ret_deny ? 0 : -ENOMEM;
}

/* Its DNS goes to the daemon's resolver when the policy names domains. */
static int egress_install(struct network *net, struct net_lease *l, bool replace,
                          struct net_error *e)
{
        _cleanup_free_ char *allow = NULL, *deny = NULL;
        struct nft_egress ne;
        if (egress_fill(net, l, &ne, &allow, &deny) < 0)
                return sys_fail(e, "build the egress policy", -ENOMEM);
        ne.replace = replace;
        nft_room(net, true);
        int r = nft_egress_install(&ne, e);
        nft_room(net, false);
        if (r >= 0)
                list_add_tail(&net->egress, &l->egress_node);
        return r;
}

/* Its elements, the addresses its resolver opened included (a later sandbox on the address
 * must not inherit them); they went with the table if the host is down. */
static void egress_remove(struct network *net, struct net_lease *l)
{
        if (!l->egress || list_empty(&l->egress_node))
                return;
        list_del(&l->egress_node);
        list_init(&l->egress_node);
        _cleanup_free_ char *allow = NULL, *deny = NULL;
        struct nft_egress ne;
        struct net_error e = {0};
        int r = egress_fill(net, l, &ne, &allow, &deny);
        if (r >= 0 && net->host_ready) {
                nft_room(net, true);
                if ((r = nft_egress_remove(&ne, &e)) < 0)
                        log_net(r, &e);
                nft_room(net, false);
        } else if (r < 0) {
                log_warning_errno(r, "network: cannot remove an egress policy");
        }
        free(l->opened);
        l->opened = NULL;
        l->n_opened = 0;
}

struct net_lease *network_egress_lease(struct network *net, struct in_addr addr)
{
        struct list_node *pos, *tmp;
        list_for_each_safe(pos, tmp, &net->egress)
        {
                struct net_lease *l = container_of(pos, struct net_lease, egress_node);
                if (l->link.addr.s_addr == addr.s_addr)
                        return l;
        }
        return NULL;
}

/* Remembers dst among what l's resolver opened; -ENOSPC past NET_OPENED_MAX. */
static int opened_add(struct net_lease *l, struct in_addr dst)
{
        for (size_t i = 0; i < l->n_opened; i++)
                if (l->opened[i].s_addr == dst.s_addr)
                        return 0;
        if (l->n_opened == NET_OPENED_MAX)
                return -ENOSPC;
        if ((l->n_opened & (l->n_opened + 1)) == 0 || l->n_opened == 0) {
                size_t cap = l->n_opened ? 2 * (l->n_opened + 1) : 8;
                struct in_addr *v = realloc(l->opened, cap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                l->opened = v;
        }
        l->opened[l->n_opened++] = dst;
        return 0;
}

/* IPv4 only: sandboxes have no IPv6 route (an AAAA answer opens nothing). */
int network_egress_open(struct network *net, struct net_lease *l, int family, const void *addr,
                        unsigned ttl_s)
{
        struct in_addr dst;
        if (family != AF_INET)
                return 0;
        memcpy(&dst, addr, sizeof(dst));
        int r = opened_add(l, dst);
        if (r < 0)
                return log_warning_errno(r, "network: sandbox %s: cannot open more addresses",
                                         l->link.host_ifname);
        struct net_error e = {0};
        nft_room(net, true);
        r = nft_egress_open(net->cfg->nft_table, l->link.addr, dst, ttl_s, &e);
        nft_room(net, false);
        return r < 0 ? log_net(r, &e) : 0;
}

/* The host is no longer used: cleaned now, or at the end of the linger (the next sandbox
 * then finds it ready: no cost of setting it up again for a create-kill-create workload). */
static void lease_end(struct network *net, struct net_lease *l)
{
        egress_remove(net, l); /* before the address can go to another sandbox */
        netpool_release(&net->pool, ntohl(l->link.addr.s_addr));
        l->state = NET_LEASE_NONE;
        if (--net->n_leases > 0)
                return;
        net->idle_since_us = now_monotonic_us();
        if (net->cfg->linger_s == 0 && net->host_ready)
                host_down(net);
        else
                schedule(net); /* the end of the linger */
}

static void lease_delete_link(struct net_lease *l)
{
        struct net_error e = {0};
        int r = net_link_delete(l->link.host_ifname, &e);
        if (r < 0)
                log_net(r, &e);
}

void network_release_now(struct network *net, struct net_lease *l)
{
        if (l->state == NET_LEASE_NONE)
                return;
        if (l->state == NET_LEASE_RELEASING)
                list_del(&l->node);
        lease_delete_link(l);
        lease_end(net, l);
}

static void lease_released(struct network *net, struct net_lease *l)
{
        list_del(&l->node);
        lease_end(net, l);
        l->released(l); /* may free l */
}

/* One round of the wait: the leases whose veth is gone are released; past the deadline, the
 * veth is deleted. A failure to look leaves the lease to the next round or the deadline. */
static void poll_round(struct network *net)
{
        struct net_lease *batch[PROBE_MAX];
        const char *names[PROBE_MAX] = {0};
        bool exists[PROBE_MAX];
        size_t n = 0;
        struct list_node *pos, *tmp;
        list_for_each_safe(pos, tmp, &net->releasing)
        {
                if (n == PROBE_MAX)
                        break;
                batch[n] = container_of(pos, struct net_lease, node);
                names[n] = batch[n]->link.host_ifname;
                n++;
        }
        struct net_error e = {0};
        int r = net_links_exist(names, n, exists, &e);
        if (r < 0)
                log_net(r, &e);
        int64_t now = now_monotonic_us();
        for (size_t i = 0; i < n; i++) {
                if (r >= 0 && !exists[i]) {
                        lease_released(net, batch[i]);
                } else if (now >= batch[i]->deadline_us) {
                        lease_delete_link(batch[i]);
                        lease_released(net, batch[i]);
                }
        }
}

static void on_timer(struct watch *w, uint32_t events)
{
        struct network *net = container_of(w, struct network, w_timer);
        uint64_t ticks;
        (void)!read(net->timer_fd, &ticks, sizeof(ticks));
        if (!list_empty(&net->releasing))
                poll_round(net);
        if (net->host_ready && net->n_leases == 0 &&
            now_monotonic_us() >= net->idle_since_us + net->cfg->linger_s * INT64_C(1000000))
                host_down(net);
        schedule(net);
}

bool network_release(struct network *net, struct net_lease *l, void (*released)(struct net_lease *))
{
        if (l->state != NET_LEASE_HELD)
                return true;
        l->state = NET_LEASE_RELEASING;
        l->released = released;
        l->deadline_us = now_monotonic_us() + RELEASE_DEADLINE;
        list_add_tail(&net->releasing, &l->node);
        schedule(net);
        return false;
}

void network_flush(struct network *net)
{
        struct list_node *pos, *tmp;
        list_for_each_safe(pos, tmp, &net->releasing)
        {
                struct net_lease *l = container_of(pos, struct net_lease, node);
                lease_delete_link(l);
                lease_released(net, l);
        }
}

/* At start: what the last daemon set up is kept while its sandboxes still have ports on the
 * bridge (they are being taken back, or belong to another daemon with the same names, a
 * misconfiguration); else it is removed, forwarding included if the marker says it was ours. */
static void clean_stale(struct network *net, bool quiet)
{
        struct net_error e = {0};
        int ports = net_bridge_ports(net->cfg->bridge, &e);
        if (ports < 0)
                log_net(ports, &e);
        net->table_kept = ports > 0;
        if (ports <= 0)
                host_down(net);
        else if (!quiet)
                log_info("network: bridge %s has %d ports: kept for the sandboxes still running",
                         net->cfg->bridge, ports);
}

int network_init(struct network *net, const struct sbx_network *cfg, struct loop *loop,
                 const char *state_dir)
{
        *net = (struct network){.cfg = cfg, .loop = loop, .timer_fd = -1};
        nft_room(net, false); /* while the numbers are low */
        list_init(&net->releasing);
        list_init(&net->egress);
        if (asprintf(&net->forward_marker, "%s/ip_forward.changed", state_dir) < 0) {
                net->forward_marker = NULL;
                return log_error_errno(-ENOMEM, "network");
        }
        int r = netpool_init(&net->pool, cfg->subnet, cfg->prefixlen);
        if (r < 0)
                return log_error_errno(r, "network: address pool");
        net->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        r = net->timer_fd < 0 ? negative_errno()
                              : loop_add(loop, &net->w_timer, net->timer_fd, EPOLLIN, on_timer);
        if (r < 0)
                return log_error_errno(r, "network: timer");
        net->forward_changed = access(net->forward_marker, F_OK) == 0;
        clean_stale(net, false);
        return 0;
}

int network_set_resolvers(struct network *net, const char *resolv_conf)
{
        _cleanup_fclose_ FILE *f = fopen(resolv_conf, "re");
        if (!f)
                return negative_errno();
        _cleanup_free_ char *list = NULL;
        size_t len = 0;
        FILE *out = open_memstream(&list, &len);
        char line[512], addr[64];
        struct in_addr a;
        bool first = true;
        if (!out)
                return -ENOMEM;
        while (fgets(line, sizeof(line), f))
                if (sscanf(line, "nameserver %63s", addr) == 1 &&
                    inet_pton(AF_INET, addr, &a) == 1) {
                        fprintf(out, "%s%s", first ? "" : ", ", addr);
                        first = false;
                }
        if (fclose(out) != 0 || !list)
                return -ENOMEM;
        free(net->resolvers);
        net->resolvers = TAKE_PTR(list);
        return 0;
}

void network_done(struct network *net)
{
        network_flush(net);
        if ((net->host_ready || net->forward_changed) && !net->keep_host)
                host_down(net);
        dns_proxy_close(net->dns);
        net->dns = NULL;
        if (net->timer_fd >= 0)
                loop_del(net->loop, &net->w_timer);
        net->timer_fd = safe_close(net->timer_fd);
        netpool_done(&net->pool);
        nft_room(net, true);
        free(net->forward_marker);
        net->forward_marker = NULL;
        free(net->resolvers);
        net->resolvers = NULL;
}

static int attach_error(int r, const struct net_error *e, struct rpc_error *err)
{
        log_net(r, e);
        bool missing = r == -EOPNOTSUPP || r == -EAFNOSUPPORT || r == -EPROTONOSUPPORT;
        return rpc_error_set(err, missing ? RPC_UNAVAILABLE : RPC_INTERNAL, NULL,
                             "cannot set up the host's network: %s: %s", e->step, e->detail);
}

/* The lease of a sandbox with the address addr: veth "sbx" + 8 characters of its id. */
static void lease_fill(const struct network *net, const char *id, uint32_t addr,
                       struct net_lease *ret)
{
        *ret = (struct net_lease){.link = {.bridge = net->cfg->bridge,
                                           .addr = in_addr_of(addr),
                                           .gateway = in_addr_of(netpool_gateway(net->cfg->subnet)),
                                           .prefixlen = net->cfg->prefixlen},
                                  .state = NET_LEASE_HELD};
        snprintf(ret->link.host_ifname, sizeof(ret->link.host_ifname), "sbx%.8s", id);
        list_init(&ret->node);
        list_init(&ret->egress_node);
}

int network_attach(struct network *net, const char *id, const struct egress_policy *egress,
                   struct net_lease *ret, char **ret_ip, struct rpc_error *err)
{
        uint32_t addr;
        if (netpool_take(&net->pool, &addr) < 0)
                return rpc_error_set(err, RPC_RESOURCE_EXHAUSTED, "internet_access",
                                     "every address of the network pool is in use");
        struct net_error e = {0};
        int r = net->host_ready ? 0 : host_up(net, &e);
        char ip[INET_ADDRSTRLEN];
        struct in_addr a = in_addr_of(addr);
        char *text = r < 0 ? NULL : strdup(inet_ntop(AF_INET, &a, ip, sizeof(ip)));
        if (!text) {
                netpool_release(&net->pool, addr);
                if (net->n_leases == 0)
                        host_down(net);
                return r < 0 ? attach_error(r, &e, err)
                             : rpc_error_set(err, RPC_INTERNAL, NULL, "out of memory");
        }
        lease_fill(net, id, addr, ret);
        net->n_leases++;
        ret->egress = egress;
        if (egress && (r = egress_install(net, ret, false, &e)) < 0) {
                free(text);
                lease_end(net, ret);
                return attach_error(r, &e, err);
        }
        *ret_ip = text;
        return 0;
}

int network_adopt(struct network *net, const char *id, const char *ip,
                  const struct egress_policy *egress, struct net_lease *ret)
{
        struct in_addr a;
        if (!ip || inet_pton(AF_INET, ip, &a) != 1)
                return -EINVAL;
        uint32_t addr = ntohl(a.s_addr);
        int r = netpool_claim(&net->pool, addr);
        if (r < 0)
                return r;
        struct net_error e = {0};
        if (!net->host_ready && (r = host_up(net, &e)) < 0) {
                netpool_release(&net->pool, addr);
                return log_net(r, &e);
        }
        lease_fill(net, id, addr, ret);
        net->n_leases++;
        ret->egress = egress;
        if (egress && (r = egress_install(net, ret, true, &e)) < 0) {
                lease_end(net, ret);
                return log_net(r, &e);
        }
        return 0;
}

/* A dead sandbox's elements, from its record's policy: the table outlived the last daemon, and
 * a later sandbox on the address must not inherit them. */
static void egress_forget(struct network *net, struct net_lease *l, const char *ip,
                          json_object *egress)
{
        struct egress_policy *p = NULL;
        struct rpc_error err;
        if (!egress || !ip || inet_pton(AF_INET, ip, &l->link.addr) != 1 ||
            egress_policy_parse(egress, "network", &p, &err) < 0)
                return;
        l->egress = p;
        list_add_tail(&net->egress, &l->egress_node);
        bool ready = net->host_ready;
        net->host_ready = true; /* the table is there: egress_remove acts */
        egress_remove(net, l);
        net->host_ready = ready;
        l->egress = NULL;
        egress_policy_free(p);
}

void network_forget(struct network *net, const char *id, const char *ip, json_object *egress)
{
        struct net_lease l;
        lease_fill(net, id, 0, &l);
        if (net->table_kept || net->host_ready)
                egress_forget(net, &l, ip, egress);
        struct net_error e = {0};
        int r = net_link_delete(l.link.host_ifname, &e);
        if (r < 0 && r != -ENODEV)
                log_net(r, &e);
        /* None of the last daemon's sandboxes is taken back (yet): what it set up may go. */
        if (net->n_leases == 0 && !net->host_ready)
                clean_stale(net, true);
}
