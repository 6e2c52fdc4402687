/* Tests for releases/manifest.c: fields, defaults, variables, includes, and errors
 * that name the file and the field. */
#include "releases/manifest.h"
#include "lib/json.h"

#include <glib/gstdio.h>

static PlManifest *
load (const char *json, GHashTable *defines, GError **error)
{
  return pl_manifest_load_data (json, strlen (json), "m.json", "/manifests", defines, NULL,
                                error);
}

#define MINIMAL_REPO "\"repos\":[{\"id\":\"r\",\"baseurl\":\"file:///repo/\",\"gpgkey\":\"file:///k\"}]"

static void
test_minimal (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlManifest) m = load ("{\"name\":\"img\",\"version\":\"1.0\",\"arch\":\"x86_64\","
                                  "\"ref\":\"plinth/${basearch}/stable\"," MINIMAL_REPO ","
                                  "\"packages\":[\"a\",\"b >= 2\"]}",
                                  NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (m->name, ==, "img");
  g_assert_cmpstr (m->ref, ==, "plinth/x86_64/stable");
  g_assert_cmpstr (m->os_id, ==, "img");      /* defaults to name */
  g_assert_cmpstr (m->os_name, ==, "img");
  g_assert_true (m->documentation);
  g_assert_cmpuint (m->repos->len, ==, 1);
  PlManifestRepo *r = m->repos->pdata[0];
  g_assert_cmpstr (r->baseurl, ==, "file:///repo");   /* trailing slash trimmed */
  g_assert_cmpstr (r->gpgkeys[0], ==, "file:///k");
  g_assert_false (r->is_unsigned);
  g_assert_cmpuint (g_strv_length (m->packages), ==, 2);
  g_assert_cmpstr (m->packages[1], ==, "b >= 2");
}

static void
test_defines_and_undefined (void)
{
  g_autoptr(GHashTable) defs = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_insert (defs, "repo", "https://example.invalid/r");
  const char *json = "{\"name\":\"img\",\"version\":\"1\",\"arch\":\"aarch64\",\"ref\":\"x\","
                     "\"repos\":[{\"id\":\"r\",\"baseurl\":\"${repo}/${basearch}\","
                     "\"unsigned\":true}],\"packages\":[\"a\"]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(PlManifest) m = load (json, defs, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((PlManifestRepo *) m->repos->pdata[0])->baseurl, ==,
                   "https://example.invalid/r/aarch64");
  g_assert_true (((PlManifestRepo *) m->repos->pdata[0])->is_unsigned);

  g_autoptr(PlManifest) m2 = load (json, NULL, &error);
  g_assert_null (m2);
  g_assert_error (error, PL_MANIFEST_ERROR, PL_MANIFEST_ERROR_UNDEFINED);
  g_assert_cmpstr (error->message, ==, "m.json: repos[0].baseurl: variable ${repo} is not "
                                       "defined (pass --define repo=VALUE)");
}

