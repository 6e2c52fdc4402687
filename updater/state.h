/* What the update agent must remember across reboots, kept in
 * <sysroot>/var/lib/plinth/state.json: the last accepted index serial (to refuse an
 * index that goes backwards), the releases that failed on this node (never retried
 * automatically), the release staged and when, the last check, and a bounded history
 * of updates and rollbacks, newest first.
 *
 * Loading is strict about the fields it knows (types, values, required keys: every
 * error names the file and the JSON path) but ignores keys it does not know, because
 * after a rollback an older agent reads the state a newer one wrote. Saving is atomic.
 * A corrupt file is never half-used: pl_state_load_at() fails with
 * PL_STATE_ERROR_CORRUPT; pl_state_recover_at() sets it aside as state.json.bad and
 * starts fresh (see docs/plinthctl.md, "State"). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PL_STATE_ERROR (pl_state_error_quark ())
GQuark pl_state_error_quark (void);

typedef enum {
  PL_STATE_ERROR_CORRUPT,     /* not JSON, a wrong type or value, a missing field */
  PL_STATE_ERROR_UNSUPPORTED, /* written by a newer, incompatible schema */
  PL_STATE_ERROR_IO,          /* could not read or write the file */
} PlStateError;

/* Where the state lives, relative to the sysroot. */
#define PL_STATE_DIR "var/lib/plinth"
#define PL_STATE_FILE "var/lib/plinth/state.json"
#define PL_STATE_SCHEMA 1
/* History entries kept; older ones are dropped. */
#define PL_STATE_HISTORY_MAX 64
/* The largest state file read (a sane bound: the history is bounded). */
#define PL_STATE_MAX_SIZE (1024 * 1024)

typedef enum {
  PL_HISTORY_KIND_INVALID = -1,
  PL_HISTORY_KIND_UPDATE,    /* a release was staged/deployed by the agent */
  PL_HISTORY_KIND_DEPLOY,    /* an admin deployed an exact version */
  PL_HISTORY_KIND_ROLLBACK,  /* the other deployment was made the next boot */
  PL_HISTORY_KIND_FAILED,    /* a release was recorded as failed on this node */
  PL_HISTORY_KIND_RESET,     /* a corrupt state file was set aside */
} PlHistoryKind;

const char *pl_history_kind_to_string (PlHistoryKind kind);
PlHistoryKind pl_history_kind_from_string (const char *s);

typedef struct {
  char *version;   /* may be NULL when unknown */
  char *commit;    /* 64 hex */
  char *reason;
  gint64 time;     /* Unix seconds */
} PlFailedRelease;

typedef struct {
  gint64 time;
  PlHistoryKind kind;
  char *from_version;  /* each may be NULL */
  char *from_commit;
  char *to_version;
  char *to_commit;
  char *detail;        /* free text, may be NULL */
} PlHistoryEntry;

typedef struct {
  gint64 last_index_serial;  /* -1: no index accepted yet */
  gint64 last_check_time;    /* 0: never */
  char *last_check_result;   /* NULL: never */
  char *staged_version;      /* NULL: nothing staged */
  char *staged_commit;
  gint64 staged_time;
  GPtrArray *failed;         /* PlFailedRelease, oldest first */
  GPtrArray *history;        /* PlHistoryEntry, newest first, <= PL_STATE_HISTORY_MAX */
} PlState;

PlState *pl_state_new (void);
void pl_state_free (PlState *state);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlState, pl_state_free)

/* Parses a state document; SOURCE names it in errors. */
PlState *pl_state_parse (const char *data, gsize len, const char *source, GError **error);
/* Serializes (pretty JSON with a trailing newline). */
char *pl_state_to_json (PlState *state);

/* Loads ROOT_DFD/PL_STATE_FILE; a missing file is a fresh state. */
PlState *pl_state_load_at (int root_dfd, GError **error);
/* Writes ROOT_DFD/PL_STATE_FILE atomically, creating its directory. */
gboolean pl_state_save_at (PlState *state, int root_dfd, GError **error);

/* Like pl_state_load_at(), but a corrupt file (PL_STATE_ERROR_CORRUPT or
 * _UNSUPPORTED) is renamed to state.json.bad (replacing an older one) and a fresh state
 * is returned, holding one RESET history entry with the reason; *OUT_RECOVERED (may be
 * NULL) receives the load error's message then, NULL otherwise. The fresh state is not
 * saved: the caller saves it with its own change. I/O errors still fail. */
PlState *pl_state_recover_at (int root_dfd, gint64 now, char **out_recovered,
                              GError **error);

/* Adds an entry at the front, dropping the oldest beyond PL_STATE_HISTORY_MAX. */
void pl_state_add_history (PlState *state, gint64 time, PlHistoryKind kind,
                           const char *from_version, const char *from_commit,
                           const char *to_version, const char *to_commit,
                           const char *detail);
/* Records COMMIT as failed (replacing an earlier record of the same commit) and adds a
 * FAILED history entry. */
void pl_state_add_failed (PlState *state, const char *version, const char *commit,
                          const char *reason, gint64 time);
gboolean pl_state_is_failed (PlState *state, const char *commit);
/* The failed versions as a set (keys), the form pl_rollout_choose() takes. */
GHashTable *pl_state_failed_versions (PlState *state);
/* VERSION/COMMIT staged at TIME; NULL COMMIT clears it. */
void pl_state_set_staged (PlState *state, const char *version, const char *commit,
                          gint64 time);
void pl_state_set_last_check (PlState *state, gint64 time, const char *result);

G_END_DECLS
