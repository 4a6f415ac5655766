/* sandbox.list (SPEC §5): parameter validation, filtering, ordering and keyset cursors.
 *
 * The registry index is in (created_us asc, id desc) order, so "asc" walks it forward and
 * "desc" backward. A page seeks in O(log n) to where the walk resumes, narrowed further by
 * since/until, then scans without allocating until it has `limit` matches plus one more
 * (which only sets has_more). A metadata filter first checks each record's 64-bit summary of
 * its metadata (record.h), which most records fail without a look at their metadata objects.
 * Each item is the record's cached object (record.c), which prints text made once, so a page
 * costs a reference and a copy per sandbox. */
#include "supervisor/query.h"

#include <errno.h>
#include <string.h>

#include "common/codec.h"
#include "common/macros.h"
#include "supervisor/timeutil.h"

#define LIMIT_MAX      100
#define SHOWN_MAX      48
#define CURSOR_VERSION 1
#define CURSOR_SIGNED  (1 + 8 + SBX_ID_LEN + 8) /* version, created_us, id, fingerprint */
#define CURSOR_LEN     (CURSOR_SIGNED + 8)      /* then the tag */
#define EPOCH_S_MIN    (-62167219200LL)         /* 0000-01-01T00:00:00Z */
#define EPOCH_S_MAX    253402300799LL           /* 9999-12-31T23:59:59Z */
#define STATE_BIT(s)   (1u << (s))
#define STATE_ALL      (STATE_BIT(SBX_RUNNING) | STATE_BIT(SBX_PAUSED))

struct eq_pair {
        char *key;
        char *value;
        size_t value_len;
};

struct sbx_query {
        unsigned state_mask;
        struct eq_pair *eq; /* sorted by key */
        size_t n_eq;
        char **exists; /* sorted, unique */
        size_t n_exists;
        uint64_t meta_need; /* the metadata bits (record.h) a match has */
        bool has_since, has_until;
        int64_t since_us, until_us;
        int internet; /* -1: either */
        uint64_t min_exec, max_exec;
        char *template_id; /* NULL: any */
        bool asc;
        int limit;
        json_object *cursor_text; /* borrowed from the params during query_parse only */
        bool has_cursor;
        int64_t cursor_created_us;
        char cursor_id[SBX_ID_LEN + 1];
        uint64_t fingerprint;
};

/* The cursor's integrity tag is SipHash-2-4 of the payload under this key. It detects
 * tampering and corruption (an edited cursor is "malformed"), nothing more: there is no secret
 * behind a cursor. Its payload (a position and a filter fingerprint) is readable by anyone,
 * and visibility is enforced on every page, so a forged position could only move a caller
 * within its own list. The key is random and kept in <state>/cursor.key (made at the first
 * start), so a cursor outlives a restart of the daemon. */
static uint8_t cursor_key[QUERY_CURSOR_KEY_LEN];

void query_set_cursor_key(const uint8_t key[QUERY_CURSOR_KEY_LEN])
{
        memcpy(cursor_key, key, QUERY_CURSOR_KEY_LEN);
}

/* ---- hashing ---------------------------------------------------------------------------- */

static uint64_t load_le64(const uint8_t *p)
{
        uint64_t v = 0;

        for (int i = 7; i >= 0; i--)
                v = (v << 8) | p[i];
        return v;
}

static void store_le64(uint8_t *p, uint64_t v)
{
        for (int i = 0; i < 8; i++, v >>= 8)
                p[i] = (uint8_t)v;
}

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static void sip_round(uint64_t v[4])
{
        v[0] += v[1];
        v[1] = ROTL(v[1], 13) ^ v[0];
        v[0] = ROTL(v[0], 32);
        v[2] += v[3];
        v[3] = ROTL(v[3], 16) ^ v[2];
        v[0] += v[3];
        v[3] = ROTL(v[3], 21) ^ v[0];
        v[2] += v[1];
        v[1] = ROTL(v[1], 17) ^ v[2];
        v[2] = ROTL(v[2], 32);
}

