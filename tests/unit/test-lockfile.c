/* Tests for releases/lockfile.c: the round trip, deterministic output, and one case
 * per validation rule with the exact error (code and JSON path). */
#include "releases/lockfile.h"
#include "lib/fsutil.h"
#include "lib/json.h"

#include <fcntl.h>
#include <string.h>

#define SHA_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

static PlPackage *
pkg (const char *name, guint64 epoch, const char *version, const char *release,
     const char *arch, const char *sha256, guint64 size, const char *repo)
{
  PlPackage *p = pl_package_new ();
  p->name = g_strdup (name);
  p->epoch = epoch;
  p->version = g_strdup (version);
  p->release = g_strdup (release);
  p->arch = g_strdup (arch);
  p->sha256 = g_strdup (sha256);
  p->size = size;
  p->repo_id = g_strdup (repo);
  p->license = g_strdup ("MIT");
  return p;
}

static GPtrArray *
sample (void)
{
  GPtrArray *a = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_package_free);
  g_ptr_array_add (a, pkg ("zlib-ng", 0, "2.1.7", "2.fc41", "x86_64", SHA_A, 81234, "fedora"));
  g_ptr_array_add (a, pkg ("bash", 0, "5.2.32", "1.fc41", "x86_64", SHA_B, 1900000, "updates"));
  g_ptr_array_add (a, pkg ("shadow-utils", 2, "4.15.1", "12.fc41", "x86_64", SHA_A, 1300000,
                           "fedora"));
  g_ptr_array_add (a, pkg ("tzdata", 0, "2024a", "9.fc41", "noarch", SHA_B, 0, "fedora"));
  return a;
}

static const char expected_json[] =
    "{\n"
    "  \"schema\": 1,\n"
    "  \"arch\": \"x86_64\",\n"
    "  \"packages\": [\n"
    "    {\n"
    "      \"name\": \"bash\",\n"
    "      \"epoch\": 0,\n"
    "      \"version\": \"5.2.32\",\n"
    "      \"release\": \"1.fc41\",\n"
    "      \"arch\": \"x86_64\",\n"
    "      \"nevra\": \"bash-5.2.32-1.fc41.x86_64\",\n"
    "      \"sha256\": \"" SHA_B "\",\n"
    "      \"size\": 1900000,\n"
    "      \"repo\": \"updates\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"shadow-utils\",\n"
    "      \"epoch\": 2,\n"
    "      \"version\": \"4.15.1\",\n"
    "      \"release\": \"12.fc41\",\n"
    "      \"arch\": \"x86_64\",\n"
    "      \"nevra\": \"shadow-utils-2:4.15.1-12.fc41.x86_64\",\n"
    "      \"sha256\": \"" SHA_A "\",\n"
    "      \"size\": 1300000,\n"
    "      \"repo\": \"fedora\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"tzdata\",\n"
    "      \"epoch\": 0,\n"
    "      \"version\": \"2024a\",\n"
    "      \"release\": \"9.fc41\",\n"
    "      \"arch\": \"noarch\",\n"
    "      \"nevra\": \"tzdata-2024a-9.fc41.noarch\",\n"
    "      \"sha256\": \"" SHA_B "\",\n"
    "      \"size\": 0,\n"
    "      \"repo\": \"fedora\"\n"
    "    },\n"
    "    {\n"
    "      \"name\": \"zlib-ng\",\n"
    "      \"epoch\": 0,\n"
    "      \"version\": \"2.1.7\",\n"
    "      \"release\": \"2.fc41\",\n"
    "      \"arch\": \"x86_64\",\n"
    "      \"nevra\": \"zlib-ng-2.1.7-2.fc41.x86_64\",\n"
    "      \"sha256\": \"" SHA_A "\",\n"
    "      \"size\": 81234,\n"
    "      \"repo\": \"fedora\"\n"
    "    }\n"
    "  ]\n"
    "}\n";

