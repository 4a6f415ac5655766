/* The sandbox's network (docs/network.md). Every operation opens its own rtnetlink socket and
 * frees it, and every object it allocated, on every path (nsjail net.cc); a failure names its
 * step with nl_geterror()'s text in a struct net_error. Runtime code: -errno, no logging. */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>

#include "common/macros.h"
#include "runtime/net.h"

#define IP_FORWARD_PATH "/proc/sys/net/ipv4/ip_forward"

#define DEFINE_FREEP(type, fn)                                                                     \
        static inline void fn##p(type **p)                                                         \
        {                                                                                          \
                if (*p)                                                                            \
                        fn(*p);                                                                    \
        }
DEFINE_FREEP(struct nl_sock, nl_socket_free)
DEFINE_FREEP(struct nl_cache, nl_cache_free)
DEFINE_FREEP(struct nl_msg, nlmsg_free)
DEFINE_FREEP(struct nl_addr, nl_addr_put)
DEFINE_FREEP(struct rtnl_link, rtnl_link_put)
DEFINE_FREEP(struct rtnl_addr, rtnl_addr_put)
DEFINE_FREEP(struct rtnl_route, rtnl_route_put)

/* libnl's error codes as errno values. */
static const struct {
        int nle;
        int err;
} nle_errnos[] = {
    {NLE_INTR, EINTR},
    {NLE_AGAIN, EAGAIN},
    {NLE_NOMEM, ENOMEM},
    {NLE_EXIST, EEXIST},
    {NLE_INVAL, EINVAL},
    {NLE_RANGE, ERANGE},
    {NLE_MSGSIZE, EMSGSIZE},
    {NLE_OPNOTSUPP, EOPNOTSUPP},
    {NLE_AF_NOSUPPORT, EAFNOSUPPORT},
    {NLE_OBJ_NOTFOUND, ENOENT},
    {NLE_NOADDR, EADDRNOTAVAIL},
    {NLE_BUSY, EBUSY},
    {NLE_PROTO_MISMATCH, EPROTONOSUPPORT},
    {NLE_NOACCESS, EACCES},
    {NLE_PERM, EPERM},
    {NLE_NODEV, ENODEV},
    {NLE_BAD_SOCK, EBADF},
};

static int nle_errno(int nle)
{
        for (size_t i = 0; i < ELEMENTSOF(nle_errnos); i++)
                if (nle_errnos[i].nle == abs(nle))
                        return -nle_errnos[i].err;
        return -EIO;
}

static int net_fail(struct net_error *err, const char *step, const char *detail, int r)
{
        if (err) {
                err->step = step;
                snprintf(err->detail, sizeof(err->detail), "%s", detail);
        }
        return r;
}

/* A libnl failure: its own text, and the matching -errno. */
static int nl_fail(struct net_error *err, const char *step, int nle)
{
        return net_fail(err, step, nl_geterror(nle), nle_errno(nle));
}

static int nomem(struct net_error *err, const char *step)
{
        return net_fail(err, step, strerror(ENOMEM), -ENOMEM);
}

static bool link_gone(int nle)
{
        return nle == -NLE_NODEV || nle == -NLE_OBJ_NOTFOUND;
}

static int route_socket(struct nl_sock **ret, struct net_error *err)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
        if (!sk)
                return nomem(err, "allocate a netlink socket");
        int r = nl_connect(sk, NETLINK_ROUTE); /* SOCK_CLOEXEC */
        if (r < 0)
                return nl_fail(err, "connect to rtnetlink", r);
        *ret = TAKE_PTR(sk);
        return 0;
}

static int link_get(struct nl_sock *sk, const char *name, const char *step, struct rtnl_link **ret,
                    struct net_error *err)
{
        struct rtnl_link *link = NULL;
        int r = rtnl_link_get_kernel(sk, 0, name, &link);
        if (r < 0)
                return nl_fail(err, step, r);
        *ret = link;
        return 0;
}

static int link_delete(struct nl_sock *sk, struct rtnl_link *link, const char *step,
                       struct net_error *err)
{
        int r = rtnl_link_delete(sk, link);
        return r < 0 && !link_gone(r) ? nl_fail(err, step, r) : 0;
}

static struct nl_addr *inet_nladdr(struct in_addr a, unsigned prefixlen)
{
        struct nl_addr *addr = nl_addr_build(AF_INET, &a, sizeof(a));
        if (addr)
                nl_addr_set_prefixlen(addr, (int)prefixlen);
        return addr;
}

