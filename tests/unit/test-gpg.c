/* Tests for lib/gpg.c against real GnuPG: throwaway keys are generated once per run in
 * a temporary home, exported into "trusted key" directories, and signatures are made
 * both with pl_gpg_sign_detached() and with the gpg CLI (for the expired-key case,
 * which needs a faked clock). */
#include "lib/gpg.h"
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char data_text[] = "{\"schema\": 1, \"stream\": \"stable\"}\n";

static struct {
  char *base;        /* short temp dir holding everything */
  char *tmpdir;      /* $TMPDIR for the code under test */
  char *home;        /* GnuPG home with all secret keys */
  char *fpr_a, *fpr_b, *fpr_c, *fpr_e, *fpr_r;
  char *trusted1, *trusted2, *expired_dir, *revoked_dir, *bad_dir, *empty_dir;
  GBytes *data;
  GBytes *sig_a, *sig_b, *sig_c, *sig_e, *sig_r;
} F;

static char *
run (const char *const *argv)
{
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int status = -1;
  g_autoptr(GError) error = NULL;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     &status, &error))
    g_error ("running %s: %s (is GnuPG installed? apt-get install gnupg)", argv[0],
             error->message);
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_autofree char *cmd = g_strjoinv (" ", (char **) argv);
      g_error ("%s failed:\n%s", cmd, err);
    }
  return g_steal_pointer (&out);
}

static char *
gen_key (const char *uid, const char *algo, const char *expire, const char *faked_time)
{
  const char *argv[] = { "gpg", "--homedir", F.home, "--batch", "--passphrase", "",
                         "--quick-gen-key", uid, algo, "sign", expire, NULL, NULL, NULL };
  if (faked_time)
    {
      /* shift the arguments to put the faked clock first */
      memmove (argv + 3, argv + 1, sizeof (char *) * 10);
      argv[1] = "--faked-system-time";
      argv[2] = faked_time;
    }
  g_free (run (argv));
  const char *list[] = { "gpg", "--homedir", F.home, "--with-colons", "--list-keys", uid, NULL };
  g_autofree char *out = run (list);
  g_auto(GStrv) lines = g_strsplit (out, "\n", -1);
  for (char **l = lines; *l; l++)
    if (g_str_has_prefix (*l, "fpr:"))
      {
        g_auto(GStrv) f = g_strsplit (*l, ":", -1);
        return g_strdup (f[9]);
      }
  g_error ("no fingerprint for %s", uid);
}

static char *
make_dir (const char *name)
{
  char *p = g_build_filename (F.base, name, NULL);
  g_assert_cmpint (g_mkdir_with_parents (p, 0700), ==, 0);
  return p;
}

static void
export_key (const char *fpr, const char *dir, const char *file, gboolean armor)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  const char *argv[] = { "gpg", "--homedir", F.home, "--batch", "--yes", "--output", path,
                         armor ? "--armor" : "--no-armor", "--export", fpr, NULL };
  g_free (run (argv));
}

static GBytes *
sign_with (const char *fpr)
{
  g_autoptr(GError) error = NULL;
  GBytes *sig = NULL;
  g_assert_true (pl_gpg_sign_detached (F.home, fpr, F.data, &sig, &error));
  g_assert_no_error (error);
  g_assert_nonnull (sig);
  return sig;
}