static void
test_roundtrip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("plinth-lock-XXXXXX", &error);
  g_assert_no_error (error);
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (dfd, >=, 0);
  g_autoptr(GPtrArray) pkgs = sample ();

  g_assert_true (pl_lockfile_write (dfd, "plinth.lock.json", "x86_64", pkgs, &error));
  g_assert_no_error (error);
  g_autofree char *text = NULL;
  g_assert_true (pl_file_read_at (dfd, "plinth.lock.json", 0, &text, NULL, &error));
  g_assert_cmpstr (text, ==, expected_json);
  /* the caller's array keeps its order */
  g_assert_cmpstr (((PlPackage *) pkgs->pdata[0])->name, ==, "zlib-ng");
  /* published atomically: nothing else left in the directory */
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_cmpstr (g_dir_read_name (d), ==, "plinth.lock.json");
  g_assert_null (g_dir_read_name (d));

  g_autoptr(PlLockfile) lock = pl_lockfile_load (dfd, "plinth.lock.json", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (pl_lockfile_get_arch (lock), ==, "x86_64");
  g_assert_cmpuint (pl_lockfile_get_n_packages (lock), ==, 4);
  const PlPackage *p = pl_lockfile_get_package (lock, 1);
  g_assert_cmpstr (p->name, ==, "shadow-utils");
  g_assert_cmpuint (p->epoch, ==, 2);
  g_assert_cmpstr (p->version, ==, "4.15.1");
  g_assert_cmpstr (p->release, ==, "12.fc41");
  g_assert_cmpstr (p->arch, ==, "x86_64");
  g_assert_cmpstr (p->sha256, ==, SHA_A);
  g_assert_cmpuint (p->size, ==, 1300000);
  g_assert_cmpstr (p->repo_id, ==, "fedora");
  g_assert_null (p->license); /* not part of the format */

  const PlPackage *found = NULL;
  g_assert_true (pl_lockfile_lookup (lock, "tzdata", &found));
  g_assert_cmpstr (found->arch, ==, "noarch");
  g_assert_false (pl_lockfile_lookup (lock, "tzdata-java", &found));
  g_assert_true (found != NULL && g_str_equal (found->name, "tzdata")); /* untouched */

  g_autoptr(GPtrArray) copies = pl_lockfile_to_packages (lock);
  g_assert_cmpuint (copies->len, ==, 4);
  g_assert_true (copies->pdata[0] != pl_lockfile_get_package (lock, 0));
  g_autofree char *again = pl_lockfile_to_json ("x86_64", copies, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, expected_json);

  close (dfd);
  g_assert_true (pl_rm_rf_at (AT_FDCWD, dir, NULL, &error));
}

static void
test_deterministic (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) a = sample ();
  g_autoptr(GPtrArray) b = g_ptr_array_new ();
  for (guint i = a->len; i > 0; i--)
    g_ptr_array_add (b, a->pdata[i - 1]);
  g_autofree char *ja = pl_lockfile_to_json ("x86_64", a, &error);
  g_autofree char *jb = pl_lockfile_to_json ("x86_64", b, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ja, ==, jb);

  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autofree char *empty = pl_lockfile_to_json ("aarch64", none, &error);
  g_assert_cmpstr (empty, ==, "{\n  \"schema\": 1,\n  \"arch\": \"aarch64\",\n  \"packages\": [\n  ]\n}\n");
  g_autoptr(PlLockfile) lock = pl_lockfile_parse (empty, strlen (empty), "empty", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pl_lockfile_get_n_packages (lock), ==, 0);
}