static void sip_absorb(uint64_t v[4], uint64_t m)
{
        v[3] ^= m;
        sip_round(v);
        sip_round(v);
        v[0] ^= m;
}

static uint64_t siphash24(const uint8_t key[16], const uint8_t *data, size_t len)
{
        uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
        uint64_t v[4] = {k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
                         k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL};
        uint8_t last[8] = {0};
        size_t i;

        for (i = 0; i + 8 <= len; i += 8)
                sip_absorb(v, load_le64(data + i));
        memcpy(last, data + i, len - i);
        last[7] = (uint8_t)len;
        sip_absorb(v, load_le64(last));
        v[2] ^= 0xff;
        for (int r = 0; r < 4; r++)
                sip_round(v);
        return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* FNV-1a over a canonical serialization of the filters: no key needed, since the fingerprint
 * travels inside the tagged payload. Every item is length-prefixed, so no two filter sets
 * serialize alike. */
static void fnv_bytes(uint64_t *h, const void *data, size_t len)
{
        const unsigned char *p = data;

        for (size_t i = 0; i < len; i++)
                *h = (*h ^ p[i]) * 0x100000001b3ULL;
}

static void fnv_u64(uint64_t *h, uint64_t v)
{
        uint8_t b[8];

        store_le64(b, v);
        fnv_bytes(h, b, sizeof(b));
}

static void fnv_str(uint64_t *h, const char *s, size_t len)
{
        fnv_u64(h, len);
        fnv_bytes(h, s, len);
}

static uint64_t query_fingerprint(const struct sbx_query *q)
{
        uint64_t h = 0xcbf29ce484222325ULL;

        fnv_u64(&h, q->state_mask);
        fnv_u64(&h, q->n_eq);
        for (size_t i = 0; i < q->n_eq; i++) {
                fnv_str(&h, q->eq[i].key, strlen(q->eq[i].key));
                fnv_str(&h, q->eq[i].value, q->eq[i].value_len);
        }
        fnv_u64(&h, q->n_exists);
        for (size_t i = 0; i < q->n_exists; i++)
                fnv_str(&h, q->exists[i], strlen(q->exists[i]));
        fnv_u64(&h, q->has_since);
        fnv_u64(&h, q->has_since ? (uint64_t)q->since_us : 0);
        fnv_u64(&h, q->has_until);
        fnv_u64(&h, q->has_until ? (uint64_t)q->until_us : 0);
        fnv_u64(&h, (uint64_t)(int64_t)q->internet);
        fnv_u64(&h, q->min_exec);
        fnv_u64(&h, q->max_exec);
        fnv_u64(&h, q->template_id != NULL);
        if (q->template_id)
                fnv_str(&h, q->template_id, strlen(q->template_id));
        fnv_u64(&h, q->asc);
        return h;
}

/* ---- cursors ---------------------------------------------------------------------------- */

static char *cursor_encode(const struct sbx_query *q, const struct sbx_record *last)
{
        uint8_t buf[CURSOR_LEN];

        buf[0] = CURSOR_VERSION;
        store_le64(buf + 1, (uint64_t)last->created_us);
        memcpy(buf + 9, last->id, SBX_ID_LEN);
        store_le64(buf + 9 + SBX_ID_LEN, q->fingerprint);
        store_le64(buf + CURSOR_SIGNED, siphash24(cursor_key, buf, CURSOR_SIGNED));
        return base64_encode(buf, sizeof(buf), true);
}

static int cursor_decode(struct sbx_query *q, const char *text, size_t len, struct rpc_error *err)
{
        _cleanup_free_ unsigned char *buf = NULL;
        char id[SBX_ID_LEN + 1];
        size_t n;

        if (base64_decode(text, len, true, &buf, &n) < 0 || n != CURSOR_LEN ||
            load_le64(buf + CURSOR_SIGNED) != siphash24(cursor_key, buf, CURSOR_SIGNED) ||
            buf[0] != CURSOR_VERSION)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "cursor", "malformed cursor");
        memcpy(id, buf + 9, SBX_ID_LEN);
        id[SBX_ID_LEN] = '\0';
        if (!sbx_id_valid(id))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "cursor", "malformed cursor");
        if (load_le64(buf + 9 + SBX_ID_LEN) != q->fingerprint)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "cursor",
                                     "cursor was made for other filters or another order");
        q->has_cursor = true;
        q->cursor_created_us = (int64_t)load_le64(buf + 1);
        memcpy(q->cursor_id, id, sizeof(id));
        return 0;
}