static void
setup_fixture (void)
{
  F.data = g_bytes_new_static (data_text, strlen (data_text));
  F.home = make_dir ("home");
  F.fpr_a = gen_key ("Plinth Test A <a@plinth.test>", "rsa2048", "never", NULL);
  F.fpr_b = gen_key ("Plinth Untrusted B <b@plinth.test>", "ed25519", "never", NULL);
  F.fpr_c = gen_key ("Plinth Test C <c@plinth.test>", "ed25519", "never", NULL);
  F.fpr_r = gen_key ("Plinth Revoked R <r@plinth.test>", "ed25519", "never", NULL);
  F.fpr_e = gen_key ("Plinth Expired E <e@plinth.test>", "ed25519", "1d", "20200101T000000");

  F.sig_a = sign_with (F.fpr_a);
  F.sig_b = sign_with (F.fpr_b);
  F.sig_c = sign_with (F.fpr_c);
  F.sig_r = sign_with (F.fpr_r);

  /* E was valid for one day in 2020: sign on that day */
  g_autofree char *in = g_build_filename (F.base, "data", NULL);
  g_autofree char *out = g_build_filename (F.base, "data.e.asc", NULL);
  g_assert_true (g_file_set_contents (in, data_text, -1, NULL));
  const char *esign[] = { "gpg", "--faked-system-time", "20200101T120000", "--homedir",
                          F.home, "--batch", "--yes", "--pinentry-mode", "loopback",
                          "--passphrase", "", "--local-user", F.fpr_e, "--armor",
                          "--output", out, "--detach-sign", in, NULL };
  g_free (run (esign));
  g_autofree char *esig = NULL;
  gsize elen = 0;
  g_assert_true (g_file_get_contents (out, &esig, &elen, NULL));
  F.sig_e = g_bytes_new (esig, elen);

  /* revoke R with the certificate GnuPG made at key generation (it is disarmed by a
   * leading ':' on the armor line) */
  g_autofree char *rev_path = g_strdup_printf ("%s/openpgp-revocs.d/%s.rev", F.home, F.fpr_r);
  g_autofree char *rev = NULL;
  g_assert_true (g_file_get_contents (rev_path, &rev, NULL, NULL));
  char *armor = strstr (rev, ":-----BEGIN");
  g_assert_nonnull (armor);
  g_autofree char *rev_in = g_build_filename (F.base, "r.rev", NULL);
  g_assert_true (g_file_set_contents (rev_in, armor + 1, -1, NULL));
  const char *import[] = { "gpg", "--homedir", F.home, "--batch", "--import", rev_in, NULL };
  g_free (run (import));

  F.trusted1 = make_dir ("keys/usr");
  F.trusted2 = make_dir ("keys/etc");
  F.expired_dir = make_dir ("keys/expired");
  F.revoked_dir = make_dir ("keys/revoked");
  F.bad_dir = make_dir ("keys/bad");
  F.empty_dir = make_dir ("keys/empty");
  export_key (F.fpr_a, F.trusted1, "plinth-a.asc", TRUE);
  export_key (F.fpr_c, F.trusted2, "admin-c.gpg", FALSE);
  export_key (F.fpr_e, F.expired_dir, "e.asc", TRUE);
  export_key (F.fpr_r, F.revoked_dir, "r.asc", TRUE);
  g_autofree char *bad = g_build_filename (F.bad_dir, "broken.asc", NULL);
  g_assert_true (g_file_set_contents (bad, "this is not a key\n", -1, NULL));
  /* files without the suffixes are not keys and are ignored */
  g_autofree char *readme = g_build_filename (F.empty_dir, "README", NULL);
  g_assert_true (g_file_set_contents (readme, "garbage", -1, NULL));
}

static void
expect_error (const char *const *dirs, GBytes *data, GBytes *sig, int code, const char *needle)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *fpr = NULL;
  g_assert_false (pl_gpg_verify_detached (dirs, data, sig, &fpr, &error));
  g_assert_null (fpr);
  g_assert_error (error, PL_GPG_ERROR, code);
  if (needle && strstr (error->message, needle) == NULL)
    g_error ("expected \"%s\" in \"%s\"", needle, error->message);
}

