/* Config sources. A source that is not there is a note and the next one is tried; a
 * source that is there but broken (a command line URL that cannot be fetched, user
 * data that is not base64) is an error, because falling through would provision the
 * machine with a config the operator did not give. */
#include "ignition/sources.h"
#include "ignition/rootfs.h"
#include "lib/http.h"

#include <string.h>

G_DEFINE_QUARK (pl-sources-error-quark, pl_sources_error)

#define DEFAULT_MAX (64 * 1024 * 1024)

void
pl_source_result_free (PlSourceResult *r)
{
  if (!r)
    return;
  g_free (r->source);
  g_free (r->detail);
  g_clear_pointer (&r->config, g_bytes_unref);
  pl_ovf_env_free (r->ovf);
  g_ptr_array_unref (r->notes);
  g_free (r);
}

char *
pl_sources_cmdline_value (const char *cmdline, const char *key)
{
  g_autofree char *prefix = g_strconcat (key, "=", NULL);
  g_auto(GStrv) words = g_strsplit_set (cmdline, " \t\n", -1);
  char *found = NULL;
  /* The last one wins, as for the kernel's own parameters */
  for (char **w = words; *w; w++)
    if (g_str_has_prefix (*w, prefix))
      {
        g_free (found);
        found = g_strdup (*w + strlen (prefix));
      }
  return found;
}

static guint64
max_of (const PlSourceOptions *o)
{
  return o->max_size ? o->max_size : DEFAULT_MAX;
}

static GBytes *
read_local (const char *path, guint64 max, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  if (len > max)
    return g_set_error (error, PL_SOURCES_ERROR, PL_SOURCES_ERROR_INVALID,
                        "%s is larger than %" G_GUINT64_FORMAT " bytes", path, max), NULL;
  return g_bytes_new_take (g_steal_pointer (&data), len);
}

static GBytes *
fetch_cmdline_url (const PlSourceOptions *o, const char *url, GCancellable *cancellable,
                   GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) b = NULL;
  if (g_str_has_prefix (url, "http://") || g_str_has_prefix (url, "https://"))
    {
      PlHttpOptions h = { .max_size = max_of (o), .retries = 5, .retry_base_ms = 500,
                          .connect_timeout_secs = 10 };
      b = pl_http_get_bytes (url, &h, NULL, cancellable, &local_error);
    }
  else if (g_str_has_prefix (url, "file://") || url[0] == '/')
    {
      g_autofree char *path = url[0] == '/' ? g_strdup (url)
                                            : g_filename_from_uri (url, NULL, &local_error);
      if (path)
        b = read_local (path, max_of (o), &local_error);
    }
  else
    return g_set_error (error, PL_SOURCES_ERROR, PL_SOURCES_ERROR_INVALID,
                        "plinth.config.url=%s: not an http(s) or file URL or a path", url),
           NULL;
  if (!b)
    return g_set_error (error, PL_SOURCES_ERROR, PL_SOURCES_ERROR_FETCH,
                        "plinth.config.url=%s: %s", url, local_error->message), NULL;
  return g_steal_pointer (&b);
}

static gboolean
is_retryable_status (long status)
{
  return status == 404 || status == 410 || status == 429 || status >= 500;
}

