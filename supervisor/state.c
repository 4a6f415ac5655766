/* Sandbox records on disk (see state.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/macros.h"
#include "supervisor/state.h"
#include "supervisor/timeutil.h"

static const char *const phase_names[] = {
    [SAVED_CREATING] = "creating",
    [SAVED_LIVE] = "live",
    [SAVED_KILLING] = "killing",
};

static void json_putp(json_object **o)
{
        if (*o)
                json_object_put(*o);
}

static json_object *daemon_part(const struct sbx_saved *s)
{
        json_object *o = json_object_new_object();
        json_object_object_add(o, "phase", json_object_new_string(phase_names[s->phase]));
        json_object_object_add(o, "start_time", json_object_new_uint64(s->start_time));
        json_object_object_add(o, "uid_base",
                               s->has_uids ? json_object_new_int64(s->uid_base) : NULL);
        json_object_object_add(o, "timeout_s", json_object_new_int64(s->timeout_s));
        json_object_object_add(o, "paused_left_us", json_object_new_int64(s->paused_left_us));
        json_object_object_add(o, "env", s->env ? json_object_get(s->env) : NULL);
        return o;
}

int state_save(const char *dir, const struct sbx_saved *s)
{
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return negative_errno();
        _cleanup_(json_putp) json_object *o = sbx_record_to_json(&s->rec);
        json_object_object_add(o, "pid", json_object_new_int(s->pid));
        json_object_object_add(o, "daemon", daemon_part(s));
        size_t len;
        const char *text = json_object_to_json_string_length(o, JSON_C_TO_STRING_PLAIN, &len);
        char tmp[PATH_MAX], path[PATH_MAX];
        snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, s->rec.id);
        snprintf(path, sizeof(path), "%s/%s.json", dir, s->rec.id);
        _cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return negative_errno();
        if (write(fd, text, len) != (ssize_t)len || close(TAKE_FD(fd)) < 0 ||
            rename(tmp, path) < 0) {
                int r = negative_errno();
                unlink(tmp);
                return r;
        }
        return 0;
}

int state_remove(const char *dir, const char *id)
{
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s.json", dir, id);
        return unlink(path) < 0 && errno != ENOENT ? negative_errno() : 0;
}

static const char *str_of(json_object *o, const char *key)
{
        json_object *v;
        return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
                   ? json_object_get_string(v)
                   : NULL;
}

static bool int_of(json_object *o, const char *key, int64_t *ret)
{
        json_object *v;
        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
                return false;
        *ret = json_object_get_int64(v);
        return true;
}

/* A timestamp field: RFC 3339, or null (-1) where allowed. */
static bool time_of(json_object *o, const char *key, bool nullable, int64_t *ret)
{
        json_object *v = NULL;
        if (!json_object_object_get_ex(o, key, &v))
                return false;
        if (!v) {
                *ret = -1;
                return nullable;
        }
        return json_object_is_type(v, json_type_string) &&
               parse_rfc3339(json_object_get_string(v), ret) == 0;
}

static bool parse_resources(json_object *o, struct sbx_resources *res)
{
        json_object *r, *cpu;
        int64_t mem, pids, disk;
        if (!json_object_object_get_ex(o, "resources", &r) || !int_of(r, "memory_mb", &mem) ||
            !int_of(r, "pids_max", &pids) || !int_of(r, "disk_mb", &disk) ||
            !json_object_object_get_ex(r, "cpu_count", &cpu))
                return false;
        *res = (struct sbx_resources){json_object_get_double(cpu), (uint64_t)mem, (uint64_t)pids,
                                      (uint64_t)disk};
        return true;
}

static bool parse_daemon_part(json_object *d, struct sbx_saved *s)
{
        const char *phase = str_of(d, "phase");
        int64_t start = 0, uid = 0;
        json_object *env = NULL;
        for (size_t i = 0; phase && i < ELEMENTSOF(phase_names); i++)
                if (strcmp(phase, phase_names[i]) == 0)
                        s->phase = (enum saved_phase)i;
        if (!phase || !int_of(d, "start_time", &start) || !int_of(d, "timeout_s", &s->timeout_s) ||
            !int_of(d, "paused_left_us", &s->paused_left_us))
                return false;
        s->start_time = (uint64_t)start;
        s->has_uids = int_of(d, "uid_base", &uid);
        s->uid_base = (uint32_t)uid;
        if (json_object_object_get_ex(d, "env", &env) && env)
                s->env = json_object_get(env);
        return true;
}

