/* JSON helpers over json-c: typed getters whose errors name the JSON path
 * ("packages[3]: expected a string"), so a user can find the bad field. */
#pragma once

#include <gio/gio.h>
#include <json-c/json.h>

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_object, json_object_put)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (json_tokener, json_tokener_free)

#define PL_JSON_ERROR (pl_json_error_quark ())
GQuark pl_json_error_quark (void);

typedef enum {
  PL_JSON_ERROR_SYNTAX,     /* not JSON at all */
  PL_JSON_ERROR_TYPE,       /* a field has the wrong type */
  PL_JSON_ERROR_MISSING,    /* a required field is absent */
  PL_JSON_ERROR_VALUE,      /* right type, value out of range or not allowed */
} PlJsonError;

/* Parses DATA; the error names SOURCE and the line/offset where parsing stopped. */
json_object *pl_json_parse (const char *data, gsize len, const char *source, GError **error);

/* Getters: PATH is the JSON path of OBJ, used in messages. A missing optional field
 * leaves *out untouched and returns TRUE. Strings returned are owned by OBJ. */
gboolean pl_json_get_string (json_object *obj, const char *path, const char *key,
                             gboolean required, const char **out, GError **error);
gboolean pl_json_get_int64 (json_object *obj, const char *path, const char *key,
                            gboolean required, gint64 *out, GError **error);
gboolean pl_json_get_bool (json_object *obj, const char *path, const char *key,
                           gboolean required, gboolean *out, GError **error);
gboolean pl_json_get_double (json_object *obj, const char *path, const char *key,
                             gboolean required, double *out, GError **error);
gboolean pl_json_get_object (json_object *obj, const char *path, const char *key,
                             gboolean required, json_object **out, GError **error);
gboolean pl_json_get_array (json_object *obj, const char *path, const char *key,
                            gboolean required, json_object **out, GError **error);
/* An array of strings as a NULL-terminated strv (newly allocated). */
gboolean pl_json_get_strv (json_object *obj, const char *path, const char *key,
                           gboolean required, char ***out, GError **error);

/* Fails naming the first key of OBJ that is not in ALLOWED (NULL-terminated). */
gboolean pl_json_check_keys (json_object *obj, const char *path, const char *const *allowed,
                             GError **error);

/* "path.key" or "key" when PATH is empty; "path[i]" for arrays. */
char *pl_json_path_key (const char *path, const char *key);
char *pl_json_path_index (const char *path, gsize i);

/* A JSON string, or JSON null (NULL) when S is NULL: for optional output fields. */
json_object *pl_json_string_or_null (const char *s);

/* Serializes with two-space indentation and a trailing newline. */
char *pl_json_to_string_pretty (json_object *obj);

G_END_DECLS