GBytes *
pl_sources_imds_user_data (const PlSourceOptions *o, GCancellable *cancellable, GError **error)
{
  const char *base = o->imds_url ? o->imds_url : PL_SOURCES_DEFAULT_IMDS;
  g_autofree char *url = g_strconcat (base, "/metadata/instance/compute/userData"
                                      "?api-version=2021-01-01&format=text", NULL);
  static const char *const headers[] = { "Metadata: true", NULL };
  /* IMDS must never be reached through a proxy; retries are ours, since IMDS asks
   * for 404 and 410 to be retried as well */
  PlHttpOptions h = { .proxy = "", .headers = headers, .max_size = max_of (o) * 2,
                      .connect_timeout_secs = 5, .low_speed_secs = 30, .retries = 0 };
  guint attempts = o->imds_attempts ? o->imds_attempts : 10;
  guint64 delay = o->imds_retry_base_ms ? o->imds_retry_base_ms : 500;
  g_autoptr(GError) last = NULL;
  gint64 last_start = 0;
  for (guint n = 0; n < attempts; n++)
    {
      /* IMDS allows 5 requests per second per VM: keep 200 ms between starts */
      gint64 wait = last_start ? last_start + 200000 - g_get_monotonic_time () : 0;
      if (n > 0)
        {
          wait = MAX (wait, (gint64) delay * 1000);
          delay = MIN (delay * 2, 10000);
        }
      if (wait > 0)
        g_usleep (wait);
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return NULL;
      last_start = g_get_monotonic_time ();
      g_clear_error (&last);
      g_auto(PlHttpResult) res = { 0 };
      g_autoptr(GBytes) body = pl_http_get_bytes (url, &h, &res, cancellable, &last);
      if (body)
        {
          gsize len;
          const char *s = g_bytes_get_data (body, &len);
          g_autofree char *text = g_strstrip (g_strndup (s ? s : "", len));
          for (const char *p = text; *p; p++)
            if (!(g_ascii_isalnum (*p) || *p == '+' || *p == '/' || *p == '='
                  || g_ascii_isspace (*p)))
              return g_set_error (error, PL_SOURCES_ERROR, PL_SOURCES_ERROR_INVALID,
                                  "IMDS user data is not base64"), NULL;
          gsize n_out = 0;
          guchar *raw = *text ? g_base64_decode (text, &n_out) : g_malloc0 (1);
          return g_bytes_new_take (raw, n_out);
        }
      gboolean retry = g_error_matches (last, PL_HTTP_ERROR, PL_HTTP_ERROR_NETWORK)
                       || g_error_matches (last, PL_HTTP_ERROR, PL_HTTP_ERROR_NOT_FOUND)
                       || is_retryable_status (res.status);
      if (!retry)
        break;
    }
  return g_set_error (error, PL_SOURCES_ERROR, PL_SOURCES_ERROR_FETCH,
                      "IMDS user data: %s", last ? last->message : "no answer"), NULL;
}

