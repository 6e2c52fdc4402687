/* Getting a release's commit into the sysroot's repo, verified (see fetch.h). */
#include "updater/fetch.h"

#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

G_DEFINE_QUARK (pl-fetch-error-quark, pl_fetch_error)

const char *
pl_fetch_method_to_string (PlFetchMethod m)
{
  switch (m)
    {
    case PL_FETCH_METHOD_PRESENT: return "present";
    case PL_FETCH_METHOD_DELTA: return "delta";
    case PL_FETCH_METHOD_PULL: return "pull";
    default: return "invalid";
    }
}

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The trusted key files (*.asc, *.gpg) of KEY_DIRS, sorted within each directory. */
static GPtrArray *
list_key_files (const char *const *key_dirs, GError **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  for (const char *const *d = key_dirs; d && *d; d++)
    {
      g_autoptr(GDir) dir = g_dir_open (*d, 0, NULL);
      if (!dir)
        continue;   /* a missing directory is an empty one, as for the index */
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;
      while ((name = g_dir_read_name (dir)))
        if (name[0] != '.' && (g_str_has_suffix (name, ".asc") || g_str_has_suffix (name, ".gpg")))
          g_ptr_array_add (names, g_build_filename (*d, name, NULL));
      g_ptr_array_sort (names, compare_paths);
      for (guint i = 0; i < names->len; i++)
        g_ptr_array_add (files, g_strdup (names->pdata[i]));
    }
  if (files->len == 0)
    {
      g_autofree char *all = key_dirs ? g_strjoinv (", ", (char **) key_dirs) : g_strdup ("(none)");
      return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_NO_KEYS,
                          "No trusted keys (*.asc, *.gpg) in %s", all), NULL;
    }
  return g_steal_pointer (&files);
}

/* OpenPGP ASCII armor (RFC 4880, section 6.2) to binary packets. libostree 2022.7
 * treats the files of a keyring directory as binary keyrings, while Plinth's key
 * directories hold armored *.asc files too. Binary input is returned as is. */
static GBytes *
dearmor (const char *data, gsize len, const char *path, GError **error)
{
  if (len > 0 && ((guchar) data[0] & 0x80))
    return g_bytes_new (data, len);   /* already a binary packet stream */
  g_autofree char *text = g_strndup (data, len);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  g_autoptr(GString) b64 = g_string_new (NULL);
  enum { OUTSIDE, HEADERS, BODY } where = OUTSIDE;
  for (char **l = lines; *l; l++)
    {
      g_strchomp (*l);
      if (where == OUTSIDE && g_str_has_prefix (*l, "-----BEGIN PGP PUBLIC KEY BLOCK-----"))
        where = HEADERS;
      else if (where == HEADERS && **l == '\0')
        where = BODY;
      else if (where == BODY && (**l == '=' || g_str_has_prefix (*l, "-----END")))
        {
          gsize n = 0;
          g_autofree guchar *bin = g_base64_decode (b64->str, &n);
          g_byte_array_append (out, bin, n);
          g_string_truncate (b64, 0);
          where = OUTSIDE;   /* a "=" checksum line ends the data; END follows */
        }
      else if (where == BODY)
        g_string_append (b64, *l);
    }
  if (out->len == 0)
    return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_NO_KEYS,
                        "%s: not an OpenPGP public key (armored or binary)", path), NULL;
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* A throwaway keyring directory for libostree holding each trusted key file as a
 * binary NN.gpg (it reads only "*.gpg" files from a directory). */
static char *
make_keyring_dir (const char *const *key_dirs, GError **error)
{
  g_autoptr(GPtrArray) files = list_key_files (key_dirs, error);
  if (!files)
    return NULL;
  g_autofree char *dir = g_dir_make_tmp ("plinth-keys-XXXXXX", error);
  if (!dir)
    return NULL;
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *data = NULL;
      gsize len = 0;
      g_autoptr(GBytes) bin = NULL;
      g_autofree char *dest = g_strdup_printf ("%s/%02u.gpg", dir, i);
      if (!g_file_get_contents (files->pdata[i], &data, &len, error)
          || !(bin = dearmor (data, len, files->pdata[i], error))
          || !g_file_set_contents (dest, g_bytes_get_data (bin, NULL), g_bytes_get_size (bin),
                                   error))
        {
          (void) pl_rm_rf_at (AT_FDCWD, dir, NULL, NULL);
          return NULL;
        }
    }
  return g_steal_pointer (&dir);
}

