/* OpenPGP verification and signing with gpgme. Verification never trusts a keyring
 * that happens to be around: each call imports the trusted key files into a fresh
 * GnuPG home under a short temporary path, verifies there, stops any agent GnuPG
 * started for it and removes it. Trust is decided here, not by GnuPG's trust model
 * (see check_signature()). */
#include "lib/gpg.h"
#include "lib/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (pl-gpg-error-quark, pl_gpg_error)

/* For g_ptr_array_sort(), which passes pointers to the elements. */
static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

typedef struct gpgme_data PlGpgmeData;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlGpgmeData, gpgme_data_release)

typedef struct gpgme_context PlGpgmeCtx;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlGpgmeCtx, gpgme_release)
typedef struct _gpgme_key PlGpgmeKey;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlGpgmeKey, gpgme_key_unref)

#define KEY_FILE_MAX (4 * 1024 * 1024)

static gboolean
init_gpgme (GError **error)
{
  static gsize inited = 0;
  static gboolean ok = FALSE;
  if (g_once_init_enter (&inited))
    {
      gpgme_check_version (NULL);
      ok = gpgme_engine_check_version (GPGME_PROTOCOL_OpenPGP) == 0;
      g_once_init_leave (&inited, 1);
    }
  if (!ok)
    return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_FAILED,
                        "GnuPG (gpg) is not installed or too old for gpgme"), FALSE;
  return TRUE;
}

static gboolean
gpgme_fail (GError **error, gpgme_error_t err, const char *what)
{
  return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_FAILED, "%s: %s", what,
                      gpgme_strerror (err)), FALSE;
}

/* Stops the agent (and any other daemon) GnuPG started for HOMEDIR. Best effort:
 * called on cleanup paths, where there is nobody to report to. */
static void
kill_daemons (const char *homedir)
{
  const char *argv[] = { "gpgconf", "--homedir", homedir, "--kill", "all", NULL };
  g_spawn_sync (NULL, (char **) argv, NULL,
                G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                NULL, NULL, NULL, NULL, NULL, NULL);
}

/* A directory under a short base: the agent's socket lives in the GnuPG home and a
 * Unix socket path must fit in 108 bytes, so a deep $TMPDIR would break GnuPG. */
static char *
make_short_tmpdir (const char *prefix, GError **error)
{
  const char *base = g_get_tmp_dir ();
  if (strlen (base) > 40)
    base = "/tmp";
  g_autofree char *tmpl = g_strdup_printf ("%s/%s-XXXXXX", base, prefix);
  if (g_mkdtemp_full (tmpl, 0700) == NULL)
    return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                        "Creating a temporary GnuPG home in %s: %s", base,
                        g_strerror (errno)), NULL;
  return g_steal_pointer (&tmpl);
}

/* The private GnuPG home of one verification. */
typedef struct {
  char *dir;
  gpgme_ctx_t ctx;
} PlGpgHome;

static void
pl_gpg_home_free (PlGpgHome *home)
{
  if (home->ctx)
    gpgme_release (home->ctx);
  if (home->dir)
    {
      kill_daemons (home->dir);
      (void) pl_rm_rf_at (AT_FDCWD, home->dir, NULL, NULL);
      g_free (home->dir);
    }
  g_free (home);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlGpgHome, pl_gpg_home_free)

static gboolean
new_context (const char *homedir, gpgme_ctx_t *out_ctx, GError **error)
{
  gpgme_ctx_t ctx = NULL;
  gpgme_error_t err = gpgme_new (&ctx);
  if (err)
    return gpgme_fail (error, err, "Creating a gpgme context");
  g_autoptr(PlGpgmeCtx) owned = ctx;
  if ((err = gpgme_set_protocol (ctx, GPGME_PROTOCOL_OpenPGP))
      || (err = gpgme_ctx_set_engine_info (ctx, GPGME_PROTOCOL_OpenPGP, NULL, homedir)))
    return gpgme_fail (error, err, "Setting up GnuPG");
  /* Never ask a keyserver or a pinentry: there is no user to answer. */
  gpgme_set_offline (ctx, 1);
  gpgme_set_pinentry_mode (ctx, GPGME_PINENTRY_MODE_LOOPBACK);
  *out_ctx = g_steal_pointer (&owned);
  return TRUE;
}