static void
test_good_signature (void)
{
  const char *dirs[] = { F.trusted1, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *fpr = NULL;
  g_assert_true (pl_gpg_verify_detached (dirs, F.data, F.sig_a, &fpr, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (fpr, ==, F.fpr_a);
  g_assert_true (g_str_has_prefix (g_bytes_get_data (F.sig_a, NULL),
                                   "-----BEGIN PGP SIGNATURE-----"));
  /* a missing directory among them is fine */
  const char *with_missing[] = { "/nonexistent/plinth/keys", F.trusted1, NULL };
  g_assert_true (pl_gpg_verify_detached (with_missing, F.data, F.sig_a, NULL, &error));
  g_assert_no_error (error);
}

static void
test_tampered_data (void)
{
  const char *dirs[] = { F.trusted1, NULL };
  g_autoptr(GBytes) other = g_bytes_new_static ("{\"schema\": 1, \"stream\": \"stablE\"}\n",
                                                strlen (data_text));
  expect_error (dirs, other, F.sig_a, PL_GPG_ERROR_BAD_SIGNATURE, "does not match the data");
}

static void
test_tampered_signature (void)
{
  const char *dirs[] = { F.trusted1, NULL };
  gsize len = 0;
  const char *s = g_bytes_get_data (F.sig_a, &len);
  /* flip one character in the middle of the base64 body */
  g_autofree char *copy = g_memdup2 (s, len);
  const char *body = strstr (copy, "\n\n");
  g_assert_nonnull (body);
  char *p = copy + (body - copy) + 40;
  *p = (*p == 'A') ? 'B' : 'A';
  g_autoptr(GBytes) bad = g_bytes_new (copy, len);
  expect_error (dirs, F.data, bad, PL_GPG_ERROR_BAD_SIGNATURE, NULL);

  g_autoptr(GBytes) junk = g_bytes_new_static ("hello, not a signature\n", 23);
  expect_error (dirs, F.data, junk, PL_GPG_ERROR_BAD_SIGNATURE, "not a valid OpenPGP signature");
}

static void
test_missing_signature (void)
{
  const char *dirs[] = { F.trusted1, NULL };
  g_autoptr(GBytes) empty = g_bytes_new_static ("", 0);
  expect_error (dirs, F.data, empty, PL_GPG_ERROR_NO_SIGNATURE, "no signature");
  expect_error (dirs, F.data, NULL, PL_GPG_ERROR_NO_SIGNATURE, "no signature");
}

static void
test_untrusted_key (void)
{
  const char *dirs[] = { F.trusted1, NULL };
  /* the message names the key, so an admin can tell which key to add or investigate */
  expect_error (dirs, F.data, F.sig_b, PL_GPG_ERROR_UNTRUSTED_KEY, F.fpr_b + 24);
  expect_error (dirs, F.data, F.sig_c, PL_GPG_ERROR_UNTRUSTED_KEY, "not among the trusted keys");
}

static void
test_two_trusted_dirs (void)
{
  const char *both[] = { F.trusted1, F.trusted2, NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *fa = NULL;
  g_autofree char *fc = NULL;
  g_assert_true (pl_gpg_verify_detached (both, F.data, F.sig_a, &fa, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (fa, ==, F.fpr_a);
  g_assert_true (pl_gpg_verify_detached (both, F.data, F.sig_c, &fc, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (fc, ==, F.fpr_c);
  const char *only2[] = { F.trusted2, NULL };
  expect_error (only2, F.data, F.sig_a, PL_GPG_ERROR_UNTRUSTED_KEY, F.fpr_a + 24);
}

static void
test_expired_and_revoked (void)
{
  const char *edirs[] = { F.expired_dir, NULL };
  expect_error (edirs, F.data, F.sig_e, PL_GPG_ERROR_EXPIRED_KEY, "has expired");
  const char *rdirs[] = { F.revoked_dir, NULL };
  expect_error (rdirs, F.data, F.sig_r, PL_GPG_ERROR_REVOKED_KEY, "has been revoked");
}

static void
test_bad_key_dirs (void)
{
  const char *bad[] = { F.trusted1, F.bad_dir, NULL };
  expect_error (bad, F.data, F.sig_a, PL_GPG_ERROR_BAD_KEY_FILE, "broken.asc holds no OpenPGP");
  const char *empty[] = { F.empty_dir, "/nonexistent/plinth/keys", NULL };
  expect_error (empty, F.data, F.sig_a, PL_GPG_ERROR_NO_KEYS, F.empty_dir);
  expect_error (NULL, F.data, F.sig_a, PL_GPG_ERROR_NO_KEYS, "no trusted keys");
}

/* Whether a process mentioning NEEDLE in its command line exists. */
static gboolean
process_mentions (const char *needle)
{
  g_autoptr(GDir) proc = g_dir_open ("/proc", 0, NULL);
  const char *name;
  while (proc && (name = g_dir_read_name (proc)))
    {
      if (!g_ascii_isdigit (name[0]))
        continue;
      g_autofree char *path = g_strdup_printf ("/proc/%s/cmdline", name);
      g_autofree char *cmd = NULL;
      gsize len = 0;
      if (!g_file_get_contents (path, &cmd, &len, NULL))
        continue;
      for (gsize i = 0; i + 1 < len; i++)
        if (cmd[i] == '\0')
          cmd[i] = ' ';
      if (strstr (cmd, "gpg-agent") && strstr (cmd, needle))
        return TRUE;
    }
  return FALSE;
}

static gboolean
no_agent_within (const char *needle, int ms)
{
  for (int t = 0; t < ms; t += 50)
    {
      if (!process_mentions (needle))
        return TRUE;
      g_usleep (50 * 1000);
    }
  return FALSE;
}

static void
test_private_home_cleaned_up (void)
{
  const char *dirs[] = { F.trusted1, F.trusted2, NULL };
  g_assert_true (pl_gpg_verify_detached (dirs, F.data, F.sig_c, NULL, NULL));
  expect_error (dirs, F.data, F.sig_b, PL_GPG_ERROR_UNTRUSTED_KEY, NULL);
  /* nothing left in $TMPDIR, no agent for it */
  g_autoptr(GDir) d = g_dir_open (F.tmpdir, 0, NULL);
  g_assert_nonnull (d);
  const char *left = g_dir_read_name (d);
  if (left)
    g_error ("left behind in %s: %s", F.tmpdir, left);
  g_assert_true (no_agent_within (F.tmpdir, 2000));
}

static void
test_sign_from_deep_home (void)
{
  /* a copy of the home far deeper than a Unix socket path allows */
  g_autofree char *deep = g_build_filename (
      F.base, "a-rather-long-directory-name-for-testing-socket-limits",
      "another-rather-long-directory-name-to-get-past-108-bytes", "gnupg-home", NULL);
  g_assert_cmpuint (strlen (deep), >, 120);
  g_autofree char *parent = g_path_get_dirname (deep);
  g_assert_cmpint (g_mkdir_with_parents (parent, 0700), ==, 0);
  const char *cp[] = { "cp", "-a", F.home, deep, NULL };
  g_free (run (cp));
  /* the copy must not share the original's agent socket files */
  g_autofree char *sock = g_build_filename (deep, "S.gpg-agent", NULL);
  (void) unlink (sock);

  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) sig = NULL;
  g_assert_true (pl_gpg_sign_detached (deep, F.fpr_a, F.data, &sig, &error));
  g_assert_no_error (error);
  const char *dirs[] = { F.trusted1, NULL };
  g_autofree char *fpr = NULL;
  g_assert_true (pl_gpg_verify_detached (dirs, F.data, sig, &fpr, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (fpr, ==, F.fpr_a);
  /* the agent started for it is gone again, and so is the short link */
  g_assert_true (no_agent_within ("plinth-gpgs-", 2000));
  g_assert_true (no_agent_within (deep, 2000));

  /* an unknown key id is a clear error */
  g_autoptr(GBytes) none = NULL;
  g_assert_false (pl_gpg_sign_detached (deep, "DEADBEEFDEADBEEF", F.data, &none, &error));
  g_assert_error (error, PL_GPG_ERROR, PL_GPG_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "No secret key \"DEADBEEFDEADBEEF\""));
  g_assert_null (none);
}

int
main (int argc, char **argv)
{
  /* Before anything reads $TMPDIR (GLib caches it): a short private base, so the
   * GnuPG homes fit the socket path limit and leftovers can be checked. */
  char tmpl[] = "/tmp/plt-gpg-XXXXXX";
  g_assert_nonnull (g_mkdtemp_full (tmpl, 0700));
  F.base = g_strdup (tmpl);
  F.tmpdir = g_build_filename (F.base, "t", NULL);
  g_assert_cmpint (mkdir (F.tmpdir, 0700), ==, 0);
  g_setenv ("TMPDIR", F.tmpdir, TRUE);

  g_test_init (&argc, &argv, NULL);
  setup_fixture ();
  g_test_add_func ("/gpg/good-signature", test_good_signature);
  g_test_add_func ("/gpg/tampered-data", test_tampered_data);
  g_test_add_func ("/gpg/tampered-signature", test_tampered_signature);
  g_test_add_func ("/gpg/missing-signature", test_missing_signature);
  g_test_add_func ("/gpg/untrusted-key", test_untrusted_key);
  g_test_add_func ("/gpg/two-trusted-dirs", test_two_trusted_dirs);
  g_test_add_func ("/gpg/expired-and-revoked", test_expired_and_revoked);
  g_test_add_func ("/gpg/bad-key-dirs", test_bad_key_dirs);
  g_test_add_func ("/gpg/private-home-cleaned-up", test_private_home_cleaned_up);
  g_test_add_func ("/gpg/sign-from-deep-home", test_sign_from_deep_home);
  int rc = g_test_run ();

  const char *kill[] = { "gpgconf", "--homedir", F.home, "--kill", "all", NULL };
  g_free (run (kill));
  (void) pl_rm_rf_at (AT_FDCWD, F.base, NULL, NULL);
  return rc;
}
