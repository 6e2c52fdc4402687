/* rpm-md metadata fetch and verification. */
#include "releases/rpmmd.h"
#include "lib/fsutil.h"
#include "lib/http.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

G_DEFINE_QUARK (pl-rpmmd-error-quark, pl_rpmmd_error)

static void
entry_free (PlRepomdEntry *e)
{
  g_free (e->type);
  g_free (e->href);
  g_free (e->checksum_type);
  g_free (e->checksum);
  g_free (e);
}

void
pl_repomd_free (PlRepomd *md)
{
  if (!md)
    return;
  g_free (md->revision);
  g_clear_pointer (&md->entries, g_ptr_array_unref);
  g_free (md);
}

/* GMarkup state: which element's text we are collecting */
typedef struct {
  PlRepomd *md;
  PlRepomdEntry *cur;
  GString *text;
  gboolean in_checksum, in_size, in_revision;
} ParseState;

static void
on_start (GMarkupParseContext *ctx, const char *element, const char **names,
          const char **values, gpointer user_data, GError **error)
{
  ParseState *st = user_data;
  g_string_truncate (st->text, 0);
  if (g_str_equal (element, "data"))
    {
      const char *type = NULL;
      for (int i = 0; names[i]; i++)
        if (g_str_equal (names[i], "type"))
          type = values[i];
      st->cur = g_new0 (PlRepomdEntry, 1);
      st->cur->type = g_strdup (type ? type : "");
      g_ptr_array_add (st->md->entries, st->cur);
    }
  else if (st->cur && g_str_equal (element, "location"))
    {
      for (int i = 0; names[i]; i++)
        if (g_str_equal (names[i], "href"))
          st->cur->href = g_strdup (values[i]);
    }
  else if (st->cur && g_str_equal (element, "checksum"))
    {
      for (int i = 0; names[i]; i++)
        if (g_str_equal (names[i], "type"))
          st->cur->checksum_type = g_strdup (values[i]);
      st->in_checksum = TRUE;
    }
  else if (st->cur && g_str_equal (element, "size"))
    st->in_size = TRUE;
  else if (!st->cur && g_str_equal (element, "revision"))
    st->in_revision = TRUE;
}

static void
on_end (GMarkupParseContext *ctx, const char *element, gpointer user_data, GError **error)
{
  ParseState *st = user_data;
  g_autofree char *text = g_strstrip (g_strdup (st->text->str));
  if (st->in_checksum && g_str_equal (element, "checksum"))
    {
      st->cur->checksum = g_ascii_strdown (text, -1);
      st->in_checksum = FALSE;
    }
  else if (st->in_size && g_str_equal (element, "size"))
    {
      st->cur->size = g_ascii_strtoull (text, NULL, 10);
      st->in_size = FALSE;
    }
  else if (st->in_revision && g_str_equal (element, "revision"))
    {
      st->md->revision = g_steal_pointer (&text);
      st->in_revision = FALSE;
    }
  else if (g_str_equal (element, "data"))
    st->cur = NULL;
  g_string_truncate (st->text, 0);
}

static void
on_text (GMarkupParseContext *ctx, const char *text, gsize len, gpointer user_data,
         GError **error)
{
  ParseState *st = user_data;
  g_string_append_len (st->text, text, len);
}

PlRepomd *
pl_repomd_parse (const char *xml, gsize len, GError **error)
{
  static const GMarkupParser parser = { on_start, on_end, on_text, NULL, NULL };
  g_autoptr(PlRepomd) md = g_new0 (PlRepomd, 1);
  md->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) entry_free);
  g_autoptr(GString) text = g_string_new (NULL);
  ParseState st = { .md = md, .text = text };
  g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new (&parser, 0, &st, NULL);
  if (!g_markup_parse_context_parse (ctx, xml, len, error)
      || !g_markup_parse_context_end_parse (ctx, error))
    return g_prefix_error (error, "repomd.xml: "), NULL;
  for (guint i = 0; i < md->entries->len; i++)
    {
      PlRepomdEntry *e = md->entries->pdata[i];
      if (!e->href || !e->checksum || !e->checksum_type)
        return g_set_error (error, PL_RPMMD_ERROR, PL_RPMMD_ERROR_INVALID,
                            "repomd.xml: <data type=\"%s\"> lacks a location or checksum",
                            e->type), NULL;
      if (strstr (e->href, "..") || e->href[0] == '/')
        return g_set_error (error, PL_RPMMD_ERROR, PL_RPMMD_ERROR_INVALID,
                            "repomd.xml: <data type=\"%s\"> location \"%s\" leaves the repo",
                            e->type, e->href), NULL;
    }
  if (!pl_repomd_find (md, "primary"))
    return g_set_error (error, PL_RPMMD_ERROR, PL_RPMMD_ERROR_INVALID,
                        "repomd.xml: no primary metadata"), NULL;
  return g_steal_pointer (&md);
}

const PlRepomdEntry *
pl_repomd_find (PlRepomd *md, const char *type)
{
  for (guint i = 0; i < md->entries->len; i++)
    {
      PlRepomdEntry *e = md->entries->pdata[i];
      if (g_str_equal (e->type, type))
        return e;
    }
  return NULL;
}