/* Adds a/prefixlen to the link; an address already there is fine. */
static int addr_add(struct nl_sock *sk, int ifindex, struct in_addr a, unsigned prefixlen,
                    const char *step, struct net_error *err)
{
        _cleanup_(rtnl_addr_putp) struct rtnl_addr *addr = rtnl_addr_alloc();
        _cleanup_(nl_addr_putp) struct nl_addr *local = inet_nladdr(a, prefixlen);
        if (!addr || !local)
                return nomem(err, step);
        rtnl_addr_set_ifindex(addr, ifindex);
        rtnl_addr_set_family(addr, AF_INET);
        int r = rtnl_addr_set_local(addr, local);
        if (r >= 0)
                r = rtnl_addr_add(sk, addr, 0);
        return r < 0 && r != -NLE_EXIST ? nl_fail(err, step, r) : 0;
}

/* The veth pair in one request: the host end up and enslaved to the bridge, the peer as eth0
 * in the network namespace of pid. Nothing is half-made if the daemon dies meanwhile. */
static int veth_create(struct nl_sock *sk, const struct net_sandbox *n, int bridge, pid_t pid,
                       struct net_error *err)
{
        _cleanup_(rtnl_link_putp) struct rtnl_link *host = rtnl_link_veth_alloc();
        if (!host)
                return nomem(err, "allocate the veth pair");
        _cleanup_(rtnl_link_putp) struct rtnl_link *peer = rtnl_link_veth_get_peer(host);
        rtnl_link_set_name(host, n->host_ifname);
        rtnl_link_set_master(host, bridge);
        rtnl_link_set_flags(host, IFF_UP);
        rtnl_link_set_name(peer, NET_SANDBOX_IFNAME);
        rtnl_link_set_ns_pid(peer, pid); /* brought up inside: up here, the kernel says ENOTCONN */
        int r = rtnl_link_add(sk, host, NLM_F_CREATE | NLM_F_EXCL);
        return r < 0 ? nl_fail(err, "create the veth pair", r) : 0;
}

/* An isolated bridge port forwards only to non-isolated ones, and the sandboxes' ports are
 * all isolated: no frame goes from one sandbox to another (IFLA_BRPORT_ISOLATED, Linux 4.18).
 * libnl has no setter for it, so the AF_BRIDGE request is built here. */
static int port_isolate(struct nl_sock *sk, int ifindex, struct net_error *err)
{
        _cleanup_(nlmsg_freep) struct nl_msg *msg = nlmsg_alloc_simple(RTM_SETLINK, 0);
        struct ifinfomsg ifi = {.ifi_family = AF_BRIDGE, .ifi_index = ifindex};
        struct nlattr *info;
        if (!msg || nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
            !(info = nla_nest_start(msg, IFLA_PROTINFO | NLA_F_NESTED)) ||
            nla_put_u8(msg, IFLA_BRPORT_ISOLATED, 1) < 0)
                return nomem(err, "build the port isolation request");
        nla_nest_end(msg, info);
        int r = nl_send_sync(sk, TAKE_PTR(msg)); /* frees msg */
        return r < 0 ? nl_fail(err, "isolate the bridge port", r) : 0;
}

static int port_attach(struct nl_sock *sk, const struct net_sandbox *n, pid_t pid,
                       struct net_error *err)
{
        _cleanup_(rtnl_link_putp) struct rtnl_link *bridge = NULL, *port = NULL;
        int r = link_get(sk, n->bridge, "find the bridge", &bridge, err);
        if (r < 0 || (r = veth_create(sk, n, rtnl_link_get_ifindex(bridge), pid, err)) < 0)
                return r;
        r = link_get(sk, n->host_ifname, "find the new veth", &port, err);
        if (r >= 0)
                r = port_isolate(sk, rtnl_link_get_ifindex(port), err);
        if (r < 0 && port)
                (void)rtnl_link_delete(sk, port); /* its peer goes with it */
        return r;
}

int net_setup_parent(const struct net_sandbox *n, pid_t pid, struct net_error *ret_err)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        int r = route_socket(&sk, ret_err);
        return r < 0 ? r : port_attach(sk, n, pid, ret_err);
}