static void
note (PlSourceResult *r, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
note (PlSourceResult *r, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_ptr_array_add (r->notes, g_strdup_vprintf (fmt, ap));
  va_end (ap);
}

static gboolean
take (PlSourceResult *r, const char *source, const char *detail, GBytes *config)
{
  g_free (r->source);
  g_free (r->detail);
  r->source = g_strdup (source);
  r->detail = g_strdup (detail);
  r->config = g_bytes_ref (config);
  return TRUE;
}

/* Reads the OVF media, or the cache a previous boot left when the media is gone. */
static gboolean
read_ovf (const PlSourceOptions *o, int root_fd, PlSourceResult *r, GBytes **out_bin,
          char **out_from, GError **error)
{
  const char *path = o->ovf_path ? o->ovf_path : PL_SOURCES_DEFAULT_OVF;
  const char *cache = PL_SOURCES_CACHE_DIR "/ovf-env.xml";
  const char *cache_bin = PL_SOURCES_CACHE_DIR "/CustomData.bin";
  g_autoptr(GBytes) xml = NULL;
  g_autoptr(GBytes) bin = NULL;
  g_autoptr(GError) local_error = NULL;
  if (*path && pl_ovf_read_media (path, &xml, &bin, &local_error))
    {
      /* The media is ejected after this boot: keep what it said, readable by root only */
      if (!pl_rootfs_write (root_fd, cache, g_bytes_get_data (xml, NULL),
                            g_bytes_get_size (xml), 0600, 0, 0, error))
        return g_prefix_error (error, "Caching the OVF media: "), FALSE;
      if (bin && !pl_rootfs_write (root_fd, cache_bin, g_bytes_get_data (bin, NULL),
                                   g_bytes_get_size (bin), 0600, 0, 0, error))
        return g_prefix_error (error, "Caching the OVF media: "), FALSE;
      *out_from = g_strdup (path);
    }
  else
    {
      if (local_error && !g_error_matches (local_error, PL_OVF_ERROR, PL_OVF_ERROR_NOT_FOUND))
        return g_propagate_error (error, g_steal_pointer (&local_error)), FALSE;
      note (r, "ovf: %s", *path ? local_error->message : "disabled");
      g_clear_error (&local_error);
      if (!pl_rootfs_read (root_fd, cache, 1024 * 1024, &xml, NULL))
        return TRUE;
      (void) pl_rootfs_read (root_fd, cache_bin, DEFAULT_MAX, &bin, NULL);
      note (r, "ovf: using the cache %s", cache);
      *out_from = g_strdup (cache);
    }
  r->ovf = pl_ovf_parse (g_bytes_get_data (xml, NULL), g_bytes_get_size (xml), error);
  if (!r->ovf)
    return FALSE;
  *out_bin = g_steal_pointer (&bin);
  return TRUE;
}

PlSourceResult *
pl_sources_find (const PlSourceOptions *o, int root_fd, GCancellable *cancellable,
                 GError **error)
{
  g_autoptr(PlSourceResult) r = g_new0 (PlSourceResult, 1);
  r->notes = g_ptr_array_new_with_free_func (g_free);
  gboolean found = FALSE;

  const char *cmdline_path = o->cmdline_path ? o->cmdline_path : PL_SOURCES_DEFAULT_CMDLINE;
  g_autofree char *cmdline = NULL;
  if (*cmdline_path && g_file_get_contents (cmdline_path, &cmdline, NULL, NULL))
    {
      g_autofree char *url = pl_sources_cmdline_value (cmdline, "plinth.config.url");
      if (url)
        {
          g_autoptr(GBytes) b = fetch_cmdline_url (o, url, cancellable, error);
          if (!b)
            return NULL;
          found = take (r, "cmdline", url, b);
        }
      else
        note (r, "cmdline: no plinth.config.url= in %s", cmdline_path);
    }

  const char *fw = o->fw_cfg_path ? o->fw_cfg_path : PL_SOURCES_DEFAULT_FW_CFG;
  if (!found && *fw && g_file_test (fw, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GBytes) b = read_local (fw, max_of (o), error);
      if (!b)
        return NULL;
      if (g_bytes_get_size (b) > 0)
        found = take (r, "fw_cfg", fw, b);
      else
        note (r, "fw_cfg: %s is empty", fw);
    }
  else if (!found)
    note (r, "fw_cfg: %s", *fw ? "no config" : "disabled");

  const char *imds = o->imds_url ? o->imds_url : PL_SOURCES_DEFAULT_IMDS;
  if (!found && *imds)
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(GBytes) b = pl_sources_imds_user_data (o, cancellable, &local_error);
      if (!b && g_error_matches (local_error, PL_SOURCES_ERROR, PL_SOURCES_ERROR_INVALID))
        return g_propagate_error (error, g_steal_pointer (&local_error)), NULL;
      if (b && g_bytes_get_size (b) > 0)
        found = take (r, "imds", imds, b);
      else
        note (r, "imds: %s", b ? "no user data" : local_error->message);
    }

  g_autoptr(GBytes) bin = NULL;
  g_autofree char *ovf_from = NULL;
  if (!read_ovf (o, root_fd, r, &bin, &ovf_from, error))
    return NULL;
  if (!found && r->ovf && r->ovf->custom_data && g_bytes_get_size (r->ovf->custom_data))
    found = take (r, "ovf", ovf_from, r->ovf->custom_data);
  else if (!found && bin && g_bytes_get_size (bin) > 0)
    found = take (r, "ovf", "CustomData.bin", bin);

  if (!found)
    {
      g_autoptr(GBytes) b = NULL;
      if (pl_rootfs_read (root_fd, PL_SOURCES_DEFAULTS_PATH, max_of (o), &b, NULL))
        found = take (r, "defaults", PL_SOURCES_DEFAULTS_PATH, b);
    }
  if (!found)
    {
      g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);
      take (r, "none", NULL, empty);
    }
  return g_steal_pointer (&r);
}