gboolean
pl_fetch_verify_commit (OstreeRepo *repo, const char *commit, const char *const *key_dirs,
                        GCancellable *cancellable, GError **error)
{
  g_autofree char *keyring = make_keyring_dir (key_dirs, error);
  if (!keyring)
    return g_prefix_error (error, "Verifying commit %s: ", commit), FALSE;
  g_autoptr(GFile) keyring_file = g_file_new_for_path (keyring);
  g_autoptr(GError) local = NULL;
  g_autoptr(OstreeGpgVerifyResult) res =
      ostree_repo_verify_commit_ext (repo, commit, keyring_file, NULL, cancellable, &local);
  gboolean ok = res && ostree_gpg_verify_result_require_valid_signature (res, &local);
  (void) pl_rm_rf_at (AT_FDCWD, keyring, NULL, NULL);
  if (!ok)
    return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_BAD_COMMIT_SIGNATURE,
                        "Commit %s has no valid signature by a trusted key: %s", commit,
                        local->message), FALSE;
  return TRUE;
}

/* Removes COMMIT (and its detached signatures) again; its other objects are left for
 * the next prune, which finds nothing referencing them. */
static void
discard_commit (OstreeRepo *repo, const char *commit)
{
  (void) ostree_repo_delete_object (repo, OSTREE_OBJECT_TYPE_COMMIT_META, commit, NULL, NULL);
  (void) ostree_repo_delete_object (repo, OSTREE_OBJECT_TYPE_COMMIT, commit, NULL, NULL);
}

static gboolean
has_commit (OstreeRepo *repo, const char *commit, gboolean *out_has, GError **error)
{
  return ostree_repo_has_object (repo, OSTREE_OBJECT_TYPE_COMMIT, commit, out_has, NULL, error);
}

static void
unlink_quiet (int dfd, const char *name)
{
  (void) unlinkat (dfd, name, 0);
}

/* Checks DFD/NAME against DELTA's size and hash; a file that fails is removed, so the
 * next run starts over rather than resuming garbage. */
static gboolean
check_delta_file (int dfd, const char *name, const char *url, const PlDelta *delta,
                  GCancellable *cancellable, GError **error)
{
  g_autofree char *hex = NULL;
  guint64 size = 0;
  if (!pl_file_sha256_at (dfd, name, &hex, &size, cancellable, error))
    return FALSE;
  if (size != delta->size)
    {
      unlink_quiet (dfd, name);
      return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_SIZE_MISMATCH,
                          "Delta %s: %" G_GUINT64_FORMAT " bytes, but the signed index says %"
                          G_GUINT64_FORMAT "; refused", url, size, delta->size), FALSE;
    }
  if (g_ascii_strcasecmp (hex, delta->sha256) != 0)
    {
      unlink_quiet (dfd, name);
      return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_HASH_MISMATCH,
                          "Delta %s: SHA-256 %s does not match the signed index's %s; "
                          "refused", url, hex, delta->sha256), FALSE;
    }
  return TRUE;
}