static int link_up(struct nl_sock *sk, struct rtnl_link *link, const char *step,
                   struct net_error *err)
{
        if (rtnl_link_get_flags(link) & IFF_UP)
                return 0;
        _cleanup_(rtnl_link_putp) struct rtnl_link *change = rtnl_link_alloc();
        if (!change)
                return nomem(err, step);
        rtnl_link_set_flags(change, IFF_UP);
        int r = rtnl_link_change(sk, link, change, 0);
        return r < 0 ? nl_fail(err, step, r) : 0;
}

static int route_add_default(struct nl_sock *sk, int ifindex, struct in_addr gateway,
                             struct net_error *err)
{
        const char *step = "add the default route";
        _cleanup_(rtnl_route_putp) struct rtnl_route *route = rtnl_route_alloc();
        _cleanup_(nl_addr_putp) struct nl_addr *any = inet_nladdr((struct in_addr){0}, 0);
        _cleanup_(nl_addr_putp) struct nl_addr *via = inet_nladdr(gateway, 32);
        struct rtnl_nexthop *nh = route && any && via ? rtnl_route_nh_alloc() : NULL;
        if (!nh)
                return nomem(err, step);
        rtnl_route_nh_set_ifindex(nh, ifindex);
        rtnl_route_nh_set_gateway(nh, via);
        rtnl_route_add_nexthop(route, nh); /* the route owns nh now */
        rtnl_route_set_table(route, RT_TABLE_MAIN);
        rtnl_route_set_protocol(route, RTPROT_STATIC);
        int r = rtnl_route_set_family(route, AF_INET);
        if (r >= 0)
                r = rtnl_route_set_dst(route, any);
        if (r >= 0)
                r = rtnl_route_add(sk, route, NLM_F_EXCL);
        return r < 0 ? nl_fail(err, step, r) : 0;
}

int net_setup_child(const struct net_sandbox *n, struct net_error *ret_err)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        _cleanup_(rtnl_link_putp) struct rtnl_link *eth = NULL;
        int r = route_socket(&sk, ret_err);
        if (r < 0 || (r = link_get(sk, NET_SANDBOX_IFNAME, "find eth0", &eth, ret_err)) < 0)
                return r;
        /* The default route needs eth0 up and the address's subnet on it. */
        int ifindex = rtnl_link_get_ifindex(eth);
        r = addr_add(sk, ifindex, n->addr, n->prefixlen, "add eth0's address", ret_err);
        if (r >= 0)
                r = link_up(sk, eth, "bring eth0 up", ret_err);
        return r < 0 ? r : route_add_default(sk, ifindex, n->gateway, ret_err);
}

int net_loopback_up(void)
{
        _cleanup_close_ int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
                return negative_errno();
        struct ifreq ifr = {0};
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
                return negative_errno();
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
                return negative_errno();
        return 0;
}

int net_link_delete(const char *ifname, struct net_error *ret_err)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        _cleanup_(rtnl_link_putp) struct rtnl_link *link = rtnl_link_alloc();
        if (!link)
                return nomem(ret_err, "allocate a link");
        rtnl_link_set_name(link, ifname);
        int r = route_socket(&sk, ret_err);
        return r < 0 ? r : link_delete(sk, link, "delete the veth", ret_err);
}

int net_links_exist(const char *const *names, size_t n, bool *ret_exists, struct net_error *ret_err)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        int r = route_socket(&sk, ret_err);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                struct rtnl_link *link = NULL;
                r = rtnl_link_get_kernel(sk, 0, names[i], &link);
                ret_exists[i] = r >= 0;
                if (link)
                        rtnl_link_put(link);
                r = link_gone(r) ? 0 : r < 0 ? nl_fail(ret_err, "look for a link", r) : 0;
        }
        return r;
}

/* A bridge takes the lowest address of its ports unless its own is set: without a fixed one
 * it would change as sandboxes come and go, and every sandbox's ARP entry of its gateway
 * would go stale. A random, locally administered unicast address. */
static int bridge_mac(struct nl_addr **ret, struct net_error *err)
{
        uint8_t mac[ETH_ALEN];
        if (getrandom(mac, sizeof(mac), 0) != sizeof(mac))
                return net_fail(err, "pick the bridge's MAC address", strerror(errno),
                                negative_errno());
        mac[0] = (mac[0] & 0xfe) | 0x02;
        *ret = nl_addr_build(AF_LLC, mac, sizeof(mac));
        return *ret ? 0 : nomem(err, "pick the bridge's MAC address");
}

