/* Content sources: everything a file's bytes go through between the config and the
 * executor. The order matters and follows Ignition: fetch or decode, then inflate,
 * then verify the hash (which the spec defines over the decompressed bytes), all
 * before the executor writes anything. */
#include "ignition/fetch.h"
#include "lib/http.h"

#include <string.h>

G_DEFINE_QUARK (pl-fetch-error-quark, pl_fetch_error)

static guint64
limit_of (guint64 max_size)
{
  return max_size ? max_size : PL_FETCH_DEFAULT_MAX_SIZE;
}

gboolean
pl_fetch_is_remote (const char *url)
{
  return url && (g_str_has_prefix (url, "http://") || g_str_has_prefix (url, "https://"));
}

static gboolean
is_base64_char (char c)
{
  return g_ascii_isalnum (c) || c == '+' || c == '/' || c == '=';
}

GBytes *
pl_fetch_decode_data_url (const char *url, guint64 max_size, GError **error)
{
  guint64 limit = limit_of (max_size);
  if (!g_str_has_prefix (url, "data:"))
    return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_BAD_URL,
                        "not a data: URL"), NULL;
  const char *comma = strchr (url, ',');
  if (!comma)
    return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_BAD_URL,
                        "data: URL has no \",\" before its data"), NULL;
  g_autofree char *meta = g_strndup (url + 5, comma - (url + 5));
  g_auto(GStrv) params = g_strsplit (meta, ";", -1);
  gboolean base64 = FALSE;
  for (char **p = params; *p; p++)
    if (g_ascii_strcasecmp (*p, "base64") == 0)
      base64 = TRUE;
  const char *payload = comma + 1;
  gsize plen = strlen (payload);
  /* Refuse before decoding when even the densest encoding is over the limit;
   * the exact size is checked after decoding. */
  if ((base64 ? (guint64) plen / 4 * 3 : (guint64) plen / 3) > limit + 3)
    return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_TOO_LARGE,
                        "data: URL holds more than the limit of %" G_GUINT64_FORMAT " bytes",
                        limit), NULL;
  g_autoptr(GBytes) raw = g_uri_unescape_bytes (payload, plen, NULL, NULL);
  if (!raw)
    return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_BAD_URL,
                        "data: URL has an invalid percent escape"), NULL;
  if (!base64)
    {
      if (g_bytes_get_size (raw) > limit)
        return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_TOO_LARGE,
                            "data: URL holds more than the limit of %" G_GUINT64_FORMAT
                            " bytes", limit), NULL;
      return g_steal_pointer (&raw);
    }
  gsize rlen;
  const char *r = g_bytes_get_data (raw, &rlen);
  g_autoptr(GString) clean = g_string_sized_new (rlen + 1);
  gboolean seen_pad = FALSE;
  for (gsize i = 0; i < rlen; i++)
    {
      if (g_ascii_isspace (r[i]))
        continue;
      if (!is_base64_char (r[i]) || (seen_pad && r[i] != '='))
        return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_BAD_URL,
                            "data: URL is not valid base64 (byte %" G_GSIZE_FORMAT ")", i),
               NULL;
      seen_pad = seen_pad || r[i] == '=';
      g_string_append_c (clean, r[i]);
    }
  if (clean->len % 4 != 0)
    return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_BAD_URL,
                        "data: URL is not valid base64 (length %" G_GSIZE_FORMAT
                        " is not a multiple of 4)", clean->len), NULL;
  gsize out_len = 0;
  guchar *out = clean->len ? g_base64_decode (clean->str, &out_len) : g_malloc0 (1);
  if (out_len > limit)
    {
      g_free (out);
      return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_TOO_LARGE,
                          "data: URL holds more than the limit of %" G_GUINT64_FORMAT
                          " bytes", limit), NULL;
    }
  return g_bytes_new_take (out, out_len);
}

GBytes *
pl_fetch_gunzip (GBytes *data, guint64 max_size, GError **error)
{
  guint64 limit = limit_of (max_size);
  g_autoptr(GZlibDecompressor) z = g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP);
  gsize in_len;
  const guint8 *in = g_bytes_get_data (data, &in_len);
  g_autoptr(GByteArray) out = g_byte_array_new ();
  guint8 buf[65536];
  gsize pos = 0;
  for (;;)
    {
      gsize nread = 0, nwritten = 0;
      g_autoptr(GError) local_error = NULL;
      GConverterResult r = g_converter_convert (G_CONVERTER (z), in + pos, in_len - pos,
                                                buf, sizeof buf, G_CONVERTER_INPUT_AT_END,
                                                &nread, &nwritten, &local_error);
      if (r == G_CONVERTER_ERROR)
        return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_CORRUPT,
                            "not valid gzip data: %s", local_error->message), NULL;
      pos += nread;
      if ((guint64) out->len + nwritten > limit)
        return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_TOO_LARGE,
                            "gzip data inflates to more than the limit of %" G_GUINT64_FORMAT
                            " bytes", limit), NULL;
      g_byte_array_append (out, buf, nwritten);
      if (r == G_CONVERTER_FINISHED)
        break;
      if (nread == 0 && nwritten == 0)
        return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_CORRUPT,
                            "not valid gzip data: truncated"), NULL;
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