static gboolean
has_key_suffix (const char *name)
{
  return name[0] != '.' && (g_str_has_suffix (name, ".asc") || g_str_has_suffix (name, ".gpg"));
}

static gboolean
import_dir (gpgme_ctx_t ctx, const char *dir, guint *n_files, GError **error)
{
  PL_AUTOFD int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    {
      if (errno == ENOENT)
        return TRUE;
      return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                          "Opening key directory %s: %s", dir, g_strerror (errno)), FALSE;
    }
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  {
    int dup_fd = dup (dfd);
    DIR *d = dup_fd >= 0 ? fdopendir (dup_fd) : NULL;
    if (d == NULL)
      {
        if (dup_fd >= 0)
          close (dup_fd);
        return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                            "Listing key directory %s: %s", dir, g_strerror (errno)), FALSE;
      }
    struct dirent *de;
    while ((de = readdir (d)) != NULL)
      if (has_key_suffix (de->d_name))
        g_ptr_array_add (names, g_strdup (de->d_name));
    closedir (d);
  }
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      g_autofree char *buf = NULL;
      gsize len = 0;
      if (!pl_file_read_at (dfd, name, KEY_FILE_MAX, &buf, &len, error))
        return g_prefix_error (error, "Reading key file %s/%s: ", dir, name), FALSE;
      g_autoptr(PlGpgmeData) kd = NULL;
      gpgme_error_t err = gpgme_data_new_from_mem (&kd, buf, len, 0);
      if (err)
        return gpgme_fail (error, err, "Reading a key file");
      err = gpgme_op_import (ctx, kd);
      gpgme_import_result_t res = err ? NULL : gpgme_op_import_result (ctx);
      if (res == NULL || res->imported + res->unchanged == 0)
        return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_BAD_KEY_FILE,
                            "Key file %s/%s holds no OpenPGP public key%s%s", dir, name,
                            err ? ": " : "", err ? gpgme_strerror (err) : ""), FALSE;
      (*n_files)++;
    }
  return TRUE;
}

/* The keys in the private home: all of them are trusted, since they came from the
 * trusted files only. */
static gboolean
list_keys (gpgme_ctx_t ctx, GPtrArray *out_keys, GError **error)
{
  gpgme_error_t err = gpgme_op_keylist_start (ctx, NULL, 0);
  if (err)
    return gpgme_fail (error, err, "Listing the trusted keys");
  gpgme_key_t key;
  while ((err = gpgme_op_keylist_next (ctx, &key)) == 0)
    g_ptr_array_add (out_keys, key);
  if (gpg_err_code (err) != GPG_ERR_EOF)
    return gpgme_fail (error, err, "Listing the trusted keys");
  return TRUE;
}

/* The trusted key (and its subkey) that made a signature with fingerprint or key id
 * FPR; NULL when none. */
static gpgme_key_t
find_key (GPtrArray *keys, const char *fpr, gpgme_subkey_t *out_subkey)
{
  if (fpr == NULL)
    return NULL;
  gsize flen = strlen (fpr);
  for (guint i = 0; i < keys->len; i++)
    {
      gpgme_key_t key = keys->pdata[i];
      for (gpgme_subkey_t sk = key->subkeys; sk; sk = sk->next)
        {
          gsize slen = sk->fpr ? strlen (sk->fpr) : 0;
          if (slen >= flen && flen >= 16 && g_ascii_strcasecmp (sk->fpr + slen - flen, fpr) == 0)
            {
              *out_subkey = sk;
              return key;
            }
        }
    }
  return NULL;
}

/* Judges one signature. GnuPG's summary VALID/GREEN needs owner trust, which a
 * throwaway home has no reason to carry; instead a signature counts when it is
 * cryptographically good (status GPG_ERR_NO_ERROR) AND was made by one of the keys
 * imported from the trusted files, AND that key is neither expired nor revoked. */
