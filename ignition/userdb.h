/* The target root's user database: /etc/passwd, /etc/group, /etc/shadow and
 * /etc/gshadow, parsed by Plinth itself (never the host's NSS) and changed in memory,
 * so users and groups can be added and names resolved before anything is written. */
#pragma once

#include "ignition/plan.h"

G_BEGIN_DECLS

#define PL_USERDB_ERROR (pl_userdb_error_quark ())
GQuark pl_userdb_error_quark (void);

typedef enum {
  PL_USERDB_ERROR_SYNTAX,        /* a line of the root's files is malformed */
  PL_USERDB_ERROR_NO_SUCH_USER,
  PL_USERDB_ERROR_NO_SUCH_GROUP,
  PL_USERDB_ERROR_CONFLICT,      /* id taken, or an existing user with another uid */
  PL_USERDB_ERROR_INVALID,       /* a name or field that cannot go into these files */
} PlUserdbError;

typedef struct _PlUserdb PlUserdb;

/* Reads the four files from ROOT_FD (missing ones are empty). */
PlUserdb *pl_userdb_load (int root_fd, GError **error);
void pl_userdb_free (PlUserdb *db);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlUserdb, pl_userdb_free)

gboolean pl_userdb_lookup_user (PlUserdb *db, const char *name, guint32 *out_uid,
                                guint32 *out_gid, const char **out_home);
gboolean pl_userdb_lookup_group (PlUserdb *db, const char *name, guint32 *out_gid);

/* Adds a group (from passwd.groups); an existing one with the same gid or no gid asked
 * is accepted as is. */
gboolean pl_userdb_add_group (PlUserdb *db, const PlPlanGroup *group, GError **error);

/* Adds or updates a user: a new one gets an entry in passwd and shadow and, unless
 * primaryGroup names one, a group of its own name; an existing one gets the password
 * hash and supplementary groups. */
gboolean pl_userdb_add_user (PlUserdb *db, const PlPlanUser *user, GError **error);

/* Resolves OWNER's names to ids (-1 stays -1). */
gboolean pl_userdb_resolve_owner (PlUserdb *db, const PlOwner *owner, const char *origin,
                                  gint64 *out_uid, gint64 *out_gid, GError **error);

typedef enum {
  PL_USERDB_PASSWD,
  PL_USERDB_GROUP,
  PL_USERDB_SHADOW,
  PL_USERDB_GSHADOW,
} PlUserdbFile;

/* Whether FILE changed, its path in the root, its new contents and the mode and owner
 * to publish it with (those of the existing file, or the usual defaults). */
gboolean pl_userdb_is_dirty (PlUserdb *db, PlUserdbFile file);
const char *pl_userdb_path (PlUserdbFile file);
char *pl_userdb_render (PlUserdb *db, PlUserdbFile file);
void pl_userdb_file_attrs (PlUserdb *db, PlUserdbFile file, mode_t *out_mode,
                           gint64 *out_uid, gint64 *out_gid);

G_END_DECLS