static void
test_write_refuses (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("plinth-lock-XXXXXX", &error);
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  g_autoptr(GPtrArray) bad_sha = sample ();
  g_free (((PlPackage *) bad_sha->pdata[1])->sha256);
  ((PlPackage *) bad_sha->pdata[1])->sha256 = g_strdup ("abc");
  g_assert_false (pl_lockfile_write (dfd, "l.json", "x86_64", bad_sha, &error));
  g_assert_error (error, PL_LOCKFILE_ERROR, PL_LOCKFILE_ERROR_INVALID);
  /* bash sorts first */
  g_assert_cmpstr (error->message, ==,
                   "Writing the lockfile: packages[0].sha256: expected 64 lower-case hex digits");
  g_clear_error (&error);

  g_autoptr(GPtrArray) dup = sample ();
  g_ptr_array_add (dup, pkg ("bash", 0, "5.2.33", "1.fc41", "x86_64", SHA_A, 1, "updates"));
  g_assert_false (pl_lockfile_write (dfd, "l.json", "x86_64", dup, &error));
  g_assert_error (error, PL_LOCKFILE_ERROR, PL_LOCKFILE_ERROR_DUPLICATE);
  g_assert_cmpstr (error->message, ==,
                   "Writing the lockfile: packages[1].name: \"bash\" is in the set twice");
  g_clear_error (&error);

  g_autoptr(GPtrArray) no_repo = sample ();
  g_clear_pointer (&((PlPackage *) no_repo->pdata[0])->repo_id, g_free);
  g_assert_false (pl_lockfile_write (dfd, "l.json", "x86_64", no_repo, &error));
  g_assert_error (error, PL_LOCKFILE_ERROR, PL_LOCKFILE_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==,
                   "Writing the lockfile: packages[3].repo: required field is missing");
  g_clear_error (&error);

  g_autoptr(GPtrArray) ok = sample ();
  g_assert_false (pl_lockfile_write (dfd, "l.json", "x86 64", ok, &error));
  g_assert_error (error, PL_LOCKFILE_ERROR, PL_LOCKFILE_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "Writing the lockfile: arch: expected an architecture "
                                       "(letters, digits and \"_\")");
  g_clear_error (&error);

  /* nothing was written by any of them */
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_assert_null (g_dir_read_name (d));
  close (dfd);
  g_assert_true (pl_rm_rf_at (AT_FDCWD, dir, NULL, &error));
}

/* A valid two-package document, with packages[1] or the top level changed: KEY set
 * to the JSON VALUE, or removed when VALUE is NULL. */
static char *
mutated (gboolean top, const char *key, const char *value)
{
  static const char base[] =
      "{\"schema\":1,\"arch\":\"x86_64\",\"packages\":["
      "{\"name\":\"bash\",\"epoch\":0,\"version\":\"5.2.32\",\"release\":\"1.fc41\","
      "\"arch\":\"x86_64\",\"nevra\":\"bash-5.2.32-1.fc41.x86_64\",\"sha256\":\"" SHA_A "\","
      "\"size\":10,\"repo\":\"fedora\"},"
      "{\"name\":\"glibc\",\"epoch\":0,\"version\":\"2.40\",\"release\":\"3.fc41\","
      "\"arch\":\"x86_64\",\"nevra\":\"glibc-2.40-3.fc41.x86_64\",\"sha256\":\"" SHA_B "\","
      "\"size\":20,\"repo\":\"fedora\"}]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(json_object) root = pl_json_parse (base, strlen (base), "base", &error);
  g_assert_no_error (error);
  json_object *target = top ? root
                            : json_object_array_get_idx (json_object_object_get (root, "packages"), 1);
  if (value == NULL)
    json_object_object_del (target, key);
  else
    json_object_object_add (target, key, json_tokener_parse (value));
  return g_strdup (json_object_to_json_string_ext (root, JSON_C_TO_STRING_PLAIN));
}