static gboolean
parse_hash (const char *hash, GChecksumType *out_type, const char **out_hex, GError **error)
{
  const char *dash = hash ? strchr (hash, '-') : NULL;
  gsize want;
  GChecksumType type;
  if (dash && dash - hash == 6 && g_str_has_prefix (hash, "sha512"))
    type = G_CHECKSUM_SHA512, want = 128;
  else if (dash && dash - hash == 6 && g_str_has_prefix (hash, "sha256"))
    type = G_CHECKSUM_SHA256, want = 64;
  else
    return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_BAD_HASH,
                        "hash \"%s\" is not sha512-<hex> or sha256-<hex>", hash ? hash : ""),
           FALSE;
  const char *hex = dash + 1;
  gsize n = strlen (hex);
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isxdigit (hex[i]))
      n = 0;
  if (n != want)
    return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_BAD_HASH,
                        "hash \"%s\" does not have %" G_GSIZE_FORMAT " hex digits", hash, want),
           FALSE;
  *out_type = type;
  *out_hex = hex;
  return TRUE;
}

gboolean
pl_fetch_check_hash_spec (const char *hash, GError **error)
{
  GChecksumType t;
  const char *hex;
  return parse_hash (hash, &t, &hex, error);
}

gboolean
pl_fetch_verify_hash (GBytes *data, const char *hash, GError **error)
{
  GChecksumType type;
  const char *hex;
  if (!parse_hash (hash, &type, &hex, error))
    return FALSE;
  g_autofree char *got = g_compute_checksum_for_bytes (type, data);
  if (g_ascii_strcasecmp (got, hex) != 0)
    return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_HASH_MISMATCH,
                        "hash mismatch: expected %s, got %.6s-%s", hash, hash, got), FALSE;
  return TRUE;
}

static GBytes *
fetch_remote (const char *url, const PlFetchOptions *opts, guint64 limit,
              GCancellable *cancellable, GError **error)
{
  PlHttpOptions h = { 0 };
  h.max_size = limit;
  h.retries = opts ? opts->retries : 3;
  h.retry_base_ms = opts ? opts->retry_base_ms : 0;
  h.proxy = opts ? opts->proxy : NULL;
  h.connect_timeout_secs = 30;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GBytes) b = pl_http_get_bytes (url, &h, NULL, cancellable, &local_error);
  if (b)
    return g_steal_pointer (&b);
  int code = g_error_matches (local_error, PL_HTTP_ERROR, PL_HTTP_ERROR_TOO_LARGE)
                 ? PL_FETCH_ERROR_TOO_LARGE : PL_FETCH_ERROR_NETWORK;
  return g_set_error (error, PL_FETCH_ERROR, code, "fetching: %s", local_error->message),
         NULL;
}

gboolean
pl_fetch_source (PlSource *src, const PlFetchOptions *opts, GCancellable *cancellable,
                 GError **error)
{
  guint64 limit = limit_of (opts ? opts->max_size : 0);
  if (src->compression && !g_str_equal (src->compression, "gzip"))
    return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_UNSUPPORTED,
                        "compression \"%s\" is not supported (only gzip)", src->compression),
           FALSE;
  if (src->hash && !pl_fetch_check_hash_spec (src->hash, error))
    return FALSE;
  if (src->data)
    return src->hash ? pl_fetch_verify_hash (src->data, src->hash, error) : TRUE;
  if (!src->url)
    return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_BAD_URL, "no source"), FALSE;

  g_autoptr(GBytes) raw = NULL;
  if (g_str_has_prefix (src->url, "data:"))
    raw = pl_fetch_decode_data_url (src->url, limit, error);
  else if (pl_fetch_is_remote (src->url))
    raw = fetch_remote (src->url, opts, limit, cancellable, error);
  else
    {
      g_autofree char *scheme = g_uri_parse_scheme (src->url);
      return g_set_error (error, PL_FETCH_ERROR, PL_FETCH_ERROR_UNSUPPORTED,
                          "source scheme \"%s\" is not supported (data, http, https)",
                          scheme ? scheme : src->url), FALSE;
    }
  if (!raw)
    return FALSE;
  g_autoptr(GBytes) data = src->compression ? pl_fetch_gunzip (raw, limit, error)
                                            : g_bytes_ref (raw);
  if (!data)
    return FALSE;
  if (src->hash && !pl_fetch_verify_hash (data, src->hash, error))
    return FALSE;
  src->data = g_steal_pointer (&data);
  return TRUE;
}

gboolean
pl_fetch_resolve_plan (PlPlan *plan, const PlFetchOptions *opts, GCancellable *cancellable,
                       GError **error)
{
  for (guint i = 0; i < plan->files->len; i++)
    {
      PlPlanFile *f = plan->files->pdata[i];
      if (f->contents && !f->contents->data
          && !pl_fetch_source (f->contents, opts, cancellable, error))
        return g_prefix_error (error, "%s.contents: ", f->origin), FALSE;
      for (guint j = 0; j < f->append->len; j++)
        {
          PlSource *a = f->append->pdata[j];
          if (!a->data && !pl_fetch_source (a, opts, cancellable, error))
            return g_prefix_error (error, "%s.append[%u]: ", f->origin, j), FALSE;
        }
    }
  return TRUE;
}
