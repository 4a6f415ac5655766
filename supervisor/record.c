/* The sandbox record: its names, its JSON form (SPEC §4) and its random id. */
#include "supervisor/record.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "common/macros.h"
#include "ipc/rpc.h"
#include "supervisor/timeutil.h"

/* A record's JSON form as list pages share it, and the fields it was made from. */
struct sbx_record_cache {
        json_object *obj;       /* prints its own text, kept as its userdata */
        struct sbx_record from; /* its pointers are compared, never followed nor freed */
};

static const char *const state_names[] = {
    [SBX_RUNNING] = "running",
    [SBX_PAUSED] = "paused",
};

static const char id_alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
#define ID_ALPHABET_LEN (sizeof(id_alphabet) - 1)

const char *sbx_state_name(enum sbx_state s)
{
        if ((size_t)s >= ELEMENTSOF(state_names))
                return "unknown";
        return state_names[s];
}

int sbx_state_from_name(const char *name, enum sbx_state *ret)
{
        for (size_t i = 0; name && i < ELEMENTSOF(state_names); i++)
                if (strcmp(name, state_names[i]) == 0) {
                        *ret = (enum sbx_state)i;
                        return 0;
                }
        return -EINVAL;
}

static json_object *timestamp_json(int64_t us)
{
        char buf[RFC3339_LEN];

        format_rfc3339(us, buf);
        return json_object_new_string(buf);
}

static json_object *string_or_null(const char *s)
{
        return s ? json_object_new_string(s) : NULL;
}

static json_object *resources_json(const struct sbx_resources *res)
{
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "cpu_count", json_object_new_double(res->cpu_count));
        json_object_object_add(o, "memory_mb", json_object_new_uint64(res->memory_mb));
        json_object_object_add(o, "pids_max", json_object_new_uint64(res->pids_max));
        json_object_object_add(o, "disk_mb", json_object_new_uint64(res->disk_mb));
        return o;
}

/* The metadata is immutable after create, so the object shares the record's reference. */
static json_object *metadata_json(const struct sbx_record *r)
{
        return r->metadata ? json_object_get(r->metadata) : json_object_new_object();
}

json_object *sbx_record_to_json(const struct sbx_record *r)
{
        json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "sandbox_id", json_object_new_string(r->id));
        json_object_object_add(o, "template_id", json_object_new_string(r->template_id ?: ""));
        json_object_object_add(o, "state", json_object_new_string(sbx_state_name(r->state)));
        json_object_object_add(o, "metadata", metadata_json(r));
        json_object_object_add(o, "created_at", timestamp_json(r->created_us));
        json_object_object_add(o, "started_at", timestamp_json(r->started_us));
        json_object_object_add(o, "end_at", r->end_us < 0 ? NULL : timestamp_json(r->end_us));
        json_object_object_add(o, "exec_count", json_object_new_uint64(r->exec_count));
        json_object_object_add(o, "internet_access", json_object_new_boolean(r->internet_access));
        json_object_object_add(o, "owner_uid", json_object_new_int64(r->owner_uid));
        json_object_object_add(o, "pid", json_object_new_int64(r->pid));
        json_object_object_add(o, "ip_address", string_or_null(r->ip_address));
        json_object_object_add(o, "resources", resources_json(&r->res));
        if (r->egress)
                json_object_object_add(o, "network", json_object_get(r->egress));
        return o;
}

/* Whether c still shows r: every field the object shows, the strings and the metadata by
 * address. A counter or a state changed without sbx_record_touch() is still seen. */
static bool cache_fresh(const struct sbx_record_cache *c, const struct sbx_record *r)
{
        const struct sbx_record *f = &c->from;

        return f->state == r->state && f->created_us == r->created_us &&
               f->started_us == r->started_us && f->end_us == r->end_us &&
               f->exec_count == r->exec_count && f->internet_access == r->internet_access &&
               f->owner_uid == r->owner_uid && f->pid == r->pid &&
               f->template_id == r->template_id && f->metadata == r->metadata &&
               f->ip_address == r->ip_address && f->egress == r->egress &&
               f->res.cpu_count == r->res.cpu_count && f->res.memory_mb == r->res.memory_mb &&
               f->res.pids_max == r->res.pids_max && f->res.disk_mb == r->res.disk_mb &&
               memcmp(f->id, r->id, sizeof(r->id)) == 0;
}

/* The object, made to print the text it has now: a page then copies one string per sandbox
 * instead of formatting some twenty values. */