static gboolean
download_delta (const PlFetchRequest *req, const PlDelta *delta, const char *url, int dfd,
                const char *name, PlFetchResult *out, GCancellable *cancellable, GError **error)
{
  /* a complete file from an earlier run that did not get to apply it */
  if (faccessat (dfd, name, F_OK, 0) == 0)
    {
      g_autoptr(GError) stale = NULL;
      if (check_delta_file (dfd, name, url, delta, cancellable, &stale))
        return TRUE;
    }
  g_autofree char *part = g_strconcat (name, ".part", NULL);
  struct stat st;
  if (fstatat (dfd, part, &st, 0) == 0 && (guint64) st.st_size >= delta->size)
    unlink_quiet (dfd, part);   /* cannot be a prefix of a file of the right size */

  PlHttpOptions opts = req->http ? *req->http : (PlHttpOptions) { 0 };
  opts.max_size = delta->size;   /* cut off as soon as it grows past the index's size */
  opts.if_none_match = NULL;
  g_auto(PlHttpResult) res = { 0 };
  g_autoptr(GError) local = NULL;
  if (!pl_http_download (url, dfd, name, TRUE, &opts, &res, cancellable, &local))
    {
      if (g_error_matches (local, PL_HTTP_ERROR, PL_HTTP_ERROR_TOO_LARGE))
        {
          unlink_quiet (dfd, part);
          return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_TOO_LARGE,
                              "Delta %s: larger than the %" G_GUINT64_FORMAT " bytes the "
                              "signed index gives; refused", url, delta->size), FALSE;
        }
      g_propagate_prefixed_error (error, g_steal_pointer (&local), "Downloading delta: ");
      return FALSE;
    }
  out->bytes = res.bytes_transferred;
  out->resumed = res.resumed;
  return check_delta_file (dfd, name, url, delta, cancellable, error);
}

static gboolean
fetch_by_delta (const PlFetchRequest *req, const PlRelease *target, const PlDelta *delta,
                PlFetchResult *out, GCancellable *cancellable, GError **error)
{
  g_autofree char *url = g_strdup_printf ("%s/%s/%s/%s", req->base_url, req->stream, req->arch,
                                          delta->path);
  if (!pl_mkdir_p_at (req->root_dfd, PL_FETCH_DELTA_DIR, 0755, error))
    return FALSE;
  PL_AUTOFD int dfd = -1;
  if (!pl_opendirat (req->root_dfd, PL_FETCH_DELTA_DIR, TRUE, &dfd, error))
    return FALSE;
  g_autofree char *name = g_strdup_printf ("%s-%s.delta", delta->from, target->commit);
  if (!download_delta (req, delta, url, dfd, name, out, cancellable, error))
    return FALSE;

  /* libostree takes a path; the fd keeps it relative to the sysroot we opened */
  g_autofree char *path = g_strdup_printf ("/proc/self/fd/%d/%s", dfd, name);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) local = NULL;
  if (!ostree_repo_static_delta_execute_offline (req->repo, file, FALSE, cancellable, &local))
    {
      unlink_quiet (dfd, name);
      return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_APPLY,
                          "Applying delta %s: %s", url, local->message), FALSE;
    }
  unlink_quiet (dfd, name);
  gboolean has = FALSE;
  if (!has_commit (req->repo, target->commit, &has, error))
    return FALSE;
  if (!has)
    return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_WRONG_COMMIT,
                        "Delta %s did not produce commit %s of release %s", url,
                        target->commit, target->version), FALSE;
  out->method = PL_FETCH_METHOD_DELTA;
  return TRUE;
}

static GVariant *
remote_options (const char *gpgkeypath, const char *proxy)
{
  g_auto(GVariantBuilder) b;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&b, "{sv}", "gpg-verify", g_variant_new_string ("true"));
  /* the commit's own signature is what is checked; a pull by checksum needs no refs */
  g_variant_builder_add (&b, "{sv}", "gpg-verify-summary", g_variant_new_string ("false"));
  g_variant_builder_add (&b, "{sv}", "gpgkeypath", g_variant_new_string (gpgkeypath));
  if (proxy && *proxy)
    g_variant_builder_add (&b, "{sv}", "proxy", g_variant_new_string (proxy));
  return g_variant_ref_sink (g_variant_builder_end (&b));
}

