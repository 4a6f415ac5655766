/* A live sandbox as the daemon reports it: the data of SPEC §4, no runtime handles. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <json-c/json.h>

#define SBX_ID_LEN 20

enum sbx_state {
        SBX_RUNNING,
        SBX_PAUSED,
};

struct sbx_resources {
        double cpu_count;
        uint64_t memory_mb;
        uint64_t pids_max;
        uint64_t disk_mb;
};

struct sbx_record_cache;

struct sbx_record {
        char id[SBX_ID_LEN + 1];
        char *template_id; /* owned */
        enum sbx_state state;
        json_object *metadata; /* owned; an object of string values, validated */
        int64_t created_us;    /* microseconds since the epoch, UTC */
        int64_t started_us;
        int64_t end_us; /* -1: no timeout */
        uint64_t exec_count;
        bool internet_access;
        uid_t owner_uid;
        pid_t pid;
        char *ip_address;    /* owned; NULL without network */
        json_object *egress; /* owned; the egress policy ({"allow_out", "deny_out"}), NULL for
                                none: shown as "network" */
        struct sbx_resources res;
        size_t index_pos;                /* registry-private */
        struct sbx_record_cache *cache;  /* record-private: the JSON form of the last list */
        uint64_t meta_bits;              /* record-private: see sbx_record_meta_bits() */
        const json_object *meta_bits_of; /* the metadata meta_bits describe */
};

const char *sbx_state_name(enum sbx_state s);
/* 0 and *ret for "running"/"paused", else -EINVAL. */
int sbx_state_from_name(const char *name, enum sbx_state *ret);

/* The SPEC §4 sandbox object. */
json_object *sbx_record_to_json(const struct sbx_record *r);

/* The same object as list pages hold it: built and serialized once (with RPC_STRING_FLAGS,
 * whatever flags it is later printed with), then shared, a new reference per call, until the
 * record changes. Never modify it. NULL when out of memory. */
json_object *sbx_record_listed_json(struct sbx_record *r);
/* Call after changing any field of a record: drops its cached JSON form and metadata bits.
 * Both also compare the fields themselves (strings and metadata by address), but cannot see a
 * string edited in place or freed and made anew at the same address. */
void sbx_record_touch(struct sbx_record *r);

/* A 64-bit summary of the metadata for filters, made once: a record whose bits lack
 * sbx_meta_key_bit(k) has no key k, one whose bits lack sbx_meta_pair_bit(k, v) has no pair k=v.
 * Metadata is immutable: it is remade only after sbx_record_touch() or for another object. */
uint64_t sbx_record_meta_bits(struct sbx_record *r);
/* Whether r->meta_bits describe r->metadata now (none do before a metadata filter saw it). */
bool sbx_record_meta_bits_valid(const struct sbx_record *r);
uint64_t sbx_meta_key_bit(const char *key);
uint64_t sbx_meta_pair_bit(const char *key, const char *value, size_t value_len);

/* Frees what the record owns (not the record itself). A record that has been listed owns a
 * cache too: a copy by value may be read, as sandbox_save() does, but never listed nor freed. */
void sbx_record_done(struct sbx_record *r);

/* 20 random characters of [a-z0-9] from getrandom(), NUL-terminated. 0 or -errno. */
int sbx_id_generate(char ret[SBX_ID_LEN + 1]);
bool sbx_id_valid(const char *id);
