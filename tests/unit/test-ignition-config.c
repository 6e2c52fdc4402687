/* Tests for ignition/ignition-config.c and ignition/fetch.c: versions, data: URLs,
 * gzip and hashes, path and mode validation, refused sections, and that every error
 * names the JSON path of the field. */
#include "ignition/fetch.h"
#include "ignition/ignition-config.h"
#include "lib/json.h"

#include <string.h>

static PlPlan *
compile (const char *json, GError **error)
{
  PlFetchOptions opts = { .max_size = 4096 };
  return pl_ignition_compile (json, strlen (json), &opts, error);
}

/* Compiles JSON expecting failure in DOMAIN/CODE with a message starting PREFIX. */
static void
assert_fails (const char *json, GQuark domain, int code, const char *prefix)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlPlan) plan = compile (json, &error);
  g_assert_null (plan);
  g_assert_error (error, domain, code);
  if (!g_str_has_prefix (error->message, prefix))
    g_error ("message \"%s\" does not start with \"%s\"", error->message, prefix);
}

static void
test_versions (void)
{
  static const char *const ok[] = { "3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0" };
  for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      guint minor = 99;
      g_assert_true (pl_ignition_parse_version (ok[i], &minor, NULL));
      g_assert_cmpuint (minor, ==, i);
    }
  static const char *const bad[] = { "3.6.0", "3.6.0-experimental", "2.3.0", "3.4", "4.0.0",
                                     "", " 3.4.0" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      guint minor;
      g_assert_false (pl_ignition_parse_version (bad[i], &minor, &error));
      g_assert_error (error, PL_IGNITION_ERROR, PL_IGNITION_ERROR_VERSION);
      g_assert_nonnull (strstr (error->message, bad[i]));
    }
  assert_fails ("{\"ignition\":{}}", PL_IGNITION_ERROR, PL_IGNITION_ERROR_VERSION,
                "ignition.version: required");
  assert_fails ("{\"storage\":{}}", PL_IGNITION_ERROR, PL_IGNITION_ERROR_VERSION,
                "ignition.version: required");
  assert_fails ("{\"ignition\":{\"version\":3.4}}", PL_JSON_ERROR, PL_JSON_ERROR_TYPE,
                "ignition.version: expected a string");
}

static void
test_empty_config (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlPlan) plan = compile ("{\"ignition\":{\"version\":\"3.4.0\"}}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plan->files->len + plan->dirs->len + plan->links->len + plan->units->len
                    + plan->users->len + plan->groups->len, ==, 0);
  g_assert_cmpuint (plan->warnings->len, ==, 0);
}

static void
test_files (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlPlan) plan = compile (
      "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"files\":["
      "{\"path\":\"//etc/./a\",\"mode\":420,\"overwrite\":true,\"user\":{\"id\":5},"
      "\"group\":{\"name\":\"wheel\"},\"contents\":{\"source\":\"data:,a%20b\"}},"
      "{\"path\":\"/etc/b\",\"append\":[{\"source\":\"data:;base64,eA==\"}]},"
      "{\"path\":\"/etc/c\",\"contents\":{\"source\":\"https://example.test/c\","
      "\"verification\":{\"hash\":\"sha256-" "0000000000000000000000000000000000000000000000000000000000000000\"}}}]}}",
      &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plan->files->len, ==, 3);
  PlPlanFile *a = plan->files->pdata[0];
  g_assert_cmpstr (a->path, ==, "/etc/a");
  g_assert_cmpint (a->mode, ==, 0644);
  g_assert_true (a->overwrite);
  g_assert_cmpint (a->owner.uid, ==, 5);
  g_assert_cmpstr (a->owner.group, ==, "wheel");
  g_assert_cmpmem (g_bytes_get_data (a->contents->data, NULL),
                   g_bytes_get_size (a->contents->data), "a b", 3);
  PlPlanFile *b = plan->files->pdata[1];
  g_assert_null (b->contents);
  g_assert_cmpuint (b->append->len, ==, 1);
  PlSource *app = b->append->pdata[0];
  g_assert_cmpmem (g_bytes_get_data (app->data, NULL), g_bytes_get_size (app->data), "x", 1);
  /* remote contents are not fetched by the parser */
  PlPlanFile *c = plan->files->pdata[2];
  g_assert_null (c->contents->data);
  g_assert_cmpstr (c->contents->url, ==, "https://example.test/c");
}