static void
test_validation (void)
{
  static const struct {
    gboolean top;
    const char *key, *value;
    int code;
    const char *message;
  } cases[] = {
    { TRUE, "extra", "1", PL_LOCKFILE_ERROR_UNKNOWN_FIELD, "extra: unknown field" },
    { TRUE, "schema", NULL, PL_LOCKFILE_ERROR_INVALID, "schema: required field is missing" },
    { TRUE, "schema", "2", PL_LOCKFILE_ERROR_SCHEMA,
      "schema: version 2 is not supported (this plinth-build reads version 1)" },
    { TRUE, "schema", "\"1\"", PL_LOCKFILE_ERROR_INVALID,
      "schema: expected an integer, got a string" },
    { TRUE, "arch", NULL, PL_LOCKFILE_ERROR_INVALID, "arch: required field is missing" },
    { TRUE, "arch", "\"x86-64\"", PL_LOCKFILE_ERROR_INVALID,
      "arch: expected an architecture (letters, digits and \"_\")" },
    { TRUE, "packages", "{}", PL_LOCKFILE_ERROR_INVALID,
      "packages: expected an array, got an object" },
    { FALSE, "color", "\"red\"", PL_LOCKFILE_ERROR_UNKNOWN_FIELD,
      "packages[1].color: unknown field" },
    { FALSE, "name", NULL, PL_LOCKFILE_ERROR_INVALID, "packages[1].name: required field is missing" },
    { FALSE, "name", "7", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].name: expected a string, got an integer" },
    { FALSE, "name", "\"-glibc\"", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].name: expected an RPM name (letters, digits and \"._+-\")" },
    { FALSE, "name", "\"gl\\u0000ibc\"", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].name: contains a NUL character" },
    { FALSE, "name", "\"gl ibc\"", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].name: expected an RPM name (letters, digits and \"._+-\")" },
    { FALSE, "epoch", NULL, PL_LOCKFILE_ERROR_INVALID, "packages[1].epoch: required field is missing" },
    { FALSE, "epoch", "-1", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].epoch: expected an integer from 0 to 4294967295" },
    { FALSE, "epoch", "4294967296", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].epoch: expected an integer from 0 to 4294967295" },
    { FALSE, "epoch", "\"0\"", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].epoch: expected an integer, got a string" },
    { FALSE, "version", "\"2.40-1\"", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].version: expected letters, digits and \"._+~^\" (no \"-\" or \":\"), not empty" },
    { FALSE, "version", "\"1:2.40\"", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].version: expected letters, digits and \"._+~^\" (no \"-\" or \":\"), not empty" },
    { FALSE, "release", "\"\"", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].release: expected letters, digits and \"._+~^\" (no \"-\" or \":\"), not empty" },
    { FALSE, "release", NULL, PL_LOCKFILE_ERROR_INVALID,
      "packages[1].release: required field is missing" },
    { FALSE, "arch", "\"x86/64\"", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].arch: expected an architecture (letters, digits and \"_\")" },
    { FALSE, "nevra", NULL, PL_LOCKFILE_ERROR_INVALID, "packages[1].nevra: required field is missing" },
    { FALSE, "nevra", "\"glibc-2.41-3.fc41.x86_64\"", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].nevra: \"glibc-2.41-3.fc41.x86_64\" does not match the fields "
      "(\"glibc-2.40-3.fc41.x86_64\")" },
    { FALSE, "sha256", NULL, PL_LOCKFILE_ERROR_INVALID, "packages[1].sha256: required field is missing" },
    { FALSE, "sha256", "\"0123\"", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].sha256: expected 64 lower-case hex digits" },
    { FALSE, "sha256", "\"" SHA_A "00\"", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].sha256: expected 64 lower-case hex digits" },
    { FALSE, "sha256", "\"0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\"",
      PL_LOCKFILE_ERROR_INVALID, "packages[1].sha256: expected 64 lower-case hex digits" },
    { FALSE, "sha256", "\"g123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"",
      PL_LOCKFILE_ERROR_INVALID, "packages[1].sha256: expected 64 lower-case hex digits" },
    { FALSE, "size", NULL, PL_LOCKFILE_ERROR_INVALID, "packages[1].size: required field is missing" },
    { FALSE, "size", "-5", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].size: expected a non-negative integer" },
    { FALSE, "size", "1.5", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].size: expected an integer, got a number" },
    { FALSE, "size", "99999999999999999999", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].size: expected a non-negative integer" },
    { FALSE, "repo", NULL, PL_LOCKFILE_ERROR_INVALID, "packages[1].repo: required field is missing" },
    { FALSE, "repo", "\"my repo\"", PL_LOCKFILE_ERROR_INVALID,
      "packages[1].repo: expected a repo id (letters, digits and \"._:-\")" },
    { FALSE, "repo", "null", PL_LOCKFILE_ERROR_INVALID, "packages[1].repo: required field is missing" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *doc = mutated (cases[i].top, cases[i].key, cases[i].value);
      g_autoptr(PlLockfile) lock = pl_lockfile_parse (doc, strlen (doc), "t.json", &error);
      g_test_message ("case %zu: %s=%s", i, cases[i].key, cases[i].value);
      g_assert_null (lock);
      g_assert_error (error, PL_LOCKFILE_ERROR, cases[i].code);
      g_autofree char *want = g_strconcat ("t.json: ", cases[i].message, NULL);
      g_assert_cmpstr (error->message, ==, want);
    }
  /* one name twice (multilib pairs included) */
  static const char dup[] =
      "{\"schema\":1,\"arch\":\"x86_64\",\"packages\":["
      "{\"name\":\"glibc\",\"epoch\":0,\"version\":\"2.40\",\"release\":\"3.fc41\","
      "\"arch\":\"x86_64\",\"nevra\":\"glibc-2.40-3.fc41.x86_64\",\"sha256\":\"" SHA_B "\","
      "\"size\":20,\"repo\":\"fedora\"},"
      "{\"name\":\"glibc\",\"epoch\":0,\"version\":\"2.40\",\"release\":\"3.fc41\","
      "\"arch\":\"i686\",\"nevra\":\"glibc-2.40-3.fc41.i686\",\"sha256\":\"" SHA_A "\","
      "\"size\":20,\"repo\":\"fedora\"}]}";
  g_autoptr(GError) dup_error = NULL;
  g_autoptr(PlLockfile) dup_lock = pl_lockfile_parse (dup, strlen (dup), "t.json", &dup_error);
  g_assert_null (dup_lock);
  g_assert_error (dup_error, PL_LOCKFILE_ERROR, PL_LOCKFILE_ERROR_DUPLICATE);
  g_assert_cmpstr (dup_error->message, ==,
                   "t.json: packages[1].name: \"glibc\" is locked twice (also packages[0])");

  /* and the unmodified document is fine */
  g_autoptr(GError) error = NULL;
  g_autofree char *doc = mutated (TRUE, "schema", "1");
  g_autoptr(PlLockfile) lock = pl_lockfile_parse (doc, strlen (doc), "t.json", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pl_lockfile_get_n_packages (lock), ==, 2);
}