static json_object *listed_json_new(const struct sbx_record *r)
{
        json_object *o = sbx_record_to_json(r);
        const char *text;
        char *copy;

        if (!o)
                return NULL;
        text = json_object_to_json_string_ext(o, RPC_STRING_FLAGS);
        copy = text ? strdup(text) : NULL;
        if (!copy) {
                json_object_put(o);
                return NULL;
        }
        json_object_set_serializer(o, json_object_userdata_to_json_string, copy,
                                   json_object_free_userdata);
        return o;
}

json_object *sbx_record_listed_json(struct sbx_record *r)
{
        if (r->cache && r->cache->obj && cache_fresh(r->cache, r))
                return json_object_get(r->cache->obj);
        sbx_record_touch(r);
        if (!r->cache && !(r->cache = calloc(1, sizeof(*r->cache))))
                return NULL;
        r->cache->obj = listed_json_new(r);
        r->cache->from = *r;
        r->cache->from.cache = NULL;
        return json_object_get(r->cache->obj);
}

void sbx_record_touch(struct sbx_record *r)
{
        r->meta_bits_of = NULL;
        if (!r->cache)
                return;
        /* Pages still being sent keep their reference. */
        json_object_put(r->cache->obj);
        r->cache->obj = NULL;
}

/* FNV-1a; the pair hash is length-prefixed, so no two pairs hash the same bytes. */
static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
        const unsigned char *p = data;

        for (size_t i = 0; i < len; i++)
                h = (h ^ p[i]) * 0x100000001b3ULL;
        return h;
}

#define FNV_BASIS 0xcbf29ce484222325ULL

uint64_t sbx_meta_key_bit(const char *key)
{
        return UINT64_C(1) << (fnv(FNV_BASIS, key, strlen(key) + 1) % 64);
}

uint64_t sbx_meta_pair_bit(const char *key, const char *value, size_t value_len)
{
        uint64_t h = fnv(FNV_BASIS ^ 1, &value_len, sizeof(value_len));

        h = fnv(fnv(h, key, strlen(key) + 1), value, value_len);
        return UINT64_C(1) << (h % 64);
}

bool sbx_record_meta_bits_valid(const struct sbx_record *r)
{
        return r->metadata && r->meta_bits_of == r->metadata;
}

uint64_t sbx_record_meta_bits(struct sbx_record *r)
{
        if (sbx_record_meta_bits_valid(r) || !json_object_is_type(r->metadata, json_type_object))
                return r->meta_bits;
        r->meta_bits = 0;
        json_object_object_foreach(r->metadata, key, val)
        {
                r->meta_bits |= sbx_meta_key_bit(key);
                if (json_object_is_type(val, json_type_string))
                        r->meta_bits |= sbx_meta_pair_bit(key, json_object_get_string(val),
                                                          (size_t)json_object_get_string_len(val));
        }
        r->meta_bits_of = r->metadata;
        return r->meta_bits;
}

void sbx_record_done(struct sbx_record *r)
{
        if (!r)
                return;
        sbx_record_touch(r);
        free(r->cache);
        r->cache = NULL;
        free(r->template_id);
        r->template_id = NULL;
        json_object_put(r->metadata);
        r->metadata = NULL;
        free(r->ip_address);
        r->ip_address = NULL;
        json_object_put(r->egress);
        r->egress = NULL;
}

static int fill_random(unsigned char *buf, size_t len)
{
        size_t got = 0;

        while (got < len) {
                ssize_t n = getrandom(buf + got, len - got, 0);

                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return negative_errno();
                }
                got += (size_t)n;
        }
        return 0;
}

int sbx_id_generate(char ret[SBX_ID_LEN + 1])
{
        /* Bytes at or above the largest multiple of 36 are rejected: b % 36 is then uniform. */
        const unsigned limit = 256 - 256 % ID_ALPHABET_LEN;
        char id[SBX_ID_LEN + 1];
        size_t n = 0;

        while (n < SBX_ID_LEN) {
                unsigned char buf[32];
                int r = fill_random(buf, sizeof(buf));

                if (r < 0)
                        return r;
                for (size_t i = 0; i < sizeof(buf) && n < SBX_ID_LEN; i++)
                        if (buf[i] < limit)
                                id[n++] = id_alphabet[buf[i] % ID_ALPHABET_LEN];
        }
        id[SBX_ID_LEN] = '\0';
        memcpy(ret, id, sizeof(id));
        return 0;
}

bool sbx_id_valid(const char *id)
{
        size_t i;

        if (!id)
                return false;
        for (i = 0; i < SBX_ID_LEN; i++)
                if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9')))
                        return false;
        return id[SBX_ID_LEN] == '\0';
}