static int bridge_create(struct nl_sock *sk, const char *name, struct net_error *err)
{
        _cleanup_(rtnl_link_putp) struct rtnl_link *br = rtnl_link_bridge_alloc();
        _cleanup_(nl_addr_putp) struct nl_addr *mac = NULL;
        if (!br)
                return nomem(err, "allocate the bridge");
        int r = bridge_mac(&mac, err);
        if (r < 0)
                return r;
        rtnl_link_set_name(br, name);
        rtnl_link_set_addr(br, mac);
        rtnl_link_set_flags(br, IFF_UP);
        r = rtnl_link_add(sk, br, NLM_F_CREATE | NLM_F_EXCL);
        return r < 0 ? nl_fail(err, "create the bridge", r) : 0;
}

/* The bridge called name, created if there is none. */
static int bridge_get(struct nl_sock *sk, const char *name, struct rtnl_link **ret,
                      struct net_error *err)
{
        int r = rtnl_link_get_kernel(sk, 0, name, ret);
        if (link_gone(r)) {
                r = bridge_create(sk, name, err);
                return r < 0 ? r : link_get(sk, name, "find the new bridge", ret, err);
        }
        if (r < 0)
                return nl_fail(err, "look for the bridge", r);
        const char *kind = rtnl_link_get_type(*ret);
        if (!kind || strcmp(kind, "bridge") != 0)
                return net_fail(err, "look for the bridge", "a link of that name is not a bridge",
                                -EEXIST);
        return 0;
}

int net_bridge_ensure(const struct net_bridge *b, struct net_error *ret_err)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        _cleanup_(rtnl_link_putp) struct rtnl_link *br = NULL;
        int r = route_socket(&sk, ret_err);
        if (r < 0 || (r = bridge_get(sk, b->name, &br, ret_err)) < 0 ||
            (r = link_up(sk, br, "bring the bridge up", ret_err)) < 0)
                return r;
        return addr_add(sk, rtnl_link_get_ifindex(br), b->gateway, b->prefixlen,
                        "give the bridge its address", ret_err);
}

/* A socket and the host's links, for what looks at every link. */
static int links_open(struct nl_sock **ret_sk, struct nl_cache **ret_links, struct net_error *err)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        int r = route_socket(&sk, err);
        if (r < 0)
                return r;
        r = rtnl_link_alloc_cache(sk, AF_UNSPEC, ret_links);
        if (r < 0)
                return nl_fail(err, "list the links", r);
        *ret_sk = TAKE_PTR(sk);
        return 0;
}

int net_bridge_ports(const char *name, struct net_error *ret_err)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        _cleanup_(nl_cache_freep) struct nl_cache *links = NULL;
        int r = links_open(&sk, &links, ret_err);
        int br = r < 0 ? 0 : rtnl_link_name2i(links, name);
        int n = 0;
        for (struct nl_object *o = br ? nl_cache_get_first(links) : NULL; o;
             o = nl_cache_get_next(o))
                n += rtnl_link_get_master((struct rtnl_link *)o) == br;
        return r < 0 ? r : n;
}

int net_bridge_remove(const char *name, struct net_error *ret_err)
{
        _cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
        _cleanup_(nl_cache_freep) struct nl_cache *links = NULL;
        int r = links_open(&sk, &links, ret_err);
        if (r < 0)
                return r;
        int br = rtnl_link_name2i(links, name);
        if (br == 0)
                return 0;
        struct rtnl_link *bridge = NULL; /* borrowed from the cache */
        for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o)) {
                struct rtnl_link *link = (struct rtnl_link *)o;
                if (rtnl_link_get_ifindex(link) == br)
                        bridge = link;
                else if (rtnl_link_get_master(link) == br &&
                         (r = link_delete(sk, link, "delete a port of the bridge", ret_err)) < 0)
                        return r;
        }
        return bridge ? link_delete(sk, bridge, "delete the bridge", ret_err) : 0;
}

int net_ip_forward_get(void)
{
        _cleanup_close_ int fd = open(IP_FORWARD_PATH, O_RDONLY | O_CLOEXEC);
        char c;
        if (fd < 0)
                return negative_errno();
        ssize_t n = read(fd, &c, 1);
        if (n != 1)
                return n < 0 ? negative_errno() : -EIO;
        return c != '0';
}

int net_ip_forward_set(bool on)
{
        _cleanup_close_ int fd = open(IP_FORWARD_PATH, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return negative_errno();
        ssize_t n = write(fd, on ? "1\n" : "0\n", 2);
        if (n != 2)
                return n < 0 ? negative_errno() : -EIO;
        return 0;
}
