/* The daemon's log: one line per event on stderr. Only supervisor/ logs. */
#pragma once

#include "common/macros.h"

enum log_level {
        LOG_LEVEL_ERROR,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
};

void log_set_level(enum log_level level);
/* 0 and *ret for "error", "warning", "info", "debug"; else -EINVAL. */
int log_level_from_name(const char *name, enum log_level *ret);

/* err is a -errno (or 0); when non-zero, ": <strerror>" ends the line. Returns err. */
int log_full(enum log_level level, int err, const char *fmt, ...) _printf_(3, 4);

#define log_error_errno(r, ...)   log_full(LOG_LEVEL_ERROR, (r), __VA_ARGS__)
#define log_warning_errno(r, ...) log_full(LOG_LEVEL_WARNING, (r), __VA_ARGS__)
#define log_error(...)            log_full(LOG_LEVEL_ERROR, 0, __VA_ARGS__)
#define log_warning(...)          log_full(LOG_LEVEL_WARNING, 0, __VA_ARGS__)
#define log_info(...)             log_full(LOG_LEVEL_INFO, 0, __VA_ARGS__)
#define log_debug(...)            log_full(LOG_LEVEL_DEBUG, 0, __VA_ARGS__)
