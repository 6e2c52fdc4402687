/* Tests for lib/config.c: layered drop-in directories, precedence, typed values,
 * unknown-key warnings and errors that name file, group and key. */
#include "lib/config.h"
#include "lib/fsutil.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#define SEC ((guint64) 1000000)

static const char *const strategies[] = { "immediate", "manual", "off", NULL };

static const PlConfigKey keys[] = {
  { "Updates", "BaseURL", PL_CONFIG_TYPE_STRING, "https://updates.example/plinth", NULL,
    "where the release index is" },
  { "Updates", "Stream", PL_CONFIG_TYPE_STRING, "stable", NULL, "stream" },
  { "Updates", "Strategy", PL_CONFIG_TYPE_ENUM, "immediate", strategies, "strategy" },
  { "Updates", "PollInterval", PL_CONFIG_TYPE_DURATION, "6h", NULL, "how often" },
  { "Updates", "Enabled", PL_CONFIG_TYPE_BOOL, "true", NULL, "on/off" },
  { "Updates", "Proxy", PL_CONFIG_TYPE_STRING, NULL, NULL, "proxy, unset by default" },
  { "Download", "MaxBytesPerSecond", PL_CONFIG_TYPE_SIZE, "0", NULL, "bandwidth cap" },
  { "Download", "Retries", PL_CONFIG_TYPE_UINT, "5", NULL, "retries" },
  { "Rollout", "Wariness", PL_CONFIG_TYPE_DOUBLE, "0.5", NULL, "wariness override" },
  { NULL },
};
static const PlConfigSchema schema = { keys };

static char *tmp;

static char *
mkdir_in (const char *rel)
{
  char *p = g_build_filename (tmp, rel, NULL);
  g_assert_cmpint (g_mkdir_with_parents (p, 0755), ==, 0);
  return p;
}

static void
write_file (const char *dir, const char *name, const char *contents)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  g_autoptr(GError) error = NULL;
  g_assert_true (g_file_set_contents (p, contents, -1, &error));
}

static void
fresh_tmp (void)
{
  if (tmp)
    {
      g_assert_true (pl_rm_rf_at (AT_FDCWD, tmp, NULL, NULL));
      g_free (tmp);
    }
  tmp = g_dir_make_tmp ("plinth-test-config-XXXXXX", NULL);
  g_assert_nonnull (tmp);
}