/* ---- params ----------------------------------------------------------------------------- */

typedef int (*param_parser)(struct sbx_query *q, json_object *v, const char *name,
                            struct rpc_error *err);

static int invalid(struct rpc_error *err, const char *name, const char *what)
{
        return rpc_error_set(err, RPC_INVALID_ARGUMENT, name, "%s must be %s", name, what);
}

static int parse_state(struct sbx_query *q, json_object *v, const char *name, struct rpc_error *err)
{
        const char *what = "a non-empty array of \"running\" and \"paused\"";
        size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;

        if (n == 0)
                return invalid(err, name, what);
        q->state_mask = 0;
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);
                enum sbx_state s;

                if (!json_object_is_type(e, json_type_string) ||
                    sbx_state_from_name(json_object_get_string(e), &s) < 0)
                        return invalid(err, name, what);
                q->state_mask |= STATE_BIT(s);
        }
        return 0;
}

static int eq_cmp(const void *a, const void *b)
{
        return strcmp(((const struct eq_pair *)a)->key, ((const struct eq_pair *)b)->key);
}

static int str_cmp(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static int copy_pair(struct eq_pair *p, const char *key, json_object *val)
{
        p->value_len = (size_t)json_object_get_string_len(val);
        p->key = strdup(key);
        p->value = malloc(p->value_len + 1);
        if (!p->key || !p->value)
                return -ENOMEM;
        memcpy(p->value, json_object_get_string(val), p->value_len + 1);
        return 0;
}

static int parse_meta_equals(struct sbx_query *q, json_object *v, const char *name,
                             struct rpc_error *err)
{
        const char *what = "an object of string values";

        if (!json_object_is_type(v, json_type_object))
                return invalid(err, name, what);
        q->eq = calloc((size_t)json_object_object_length(v) + 1, sizeof(*q->eq));
        if (!q->eq)
                return rpc_error_set(err, RPC_INTERNAL, NULL, "Out of memory");
        json_object_object_foreach(v, key, val)
        {
                if (!json_object_is_type(val, json_type_string))
                        return invalid(err, name, what);
                /* n_eq counts the pair before it is filled, so query_free frees a half copy. */
                if (copy_pair(&q->eq[q->n_eq++], key, val) < 0)
                        return rpc_error_set(err, RPC_INTERNAL, NULL, "Out of memory");
        }
        /* json-c keeps object keys unique, so sorting is all the normalization needed. */
        qsort(q->eq, q->n_eq, sizeof(*q->eq), eq_cmp);
        return 0;
}

static void dedup_sorted(char **v, size_t *n)
{
        size_t o = 0;

        for (size_t i = 0; i < *n; i++) {
                if (o > 0 && strcmp(v[o - 1], v[i]) == 0) {
                        free(v[i]);
                        continue;
                }
                v[o++] = v[i];
        }
        *n = o;
}

static int parse_meta_exists(struct sbx_query *q, json_object *v, const char *name,
                             struct rpc_error *err)
{
        const char *what = "an array of strings";
        size_t n;

        if (!json_object_is_type(v, json_type_array))
                return invalid(err, name, what);
        n = json_object_array_length(v);
        q->exists = calloc(n + 1, sizeof(*q->exists));
        if (!q->exists)
                return rpc_error_set(err, RPC_INTERNAL, NULL, "Out of memory");
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(v, i);

                if (!json_object_is_type(e, json_type_string))
                        return invalid(err, name, what);
                q->exists[q->n_exists] = strdup(json_object_get_string(e));
                if (!q->exists[q->n_exists++])
                        return rpc_error_set(err, RPC_INTERNAL, NULL, "Out of memory");
        }
        qsort(q->exists, q->n_exists, sizeof(*q->exists), str_cmp);
        dedup_sorted(q->exists, &q->n_exists);
        return 0;
}