static void
test_file_errors (void)
{
#define FILES(x) "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"files\":[" x "]}}"
  assert_fails (FILES ("{\"path\":\"/a\"},{\"path\":\"/b\",\"mode\":4096}"), PL_IGNITION_ERROR,
                PL_IGNITION_ERROR_INVALID, "storage.files[1].mode: 4096 is not a valid mode");
  assert_fails (FILES ("{\"path\":\"/a\",\"mode\":-1}"), PL_IGNITION_ERROR,
                PL_IGNITION_ERROR_INVALID, "storage.files[0].mode:");
  assert_fails (FILES ("{\"path\":\"a/b\"}"), PL_PLAN_ERROR, PL_PLAN_ERROR_BAD_PATH,
                "storage.files[0].path: path \"a/b\" is not absolute");
  assert_fails (FILES ("{\"path\":\"/a/../../b\"}"), PL_PLAN_ERROR, PL_PLAN_ERROR_BAD_PATH,
                "storage.files[0].path: path \"/a/../../b\" contains \"..\"");
  assert_fails (FILES ("{\"path\":\"/\"}"), PL_PLAN_ERROR, PL_PLAN_ERROR_BAD_PATH,
                "storage.files[0].path: path \"/\" names the root");
  assert_fails (FILES ("{\"path\":\"/a\"},{\"path\":\"/a/\"}"), PL_PLAN_ERROR,
                PL_PLAN_ERROR_DUPLICATE, "storage.files[1]: path \"/a\" is also given by");
  assert_fails (FILES ("{\"path\":\"/a\",\"overwrite\":true}"), PL_IGNITION_ERROR,
                PL_IGNITION_ERROR_INVALID, "storage.files[0].overwrite: true needs");
  assert_fails (FILES ("{\"path\":\"/a\",\"user\":{\"id\":1,\"name\":\"x\"}}"),
                PL_IGNITION_ERROR, PL_IGNITION_ERROR_INVALID,
                "storage.files[0].user: give id or name");
  assert_fails (FILES ("{\"path\":\"/a\",\"contents\":{\"source\":\"data:;base64,!!!!\"}}"),
                PL_FETCH_ERROR, PL_FETCH_ERROR_BAD_URL,
                "storage.files[0].contents: data: URL is not valid base64");
  assert_fails (FILES ("{\"path\":\"/a\",\"contents\":{\"source\":\"data:,%zz\"}}"),
                PL_FETCH_ERROR, PL_FETCH_ERROR_BAD_URL,
                "storage.files[0].contents: data: URL has an invalid percent escape");
  assert_fails (FILES ("{\"path\":\"/a\",\"contents\":{\"source\":\"s3://b/k\"}}"),
                PL_IGNITION_ERROR, PL_IGNITION_ERROR_UNSUPPORTED,
                "storage.files[0].contents.source: scheme \"s3\" is not supported");
  assert_fails (FILES ("{\"path\":\"/a\",\"contents\":{\"source\":\"data:,x\","
                       "\"compression\":\"xz\"}}"),
                PL_IGNITION_ERROR, PL_IGNITION_ERROR_INVALID,
                "storage.files[0].contents.compression: \"xz\" is not supported");
  assert_fails (FILES ("{\"path\":\"/a\",\"contents\":{\"verification\":{\"hash\":"
                       "\"sha512-00\"}}}"),
                PL_IGNITION_ERROR, PL_IGNITION_ERROR_INVALID,
                "storage.files[0].contents.verification.hash: hash \"sha512-00\" does not "
                "have 128 hex digits");
  assert_fails (FILES ("{\"path\":\"/a\",\"contents\":{\"source\":\"data:,x\","
                       "\"httpHeaders\":[{\"name\":\"a\",\"value\":\"b\"}]}}"),
                PL_IGNITION_ERROR, PL_IGNITION_ERROR_UNSUPPORTED,
                "storage.files[0].contents.httpHeaders: not supported");
  /* over the size limit of 4096 given in compile () */
  g_autofree char *big = g_strnfill (5000, 'a');
  g_autofree char *json = g_strdup_printf (FILES ("{\"path\":\"/a\",\"contents\":"
                                                  "{\"source\":\"data:,%s\"}}"), big);
  assert_fails (json, PL_FETCH_ERROR, PL_FETCH_ERROR_TOO_LARGE,
                "storage.files[0].contents: data: URL holds more than the limit");
#undef FILES
}