/* Fills *s from a record's JSON; false when something it needs is missing or wrong. */
static bool parse_saved(json_object *o, struct sbx_saved *s)
{
        struct sbx_record *rec = &s->rec;
        const char *tmpl = str_of(o, "template_id"), *state = str_of(o, "state");
        const char *ip = str_of(o, "ip_address");
        json_object *meta = NULL, *net = NULL, *d = NULL;
        int64_t execs, owner, pid;
        if (!tmpl || !state || sbx_state_from_name(state, &rec->state) < 0 ||
            !json_object_object_get_ex(o, "metadata", &meta) ||
            !json_object_is_type(meta, json_type_object) ||
            !time_of(o, "created_at", false, &rec->created_us) ||
            !time_of(o, "started_at", true, &rec->started_us) ||
            !time_of(o, "end_at", true, &rec->end_us) || !int_of(o, "exec_count", &execs) ||
            !int_of(o, "owner_uid", &owner) || !int_of(o, "pid", &pid) ||
            !json_object_object_get_ex(o, "internet_access", &net) ||
            !parse_resources(o, &rec->res) || !json_object_object_get_ex(o, "daemon", &d) ||
            !parse_daemon_part(d, s))
                return false;
        rec->template_id = strdup(tmpl);
        rec->ip_address = ip ? strdup(ip) : NULL;
        rec->metadata = json_object_get(meta);
        rec->exec_count = (uint64_t)execs;
        rec->owner_uid = (uid_t)owner;
        rec->internet_access = json_object_get_boolean(net);
        rec->pid = s->pid = (pid_t)pid;
        json_object *egress = NULL;
        if (json_object_object_get_ex(o, "network", &egress) &&
            json_object_is_type(egress, json_type_object))
                rec->egress = json_object_get(egress);
        return rec->template_id && (!ip || rec->ip_address);
}

void state_saved_done(struct sbx_saved *s)
{
        sbx_record_done(&s->rec);
        json_object_put(s->env);
        s->env = NULL;
}

/* "<20 characters of [a-z0-9]>.json" */
static bool record_name(const char *name, char id[SBX_ID_LEN + 1])
{
        if (strlen(name) != SBX_ID_LEN + 5 || strcmp(name + SBX_ID_LEN, ".json") != 0)
                return false;
        memcpy(id, name, SBX_ID_LEN);
        id[SBX_ID_LEN] = '\0';
        return sbx_id_valid(id);
}

int state_load_all(const char *dir, state_fn fn, void *userdata)
{
        _cleanup_closedir_ DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT ? 0 : negative_errno();
        struct dirent *e;
        while ((e = readdir(d))) {
                struct sbx_saved s = {.paused_left_us = -1};
                if (!record_name(e->d_name, s.rec.id))
                        continue;
                char path[PATH_MAX];
                snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
                _cleanup_(json_putp) json_object *o = json_object_from_file(path);
                bool ok = o && json_object_is_type(o, json_type_object) && parse_saved(o, &s);
                fn(&s, ok, userdata);
                state_saved_done(&s);
        }
        return 0;
}

/* 0 when path holds a key fit to keep: a regular file of len bytes, ours, mode 0600. */
static int secret_key_read(const char *path, uint8_t *key, size_t len)
{
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return negative_errno();
        /* A key others could read or replace is no longer the daemon's alone. */
        if (!S_ISREG(st.st_mode) || (size_t)st.st_size != len || st.st_uid != geteuid() ||
            (st.st_mode & 0077))
                return -EBADMSG;
        return read(fd, key, len) == (ssize_t)len ? 0 : -EIO;
}

static int secret_key_make(const char *path, uint8_t *key, size_t len)
{
        char tmp[PATH_MAX];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        if (getrandom(key, len, 0) != (ssize_t)len)
                return negative_errno();
        (void)unlink(tmp);
        _cleanup_close_ int fd =
            open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return negative_errno();
        ssize_t n = write(fd, key, len);
        int r = n == (ssize_t)len ? 0 : n < 0 ? negative_errno() : -EIO;
        if (r == 0 && (fsync(fd) < 0 || close(TAKE_FD(fd)) < 0 || rename(tmp, path) < 0))
                r = negative_errno();
        if (r < 0)
                unlink(tmp);
        return r < 0 ? r : 1;
}

int state_secret_key(const char *path, uint8_t *ret_key, size_t len)
{
        uint8_t key[64];
        if (len > sizeof(key))
                return -EINVAL;
        int r = secret_key_read(path, key, len);
        if (r < 0)
                r = secret_key_make(path, key, len);
        if (r >= 0)
                memcpy(ret_key, key, len);
        explicit_bzero(key, sizeof(key));
        return r;
}

int proc_stat_start_time(const char *stat, uint64_t *ret)
{
        /* The name (field 2) may hold anything but ends at the last ')'. */
        const char *p = strrchr(stat, ')');
        if (!p)
                return -EIO;
        /* Each space before field 3, 4, ... 22 (the start time) in turn. */
        for (int field = 3; field <= 22; field++) {
                p = strchr(p + 1, ' ');
                if (!p)
                        return -EIO;
        }
        *ret = strtoull(p + 1, NULL, 10);
        return 0;
}

int proc_start_time(pid_t pid, uint64_t *ret)
{
        char path[64], buf[1024];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return errno == ENOENT ? -ESRCH : negative_errno();
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return -EIO;
        buf[n] = '\0';
        return proc_stat_start_time(buf, ret);
}