/* Epoch seconds (an integer) or an RFC 3339 string, as microseconds. */
static int parse_time(json_object *v, const char *name, int64_t *ret_us, struct rpc_error *err)
{
        const char *what = "epoch seconds (an integer) or an RFC 3339 timestamp";
        int64_t s;

        if (json_object_is_type(v, json_type_string))
                return parse_rfc3339(json_object_get_string(v), ret_us) < 0
                           ? invalid(err, name, what)
                           : 0;
        if (!json_object_is_type(v, json_type_int))
                return invalid(err, name, what);
        s = json_object_get_int64(v);
        if (s < EPOCH_S_MIN || s > EPOCH_S_MAX)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, name,
                                     "%s is out of range (years 0000 to 9999)", name);
        *ret_us = s * 1000000;
        return 0;
}

static int parse_since(struct sbx_query *q, json_object *v, const char *name, struct rpc_error *err)
{
        q->has_since = true;
        return parse_time(v, name, &q->since_us, err);
}

static int parse_until(struct sbx_query *q, json_object *v, const char *name, struct rpc_error *err)
{
        q->has_until = true;
        return parse_time(v, name, &q->until_us, err);
}

static int parse_internet(struct sbx_query *q, json_object *v, const char *name,
                          struct rpc_error *err)
{
        if (!json_object_is_type(v, json_type_boolean))
                return invalid(err, name, "a boolean");
        q->internet = json_object_get_boolean(v);
        return 0;
}

static int parse_count(json_object *v, const char *name, uint64_t *ret, struct rpc_error *err)
{
        if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0)
                return invalid(err, name, "a non-negative integer");
        *ret = json_object_get_uint64(v);
        return 0;
}

static int parse_min_exec(struct sbx_query *q, json_object *v, const char *name,
                          struct rpc_error *err)
{
        return parse_count(v, name, &q->min_exec, err);
}

static int parse_max_exec(struct sbx_query *q, json_object *v, const char *name,
                          struct rpc_error *err)
{
        return parse_count(v, name, &q->max_exec, err);
}

static int parse_template(struct sbx_query *q, json_object *v, const char *name,
                          struct rpc_error *err)
{
        if (!json_object_is_type(v, json_type_string))
                return invalid(err, name, "a string");
        q->template_id = strdup(json_object_get_string(v));
        return q->template_id ? 0 : rpc_error_set(err, RPC_INTERNAL, NULL, "Out of memory");
}

static int parse_order(struct sbx_query *q, json_object *v, const char *name, struct rpc_error *err)
{
        const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";

        if (strcmp(s, "asc") != 0 && strcmp(s, "desc") != 0)
                return invalid(err, name, "\"asc\" or \"desc\"");
        q->asc = strcmp(s, "asc") == 0;
        return 0;
}

static int parse_limit(struct sbx_query *q, json_object *v, const char *name, struct rpc_error *err)
{
        int64_t n;

        /* Only a JSON integer: 10.5, 10.0 and "10" are all refused, never rounded. */
        if (!json_object_is_type(v, json_type_int))
                return invalid(err, name, "an integer 1..100");
        n = json_object_get_int64(v);
        if (n < 1 || n > LIMIT_MAX)
                return invalid(err, name, "an integer 1..100");
        q->limit = (int)n;
        return 0;
}

/* Decoded once every filter is known, since the cursor must match their fingerprint. A null
 * cursor is the first page: it is what next_cursor says when there is no next page. */
static int parse_cursor(struct sbx_query *q, json_object *v, const char *name,
                        struct rpc_error *err)
{
        if (v && !json_object_is_type(v, json_type_string))
                return invalid(err, name, "a string");
        q->cursor_text = v;
        return 0;
}