static void
test_not_a_lockfile (void)
{
  static const struct {
    const char *doc;
    int code;
    const char *message_prefix;
  } cases[] = {
    { "", PL_LOCKFILE_ERROR_SYNTAX, "t.json: not valid JSON" },
    { "{\"schema\":1,", PL_LOCKFILE_ERROR_SYNTAX, "t.json: not valid JSON" },
    { "{} {}", PL_LOCKFILE_ERROR_SYNTAX, "t.json: not valid JSON: trailing data" },
    { "[]", PL_LOCKFILE_ERROR_INVALID, "t.json: (top level): expected an object" },
    { "{\"schema\":1,\"arch\":\"x86_64\",\"packages\":[3]}", PL_LOCKFILE_ERROR_INVALID,
      "t.json: packages[0]: expected an object" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PlLockfile) lock = pl_lockfile_parse (cases[i].doc, strlen (cases[i].doc),
                                                      "t.json", &error);
      g_assert_null (lock);
      g_assert_error (error, PL_LOCKFILE_ERROR, cases[i].code);
      g_assert_true (g_str_has_prefix (error->message, cases[i].message_prefix));
    }
  g_autoptr(GError) error = NULL;
  g_autoptr(PlLockfile) lock = pl_lockfile_load (AT_FDCWD, "/nonexistent/plinth.lock", &error);
  g_assert_null (lock);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (g_str_has_prefix (error->message, "Reading the lockfile: "));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/lockfile/roundtrip", test_roundtrip);
  g_test_add_func ("/lockfile/deterministic", test_deterministic);
  g_test_add_func ("/lockfile/write-refuses", test_write_refuses);
  g_test_add_func ("/lockfile/validation", test_validation);
  g_test_add_func ("/lockfile/not-a-lockfile", test_not_a_lockfile);
  return g_test_run ();
}
