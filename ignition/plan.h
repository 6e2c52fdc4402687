/* The provisioning plan: the neutral description of what first boot writes into a
 * root (files, directories, links, units, users, groups, kernel arguments, hostname).
 * Both config kinds (Ignition, aksnodeconfig) compile into a plan and one executor
 * (apply.c) carries it out, so there is a single file-writing code path. Every entry
 * keeps the config location it came from ("storage.files[3]") for error messages. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PL_PLAN_ERROR (pl_plan_error_quark ())
GQuark pl_plan_error_quark (void);

typedef enum {
  PL_PLAN_ERROR_BAD_PATH,   /* not absolute, contains "..", empty component, too long */
  PL_PLAN_ERROR_DUPLICATE,  /* two entries for the same path / unit / user */
} PlPlanError;

/* Owner of a node: by id (-1: unset) or by name (NULL: unset); names are resolved
 * against the target root's /etc/passwd and /etc/group when the plan is applied. */
typedef struct {
  gint64 uid;
  char *user;
  gint64 gid;
  char *group;
} PlOwner;

/* Where a file's bytes come from. Inline contents are decoded when the config is
 * compiled; remote ones (http/https) are fetched by pl_fetch_resolve_plan() before
 * anything is written. DATA is the final (decompressed, verified) bytes once known. */
typedef struct {
  char *url;            /* NULL when the bytes were given inline */
  char *compression;    /* NULL or "gzip" */
  char *hash;           /* NULL or "sha256-<hex>" / "sha512-<hex>" of the final bytes */
  GBytes *data;         /* NULL until resolved */
} PlSource;

typedef struct {
  char *origin;         /* config location, e.g. "storage.files[2]" */
  char *path;
  PlSource *contents;   /* NULL: keep existing contents (create empty if missing) */
  GPtrArray *append;    /* of PlSource*, appended in order */
  gint mode;            /* -1: default (0644 for new files, unchanged for existing) */
  PlOwner owner;
  gboolean overwrite;
} PlPlanFile;

typedef struct {
  char *origin;
  char *path;
  gint mode;            /* -1: 0755 */
  PlOwner owner;
  gboolean overwrite;
} PlPlanDir;

typedef struct {
  char *origin;
  char *path;
  char *target;
  gboolean hard;
  PlOwner owner;
  gboolean overwrite;
} PlPlanLink;

typedef struct {
  char *name;
  char *contents;
} PlPlanDropin;

typedef struct {
  char *origin;
  char *name;           /* "foo.service" */
  char *contents;       /* NULL: the unit comes from the image */
  gint enabled;         /* -1 unset, 0 disable, 1 enable */
  gboolean mask;
  GPtrArray *dropins;   /* of PlPlanDropin* */
} PlPlanUnit;

typedef struct {
  char *origin;
  char *name;
  gint64 uid;           /* -1: next free */
  char *gecos;
  char *home_dir;       /* NULL: /home/NAME */
  char *shell;          /* NULL: /bin/bash */
  char *password_hash;  /* NULL: locked ("!") */
  char *primary_group;  /* NULL: a group named like the user */
  char **groups;        /* supplementary groups */
  char **ssh_keys;
  gboolean sudo;        /* passwordless sudo (Azure's admin user) */
} PlPlanUser;

typedef struct {
  char *origin;
  char *name;
  gint64 gid;           /* -1: next free */
  char *password_hash;
} PlPlanGroup;

typedef struct {
  char *kind;            /* "ignition", "aksnodeconfig", "empty" */
  GPtrArray *files;      /* PlPlanFile* */
  GPtrArray *dirs;       /* PlPlanDir* */
  GPtrArray *links;      /* PlPlanLink* */
  GPtrArray *units;      /* PlPlanUnit* */
  GPtrArray *users;      /* PlPlanUser* */
  GPtrArray *groups;     /* PlPlanGroup* */
  GPtrArray *kargs_add;  /* char*: kernel arguments that should exist */
  GPtrArray *kargs_del;  /* char*: kernel arguments that should not exist */
  char *hostname;
  GPtrArray *warnings;   /* char*: things accepted but ignored, for the program to log */
} PlPlan;

PlPlan *pl_plan_new (const char *kind);
void pl_plan_free (PlPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlPlan, pl_plan_free)

void pl_owner_clear (PlOwner *owner);
void pl_owner_init (PlOwner *owner);

PlSource *pl_source_new_bytes (GBytes *data);
void pl_source_free (PlSource *src);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlSource, pl_source_free)

/* Constructors: each returns an entry owned by the plan, fields zeroed / defaulted
 * (mode -1, ids -1, enabled -1). */
PlPlanFile *pl_plan_add_file (PlPlan *plan, const char *origin, const char *path);
PlPlanDir *pl_plan_add_dir (PlPlan *plan, const char *origin, const char *path);
PlPlanLink *pl_plan_add_link (PlPlan *plan, const char *origin, const char *path);
PlPlanUnit *pl_plan_add_unit (PlPlan *plan, const char *origin, const char *name);
PlPlanUser *pl_plan_add_user (PlPlan *plan, const char *origin, const char *name);
PlPlanGroup *pl_plan_add_group (PlPlan *plan, const char *origin, const char *name);
void pl_plan_unit_add_dropin (PlPlanUnit *unit, const char *name, const char *contents);
void pl_plan_warn (PlPlan *plan, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

/* A file with inline contents, mode and root ownership: what generated configs use. */
PlPlanFile *pl_plan_add_text (PlPlan *plan, const char *origin, const char *path,
                              const char *text, gint mode);

/* Cleans PATH ("//a/./b/" -> "/a/b"); fails for relative paths, "..", "/" itself and
 * names longer than PATH_MAX. WHAT names the entry for the message. */
char *pl_plan_clean_path (const char *what, const char *path, GError **error);

/* Checks the plan as a whole: paths clean, no path, unit, user or group given twice,
 * unit names valid. Run by the executor before anything is written. */
gboolean pl_plan_validate (PlPlan *plan, GError **error);

/* Appends OTHER's entries to PLAN (OTHER is emptied). Used to add the Azure OVF user
 * and hostname to a plan compiled from custom data. */
void pl_plan_merge (PlPlan *plan, PlPlan *other);

G_END_DECLS