static const struct {
        const char *name;
        param_parser parse;
} params_table[] = {
    {"state", parse_state},
    {"metadata_equals", parse_meta_equals},
    {"metadata_exists", parse_meta_exists},
    {"since", parse_since},
    {"until", parse_until},
    {"internet_access", parse_internet},
    {"min_exec_count", parse_min_exec},
    {"max_exec_count", parse_max_exec},
    {"template_id", parse_template},
    {"order", parse_order},
    {"limit", parse_limit},
    {"cursor", parse_cursor},
};

static int parse_param(struct sbx_query *q, const char *key, json_object *v, struct rpc_error *err)
{
        char shown[SHOWN_MAX];

        for (size_t i = 0; i < ELEMENTSOF(params_table); i++)
                if (strcmp(key, params_table[i].name) == 0)
                        return params_table[i].parse(q, v, params_table[i].name, err);
        ascii_printable(key, shown, sizeof(shown));
        return rpc_error_set(err, RPC_INVALID_ARGUMENT, shown, "unknown param \"%s\"", shown);
}

static int check_ranges(const struct sbx_query *q, struct rpc_error *err)
{
        if (q->has_since && q->has_until && q->since_us > q->until_us)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "since",
                                     "since is later than until");
        if (q->min_exec > q->max_exec)
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, "min_exec_count",
                                     "min_exec_count is greater than max_exec_count");
        return 0;
}

static void query_freep(struct sbx_query **q)
{
        query_free(*q);
}

int query_parse(json_object *params, struct sbx_query **ret, struct rpc_error *err)
{
        _cleanup_(query_freep) struct sbx_query *q = calloc(1, sizeof(*q));
        int r;

        if (!q)
                return rpc_error_set(err, RPC_INTERNAL, NULL, "Out of memory");
        *q = (struct sbx_query){
            .state_mask = STATE_ALL, .internet = -1, .max_exec = UINT64_MAX, .limit = LIMIT_MAX};
        if (params && !json_object_is_type(params, json_type_object))
                return rpc_error_set(err, RPC_INVALID_ARGUMENT, NULL, "params must be an object");
        if (params) {
                json_object_object_foreach(params, key, val)
                {
                        r = parse_param(q, key, val, err);
                        if (r < 0)
                                return r;
                }
        }
        r = check_ranges(q, err);
        if (r < 0)
                return r;
        q->fingerprint = query_fingerprint(q);
        if (q->cursor_text) {
                r = cursor_decode(q, json_object_get_string(q->cursor_text),
                                  (size_t)json_object_get_string_len(q->cursor_text), err);
                if (r < 0)
                        return r;
        }
        q->cursor_text = NULL;
        for (size_t i = 0; i < q->n_eq; i++)
                q->meta_need |= sbx_meta_pair_bit(q->eq[i].key, q->eq[i].value, q->eq[i].value_len);
        for (size_t i = 0; i < q->n_exists; i++)
                q->meta_need |= sbx_meta_key_bit(q->exists[i]);
        *ret = TAKE_PTR(q);
        return 0;
}

void query_free(struct sbx_query *q)
{
        if (!q)
                return;
        for (size_t i = 0; i < q->n_eq; i++) {
                free(q->eq[i].key);
                free(q->eq[i].value);
        }
        free(q->eq);
        for (size_t i = 0; i < q->n_exists; i++)
                free(q->exists[i]);
        free(q->exists);
        free(q->template_id);
        free(q);
}

/* ---- matching and the walk -------------------------------------------------------------- */

static bool metadata_match(const struct sbx_query *q, json_object *meta)
{
        for (size_t i = 0; i < q->n_exists; i++)
                if (!json_object_object_get_ex(meta, q->exists[i], NULL))
                        return false;
        for (size_t i = 0; i < q->n_eq; i++) {
                json_object *v;

                if (!json_object_object_get_ex(meta, q->eq[i].key, &v) ||
                    !json_object_is_type(v, json_type_string) ||
                    (size_t)json_object_get_string_len(v) != q->eq[i].value_len ||
                    memcmp(json_object_get_string(v), q->eq[i].value, q->eq[i].value_len) != 0)
                        return false;
        }
        return true;
}