static gboolean
check_signature (gpgme_signature_t sig, GPtrArray *keys, char **out_fpr, GError **error)
{
  gpg_err_code_t code = gpg_err_code (sig->status);
  const char *fpr = sig->fpr ? sig->fpr : "(unknown)";
  gpgme_subkey_t sk = NULL;
  gpgme_key_t key = find_key (keys, sig->fpr, &sk);

  if (code == GPG_ERR_BAD_SIGNATURE)
    return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_BAD_SIGNATURE,
                        "signature by key %s does not match the data (corrupted or "
                        "tampered with)", fpr), FALSE;
  if (code == GPG_ERR_NO_PUBKEY || key == NULL)
    return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_UNTRUSTED_KEY,
                        "signature made by key %s, which is not among the trusted keys",
                        fpr), FALSE;
  if (code == GPG_ERR_CERT_REVOKED || (sig->summary & GPGME_SIGSUM_KEY_REVOKED)
      || key->revoked || sk->revoked)
    return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_REVOKED_KEY,
                        "signature made by key %s, which has been revoked", key->subkeys->fpr),
           FALSE;
  if (code == GPG_ERR_KEY_EXPIRED || (sig->summary & GPGME_SIGSUM_KEY_EXPIRED)
      || key->expired || sk->expired)
    return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_EXPIRED_KEY,
                        "signature made by key %s, which has expired", key->subkeys->fpr),
           FALSE;
  if (code != GPG_ERR_NO_ERROR)
    return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_BAD_SIGNATURE,
                        "signature by key %s is not valid: %s", fpr,
                        gpgme_strerror (sig->status)), FALSE;
  *out_fpr = g_strdup (key->subkeys->fpr);
  return TRUE;
}

gboolean
pl_gpg_verify_detached (const char *const *keyring_dirs, GBytes *data, GBytes *signature,
                        char **out_fingerprint, GError **error)
{
  if (signature == NULL || g_bytes_get_size (signature) == 0)
    return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_NO_SIGNATURE,
                        "no signature (missing or empty)"), FALSE;
  if (!init_gpgme (error))
    return FALSE;

  g_autoptr(PlGpgHome) home = g_new0 (PlGpgHome, 1);
  home->dir = make_short_tmpdir ("plinth-gpg", error);
  if (home->dir == NULL)
    return FALSE;
  if (!new_context (home->dir, &home->ctx, error))
    return FALSE;

  guint n_files = 0;
  for (const char *const *d = keyring_dirs; d && *d; d++)
    if (!import_dir (home->ctx, *d, &n_files, error))
      return FALSE;
  if (n_files == 0)
    {
      g_autofree char *dirs = keyring_dirs ? g_strjoinv (", ", (char **) keyring_dirs)
                                           : g_strdup ("(none)");
      return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_NO_KEYS,
                          "no trusted keys (*.asc, *.gpg) in %s", dirs), FALSE;
    }
  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func ((GDestroyNotify) gpgme_key_unref);
  if (!list_keys (home->ctx, keys, error))
    return FALSE;

  gsize dlen = 0, slen = 0;
  const char *dbuf = g_bytes_get_data (data, &dlen);
  const char *sbuf = g_bytes_get_data (signature, &slen);
  g_autoptr(PlGpgmeData) dd = NULL;
  g_autoptr(PlGpgmeData) sd = NULL;
  gpgme_error_t err;
  if ((err = gpgme_data_new_from_mem (&dd, dbuf ? dbuf : "", dlen, 0))
      || (err = gpgme_data_new_from_mem (&sd, sbuf, slen, 0)))
    return gpgme_fail (error, err, "Preparing verification");
  err = gpgme_op_verify (home->ctx, sd, dd, NULL);
  gpgme_verify_result_t result = err ? NULL : gpgme_op_verify_result (home->ctx);
  if (result == NULL || result->signatures == NULL)
    return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_BAD_SIGNATURE,
                        "not a valid OpenPGP signature%s%s", err ? ": " : "",
                        err ? gpgme_strerror (err) : ""), FALSE;

  /* Any bad signature means tampering and fails the whole; otherwise one good
   * signature by a trusted key suffices, and the first problem is reported. */
  g_autofree char *good_fpr = NULL;
  g_autoptr(GError) first_problem = NULL;
  for (gpgme_signature_t sig = result->signatures; sig; sig = sig->next)
    {
      g_autoptr(GError) local = NULL;
      g_autofree char *fpr = NULL;
      if (check_signature (sig, keys, &fpr, &local))
        {
          if (good_fpr == NULL)
            good_fpr = g_steal_pointer (&fpr);
          continue;
        }
      if (local->code == PL_GPG_ERROR_BAD_SIGNATURE)
        return g_propagate_error (error, g_steal_pointer (&local)), FALSE;
      if (first_problem == NULL)
        first_problem = g_steal_pointer (&local);
    }
  if (good_fpr == NULL)
    return g_propagate_error (error, g_steal_pointer (&first_problem)), FALSE;
  if (out_fingerprint)
    *out_fingerprint = g_steal_pointer (&good_fpr);
  return TRUE;
}