static void
test_gzip_hash_is_of_decompressed (void)
{
  const char *text = "hello, gzip\n";
  g_autoptr(GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  guint8 out[256];
  gsize nr, nw;
  g_assert_cmpint (g_converter_convert (G_CONVERTER (z), text, strlen (text), out, sizeof out,
                                        G_CONVERTER_INPUT_AT_END, &nr, &nw, NULL),
                   ==, G_CONVERTER_FINISHED);
  g_autofree char *b64 = g_base64_encode (out, nw);
  g_autofree char *plain_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA512, text, -1);
  g_autofree char *gz_hash = g_compute_checksum_for_data (G_CHECKSUM_SHA512, out, nw);
  const char *fmt = "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"files\":[{\"path\":"
                    "\"/a\",\"contents\":{\"compression\":\"gzip\",\"source\":\"data:;base64,%s\","
                    "\"verification\":{\"hash\":\"sha512-%s\"}}}]}}";
  g_autofree char *good = g_strdup_printf (fmt, b64, plain_hash);
  g_autoptr(GError) error = NULL;
  g_autoptr(PlPlan) plan = compile (good, &error);
  g_assert_no_error (error);
  PlPlanFile *f = plan->files->pdata[0];
  g_assert_cmpmem (g_bytes_get_data (f->contents->data, NULL),
                   g_bytes_get_size (f->contents->data), text, strlen (text));
  g_autofree char *bad = g_strdup_printf (fmt, b64, gz_hash);
  assert_fails (bad, PL_FETCH_ERROR, PL_FETCH_ERROR_HASH_MISMATCH,
                "storage.files[0].contents: hash mismatch");
  g_autofree char *old = g_strdup_printf (fmt, b64, plain_hash);
  memcpy (strstr (old, "3.4.0"), "3.0.0", 5);
  assert_fails (old, PL_IGNITION_ERROR, PL_IGNITION_ERROR_INVALID,
                "storage.files[0].contents.compression: needs spec 3.1.0");
}

static void
test_refused_sections (void)
{
  static const char *const keys[] = { "disks", "raid", "filesystems", "luks" };
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autofree char *empty = g_strdup_printf (
          "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"%s\":[]}}", keys[i]);
      g_autoptr(GError) error = NULL;
      g_autoptr(PlPlan) plan = compile (empty, &error);
      g_assert_no_error (error);
      g_autofree char *full = g_strdup_printf (
          "{\"ignition\":{\"version\":\"3.4.0\"},\"storage\":{\"%s\":[{}]}}", keys[i]);
      g_autofree char *prefix = g_strdup_printf ("storage.%s: not supported", keys[i]);
      assert_fails (full, PL_IGNITION_ERROR, PL_IGNITION_ERROR_UNSUPPORTED, prefix);
    }
  assert_fails ("{\"ignition\":{\"version\":\"3.4.0\",\"config\":{\"replace\":{\"source\":"
                "\"https://x\"}}}}", PL_IGNITION_ERROR, PL_IGNITION_ERROR_UNSUPPORTED,
                "ignition.config.replace: not supported");
  g_autoptr(GError) error = NULL;
  g_autoptr(PlPlan) plan = compile ("{\"ignition\":{\"version\":\"3.4.0\",\"config\":"
                                    "{\"merge\":[],\"replace\":{}}}}", &error);
  g_assert_no_error (error);
}

