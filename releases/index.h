/* The release index: the signed list of releases a stream offers for one architecture
 * (<base>/<stream>/<arch>/index.json + index.json.asc). This is the one reader and
 * writer of the format defined in releases/FORMAT.md; the build host writes it with
 * `plinth-build publish` and every node reads it. Parsing is strict (every error names
 * the JSON path); the node's acceptance checks (stream, arch, serial, expiry) are a
 * separate step, pl_index_check(). OpenPGP signature errors live in PL_GPG_ERROR
 * (lib/gpg.h), since the same verification guards other signed files too. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PL_INDEX_ERROR (pl_index_error_quark ())
GQuark pl_index_error_quark (void);

typedef enum {
  PL_INDEX_ERROR_INVALID,            /* not a well-formed index (syntax, types, values) */
  PL_INDEX_ERROR_UNSUPPORTED_SCHEMA, /* schema newer than this reader */
  PL_INDEX_ERROR_WRONG_STREAM,
  PL_INDEX_ERROR_WRONG_ARCH,
  PL_INDEX_ERROR_SERIAL_ROLLBACK,    /* serial lower than the last accepted one */
  PL_INDEX_ERROR_EXPIRED,            /* now >= expires (freeze attack) */
} PlIndexError;

/* The newest schema this code reads and writes. */
#define PL_INDEX_SCHEMA 1

typedef struct {
  char *from;        /* 64 hex: the commit this delta starts from */
  char *path;        /* relative to the <stream>/<arch>/ directory */
  char *sha256;      /* 64 hex */
  guint64 size;
} PlDelta;

typedef struct {
  char *name;
  char *version;
  char *path;        /* relative to the <stream>/<arch>/ directory */
  char *sha256;
  guint64 size;
} PlSysext;

typedef struct {
  gint64 start;              /* Unix seconds */
  guint64 duration_minutes;
  double start_percentage;   /* 0..100 */
} PlRollout;

typedef struct {
  char *version;
  char *commit;              /* 64 hex OSTree commit checksum */
  gint64 timestamp;          /* Unix seconds */
  gboolean has_rollout;      /* FALSE: everyone may take it now */
  PlRollout rollout;
  gboolean barrier;
  char *deadend;             /* NULL, or why this release is a dead end */
  GPtrArray *deltas;         /* PlDelta */
  GPtrArray *sysexts;        /* PlSysext */
} PlRelease;

typedef struct {
  guint schema;
  char *stream;
  char *arch;
  guint64 serial;
  gint64 generated;          /* Unix seconds */
  gint64 expires;            /* Unix seconds */
  GPtrArray *releases;       /* PlRelease, ascending by version after parsing */
} PlIndex;

PlDelta *pl_delta_new (const char *from, const char *path, const char *sha256, guint64 size);
void pl_delta_free (PlDelta *delta);
PlSysext *pl_sysext_new (const char *name, const char *version, const char *path,
                         const char *sha256, guint64 size);
void pl_sysext_free (PlSysext *sysext);
PlRelease *pl_release_new (const char *version, const char *commit, gint64 timestamp);
void pl_release_free (PlRelease *release);
PlIndex *pl_index_new (const char *stream, const char *arch, guint64 serial,
                       gint64 generated, gint64 expires);
void pl_index_free (PlIndex *idx);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlDelta, pl_delta_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlSysext, pl_sysext_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlRelease, pl_release_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlIndex, pl_index_free)

/* Parses and validates DATA (not NUL-terminated necessarily). Errors are
 * PL_INDEX_ERROR_INVALID or _UNSUPPORTED_SCHEMA, and name the JSON path
 * ("index.json: releases[2].deltas[0].path: must not contain '..'"). */
PlIndex *pl_index_parse (const char *data, gsize len, GError **error);

/* Validates IDX as pl_index_parse() would (for indexes built in memory), then sorts
 * its releases by version. */
gboolean pl_index_validate (PlIndex *idx, GError **error);

/* Deterministic JSON (fixed key order, releases ascending by version, two-space
 * indentation, trailing newline). pl_index_parse() of the result gives IDX back. */
char *pl_index_to_json (PlIndex *idx);

/* Lookups; the results are owned by IDX / RELEASE. NULL when absent. */
PlRelease *pl_index_find_release (PlIndex *idx, const char *version);
PlRelease *pl_index_find_by_commit (PlIndex *idx, const char *commit);
PlDelta *pl_index_find_delta (PlRelease *release, const char *from_commit);
/* The release with the highest version, or NULL for an empty index. */
PlRelease *pl_index_newest (PlIndex *idx);

/* RPM-style version comparison (librpm's rpmvercmp): <0, 0, >0. */
int pl_version_compare (const char *a, const char *b);

typedef struct {
  const char *stream;        /* expected stream */
  const char *arch;          /* expected architecture */
  guint64 last_serial;       /* last accepted serial (0: none yet) */
  gint64 now;                /* Unix seconds, for expiry */
} PlIndexCheck;

/* The node's acceptance checks, in this order: schema (UNSUPPORTED_SCHEMA), stream
 * (WRONG_STREAM), arch (WRONG_ARCH), serial (SERIAL_ROLLBACK; equal is the same index
 * and accepted), expiry (EXPIRED). */
gboolean pl_index_check (PlIndex *idx, const PlIndexCheck *ctx, GError **error);

/* "2026-11-21T10:00:00Z" for Unix seconds T. */
char *pl_index_format_time (gint64 t);
/* Parses an RFC 3339 UTC time ("...Z", optional fractional seconds, which are
 * dropped). FALSE when the string is not one. */
gboolean pl_index_parse_time (const char *s, gint64 *out_time);

G_END_DECLS
