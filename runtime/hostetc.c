/* The curated /etc of the host template (docs/security.md): an allow-list, copied. A
 * copy rather than masks over the host's /etc: a secret added to the host later is not
 * shown by default. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macros.h"
#include "runtime/hostetc.h"

/* What programs on a small Linux box read from /etc. A trailing '*' matches a prefix. */
static const char *const allowed[] = {
    "alternatives",
    "bash.bashrc",
    "ca-certificates.conf",
    "debian_version",
    "environment",
    "ethertypes",
    "gai.conf",
    "group",
    "host.conf",
    "hosts",
    "inputrc",
    "ld.so.cache",
    "ld.so.conf",
    "ld.so.conf.d",
    "locale.alias",
    "localtime",
    "login.defs",
    "magic",
    "mailcap",
    "mime.types",
    "networks",
    "nsswitch.conf",
    "os-release",
    "passwd",
    "perl",
    "profile",
    "profile.d",
    "protocols",
    "python3*",
    "resolv.conf",
    "rpc",
    "services",
    "shells",
    "ssl",
    "terminfo",
    "timezone",
    "xattr.conf",
};

/* Never copied, even inside an allowed directory. */
static const char *const excluded[] = {"private"};

static bool in_list(const char *name, const char *const *list, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(list[i]);
                if (list[i][len - 1] == '*' ? strncmp(name, list[i], len - 1) == 0
                                            : strcmp(name, list[i]) == 0)
                        return true;
        }
        return false;
}

static int copy_entry(int src_dir, int dst_dir, const char *name);

static int copy_file(int src_dir, int dst_dir, const char *name, const struct stat *st)
{
        _cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_CLOEXEC);
        if (in < 0)
                return errno == EACCES ? 0 : negative_errno();
        _cleanup_close_ int out =
            openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, st->st_mode & 0755);
        if (out < 0)
                return negative_errno();
        for (off_t done = 0; done < st->st_size;) {
                ssize_t n = sendfile(out, in, NULL, st->st_size - done);
                if (n <= 0)
                        return n < 0 ? negative_errno() : 0; /* the file shrank: keep what is */
                done += n;
        }
        return 0;
}

static int copy_dir(int src_dir, int dst_dir, const char *name, const struct stat *st)
{
        if (mkdirat(dst_dir, name, st->st_mode & 0755) < 0)
                return negative_errno();
        _cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int out = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (in < 0 || out < 0)
                return negative_errno();
        _cleanup_closedir_ DIR *d = fdopendir(in);
        if (!d)
                return negative_errno();
        in = -1; /* owned by d */
        struct dirent *e;
        while ((e = readdir(d))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
                    in_list(e->d_name, excluded, ELEMENTSOF(excluded)))
                        continue;
                int r = copy_entry(dirfd(d), out, e->d_name);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A symlink into the system directories or /etc itself works inside as it is; one that
 * leaves them (into /run, say) is replaced by a copy of what it points to. */
static bool link_works_inside(const char *target)
{
        return target[0] != '/' || strncmp(target, "/usr/", 5) == 0 ||
               strncmp(target, "/etc/", 5) == 0 || strncmp(target, "/lib", 4) == 0;
}

static int copy_entry(int src_dir, int dst_dir, const char *name)
{
        struct stat st;
        if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return errno == ENOENT ? 0 : negative_errno();
        if (S_ISLNK(st.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlinkat(src_dir, name, target, sizeof(target) - 1);
                if (n < 0)
                        return negative_errno();
                target[n] = '\0';
                if (link_works_inside(target))
                        return symlinkat(target, dst_dir, name) < 0 ? negative_errno() : 0;
                if (fstatat(src_dir, name, &st, 0) < 0)
                        return 0; /* dangling: leave it out */
        }
        /* Not readable by everyone means not for the sandbox. */
        if (S_ISREG(st.st_mode) && (st.st_mode & S_IROTH))
                return copy_file(src_dir, dst_dir, name, &st);
        if (S_ISDIR(st.st_mode) && (st.st_mode & S_IROTH) && (st.st_mode & S_IXOTH))
                return copy_dir(src_dir, dst_dir, name, &st);
        return 0;
}

static int remove_tree(int dir_fd, const char *name)
{
        _cleanup_close_ int fd =
            openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ENOENT)
                        return 0;
                return unlinkat(dir_fd, name, 0) < 0 ? negative_errno() : 0;
        }
        _cleanup_closedir_ DIR *d = fdopendir(fd);
        if (!d)
                return negative_errno();
        fd = -1;
        struct dirent *e;
        while ((e = readdir(d)))
                if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
                        int r = remove_tree(dirfd(d), e->d_name);
                        if (r < 0)
                                return r;
                }
        return unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 ? negative_errno() : 0;
}

