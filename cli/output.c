/* Output for humans (tables, "key: value" lines) and for programs (JSON). */
#include <ctype.h>
#include <stdarg.h>
#include <string.h>

#include "cli/ctl.h"

#define COLUMN_GAP 2

const char *json_get_str(json_object *o, const char *key)
{
        json_object *v;

        if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

void print_json(json_object *o)
{
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
}

/* A copy in which control characters become '?', so one value stays on one line. */
static char *printable(const char *s)
{
        char *copy = strdup(s);

        for (char *p = copy; p && *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                        *p = '?';
        return copy;
}

/* A malloc'd formatted string, NULL on failure (asprintf leaves its pointer undefined). */
_printf_(1, 2) static char *textf(const char *fmt, ...)
{
        va_list ap;
        char *out;
        int r;

        va_start(ap, fmt);
        r = vasprintf(&out, fmt, ap);
        va_end(ap);
        return r < 0 ? NULL : out;
}

/* Appends "sep" then text to the malloc'd *buf. */
static int append(char **buf, const char *sep, const char *text)
{
        char *joined = textf("%s%s%s", *buf ? *buf : "", *buf ? sep : "", text);

        if (!joined)
                return -ENOMEM;
        free(*buf);
        *buf = joined;
        return 0;
}

/* An object as k=v,k=v. */
static char *format_object(json_object *o)
{
        char *out = NULL;

        json_object_object_foreach(o, key, val)
        {
                _cleanup_free_ char *cell = format_cell(val);
                _cleanup_free_ char *pair = cell ? textf("%s=%s", key, cell) : NULL;

                if (!pair || append(&out, ",", pair))
                        return TAKE_PTR(out);
        }
        return out ? out : strdup("-");
}

static char *format_array(json_object *a)
{
        char *out = NULL;
        size_t i, n = json_object_array_length(a);

        for (i = 0; i < n; i++) {
                _cleanup_free_ char *cell = format_cell(json_object_array_get_idx(a, i));

                if (!cell || append(&out, ",", cell))
                        return out;
        }
        return out ? out : strdup("-");
}

/* The text of one value in a table or after "key: "; null is "-". */
char *format_cell(json_object *v)
{
        switch (json_object_get_type(v)) {
        case json_type_null:
                return strdup("-");
        case json_type_string:
                return printable(json_object_get_string(v));
        case json_type_object:
                return format_object(v);
        case json_type_array:
                return format_array(v);
        case json_type_boolean:
        case json_type_double:
        case json_type_int:
                return strdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
        }
        return strdup("?");
}

/* RFC 3339 to the second: "2026-11-22T10:00:00.123456Z" is shown as "2026-11-22T10:00:00Z". */
char *format_time(json_object *v)
{
        const char *s, *dot;

        if (!json_object_is_type(v, json_type_string))
                return format_cell(v);
        s = json_object_get_string(v);
        dot = strchr(s, '.');
        if (!dot || dot[1 + strspn(dot + 1, "0123456789")] != 'Z')
                return format_cell(v);
        return textf("%.*sZ", (int)(dot - s), s);
}

/* "key: value" lines; a non-empty object nests as "key.sub: value". */
void print_keys(json_object *o, const char *prefix)
{
        json_object_object_foreach(o, key, val)
        {
                _cleanup_free_ char *name = textf("%s%s", prefix, key);
                _cleanup_free_ char *cell = NULL;

                if (!name)
                        return;
                if (json_object_is_type(val, json_type_object) &&
                    json_object_object_length(val) > 0) {
                        _cleanup_free_ char *sub = textf("%s.", name);

                        if (sub)
                                print_keys(val, sub);
                        continue;
                }
                cell = format_cell(val);
                printf("%s: %s\n", name, cell ? cell : "?");
        }
}

/* Display width: UTF-8 continuation bytes take no column. */
static size_t text_width(const char *s)
{
        size_t w = 0;

        for (; *s; s++)
                w += ((unsigned char)*s & 0xc0) != 0x80;
        return w;
}

static void print_row(char *const *cells, const size_t *widths, size_t n_cols)
{
        for (size_t j = 0; j < n_cols; j++) {
                const char *cell = cells[j] ? cells[j] : "?";

                if (j + 1 == n_cols)
                        printf("%s\n", cell);
                else
                        printf("%s%*s", cell, (int)(widths[j] - text_width(cell) + COLUMN_GAP), "");
        }
}

typedef struct table {
        size_t n_rows, n_cols; /* n_rows counts the header */
        char **cells;          /* n_rows * n_cols, row-major */
        size_t *widths;
} table;

static void table_done(table *t)
{
        for (size_t k = 0; t->cells && k < t->n_rows * t->n_cols; k++)
                free(t->cells[k]);
        free(t->cells);
        free(t->widths);
}

static void fill_row(table *t, size_t i, json_object *row, const column *cols)
{
        for (size_t j = 0; j < t->n_cols; j++) {
                json_object *v = NULL;

                json_object_object_get_ex(row, cols[j].key, &v);
                t->cells[i * t->n_cols + j] = cols[j].format(v);
        }
}

static void fit_widths(table *t)
{
        for (size_t k = 0; k < t->n_rows * t->n_cols; k++) {
                size_t w = t->cells[k] ? text_width(t->cells[k]) : 1;

                if (w > t->widths[k % t->n_cols])
                        t->widths[k % t->n_cols] = w;
        }
}

/* A header line then one line per object of rows, columns aligned. */
void print_table(json_object *rows, const column *cols, size_t n_cols)
{
        _cleanup_(table_done)
            table t = {.n_rows = json_object_array_length(rows) + 1, .n_cols = n_cols};

        t.cells = calloc(t.n_rows * n_cols, sizeof(char *));
        t.widths = calloc(n_cols, sizeof(size_t));
        if (!t.cells || !t.widths) {
                ctl_error("out of memory");
                return;
        }
        for (size_t j = 0; j < n_cols; j++)
                t.cells[j] = strdup(cols[j].header);
        for (size_t i = 1; i < t.n_rows; i++)
                fill_row(&t, i, json_object_array_get_idx(rows, i - 1), cols);
        fit_widths(&t);
        for (size_t i = 0; i < t.n_rows; i++)
                print_row(t.cells + i * n_cols, t.widths, n_cols);
}

static void columns_done(column **cols)
{
        for (column *c = *cols; c && c->key; c++)
                free((char *)c->header);
        free(*cols);
}

/* One column per key of the first object, headed by the key in capitals. */
void print_object_table(json_object *rows)
{
        json_object *first = json_object_array_get_idx(rows, 0);
        _cleanup_(columns_done) column *cols = NULL;
        size_t n = 0;

        if (!json_object_is_type(first, json_type_object))
                return;
        cols = calloc(json_object_object_length(first) + 1, sizeof(column));
        if (!cols)
                return;
        json_object_object_foreach(first, key, val)
        {
                char *header = strdup(key);

                for (char *p = header; p && *p; p++)
                        *p = (char)toupper((unsigned char)*p);
                cols[n++] = (column){header, key, format_cell};
        }
        print_table(rows, cols, n);
}
