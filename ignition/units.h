/* systemd unit files, as far as enabling them needs: the [Install] section
 * (WantedBy=, RequiredBy=, Alias=, Also=, DefaultInstance=) and the symlinks that
 * `systemctl enable --root` would create from it. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PL_UNITS_ERROR (pl_units_error_quark ())
GQuark pl_units_error_quark (void);

typedef enum {
  PL_UNITS_ERROR_SYNTAX,   /* a line that is neither a section, key=value nor comment */
} PlUnitsError;

typedef struct {
  GPtrArray *wanted_by;    /* char* */
  GPtrArray *required_by;
  GPtrArray *alias;
  GPtrArray *also;
  char *default_instance;
} PlUnitInstall;

void pl_unit_install_free (PlUnitInstall *inst);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlUnitInstall, pl_unit_install_free)

/* Parses the [Install] section of a unit file's CONTENTS. WHAT names the unit in
 * errors. A unit without [Install] gives empty lists. */
PlUnitInstall *pl_unit_parse_install (const char *what, const char *contents,
                                      GError **error);

typedef struct {
  char *path;     /* "/etc/systemd/system/multi-user.target.wants/foo.service" */
  char *target;   /* "/etc/systemd/system/foo.service" */
} PlUnitLink;

void pl_unit_link_free (PlUnitLink *link);

/* The symlinks enabling NAME creates, given its unit file at UNIT_PATH (inside the
 * root) and its [Install] section. Templates take their instance from NAME
 * ("foo@x.service") or DefaultInstance=; a template with neither gives no links. */
GPtrArray *pl_unit_enable_links (const char *name, const char *unit_path,
                                 const PlUnitInstall *inst);

/* "foo@x.service" -> "foo@.service"; NULL when NAME is not an instance. */
char *pl_unit_template_of (const char *name);

G_END_DECLS