static void
test_units_users_kargs (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlPlan) plan = compile (
      "{\"ignition\":{\"version\":\"3.4.0\"},"
      "\"systemd\":{\"units\":[{\"name\":\"a.service\",\"enabled\":false},"
      "{\"name\":\"b.service\",\"mask\":true,\"dropins\":[{\"name\":\"x.conf\",\"contents\":\"y\"}]},"
      "{\"name\":\"c.timer\"}]},"
      "\"passwd\":{\"users\":[{\"name\":\"u\",\"uid\":1001,\"groups\":[\"g\"],"
      "\"sshAuthorizedKeys\":[\"k1\",\"k2\"]}],\"groups\":[{\"name\":\"g\",\"gid\":7}]},"
      "\"kernelArguments\":{\"shouldExist\":[\"a=1\"],\"shouldNotExist\":[\"b\"]}}", &error);
  g_assert_no_error (error);
  PlPlanUnit *a = plan->units->pdata[0], *b = plan->units->pdata[1], *c = plan->units->pdata[2];
  g_assert_cmpint (a->enabled, ==, 0);
  g_assert_true (b->mask);
  g_assert_cmpuint (b->dropins->len, ==, 1);
  g_assert_cmpint (c->enabled, ==, -1);
  PlPlanUser *u = plan->users->pdata[0];
  g_assert_cmpint (u->uid, ==, 1001);
  g_assert_cmpuint (g_strv_length (u->ssh_keys), ==, 2);
  g_assert_cmpint (((PlPlanGroup *) plan->groups->pdata[0])->gid, ==, 7);
  g_assert_cmpstr (plan->kargs_add->pdata[0], ==, "a=1");
  g_assert_cmpstr (plan->kargs_del->pdata[0], ==, "b");

  assert_fails ("{\"ignition\":{\"version\":\"3.4.0\"},\"systemd\":{\"units\":[{\"name\":"
                "\"a.service\",\"mask\":true,\"enabled\":true}]}}",
                PL_IGNITION_ERROR, PL_IGNITION_ERROR_INVALID, "systemd.units[0]: a unit cannot");
  assert_fails ("{\"ignition\":{\"version\":\"3.4.0\"},\"systemd\":{\"units\":[{\"name\":"
                "\"noext\"}]}}", PL_PLAN_ERROR, PL_PLAN_ERROR_BAD_PATH,
                "systemd.units[0].name: \"noext\" is not a valid unit name");
  assert_fails ("{\"ignition\":{\"version\":\"3.4.0\"},\"systemd\":{\"units\":[{\"name\":"
                "\"a.service\",\"dropins\":[{\"name\":\"../x.conf\"}]}]}}", PL_PLAN_ERROR,
                PL_PLAN_ERROR_BAD_PATH, "systemd.units[0].dropins[0].name:");
  assert_fails ("{\"ignition\":{\"version\":\"3.4.0\"},\"passwd\":{\"users\":[{\"name\":\"u\","
                "\"noCreateHome\":true}]}}", PL_IGNITION_ERROR, PL_IGNITION_ERROR_UNSUPPORTED,
                "passwd.users[0].noCreateHome: true is not supported");
  assert_fails ("{\"ignition\":{\"version\":\"3.4.0\"},\"passwd\":{\"users\":[{\"name\":\"u\","
                "\"shouldExist\":false}]}}", PL_IGNITION_ERROR, PL_IGNITION_ERROR_UNSUPPORTED,
                "passwd.users[0].shouldExist: removing users");
  assert_fails ("{\"ignition\":{\"version\":\"3.4.0\"},\"kernelArguments\":{\"shouldExist\":"
                "[\"a b\"]}}", PL_IGNITION_ERROR, PL_IGNITION_ERROR_INVALID,
                "kernelArguments.shouldExist: \"a b\" is not a single kernel argument");
  assert_fails ("{\"ignition\":{\"version\":\"3.4.0\"},\"kernelArguments\":{\"shouldExist\":"
                "[\"a\"],\"shouldNotExist\":[\"a\"]}}", PL_IGNITION_ERROR,
                PL_IGNITION_ERROR_INVALID, "kernelArguments: \"a\" is in both");
  assert_fails ("{\"ignition\":{\"version\":\"3.4.0\"},\"passwd\":{\"users\":[{}]}}",
                PL_JSON_ERROR, PL_JSON_ERROR_MISSING, "passwd.users[0].name: required");
}