static gboolean
checksum_type_from_name (const char *name, GChecksumType *out, GError **error)
{
  if (g_str_equal (name, "sha256"))
    *out = G_CHECKSUM_SHA256;
  else if (g_str_equal (name, "sha512"))
    *out = G_CHECKSUM_SHA512;
  else if (g_str_equal (name, "sha1") || g_str_equal (name, "sha"))
    *out = G_CHECKSUM_SHA1;
  else if (g_str_equal (name, "sha384"))
    *out = G_CHECKSUM_SHA384;
  else
    return g_set_error (error, PL_RPMMD_ERROR, PL_RPMMD_ERROR_INVALID,
                        "unsupported checksum type \"%s\"", name), FALSE;
  return TRUE;
}

gboolean
pl_checksum_file_matches (const char *path, const char *type, const char *expected,
                          char **out_actual, GError **error)
{
  GChecksumType ct;
  if (!checksum_type_from_name (type, &ct, error))
    return FALSE;
  g_autoptr(GMappedFile) mf = g_mapped_file_new (path, FALSE, error);
  if (!mf)
    return FALSE;
  g_autofree char *actual = g_compute_checksum_for_data (
      ct, (const guchar *) g_mapped_file_get_contents (mf), g_mapped_file_get_length (mf));
  gboolean match = g_ascii_strcasecmp (actual, expected) == 0;
  if (out_actual)
    *out_actual = g_steal_pointer (&actual);
  return match;
}

void
pl_rpmmd_files_free (PlRpmmdFiles *f)
{
  if (!f)
    return;
  g_free (f->primary_path);
  g_free (f->filelists_path);
  g_free (f);
}

/* Brings one metadata file into DIR, reusing a cached copy whose checksum matches. */
static char *
fetch_entry (const PlManifestRepo *repo, const PlRepomdEntry *e, const char *dir,
             GCancellable *cancellable, GError **error)
{
  g_autofree char *base = g_path_get_basename (e->href);
  g_autofree char *name = g_strdup_printf ("%.16s-%s", e->checksum, base);
  g_autofree char *path = g_build_filename (dir, name, NULL);
  if (g_file_test (path, G_FILE_TEST_EXISTS)
      && pl_checksum_file_matches (path, e->checksum_type, e->checksum, NULL, NULL))
    return g_steal_pointer (&path);

  g_autofree char *url = g_strconcat (repo->baseurl, "/", e->href, NULL);
  PlHttpOptions opts = { .retries = 3, .retry_base_ms = 200, .max_size = e->size,
                         .ca_file = repo->sslcacert };
  PL_AUTOFD int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", dir,
                        g_strerror (errno)), NULL;
  if (!pl_http_download (url, dfd, name, FALSE, &opts, NULL, cancellable, error))
    return g_prefix_error (error, "Repo %s: ", repo->id), NULL;
  g_autofree char *actual = NULL;
  g_autoptr(GError) local_error = NULL;
  if (!pl_checksum_file_matches (path, e->checksum_type, e->checksum, &actual, &local_error))
    {
      (void) unlink (path);
      if (local_error)
        return g_propagate_error (error, g_steal_pointer (&local_error)), NULL;
      return g_set_error (error, PL_RPMMD_ERROR, PL_RPMMD_ERROR_CHECKSUM,
                          "Repo %s: %s: %s checksum is %s, but repomd.xml says %s", repo->id,
                          e->href, e->checksum_type, actual, e->checksum), NULL;
    }
  return g_steal_pointer (&path);
}

PlRpmmdFiles *
pl_rpmmd_fetch (const PlManifestRepo *repo, const char *cachedir, GCancellable *cancellable,
                GError **error)
{
  g_autofree char *dir = g_build_filename (cachedir, "repodata", repo->id, NULL);
  if (g_mkdir_with_parents (dir, 0755) < 0)
    return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Creating %s: %s",
                        dir, g_strerror (errno)), NULL;

  g_autofree char *url = g_strconcat (repo->baseurl, "/repodata/repomd.xml", NULL);
  PlHttpOptions opts = { .retries = 3, .retry_base_ms = 200, .max_size = 16 * 1024 * 1024,
                         .connect_timeout_secs = 15, .ca_file = repo->sslcacert };
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) bytes = pl_http_get_bytes (url, &opts, NULL, cancellable, &local_error);
  if (!bytes)
    return g_set_error (error, PL_RPMMD_ERROR, PL_RPMMD_ERROR_UNREACHABLE,
                        "Repo %s is unreachable: %s", repo->id, local_error->message), NULL;
  gsize len = 0;
  const char *xml = g_bytes_get_data (bytes, &len);
  g_autoptr(PlRepomd) md = pl_repomd_parse (xml, len, error);
  if (!md)
    return g_prefix_error (error, "Repo %s: ", repo->id), NULL;

  g_autoptr(PlRpmmdFiles) files = g_new0 (PlRpmmdFiles, 1);
  files->repo = repo;
  files->primary_path = fetch_entry (repo, pl_repomd_find (md, "primary"), dir, cancellable,
                                     error);
  if (!files->primary_path)
    return NULL;
  const PlRepomdEntry *fl = pl_repomd_find (md, "filelists");
  if (fl)
    {
      files->filelists_path = fetch_entry (repo, fl, dir, cancellable, error);
      if (!files->filelists_path)
        return NULL;
    }
  return g_steal_pointer (&files);
}