/* Each malformed manifest fails with a message naming the field. */
static void
test_errors_name_the_field (void)
{
  struct {
    const char *json;
    const char *message;
  } cases[] = {
    { "[]", "m.json: the manifest must be a JSON object" },
    { "{\"name\":1}", "m.json: name: expected a string, got an integer" },
    { "{\"nmae\":\"x\"}", "m.json: nmae: unknown field" },
    { "{\"version\":\"1\",\"arch\":\"x\",\"ref\":\"r\"," MINIMAL_REPO ",\"packages\":[\"a\"]}",
      "m.json: name: required field is missing" },
    { "{\"name\":\"a b\",\"version\":\"1\",\"arch\":\"x\",\"ref\":\"r\"," MINIMAL_REPO
      ",\"packages\":[\"a\"]}",
      "m.json: name: \"a b\" may hold only letters, digits, . _ -" },
    { "{\"name\":\"n\",\"version\":\"1\",\"arch\":\"x\",\"ref\":\"r\",\"repos\":[{\"id\":\"r\"}],"
      "\"packages\":[\"a\"]}",
      "m.json: repos[0].baseurl: required field is missing" },
    { "{\"name\":\"n\",\"version\":\"1\",\"arch\":\"x\",\"ref\":\"r\",\"repos\":[{\"id\":\"r\","
      "\"baseurl\":\"file:///x\"}],\"packages\":[\"a\"]}",
      "m.json: repos[0]: a signed repo needs \"gpgkey\" (or set \"unsigned\": true)" },
    { "{\"name\":\"n\",\"version\":\"1\",\"arch\":\"x\",\"ref\":\"r\"," MINIMAL_REPO
      ",\"packages\":[\"a\", 7]}",
      "m.json: packages[1]: expected a string" },
    { "{\"name\":\"n\",\"version\":\"1\",\"arch\":\"x\",\"ref\":\"r\"," MINIMAL_REPO
      ",\"packages\":[]}",
      "m.json: packages: at least one package is needed" },
    { "{\"name\":\"n\",\"version\":\"1\",\"arch\":\"x\",\"ref\":\"r\",\"repos\":[],"
      "\"packages\":[\"a\"]}",
      "m.json: repos: at least one repository is needed" },
    { "{\"name\":\"n\",\"version\":\"1\",\"arch\":\"x\",\"ref\":\"r\"," MINIMAL_REPO
      ",\"packages\":[\"a\"],\"os-release\":{\"ID\":\"x\"}}",
      "m.json: os-release.ID: unknown field" },
    { "{\"name\":\"n\",\"version\":\"1\",\"arch\":\"x\",\"ref\":\"r\",\"repos\":[{\"id\":\"r\","
      "\"baseurl\":\"file:///x\",\"unsigned\":true},{\"id\":\"r\",\"baseurl\":\"file:///y\","
      "\"unsigned\":true}],\"packages\":[\"a\"]}",
      "m.json: repos[1].id: repo \"r\" is defined twice" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PlManifest) m = load (cases[i].json, NULL, &error);
      g_assert_null (m);
      g_assert_nonnull (error);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }
  g_autoptr(GError) error = NULL;
  g_autoptr(PlManifest) m = load ("{\"name\": ", NULL, &error);
  g_assert_null (m);
  g_assert_error (error, PL_JSON_ERROR, PL_JSON_ERROR_SYNTAX);
}

static void
test_include (void)
{
  g_autofree char *dir = g_dir_make_tmp ("plinth-manifest-XXXXXX", NULL);
  g_autofree char *base = g_build_filename (dir, "base.json", NULL);
  g_autofree char *top = g_build_filename (dir, "top.json", NULL);
  g_assert_true (g_file_set_contents (base,
      "{\"name\":\"img\",\"version\":\"1\",\"arch\":\"x86_64\",\"ref\":\"r\","
      "\"repos\":[{\"id\":\"base\",\"baseurl\":\"file://${manifestdir}/repo\",\"unsigned\":true}],"
      "\"packages\":[\"a\"],\"documentation\":false}", -1, NULL));
  g_assert_true (g_file_set_contents (top,
      "{\"include\":\"base.json\",\"version\":\"2\",\"packages\":[\"b\"]}", -1, NULL));
  g_autoptr(GError) error = NULL;
  g_autoptr(PlManifest) m = pl_manifest_load (top, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (m->version, ==, "2");                 /* the including file wins */
  g_assert_false (m->documentation);                     /* inherited */
  g_assert_cmpuint (g_strv_length (m->packages), ==, 2); /* lists are added */
  g_autofree char *want = g_strdup_printf ("file://%s/repo", dir);
  g_assert_cmpstr (((PlManifestRepo *) m->repos->pdata[0])->baseurl, ==, want);

  g_autoptr(PlManifest) m2 = pl_manifest_load (top, NULL, "3.0", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (m2->version, ==, "3.0");

  /* an include loop is stopped */
  g_assert_true (g_file_set_contents (base, "{\"include\":\"top.json\"}", -1, NULL));
  g_autoptr(PlManifest) m3 = pl_manifest_load (top, NULL, NULL, &error);
  g_assert_null (m3);
  g_assert_error (error, PL_MANIFEST_ERROR, PL_MANIFEST_ERROR_INCLUDE);
  g_unlink (base);
  g_unlink (top);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/manifest/minimal", test_minimal);
  g_test_add_func ("/manifest/defines", test_defines_and_undefined);
  g_test_add_func ("/manifest/errors-name-the-field", test_errors_name_the_field);
  g_test_add_func ("/manifest/include", test_include);
  return g_test_run ();
}
