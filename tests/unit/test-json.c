/* Tests for lib/json.c: the typed getters and their path-naming errors. */
#include "lib/json.h"

static json_object *
parse (const char *s)
{
  g_autoptr(GError) error = NULL;
  json_object *o = pl_json_parse (s, strlen (s), "test", &error);
  g_assert_no_error (error);
  return o;
}

static void
test_syntax_errors (void)
{
  g_autoptr(GError) error = NULL;
  const char *bad = "{\"a\": [1, 2,}";
  g_assert_null (pl_json_parse (bad, strlen (bad), "m.json", &error));
  g_assert_error (error, PL_JSON_ERROR, PL_JSON_ERROR_SYNTAX);
  g_assert_true (g_str_has_prefix (error->message, "m.json: not valid JSON"));
  g_clear_error (&error);

  const char *trailing = "{} x";
  g_assert_null (pl_json_parse (trailing, strlen (trailing), "m.json", &error));
  g_assert_error (error, PL_JSON_ERROR, PL_JSON_ERROR_SYNTAX);
  g_clear_error (&error);

  const char *truncated = "{\"a\": ";
  g_assert_null (pl_json_parse (truncated, strlen (truncated), "m.json", &error));
  g_assert_error (error, PL_JSON_ERROR, PL_JSON_ERROR_SYNTAX);
}

static void
test_getters (void)
{
  g_autoptr(json_object) o = parse ("{\"s\":\"x\",\"i\":42,\"b\":true,\"d\":1.5,"
                                    "\"a\":[\"p\",\"q\"],\"o\":{}}");
  g_autoptr(GError) error = NULL;
  const char *s = NULL;
  gint64 i = 0;
  gboolean b = FALSE;
  double d = 0;
  g_auto(GStrv) a = NULL;
  g_assert_true (pl_json_get_string (o, "", "s", TRUE, &s, &error));
  g_assert_cmpstr (s, ==, "x");
  g_assert_true (pl_json_get_int64 (o, "", "i", TRUE, &i, &error));
  g_assert_cmpint (i, ==, 42);
  g_assert_true (pl_json_get_bool (o, "", "b", TRUE, &b, &error));
  g_assert_true (b);
  g_assert_true (pl_json_get_double (o, "", "d", TRUE, &d, &error));
  g_assert_cmpfloat (d, ==, 1.5);
  /* an integer is acceptable where a number is wanted */
  g_assert_true (pl_json_get_double (o, "", "i", TRUE, &d, &error));
  g_assert_cmpfloat (d, ==, 42.0);
  g_assert_true (pl_json_get_strv (o, "", "a", TRUE, &a, &error));
  g_assert_cmpuint (g_strv_length (a), ==, 2);
  g_assert_cmpstr (a[1], ==, "q");
  g_assert_no_error (error);

  /* optional and missing: untouched, TRUE */
  s = "unchanged";
  g_assert_true (pl_json_get_string (o, "", "nope", FALSE, &s, &error));
  g_assert_cmpstr (s, ==, "unchanged");
}

static void
test_errors_name_the_path (void)
{
  g_autoptr(json_object) o = parse ("{\"repos\":[{\"id\":7,\"list\":[\"a\",3]}]}");
  json_object *repo = json_object_array_get_idx (json_object_object_get (o, "repos"), 0);
  g_autoptr(GError) error = NULL;
  const char *s;
  g_assert_false (pl_json_get_string (repo, "repos[0]", "id", TRUE, &s, &error));
  g_assert_error (error, PL_JSON_ERROR, PL_JSON_ERROR_TYPE);
  g_assert_cmpstr (error->message, ==, "repos[0].id: expected a string, got an integer");
  g_clear_error (&error);

  g_assert_false (pl_json_get_string (repo, "repos[0]", "baseurl", TRUE, &s, &error));
  g_assert_error (error, PL_JSON_ERROR, PL_JSON_ERROR_MISSING);
  g_assert_cmpstr (error->message, ==, "repos[0].baseurl: required field is missing");
  g_clear_error (&error);

  g_auto(GStrv) l = NULL;
  g_assert_false (pl_json_get_strv (repo, "repos[0]", "list", TRUE, &l, &error));
  g_assert_cmpstr (error->message, ==, "repos[0].list[1]: expected a string");
  g_clear_error (&error);

  const char *allowed[] = { "id", NULL };
  g_assert_false (pl_json_check_keys (repo, "repos[0]", allowed, &error));
  g_assert_error (error, PL_JSON_ERROR, PL_JSON_ERROR_VALUE);
  g_assert_cmpstr (error->message, ==, "repos[0].list: unknown field");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/json/syntax-errors", test_syntax_errors);
  g_test_add_func ("/json/getters", test_getters);
  g_test_add_func ("/json/errors-name-the-path", test_errors_name_the_path);
  return g_test_run ();
}