static void
test_defaults_without_files (void)
{
  fresh_tmp ();
  g_autofree char *missing = g_build_filename (tmp, "nope", NULL);
  const char *dirs[] = { missing, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(PlConfig) c = pl_config_load (dirs, &schema, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pl_config_get_string (c, "Updates", "Stream"), ==, "stable");
  g_assert_cmpstr (pl_config_get_enum (c, "Updates", "Strategy"), ==, "immediate");
  g_assert_cmpuint (pl_config_get_duration (c, "Updates", "PollInterval"), ==,
                    6 * 3600 * SEC);
  g_assert_true (pl_config_get_bool (c, "Updates", "Enabled"));
  g_assert_cmpuint (pl_config_get_uint (c, "Download", "Retries"), ==, 5);
  g_assert_cmpfloat (pl_config_get_double (c, "Rollout", "Wariness"), ==, 0.5);
  g_assert_false (pl_config_is_set (c, "Updates", "Proxy"));
  g_assert_null (pl_config_get_string (c, "Updates", "Proxy"));
  g_assert_null (pl_config_get_source (c, "Updates", "Stream"));
  g_assert_null (pl_config_get_warnings (c)[0]);
}

static void
test_precedence (void)
{
  fresh_tmp ();
  g_autofree char *usr = mkdir_in ("usr/lib/plinth/updater.conf.d");
  g_autofree char *etc = mkdir_in ("etc/plinth/updater.conf.d");
  write_file (usr, "10-vendor.conf",
              "[Updates]\nStream=beta\nStrategy=manual\nPollInterval=1h\n"
              "[Download]\nRetries=3\n");
  write_file (usr, "20-vendor.conf", "# later file in the same dir wins\n"
                                     "[Updates]\nStream=vendor-20\n");
  write_file (usr, "05-early.conf", "[Download]\nRetries=9\nMaxBytesPerSecond=1M\n");
  write_file (usr, "99-notconf.txt", "[Updates]\nStream=ignored\n");
  write_file (usr, ".hidden.conf", "[Updates]\nStream=ignored\n");
  write_file (etc, "00-admin.conf", "[Updates]\nStream=admin\nProxy=http://proxy:3128\n");

  g_auto(GStrv) dirs = pl_config_dirs_for (tmp, "updater");
  g_assert_cmpstr (dirs[0], ==, usr);
  g_assert_cmpstr (dirs[1], ==, etc);
  g_assert_null (dirs[2]);
  g_autoptr(GError) error = NULL;
  g_autoptr(PlConfig) c = pl_config_load ((const char *const *) dirs, &schema, &error);
  g_assert_no_error (error);
  /* /etc beats /usr even from a file that sorts first */
  g_assert_cmpstr (pl_config_get_string (c, "Updates", "Stream"), ==, "admin");
  g_autofree char *admin = g_build_filename (etc, "00-admin.conf", NULL);
  g_assert_cmpstr (pl_config_get_source (c, "Updates", "Stream"), ==, admin);
  g_assert_cmpstr (pl_config_get_enum (c, "Updates", "Strategy"), ==, "manual");
  g_assert_cmpuint (pl_config_get_duration (c, "Updates", "PollInterval"), ==,
                    3600 * SEC);
  /* lexical order: 05 then 10 */
  g_assert_cmpuint (pl_config_get_uint (c, "Download", "Retries"), ==, 3);
  g_assert_cmpuint (pl_config_get_size (c, "Download", "MaxBytesPerSecond"), ==, 1048576);
  g_assert_cmpstr (pl_config_get_string (c, "Updates", "Proxy"), ==, "http://proxy:3128");
  g_assert_true (pl_config_is_set (c, "Updates", "Proxy"));
  g_assert_null (pl_config_get_warnings (c)[0]);
}

static void
test_dirs_for_root (void)
{
  g_auto(GStrv) plain = pl_config_dirs_for ("/", "health");
  g_assert_cmpstr (plain[0], ==, "/usr/lib/plinth/health.conf.d");
  g_assert_cmpstr (plain[1], ==, "/etc/plinth/health.conf.d");
  g_setenv ("PLINTH_SYSROOT", "/sysroot", TRUE);
  g_auto(GStrv) env = pl_config_dirs_for (NULL, "updater");
  g_assert_cmpstr (env[0], ==, "/sysroot/usr/lib/plinth/updater.conf.d");
  g_assert_cmpstr (env[1], ==, "/sysroot/etc/plinth/updater.conf.d");
  /* an explicit root beats the environment */
  g_auto(GStrv) expl = pl_config_dirs_for ("/mnt/x", "updater");
  g_assert_cmpstr (expl[1], ==, "/mnt/x/etc/plinth/updater.conf.d");
  g_unsetenv ("PLINTH_SYSROOT");
  g_auto(GStrv) none = pl_config_dirs_for (NULL, "updater");
  g_assert_cmpstr (none[0], ==, "/usr/lib/plinth/updater.conf.d");
}

static void
test_unknown_keys_warn (void)
{
  fresh_tmp ();
  g_autofree char *d = mkdir_in ("conf.d");
  write_file (d, "50-x.conf", "[Updates]\nStrem=typo\nStream=ok\n[Nope]\nKey=1\n");
  const char *dirs[] = { d, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(PlConfig) c = pl_config_load (dirs, &schema, &error);
  g_assert_no_error (error);
  const char *const *w = pl_config_get_warnings (c);
  g_assert_cmpuint (g_strv_length ((char **) w), ==, 2);
  g_autofree char *w0 = g_strdup_printf ("%s/50-x.conf: [Updates] Strem: unknown key, ignored", d);
  g_autofree char *w1 = g_strdup_printf ("%s/50-x.conf: [Nope] Key: unknown key, ignored", d);
  g_assert_cmpstr (w[0], ==, w0);
  g_assert_cmpstr (w[1], ==, w1);
  g_assert_cmpstr (pl_config_get_string (c, "Updates", "Stream"), ==, "ok");
}

static void
expect_bad (const char *contents, int code, const char *needle)
{
  fresh_tmp ();
  g_autofree char *d = mkdir_in ("conf.d");
  write_file (d, "00-good.conf", "[Updates]\nStream=fine\n");
  write_file (d, "10-bad.conf", contents);
  const char *dirs[] = { d, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(PlConfig) c = pl_config_load (dirs, &schema, &error);
  g_assert_null (c);
  g_assert_error (error, PL_CONFIG_ERROR, code);
  g_autofree char *prefix = g_strdup_printf ("%s/10-bad.conf: ", d);
  if (!g_str_has_prefix (error->message, prefix) || !strstr (error->message, needle))
    g_error ("expected \"%s%s\" in \"%s\"", prefix, needle, error->message);
}

static void
test_bad_values (void)
{
  int BAD = PL_CONFIG_ERROR_BAD_VALUE;
  expect_bad ("[Updates]\nStrategy=sometimes\n", BAD,
              "[Updates] Strategy: \"sometimes\" is not one of: immediate, manual, off");
  expect_bad ("[Updates]\nEnabled=maybe\n", BAD, "[Updates] Enabled: \"maybe\" is not a boolean");
  expect_bad ("[Updates]\nPollInterval=6 hours and a bit\n", BAD,
              "[Updates] PollInterval: \"6 hours and a bit\" is not a duration");
  expect_bad ("[Updates]\nPollInterval=1h 30\n", BAD, "PollInterval");
  expect_bad ("[Updates]\nPollInterval=\n", BAD, "PollInterval: \"\" is not a duration");
  expect_bad ("[Download]\nRetries=-1\n", BAD, "[Download] Retries: \"-1\" is not a non-negative");
  expect_bad ("[Download]\nRetries=18446744073709551616\n", BAD, "Retries");
  expect_bad ("[Download]\nMaxBytesPerSecond=10X\n", BAD,
              "[Download] MaxBytesPerSecond: \"10X\" is not a size");
  expect_bad ("[Download]\nMaxBytesPerSecond=99999999999T\n", BAD, "MaxBytesPerSecond");
  expect_bad ("[Rollout]\nWariness=half\n", BAD, "[Rollout] Wariness: \"half\" is not a number");
  expect_bad ("[Rollout]\nWariness=nan\n", BAD, "Wariness");
  expect_bad ("[Updates\nStream=x\n", PL_CONFIG_ERROR_PARSE, "");
  expect_bad ("Stream=x\n", PL_CONFIG_ERROR_PARSE, "");
}

static void
test_durations (void)
{
  struct { const char *s; guint64 usec; } ok[] = {
    { "45s", 45 * SEC },           { "30min", 1800 * SEC },
    { "6h", 6 * 3600 * SEC },      { "1h 30min", 5400 * SEC },
    { "1h30m", 5400 * SEC },       { "90", 90 * SEC },
    { "500ms", 500000 },                      { "2d", 2 * 86400 * SEC },
    { "1w", 7 * 86400 * SEC },     { " 10 sec ", 10 * SEC },
    { "0", 0 },                               { "3 hours", 3 * 3600 * SEC },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      guint64 v = 1;
      if (!pl_config_parse_duration (ok[i].s, &v))
        g_error ("\"%s\" should parse", ok[i].s);
      g_assert_cmpuint (v, ==, ok[i].usec);
    }
  const char *bad[] = { "", " ", "h", "1.5h", "1x", "-1s", "1h 30", "1 2", "5 mins later",
                        "999999999999999w", NULL };
  for (int i = 0; bad[i]; i++)
    {
      guint64 v = 7;
      if (pl_config_parse_duration (bad[i], &v))
        g_error ("\"%s\" should not parse", bad[i]);
      g_assert_cmpuint (v, ==, 7);
    }
}

static void
test_sizes (void)
{
  struct { const char *s; guint64 bytes; } ok[] = {
    { "4096", 4096 },          { "10M", 10485760 },       { "512K", 524288 },
    { "1G", 1073741824 },      { "2T", 2199023255552ULL }, { "10MiB", 10485760 },
    { "10MB", 10485760 },      { "7B", 7 },               { "1 k", 1024 },
    { "0", 0 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      guint64 v = 1;
      if (!pl_config_parse_size (ok[i].s, &v))
        g_error ("\"%s\" should parse", ok[i].s);
      g_assert_cmpuint (v, ==, ok[i].bytes);
    }
  const char *bad[] = { "", "M", "1.5M", "10P", "-1", "10 M B", "99999999999T", NULL };
  for (int i = 0; bad[i]; i++)
    {
      guint64 v = 7;
      if (pl_config_parse_size (bad[i], &v))
        g_error ("\"%s\" should not parse", bad[i]);
    }
}

static void
test_bad_schema (void)
{
  static const PlConfigKey dup[] = {
    { "A", "x", PL_CONFIG_TYPE_UINT, "1" }, { "A", "x", PL_CONFIG_TYPE_UINT, "2" }, { NULL },
  };
  static const PlConfigKey bad_default[] = {
    { "A", "x", PL_CONFIG_TYPE_DURATION, "soon" }, { NULL },
  };
  static const PlConfigKey enum_without_choices[] = {
    { "A", "x", PL_CONFIG_TYPE_ENUM, NULL }, { NULL },
  };
  const PlConfigSchema schemas[] = { { dup }, { bad_default }, { enum_without_choices } };
  for (gsize i = 0; i < G_N_ELEMENTS (schemas); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PlConfig) c = pl_config_load (NULL, &schemas[i], &error);
      g_assert_null (c);
      g_assert_error (error, PL_CONFIG_ERROR, PL_CONFIG_ERROR_SCHEMA);
    }
}

static void
test_unreadable_dir (void)
{
  if (getuid () == 0)
    {
      /* root reads any directory: use a file where a directory is expected instead */
      fresh_tmp ();
      g_autofree char *f = g_build_filename (tmp, "file", NULL);
      g_assert_true (g_file_set_contents (f, "", -1, NULL));
      const char *dirs[] = { f, NULL };
      g_autoptr(GError) error = NULL;
      g_assert_null (pl_config_load (dirs, &schema, &error));
      g_assert_error (error, PL_CONFIG_ERROR, PL_CONFIG_ERROR_IO);
      g_assert_nonnull (strstr (error->message, f));
      return;
    }
  fresh_tmp ();
  g_autofree char *d = mkdir_in ("locked");
  g_assert_cmpint (chmod (d, 0), ==, 0);
  const char *dirs[] = { d, NULL };
  g_autoptr(GError) error = NULL;
  g_assert_null (pl_config_load (dirs, &schema, &error));
  g_assert_error (error, PL_CONFIG_ERROR, PL_CONFIG_ERROR_IO);
  g_assert_cmpint (chmod (d, 0755), ==, 0);
}

static void
test_type_strings (void)
{
  for (int t = PL_CONFIG_TYPE_STRING; t <= PL_CONFIG_TYPE_SIZE; t++)
    g_assert_cmpint (pl_config_type_from_string (pl_config_type_to_string (t)), ==, t);
  g_assert_cmpint (pl_config_type_from_string ("float"), ==, PL_CONFIG_TYPE_INVALID);
  g_assert_cmpstr (pl_config_type_to_string (PL_CONFIG_TYPE_INVALID), ==, "invalid");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/config/defaults-without-files", test_defaults_without_files);
  g_test_add_func ("/config/precedence", test_precedence);
  g_test_add_func ("/config/dirs-for-root", test_dirs_for_root);
  g_test_add_func ("/config/unknown-keys-warn", test_unknown_keys_warn);
  g_test_add_func ("/config/bad-values", test_bad_values);
  g_test_add_func ("/config/durations", test_durations);
  g_test_add_func ("/config/sizes", test_sizes);
  g_test_add_func ("/config/bad-schema", test_bad_schema);
  g_test_add_func ("/config/unreadable-dir", test_unreadable_dir);
  g_test_add_func ("/config/type-strings", test_type_strings);
  int rc = g_test_run ();
  if (tmp)
    pl_rm_rf_at (AT_FDCWD, tmp, NULL, NULL);
  return rc;
}