bool query_match(const struct sbx_query *q, const struct sbx_record *rec)
{
        if (!(q->state_mask & STATE_BIT(rec->state)))
                return false;
        if (q->has_since && rec->created_us < q->since_us)
                return false;
        if (q->has_until && rec->created_us >= q->until_us)
                return false;
        if (q->internet >= 0 && rec->internet_access != (bool)q->internet)
                return false;
        if (rec->exec_count < q->min_exec || rec->exec_count > q->max_exec)
                return false;
        if (q->template_id && strcmp(q->template_id, rec->template_id ?: "") != 0)
                return false;
        /* Most records fail here, without a look at their metadata objects. */
        if (sbx_record_meta_bits_valid(rec) && (rec->meta_bits & q->meta_need) != q->meta_need)
                return false;
        return metadata_match(q, rec->metadata);
}

/* Positions [lo, hi) of the index that the walk may visit; asc goes up from lo, desc down
 * from hi - 1. */
struct walk {
        size_t lo, hi;
        bool asc;
};

/* The first position whose created_us is >= t: (t - 1, "") sorts after every record created
 * at t - 1, since ids are in descending order there and "" is the smallest. */
static size_t first_at_or_after(const struct sbx_registry *reg, int64_t t)
{
        return registry_upper_bound(reg, t - 1, "");
}

static struct walk walk_init(const struct sbx_registry *reg, const struct sbx_query *q)
{
        struct walk w = {.lo = 0, .hi = registry_count(reg), .asc = q->asc};

        if (q->has_since)
                w.lo = first_at_or_after(reg, q->since_us);
        if (q->has_until)
                w.hi = first_at_or_after(reg, q->until_us);
        /* Strictly after the cursor in walk order; the cursor's record may be gone. */
        if (q->has_cursor && q->asc) {
                size_t p = registry_upper_bound(reg, q->cursor_created_us, q->cursor_id);
                w.lo = p > w.lo ? p : w.lo;
        } else if (q->has_cursor) {
                size_t p = registry_lower_bound(reg, q->cursor_created_us, q->cursor_id);
                w.hi = p < w.hi ? p : w.hi;
        }
        if (w.lo > w.hi)
                w.lo = w.hi;
        return w;
}

static struct sbx_record *walk_next(const struct sbx_registry *reg, struct walk *w)
{
        if (w->lo >= w->hi)
                return NULL;
        return w->asc ? registry_at(reg, w->lo++) : registry_at(reg, --w->hi);
}

static json_object *page_result(json_object *items, size_t count, char *cursor)
{
        json_object *res = json_object_new_object();

        if (!res) {
                json_object_put(items);
                free(cursor);
                return NULL;
        }
        json_object_object_add(res, "sandboxes", items);
        json_object_object_add(res, "count", json_object_new_int64((int64_t)count));
        json_object_object_add(res, "has_more", json_object_new_boolean(cursor != NULL));
        json_object_object_add(res, "next_cursor", cursor ? json_object_new_string(cursor) : NULL);
        free(cursor);
        return res;
}

json_object *query_run(const struct sbx_registry *reg, const struct sbx_query *q, bool all,
                       uid_t caller_uid)
{
        json_object *items = json_object_new_array_ext(q->limit);
        struct walk w = walk_init(reg, q);
        const struct sbx_record *last = NULL;
        struct sbx_record *rec;
        json_object *item;
        char *cursor = NULL;
        size_t count = 0;

        if (!items)
                return NULL;
        while ((rec = walk_next(reg, &w))) {
                if (q->meta_need)
                        sbx_record_meta_bits(rec);
                if ((!all && rec->owner_uid != caller_uid) || !query_match(q, rec))
                        continue;
                if (count == (size_t)q->limit) {
                        /* One more match exists: the next page starts after the last item. */
                        cursor = cursor_encode(q, last);
                        if (!cursor) {
                                json_object_put(items);
                                return NULL;
                        }
                        break;
                }
                item = sbx_record_listed_json(rec);
                if (!item || json_object_array_add(items, item) < 0) {
                        json_object_put(item);
                        json_object_put(items);
                        return NULL;
                }
                last = rec;
                count++;
        }
        return page_result(items, count, cursor);
}
