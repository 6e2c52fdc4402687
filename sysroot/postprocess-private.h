/* Helpers shared by the sysroot rule modules (not part of the library's API). */
#pragma once

#include "sysroot/postprocess.h"

G_BEGIN_DECLS

/* Sets a G_IO_ERROR from errno: "WHAT /PATH: strerror". Returns FALSE. */
gboolean pl_sysroot_throw_errno (GError **error, const char *what, const char *path);

/* The names in DFD/PATH (not following a final symlink), sorted; an absent directory
 * has none. */
gboolean pl_sysroot_list_dir (int dfd, const char *path, GPtrArray **out_names,
                              GError **error);

/* Sorts a GPtrArray of strings by strcmp. */
void pl_sysroot_sort_strings (GPtrArray *strings);

/* *OUT_HOLLOW is TRUE when DFD/PATH is absent or a directory tree holding nothing but
 * directories (what packages leave in /home, /opt or /usr/local). */
gboolean pl_sysroot_is_hollow (int dfd, const char *path, gboolean *out_hollow,
                               GError **error);

G_END_DECLS