/* Whether an agent already serves HOMEDIR (so we must not stop it afterwards). */
static gboolean
agent_running (const char *homedir)
{
  const char *argv[] = { "gpg-connect-agent", "--homedir", homedir, "--no-autostart",
                         "/bye", NULL };
  int status = -1;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     &status, NULL))
    return FALSE;
  /* gpg-connect-agent exits 0 even without an agent, but says so on stderr */
  return g_spawn_check_wait_status (status, NULL) && (err == NULL || strstr (err, "no gpg-agent") == NULL);
}

gboolean
pl_gpg_sign_detached (const char *homedir, const char *keyid, GBytes *data,
                      GBytes **out_signature_armored, GError **error)
{
  if (!init_gpgme (error))
    return FALSE;
  g_autofree char *abs_home = g_canonicalize_filename (homedir, NULL);
  if (!g_file_test (abs_home, G_FILE_TEST_IS_DIR))
    return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_FAILED,
                        "GnuPG home %s is not a directory", homedir), FALSE;

  /* A deep home would put the agent's socket beyond the 108-byte limit; reach it
   * through a short symlink instead. */
  g_autofree char *link_dir = NULL;
  g_autofree char *use_home = g_strdup (abs_home);
  if (strlen (abs_home) > 60)
    {
      link_dir = make_short_tmpdir ("plinth-gpgs", error);
      if (link_dir == NULL)
        return FALSE;
      g_free (use_home);
      use_home = g_build_filename (link_dir, "h", NULL);
      if (symlink (abs_home, use_home) < 0)
        {
          int e = errno;
          (void) pl_rm_rf_at (AT_FDCWD, link_dir, NULL, NULL);
          return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
                              "Linking %s: %s", use_home, g_strerror (e)), FALSE;
        }
    }
  gboolean had_agent = agent_running (use_home);

  g_autoptr(GError) local = NULL;
  g_autoptr(GBytes) sig = NULL;
  {
    gpgme_ctx_t raw = NULL;
    if (new_context (use_home, &raw, &local))
      {
        g_autoptr(PlGpgmeCtx) ctx = raw;
        g_autoptr(PlGpgmeKey) key = NULL;
        gpgme_error_t err = 0;
        gpgme_set_armor (ctx, 1);
        if (keyid)
          {
            err = gpgme_get_key (ctx, keyid, &key, 1);
            if (err)
              g_set_error (&local, PL_GPG_ERROR, PL_GPG_ERROR_FAILED,
                           "No secret key \"%s\" in %s: %s", keyid, homedir,
                           gpgme_strerror (err));
            else
              err = gpgme_signers_add (ctx, key);
          }
        g_autoptr(PlGpgmeData) in = NULL;
        gpgme_data_t outd = NULL;
        gsize len = 0;
        const char *buf = g_bytes_get_data (data, &len);
        if (local == NULL && !err)
          err = gpgme_data_new_from_mem (&in, buf ? buf : "", len, 0);
        if (local == NULL && !err)
          err = gpgme_data_new (&outd);
        if (local == NULL && !err)
          err = gpgme_op_sign (ctx, in, outd, GPGME_SIG_MODE_DETACH);
        if (local == NULL && err)
          g_set_error (&local, PL_GPG_ERROR, PL_GPG_ERROR_FAILED, "Signing with %s in %s: %s",
                       keyid ? keyid : "the default key", homedir, gpgme_strerror (err));
        if (outd)
          {
            size_t olen = 0;
            char *obuf = gpgme_data_release_and_get_mem (outd, &olen);
            if (local == NULL)
              sig = g_bytes_new (obuf, olen);
            gpgme_free (obuf);
          }
      }
  }
  if (!had_agent)
    kill_daemons (use_home);
  if (link_dir)
    (void) pl_rm_rf_at (AT_FDCWD, link_dir, NULL, NULL);
  if (local)
    return g_propagate_error (error, g_steal_pointer (&local)), FALSE;
  if (sig == NULL || g_bytes_get_size (sig) == 0)
    return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_FAILED,
                        "Signing with %s in %s produced no signature",
                        keyid ? keyid : "the default key", homedir), FALSE;
  *out_signature_armored = g_steal_pointer (&sig);
  return TRUE;
}
