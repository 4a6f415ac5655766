/* Logging to stderr. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "supervisor/log.h"

static enum log_level max_level = LOG_LEVEL_INFO;
static const char *const level_names[] = {
    [LOG_LEVEL_ERROR] = "error",
    [LOG_LEVEL_WARNING] = "warning",
    [LOG_LEVEL_INFO] = "info",
    [LOG_LEVEL_DEBUG] = "debug",
};

void log_set_level(enum log_level level)
{
        max_level = level;
}

int log_level_from_name(const char *name, enum log_level *ret)
{
        for (size_t i = 0; i < ELEMENTSOF(level_names); i++)
                if (strcmp(name, level_names[i]) == 0) {
                        *ret = (enum log_level)i;
                        return 0;
                }
        return -EINVAL;
}

int log_full(enum log_level level, int err, const char *fmt, ...)
{
        if (level > max_level)
                return err;
        char line[1024];
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(line, sizeof(line), fmt, ap);
        va_end(ap);
        if (n < 0)
                return err;
        if (err != 0)
                fprintf(stderr, "sandboxd: %s: %s: %s\n", level_names[level], line,
                        strerror(err < 0 ? -err : err));
        else
                fprintf(stderr, "sandboxd: %s: %s\n", level_names[level], line);
        return err;
}
