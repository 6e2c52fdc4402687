/* Post-processing of a composed tree: the rules that turn what librpm installed into
 * a root OSTree can commit and deploy (/etc in /usr/etc, an empty /var rebuilt by
 * tmpfiles.d, the OSTree symlinks, the kernel in /usr/lib/modules, os-release).
 * docs/sysroot.md explains each rule and the resulting layout. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PL_POSTPROCESS_ERROR (pl_postprocess_error_quark ())
GQuark pl_postprocess_error_quark (void);

typedef enum {
  PL_POSTPROCESS_ERROR_INVALID_OPTION,   /* an os-release value is missing or malformed */
  PL_POSTPROCESS_ERROR_BAD_TREE,         /* a path has a type the rules cannot handle */
  PL_POSTPROCESS_ERROR_NOT_EMPTY,        /* /usr/etc, or a dir that must become a symlink,
                                          * already holds files */
  PL_POSTPROCESS_ERROR_MULTIPLE_KERNELS, /* more than one kernel version in the tree */
} PlPostprocessError;

typedef struct {
  const char *os_id;                   /* os-release ID, e.g. "plinth" (required) */
  const char *os_name;                 /* NAME (required) */
  const char *version;                 /* VERSION_ID, VERSION, IMAGE_VERSION (required) */
  const char *pretty_name;             /* PRETTY_NAME; NULL: "<name> <version>" */
  const char *variant_id;              /* optional VARIANT_ID */
  const char *const *extra_os_release; /* optional NULL-terminated KEY=VALUE lines; VALUE
                                        * is the raw value, quoted here */
} PlPostprocessOptions;

/* Runs every rule on the tree at ROOTFD. All checks that can reject the tree or the
 * options run before anything is changed, so a rejected tree is left as it was. Running
 * it again on its own output changes nothing. */
gboolean pl_postprocess_tree (int rootfd, const PlPostprocessOptions *opts,
                              GCancellable *cancellable, GError **error);

/* The rules one by one, in the order pl_postprocess_tree runs them (after
 * pl_postprocess_check). Each is idempotent. */
gboolean pl_postprocess_check (int rootfd, const PlPostprocessOptions *opts, GError **error);
gboolean pl_postprocess_clean (int rootfd, GCancellable *cancellable, GError **error);
gboolean pl_postprocess_move_etc (int rootfd, GError **error);
gboolean pl_postprocess_ostree_links (int rootfd, GCancellable *cancellable, GError **error);

G_END_DECLS