int hostetc_build(const char *src, const char *dst)
{
        int r = remove_tree(AT_FDCWD, dst);
        if (r < 0)
                return r;
        if (mkdir(dst, 0755) < 0 || chmod(dst, 0755) < 0)
                return negative_errno();
        _cleanup_close_ int in = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int out = open(dst, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (in < 0 || out < 0)
                return negative_errno();
        _cleanup_closedir_ DIR *d = fdopendir(in);
        if (!d)
                return negative_errno();
        in = -1;
        struct dirent *e;
        while ((e = readdir(d)))
                if (in_list(e->d_name, allowed, ELEMENTSOF(allowed))) {
                        r = copy_entry(dirfd(d), out, e->d_name);
                        if (r < 0)
                                return r;
                }
        return 0;
}

/* A resolver a sandbox can reach: IPv4 (sandboxes have no IPv6 route) and not on the host's
 * loopback, which is not the sandbox's (a stub such as systemd-resolved's 127.0.0.53). */
static bool resolver_reachable(const char *addr)
{
        struct in_addr a;
        if (inet_pton(AF_INET, addr, &a) != 1)
                return false;
        uint32_t h = ntohl(a.s_addr);
        return h != 0 && (h >> 24) != 127;
}

/* Copies in to out without the nameservers a sandbox cannot reach; the fallback ones when
 * none is left. Whole lines, however long (a cut one would make its tail look like a line of its
 * own); a line holding a NUL is not text and is dropped, and every line kept ends in '\n', so
 * that no fallback is glued onto the end of the last. */
static int resolv_filter(FILE *in, FILE *out, const char *const *fallback, size_t n_fallback)
{
        _cleanup_free_ char *line = NULL;
        size_t cap = 0, kept = 0;
        char addr[64];
        ssize_t n;
        while (in && (n = getline(&line, &cap, in)) >= 0) {
                if ((size_t)n != strlen(line))
                        continue;
                if (sscanf(line, " nameserver %63s", addr) == 1) {
                        if (!resolver_reachable(addr))
                                continue;
                        kept++;
                }
                fputs(line, out);
                if (n > 0 && line[n - 1] != '\n')
                        fputc('\n', out);
        }
        if (in && ferror(in))
                return -EIO;
        for (size_t i = 0; kept == 0 && i < n_fallback; i++)
                fprintf(out, "nameserver %s\n", fallback[i]);
        return fflush(out) == 0 ? 0 : negative_errno();
}

int hostetc_resolv_conf(const char *src, const char *dst_dir, const char *const *fallback,
                        size_t n_fallback)
{
        _cleanup_fclose_ FILE *in = fopen(src, "re");
        if (!in && errno != ENOENT)
                return negative_errno();
        _cleanup_close_ int dir = open(dst_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dir < 0)
                return negative_errno();
        /* What hostetc_build copied may be a symlink (to a stub file under /run): replaced. */
        if (unlinkat(dir, "resolv.conf", 0) < 0 && errno != ENOENT)
                return negative_errno();
        _cleanup_close_ int fd =
            openat(dir, "resolv.conf", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0)
                return negative_errno();
        _cleanup_fclose_ FILE *out = fdopen(fd, "we");
        if (!out)
                return negative_errno();
        fd = -1; /* owned by out */
        return resolv_filter(in, out, fallback, n_fallback);
}

int hostetc_prune(const char *state_dir, const char *keep)
{
        _cleanup_close_ int dfd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return negative_errno();
        _cleanup_closedir_ DIR *d = fdopendir(dfd);
        if (!d)
                return negative_errno();
        dfd = -1;
        const char *keep_name = strrchr(keep, '/') ? strrchr(keep, '/') + 1 : keep;
        struct dirent *e;
        int r = 0;
        while ((e = readdir(d)))
                if (strncmp(e->d_name, "host-etc", 8) == 0 && strcmp(e->d_name, keep_name) != 0)
                        r = remove_tree(dirfd(d), e->d_name);
        return r;
}
