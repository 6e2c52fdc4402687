/* JSON helpers: strict typed access to json-c objects with path-naming errors. */
#include "lib/json.h"

#include <string.h>

G_DEFINE_QUARK (pl-json-error-quark, pl_json_error)

json_object *
pl_json_parse (const char *data, gsize len, const char *source, GError **error)
{
  g_autoptr(json_tokener) tok = json_tokener_new ();
  json_object *obj = json_tokener_parse_ex (tok, data, (int) len);
  enum json_tokener_error jerr = json_tokener_get_error (tok);
  if (obj == NULL || jerr != json_tokener_success)
    {
      if (obj)
        json_object_put (obj);
      if (jerr == json_tokener_continue)
        return g_set_error (error, PL_JSON_ERROR, PL_JSON_ERROR_SYNTAX,
                            "%s: not valid JSON: unexpected end of input", source), NULL;
      return g_set_error (error, PL_JSON_ERROR, PL_JSON_ERROR_SYNTAX,
                          "%s: not valid JSON at byte %zu: %s", source,
                          json_tokener_get_parse_end (tok), json_tokener_error_desc (jerr)),
             NULL;
    }
  /* Trailing garbage after the value is an error too */
  size_t end = json_tokener_get_parse_end (tok);
  while (end < len && g_ascii_isspace (data[end]))
    end++;
  if (end < len && data[end] != '\0')
    {
      json_object_put (obj);
      return g_set_error (error, PL_JSON_ERROR, PL_JSON_ERROR_SYNTAX,
                          "%s: not valid JSON: trailing data at byte %zu", source, end),
             NULL;
    }
  return obj;
}

char *
pl_json_path_key (const char *path, const char *key)
{
  if (path == NULL || *path == '\0')
    return g_strdup (key);
  return g_strconcat (path, ".", key, NULL);
}

char *
pl_json_path_index (const char *path, gsize i)
{
  return g_strdup_printf ("%s[%zu]", path ? path : "", i);
}

static const char *
type_name (json_type t)
{
  switch (t)
    {
    case json_type_string:
      return "a string";
    case json_type_int:
      return "an integer";
    case json_type_double:
      return "a number";
    case json_type_boolean:
      return "a boolean";
    case json_type_object:
      return "an object";
    case json_type_array:
      return "an array";
    case json_type_null:
      return "null";
    }
  return "?";
}

/* Looks KEY up; FALSE with an error when required and missing or of the wrong type. */
static gboolean
lookup (json_object *obj, const char *path, const char *key, gboolean required,
        json_type want, json_object **out_val, GError **error)
{
  *out_val = NULL;
  json_object *val = NULL;
  if (!json_object_object_get_ex (obj, key, &val) || val == NULL)
    {
      if (!required)
        return TRUE;
      g_autofree char *p = pl_json_path_key (path, key);
      return g_set_error (error, PL_JSON_ERROR, PL_JSON_ERROR_MISSING,
                          "%s: required field is missing", p), FALSE;
    }
  json_type t = json_object_get_type (val);
  gboolean ok = (t == want) || (want == json_type_double && t == json_type_int);
  if (!ok)
    {
      g_autofree char *p = pl_json_path_key (path, key);
      return g_set_error (error, PL_JSON_ERROR, PL_JSON_ERROR_TYPE,
                          "%s: expected %s, got %s", p, type_name (want), type_name (t)),
             FALSE;
    }
  *out_val = val;
  return TRUE;
}

gboolean
pl_json_get_string (json_object *obj, const char *path, const char *key, gboolean required,
                    const char **out, GError **error)
{
  json_object *v;
  if (!lookup (obj, path, key, required, json_type_string, &v, error))
    return FALSE;
  if (v)
    *out = json_object_get_string (v);
  return TRUE;
}

gboolean
pl_json_get_int64 (json_object *obj, const char *path, const char *key, gboolean required,
                   gint64 *out, GError **error)
{
  json_object *v;
  if (!lookup (obj, path, key, required, json_type_int, &v, error))
    return FALSE;
  if (v)
    *out = json_object_get_int64 (v);
  return TRUE;
}

gboolean
pl_json_get_bool (json_object *obj, const char *path, const char *key, gboolean required,
                  gboolean *out, GError **error)
{
  json_object *v;
  if (!lookup (obj, path, key, required, json_type_boolean, &v, error))
    return FALSE;
  if (v)
    *out = json_object_get_boolean (v);
  return TRUE;
}

gboolean
pl_json_get_double (json_object *obj, const char *path, const char *key, gboolean required,
                    double *out, GError **error)
{
  json_object *v;
  if (!lookup (obj, path, key, required, json_type_double, &v, error))
    return FALSE;
  if (v)
    *out = json_object_get_double (v);
  return TRUE;
}

gboolean
pl_json_get_object (json_object *obj, const char *path, const char *key, gboolean required,
                    json_object **out, GError **error)
{
  json_object *v;
  if (!lookup (obj, path, key, required, json_type_object, &v, error))
    return FALSE;
  if (v)
    *out = v;
  return TRUE;
}

gboolean
pl_json_get_array (json_object *obj, const char *path, const char *key, gboolean required,
                   json_object **out, GError **error)
{
  json_object *v;
  if (!lookup (obj, path, key, required, json_type_array, &v, error))
    return FALSE;
  if (v)
    *out = v;
  return TRUE;
}

gboolean
pl_json_get_strv (json_object *obj, const char *path, const char *key, gboolean required,
                  char ***out, GError **error)
{
  json_object *arr = NULL;
  if (!pl_json_get_array (obj, path, key, required, &arr, error))
    return FALSE;
  if (arr == NULL)
    return TRUE;
  g_autofree char *p = pl_json_path_key (path, key);
  g_autoptr(GPtrArray) strs = g_ptr_array_new_with_free_func (g_free);
  size_t n = json_object_array_length (arr);
  for (size_t i = 0; i < n; i++)
    {
      json_object *el = json_object_array_get_idx (arr, i);
      if (el == NULL || json_object_get_type (el) != json_type_string)
        return g_set_error (error, PL_JSON_ERROR, PL_JSON_ERROR_TYPE,
                            "%s[%zu]: expected a string", p, i), FALSE;
      g_ptr_array_add (strs, g_strdup (json_object_get_string (el)));
    }
  g_ptr_array_add (strs, NULL);
  *out = (char **) g_ptr_array_free (g_steal_pointer (&strs), FALSE);
  return TRUE;
}

gboolean
pl_json_check_keys (json_object *obj, const char *path, const char *const *allowed,
                    GError **error)
{
  json_object_object_foreach (obj, key, val)
    {
      (void) val;
      if (!g_strv_contains (allowed, key))
        {
          g_autofree char *p = pl_json_path_key (path, key);
          return g_set_error (error, PL_JSON_ERROR, PL_JSON_ERROR_VALUE,
                              "%s: unknown field", p), FALSE;
        }
    }
  return TRUE;
}

json_object *
pl_json_string_or_null (const char *s)
{
  return s ? json_object_new_string (s) : NULL;
}

char *
pl_json_to_string_pretty (json_object *obj)
{
  const char *s = json_object_to_json_string_ext (
      obj, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE);
  return g_strconcat (s, "\n", NULL);
}