static gboolean
pull_with_keyring (const PlFetchRequest *req, const PlRelease *target, const char *keyring,
                   PlFetchResult *out, GCancellable *cancellable, GError **error)
{
  /* gpgkeypath takes files, ';'-separated; the keyring directory's are binary keys */
  const char *const dirs[] = { keyring, NULL };
  g_autoptr(GPtrArray) keys = list_key_files (dirs, error);
  if (!keys)
    return FALSE;
  g_ptr_array_add (keys, NULL);
  g_autofree char *keypath = g_strjoinv (";", (char **) keys->pdata);
  g_autofree char *url = g_strdup_printf ("%s/repo", req->base_url);
  g_autoptr(GVariant) ropts = remote_options (keypath, req->http ? req->http->proxy : NULL);
  if (!ostree_repo_remote_change (req->repo, NULL, OSTREE_REPO_REMOTE_CHANGE_REPLACE,
                                  PL_FETCH_REMOTE, url, ropts, cancellable, error))
    return g_prefix_error (error, "Configuring the pull from %s: ", url), FALSE;

  /* By checksum, not by ref: a ref would stay behind in the repo and pin objects. */
  const char *refs[] = { target->commit, NULL };
  g_auto(GVariantBuilder) b;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&b, "{sv}", "refs", g_variant_new_strv (refs, -1));
  g_variant_builder_add (&b, "{sv}", "flags", g_variant_new_int32 (OSTREE_REPO_PULL_FLAGS_NONE));
  g_variant_builder_add (&b, "{sv}", "gpg-verify", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&b, "{sv}", "disable-static-deltas", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&b, "{sv}", "n-network-retries",
                         g_variant_new_uint32 (req->network_retries));
  g_autoptr(GVariant) popts = g_variant_ref_sink (g_variant_builder_end (&b));
  g_autoptr(OstreeAsyncProgress) progress = ostree_async_progress_new ();
  g_autoptr(GError) local = NULL;
  gboolean ok = ostree_repo_pull_with_options (req->repo, PL_FETCH_REMOTE, popts, progress,
                                               cancellable, &local);
  out->bytes = ostree_async_progress_get_uint64 (progress, "bytes-transferred");
  ostree_async_progress_finish (progress);
  (void) ostree_repo_remote_change (req->repo, NULL, OSTREE_REPO_REMOTE_CHANGE_DELETE_IF_EXISTS,
                                    PL_FETCH_REMOTE, NULL, NULL, NULL, NULL);
  if (!ok)
    return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_PULL,
                        "Pulling commit %s of release %s from %s: %s", target->commit,
                        target->version, url, local->message), FALSE;
  out->method = PL_FETCH_METHOD_PULL;
  return TRUE;
}

static gboolean
fetch_by_pull (const PlFetchRequest *req, const PlRelease *target, PlFetchResult *out,
               GCancellable *cancellable, GError **error)
{
  g_autofree char *keyring = make_keyring_dir (req->key_dirs, error);
  if (!keyring)
    return FALSE;
  gboolean ok = pull_with_keyring (req, target, keyring, out, cancellable, error);
  (void) pl_rm_rf_at (AT_FDCWD, keyring, NULL, NULL);
  return ok;
}

gboolean
pl_fetch_release (const PlFetchRequest *req, const PlRelease *target, const PlDelta *delta,
                  PlFetchResult *out_result, GCancellable *cancellable, GError **error)
{
  PlFetchResult res = { .method = PL_FETCH_METHOD_PRESENT };
  gboolean had = FALSE;
  if (!has_commit (req->repo, target->commit, &had, error))
    return FALSE;
  if (!had)
    {
      gboolean ok = delta ? fetch_by_delta (req, target, delta, &res, cancellable, error)
                          : fetch_by_pull (req, target, &res, cancellable, error);
      if (!ok)
        return FALSE;
    }
  /* Also for a commit that was already here: it may have come from anywhere. */
  if (!pl_fetch_verify_commit (req->repo, target->commit, req->key_dirs, cancellable, error))
    {
      if (!had)
        discard_commit (req->repo, target->commit);
      return FALSE;
    }
  if (out_result)
    *out_result = res;
  return TRUE;
}
