/* libFuzzer harness for the sandbox records a restarted daemon reads (supervisor/state.c,
 * supervisor/record.c). The input is one record file, read back by state_load_all() from a
 * temporary directory; a record that loads is saved again and must load again, as the daemon
 * does across restarts. The same bytes also go through the /proc/<pid>/stat parser (the name
 * field is the sandbox's to choose) and the record id and state checks. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/macros.h"
#include "supervisor/state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ID "k3v9q0x2m7c4b8n1z5a6"

static char dir[64], file[128], again_dir[80];

static void cleanup(void)
{
        unlink(file);
        state_remove(again_dir, ID);
        rmdir(again_dir);
        rmdir(dir);
}

static void setup(void)
{
        const char *tmp = getenv("TMPDIR");

        snprintf(dir, sizeof(dir), "%s/fuzz-state.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        if (!mkdtemp(dir))
                abort();
        snprintf(file, sizeof(file), "%s/%s.json", dir, ID);
        snprintf(again_dir, sizeof(again_dir), "%s/again", dir);
        atexit(cleanup);
}

static void expect_ok(struct sbx_saved *s, bool ok, void *userdata)
{
        if (!ok || strcmp(s->rec.id, ID) != 0)
                abort();
}

/* A record that loaded: saved by the daemon, it must load again. */
static void reload(struct sbx_saved *s, bool ok, void *userdata)
{
        if (strcmp(s->rec.id, ID) != 0)
                abort();
        if (!ok)
                return;
        if (!s->rec.template_id || !json_object_is_type(s->rec.metadata, json_type_object) ||
            s->phase > SAVED_KILLING)
                abort();
        if (state_save(again_dir, s) < 0 || state_load_all(again_dir, expect_ok, NULL) < 0)
                abort();
}

static void check_ids(const char *text)
{
        enum sbx_state st;
        uint64_t t;

        if (sbx_id_valid(text) && strlen(text) != SBX_ID_LEN)
                abort();
        if (sbx_state_from_name(text, &st) == 0 && strcmp(sbx_state_name(st), text) != 0)
                abort();
        (void)proc_stat_start_time(text, &t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        _cleanup_free_ char *text = strndup((const char *)data, size);
        FILE *f;

        if (!dir[0])
                setup();
        if (!text)
                return 0;
        check_ids(text);
        f = fopen(file, "we");
        if (!f)
                abort();
        if (fwrite(data, 1, size, f) != size || fclose(f) != 0)
                abort();
        if (state_load_all(dir, reload, NULL) < 0)
                abort();
        return 0;
}