static void
test_unknown_keys_warn (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlPlan) plan = compile ("{\"ignition\":{\"version\":\"3.4.0\",\"extra\":1},"
                                    "\"storage\":{\"files\":[{\"path\":\"/a\",\"size\":3}]},"
                                    "\"other\":{}}", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plan->warnings->len, ==, 3);
  g_assert_cmpstr (plan->warnings->pdata[0], ==, "ignition.extra: unknown field, ignored");
  g_assert_cmpstr (plan->warnings->pdata[1], ==, "other: unknown field, ignored");
  g_assert_cmpstr (plan->warnings->pdata[2], ==, "storage.files[0].size: unknown field, ignored");
}

static void
test_fetch_helpers (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) a = pl_fetch_decode_data_url ("data:text/plain;charset=utf-8;base64,"
                                                  "aGk=", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (a, NULL), g_bytes_get_size (a), "hi", 2);
  g_autoptr(GBytes) e = pl_fetch_decode_data_url ("data:,", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (e), ==, 0);
  g_assert_null (pl_fetch_decode_data_url ("data:base64", 0, &error));
  g_assert_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_BAD_URL);
  g_clear_error (&error);
  g_assert_null (pl_fetch_decode_data_url ("data:;base64,aGk", 0, &error));
  g_assert_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_BAD_URL);
  g_clear_error (&error);

  /* a gzip bomb stops at the limit, not at the end of its output */
  g_autofree guint8 *zeros = g_malloc0 (1 << 20);
  g_autoptr(GZlibCompressor) z = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 9);
  g_autofree guint8 *out = g_malloc (1 << 20);
  gsize nr, nw;
  g_converter_convert (G_CONVERTER (z), zeros, 1 << 20, out, 1 << 20,
                       G_CONVERTER_INPUT_AT_END, &nr, &nw, NULL);
  g_autoptr(GBytes) gz = g_bytes_new (out, nw);
  g_assert_null (pl_fetch_gunzip (gz, 65536, &error));
  g_assert_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_TOO_LARGE);
  g_clear_error (&error);
  g_autoptr(GBytes) full = pl_fetch_gunzip (gz, 2 << 20, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (full), ==, 1 << 20);
  g_autoptr(GBytes) trunc = g_bytes_new (out, nw / 2);
  g_assert_null (pl_fetch_gunzip (trunc, 0, &error));
  g_assert_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_CORRUPT);
  g_clear_error (&error);

  g_assert_true (pl_fetch_verify_hash (a, "sha256-8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4", &error));
  g_assert_true (pl_fetch_verify_hash (a, "sha256-8F434346648F6B96DF89DDA901C5176B10A6D83961DD3C1AC88B59B2DC327AA4", &error));
  g_assert_false (pl_fetch_verify_hash (e, "sha256-8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4", &error));
  g_assert_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_HASH_MISMATCH);
  g_clear_error (&error);
  g_assert_false (pl_fetch_check_hash_spec ("sha1-abc", &error));
  g_assert_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_BAD_HASH);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/ignition/versions", test_versions);
  g_test_add_func ("/ignition/empty-config", test_empty_config);
  g_test_add_func ("/ignition/files", test_files);
  g_test_add_func ("/ignition/file-errors", test_file_errors);
  g_test_add_func ("/ignition/gzip-hash-is-of-decompressed", test_gzip_hash_is_of_decompressed);
  g_test_add_func ("/ignition/refused-sections", test_refused_sections);
  g_test_add_func ("/ignition/units-users-kargs", test_units_users_kargs);
  g_test_add_func ("/ignition/unknown-keys-warn", test_unknown_keys_warn);
  g_test_add_func ("/ignition/fetch-helpers", test_fetch_helpers);
  return g_test_run ();
}
