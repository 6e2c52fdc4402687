/* The compose lockfile: exactly which RPMs an image was built from (name, EVR, arch,
 * SHA-256, size, repo), so a later compose can install the very same set. The format
 * is defined in docs/lockfile.md; the loader is strict and names the JSON path of the
 * first problem. */
#pragma once

#include <gio/gio.h>

#include "releases/package.h"

G_BEGIN_DECLS

#define PL_LOCKFILE_ERROR (pl_lockfile_error_quark ())
GQuark pl_lockfile_error_quark (void);

typedef enum {
  PL_LOCKFILE_ERROR_SYNTAX,        /* not JSON */
  PL_LOCKFILE_ERROR_SCHEMA,        /* a schema version this code does not read */
  PL_LOCKFILE_ERROR_INVALID,       /* a field is missing, of the wrong type or malformed */
  PL_LOCKFILE_ERROR_UNKNOWN_FIELD, /* a field the format does not have */
  PL_LOCKFILE_ERROR_DUPLICATE,     /* two entries for one package name */
} PlLockfileError;

#define PL_LOCKFILE_SCHEMA 1
/* Lockfiles are a few hundred KiB at most; anything far larger is not one. */
#define PL_LOCKFILE_MAX_SIZE (64 * 1024 * 1024)

typedef struct _PlLockfile PlLockfile;

/* Reads and validates DFD/PATH; errors start with PATH and name the JSON path. */
PlLockfile *pl_lockfile_load (int dfd, const char *path, GError **error);
/* The same from memory; SOURCE names the data in messages. */
PlLockfile *pl_lockfile_parse (const char *data, gsize len, const char *source,
                               GError **error);
void pl_lockfile_free (PlLockfile *lock);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlLockfile, pl_lockfile_free)

const char *pl_lockfile_get_arch (PlLockfile *lock);
/* Entries in file order; the PlPackage records (name, epoch, version, release, arch,
 * sha256, size, repo_id set; the rest NULL) are owned by LOCK. */
guint pl_lockfile_get_n_packages (PlLockfile *lock);
const PlPackage *pl_lockfile_get_package (PlLockfile *lock, guint i);
/* The entry for NAME in *OUT_PKG (owned by LOCK); FALSE when NAME is not locked. */
gboolean pl_lockfile_lookup (PlLockfile *lock, const char *name, const PlPackage **out_pkg);
/* A new array of copies of every entry (frees with pl_package_free). */
GPtrArray *pl_lockfile_to_packages (PlLockfile *lock);

/* The lockfile text for PACKAGES (PlPackage*), sorted by name; fails with
 * PL_LOCKFILE_ERROR_INVALID or _DUPLICATE when a record could not be loaded back. */
char *pl_lockfile_to_json (const char *arch, GPtrArray *packages, GError **error);
/* Writes it to DFD/PATH atomically. */
gboolean pl_lockfile_write (int dfd, const char *path, const char *arch, GPtrArray *packages,
                            GError **error);

G_END_DECLS
