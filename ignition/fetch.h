/* File contents as configs name them: data: URLs (percent-encoded or base64), http(s)
 * URLs fetched through lib/http.c, optional gzip, and verification hashes of the final
 * bytes. Everything has a size limit, including what gzip expands to. */
#pragma once

#include "ignition/plan.h"

G_BEGIN_DECLS

#define PL_FETCH_ERROR (pl_fetch_error_quark ())
GQuark pl_fetch_error_quark (void);

typedef enum {
  PL_FETCH_ERROR_BAD_URL,        /* malformed data: URL, bad base64 or percent escape */
  PL_FETCH_ERROR_UNSUPPORTED,    /* a scheme or compression Plinth does not handle */
  PL_FETCH_ERROR_BAD_HASH,       /* verification.hash is not TYPE-HEX */
  PL_FETCH_ERROR_HASH_MISMATCH,  /* the bytes do not have the hash the config gives */
  PL_FETCH_ERROR_TOO_LARGE,      /* over the size limit (declared, fetched or inflated) */
  PL_FETCH_ERROR_CORRUPT,        /* not valid gzip */
  PL_FETCH_ERROR_NETWORK,        /* the remote source could not be fetched */
} PlFetchError;

#define PL_FETCH_DEFAULT_MAX_SIZE (64 * 1024 * 1024)

typedef struct {
  guint64 max_size;        /* per file, after decompression; 0: the default */
  guint retries;           /* for remote sources */
  guint retry_base_ms;
  const char *proxy;       /* NULL: environment */
} PlFetchOptions;

/* Decodes a data: URL. */
GBytes *pl_fetch_decode_data_url (const char *url, guint64 max_size, GError **error);

/* Inflates gzip data, failing once the output passes MAX_SIZE. */
GBytes *pl_fetch_gunzip (GBytes *data, guint64 max_size, GError **error);

/* Checks that HASH is "sha512-<128 hex>" or "sha256-<64 hex>". */
gboolean pl_fetch_check_hash_spec (const char *hash, GError **error);
gboolean pl_fetch_verify_hash (GBytes *data, const char *hash, GError **error);

/* Whether URL needs the network (http/https) rather than being inline (data:). */
gboolean pl_fetch_is_remote (const char *url);

/* Fills SRC->data: decodes or fetches SRC->url, inflates, verifies the hash. A
 * source that already has data (given inline) is only verified. */
gboolean pl_fetch_source (PlSource *src, const PlFetchOptions *opts,
                          GCancellable *cancellable, GError **error);

/* Resolves every source of PLAN that has no data yet; errors name the entry. */
gboolean pl_fetch_resolve_plan (PlPlan *plan, const PlFetchOptions *opts,
                                GCancellable *cancellable, GError **error);

G_END_DECLS
