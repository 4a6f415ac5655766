/* libFuzzer harness: arbitrary bytes as the "network" param of sandbox.create. Whatever parses
 * as JSON goes through egress_policy_parse; the invariants: a refusal is invalid_argument
 * naming network or one of its lists; an accepted policy has entries that parse again to
 * themselves (canonical), and its nft elements are built without overflow. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "supervisor/egress.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_list(const struct egress_list *l)
{
        for (size_t i = 0; i < l->n; i++) {
                struct egress_entry again;
                if (egress_entry_parse(l->v[i].text, &again) != 0 ||
                    strcmp(again.text, l->v[i].text) != 0 || again.kind != l->v[i].kind)
                        abort();
                (void)egress_entry_private(&l->v[i]);
                (void)egress_domain_match(&l->v[i], "a.example.com");
        }
        for (int k = EGRESS_V4; k <= EGRESS_V6; k++)
                free(egress_elements(l, (enum egress_kind)k, "10.200.0.2 . "));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        json_tokener *tok = json_tokener_new();
        json_object *o = tok ? json_tokener_parse_ex(tok, (const char *)data, (int)size) : NULL;
        json_tokener_free(tok);
        if (!o)
                return 0;
        struct egress_policy *p = NULL;
        struct rpc_error err = {0};
        if (egress_policy_parse(o, "network", &p, &err) == 0) {
                check_list(&p->allow);
                check_list(&p->deny);
                (void)egress_name_verdict(p, "a.example.com");
                json_object_put(egress_policy_json(p));
                egress_policy_free(p);
        } else if (err.code != RPC_INVALID_ARGUMENT ||
                   (strcmp(err.field, "network") != 0 &&
                    strcmp(err.field, "network.allow_out") != 0 &&
                    strcmp(err.field, "network.deny_out") != 0)) {
                abort();
        }
        json_object_put(o);
        return 0;
}
