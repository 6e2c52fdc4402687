/* The provisioning plan: constructors, destructors and the whole-plan checks that do
 * not need the target root (clean paths, no duplicates). */
#include "ignition/plan.h"

#include <limits.h>
#include <string.h>

G_DEFINE_QUARK (pl-plan-error-quark, pl_plan_error)

void
pl_owner_init (PlOwner *owner)
{
  owner->uid = -1;
  owner->gid = -1;
  owner->user = NULL;
  owner->group = NULL;
}

void
pl_owner_clear (PlOwner *owner)
{
  g_clear_pointer (&owner->user, g_free);
  g_clear_pointer (&owner->group, g_free);
}

PlSource *
pl_source_new_bytes (GBytes *data)
{
  PlSource *src = g_new0 (PlSource, 1);
  src->data = data ? g_bytes_ref (data) : NULL;
  return src;
}

void
pl_source_free (PlSource *src)
{
  if (!src)
    return;
  g_free (src->url);
  g_free (src->compression);
  g_free (src->hash);
  g_clear_pointer (&src->data, g_bytes_unref);
  g_free (src);
}

static void
file_free (PlPlanFile *f)
{
  g_free (f->origin);
  g_free (f->path);
  pl_source_free (f->contents);
  g_ptr_array_unref (f->append);
  pl_owner_clear (&f->owner);
  g_free (f);
}

static void
dir_free (PlPlanDir *d)
{
  g_free (d->origin);
  g_free (d->path);
  pl_owner_clear (&d->owner);
  g_free (d);
}

static void
link_free (PlPlanLink *l)
{
  g_free (l->origin);
  g_free (l->path);
  g_free (l->target);
  pl_owner_clear (&l->owner);
  g_free (l);
}

static void
dropin_free (PlPlanDropin *d)
{
  g_free (d->name);
  g_free (d->contents);
  g_free (d);
}

static void
unit_free (PlPlanUnit *u)
{
  g_free (u->origin);
  g_free (u->name);
  g_free (u->contents);
  g_ptr_array_unref (u->dropins);
  g_free (u);
}

static void
user_free (PlPlanUser *u)
{
  g_free (u->origin);
  g_free (u->name);
  g_free (u->gecos);
  g_free (u->home_dir);
  g_free (u->shell);
  g_free (u->password_hash);
  g_free (u->primary_group);
  g_strfreev (u->groups);
  g_strfreev (u->ssh_keys);
  g_free (u);
}

static void
group_free (PlPlanGroup *g)
{
  g_free (g->origin);
  g_free (g->name);
  g_free (g->password_hash);
  g_free (g);
}

PlPlan *
pl_plan_new (const char *kind)
{
  PlPlan *plan = g_new0 (PlPlan, 1);
  plan->kind = g_strdup (kind);
  plan->files = g_ptr_array_new_with_free_func ((GDestroyNotify) file_free);
  plan->dirs = g_ptr_array_new_with_free_func ((GDestroyNotify) dir_free);
  plan->links = g_ptr_array_new_with_free_func ((GDestroyNotify) link_free);
  plan->units = g_ptr_array_new_with_free_func ((GDestroyNotify) unit_free);
  plan->users = g_ptr_array_new_with_free_func ((GDestroyNotify) user_free);
  plan->groups = g_ptr_array_new_with_free_func ((GDestroyNotify) group_free);
  plan->kargs_add = g_ptr_array_new_with_free_func (g_free);
  plan->kargs_del = g_ptr_array_new_with_free_func (g_free);
  plan->warnings = g_ptr_array_new_with_free_func (g_free);
  return plan;
}

void
pl_plan_free (PlPlan *plan)
{
  if (!plan)
    return;
  g_free (plan->kind);
  g_ptr_array_unref (plan->files);
  g_ptr_array_unref (plan->dirs);
  g_ptr_array_unref (plan->links);
  g_ptr_array_unref (plan->units);
  g_ptr_array_unref (plan->users);
  g_ptr_array_unref (plan->groups);
  g_ptr_array_unref (plan->kargs_add);
  g_ptr_array_unref (plan->kargs_del);
  g_ptr_array_unref (plan->warnings);
  g_free (plan->hostname);
  g_free (plan);
}

PlPlanFile *
pl_plan_add_file (PlPlan *plan, const char *origin, const char *path)
{
  PlPlanFile *f = g_new0 (PlPlanFile, 1);
  f->origin = g_strdup (origin);
  f->path = g_strdup (path);
  f->append = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_source_free);
  f->mode = -1;
  pl_owner_init (&f->owner);
  g_ptr_array_add (plan->files, f);
  return f;
}

PlPlanDir *
pl_plan_add_dir (PlPlan *plan, const char *origin, const char *path)
{
  PlPlanDir *d = g_new0 (PlPlanDir, 1);
  d->origin = g_strdup (origin);
  d->path = g_strdup (path);
  d->mode = -1;
  pl_owner_init (&d->owner);
  g_ptr_array_add (plan->dirs, d);
  return d;
}

PlPlanLink *
pl_plan_add_link (PlPlan *plan, const char *origin, const char *path)
{
  PlPlanLink *l = g_new0 (PlPlanLink, 1);
  l->origin = g_strdup (origin);
  l->path = g_strdup (path);
  pl_owner_init (&l->owner);
  g_ptr_array_add (plan->links, l);
  return l;
}

PlPlanUnit *
pl_plan_add_unit (PlPlan *plan, const char *origin, const char *name)
{
  PlPlanUnit *u = g_new0 (PlPlanUnit, 1);
  u->origin = g_strdup (origin);
  u->name = g_strdup (name);
  u->enabled = -1;
  u->dropins = g_ptr_array_new_with_free_func ((GDestroyNotify) dropin_free);
  g_ptr_array_add (plan->units, u);
  return u;
}

PlPlanUser *
pl_plan_add_user (PlPlan *plan, const char *origin, const char *name)
{
  PlPlanUser *u = g_new0 (PlPlanUser, 1);
  u->origin = g_strdup (origin);
  u->name = g_strdup (name);
  u->uid = -1;
  g_ptr_array_add (plan->users, u);
  return u;
}

PlPlanGroup *
pl_plan_add_group (PlPlan *plan, const char *origin, const char *name)
{
  PlPlanGroup *g = g_new0 (PlPlanGroup, 1);
  g->origin = g_strdup (origin);
  g->name = g_strdup (name);
  g->gid = -1;
  g_ptr_array_add (plan->groups, g);
  return g;
}

void
pl_plan_unit_add_dropin (PlPlanUnit *unit, const char *name, const char *contents)
{
  PlPlanDropin *d = g_new0 (PlPlanDropin, 1);
  d->name = g_strdup (name);
  d->contents = g_strdup (contents);
  g_ptr_array_add (unit->dropins, d);
}

void
pl_plan_warn (PlPlan *plan, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_ptr_array_add (plan->warnings, g_strdup_vprintf (fmt, ap));
  va_end (ap);
}

PlPlanFile *
pl_plan_add_text (PlPlan *plan, const char *origin, const char *path, const char *text,
                  gint mode)
{
  PlPlanFile *f = pl_plan_add_file (plan, origin, path);
  g_autoptr(GBytes) b = g_bytes_new (text, strlen (text));
  f->contents = pl_source_new_bytes (b);
  f->mode = mode;
  f->overwrite = TRUE;
  return f;
}

char *
pl_plan_clean_path (const char *what, const char *path, GError **error)
{
  if (path == NULL || path[0] != '/')
    return g_set_error (error, PL_PLAN_ERROR, PL_PLAN_ERROR_BAD_PATH,
                        "%s: path \"%s\" is not absolute", what, path ? path : ""), NULL;
  if (strlen (path) >= PATH_MAX)
    return g_set_error (error, PL_PLAN_ERROR, PL_PLAN_ERROR_BAD_PATH,
                        "%s: path is longer than %d bytes", what, PATH_MAX), NULL;
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  g_autoptr(GString) out = g_string_new (NULL);
  for (char **p = parts; *p; p++)
    {
      if (**p == '\0' || g_str_equal (*p, "."))
        continue;
      /* Refused rather than cleaned: a config that climbs is either broken or hostile */
      if (g_str_equal (*p, ".."))
        return g_set_error (error, PL_PLAN_ERROR, PL_PLAN_ERROR_BAD_PATH,
                            "%s: path \"%s\" contains \"..\"", what, path), NULL;
      if (strlen (*p) > NAME_MAX)
        return g_set_error (error, PL_PLAN_ERROR, PL_PLAN_ERROR_BAD_PATH,
                            "%s: a component of \"%s\" is longer than %d bytes", what, path,
                            NAME_MAX), NULL;
      g_string_append_c (out, '/');
      g_string_append (out, *p);
    }
  if (out->len == 0)
    return g_set_error (error, PL_PLAN_ERROR, PL_PLAN_ERROR_BAD_PATH,
                        "%s: path \"%s\" names the root itself", what, path), NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Records KEY in SEEN, failing when an earlier entry had it. */
static gboolean
check_unique (GHashTable *seen, const char *key, const char *origin, const char *what,
              GError **error)
{
  const char *first = g_hash_table_lookup (seen, key);
  if (first)
    return g_set_error (error, PL_PLAN_ERROR, PL_PLAN_ERROR_DUPLICATE,
                        "%s: %s \"%s\" is also given by %s", origin, what, key, first), FALSE;
  g_hash_table_insert (seen, (gpointer) key, (gpointer) origin);
  return TRUE;
}

static gboolean
clean_in_place (char **path, const char *origin, GError **error)
{
  char *clean = pl_plan_clean_path (origin, *path, error);
  if (!clean)
    return FALSE;
  g_free (*path);
  *path = clean;
  return TRUE;
}

static gboolean
valid_unit_name (const char *name)
{
  static const char *const suffixes[] = { ".service", ".socket", ".timer", ".target",
                                          ".path", ".mount", ".automount", ".swap",
                                          ".slice", ".scope", ".device", NULL };
  if (!name || !*name || strlen (name) > 255 || strchr (name, '/') || name[0] == '.')
    return FALSE;
  for (const char *const *s = suffixes; *s; s++)
    if (g_str_has_suffix (name, *s) && strlen (name) > strlen (*s))
      return TRUE;
  return FALSE;
}

static gboolean
valid_dropin_name (const char *name)
{
  return name && g_str_has_suffix (name, ".conf") && !strchr (name, '/') && name[0] != '.';
}

gboolean
pl_plan_validate (PlPlan *plan, GError **error)
{
  g_autoptr(GHashTable) paths = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < plan->files->len; i++)
    {
      PlPlanFile *f = plan->files->pdata[i];
      if (!clean_in_place (&f->path, f->origin, error)
          || !check_unique (paths, f->path, f->origin, "path", error))
        return FALSE;
    }
  for (guint i = 0; i < plan->dirs->len; i++)
    {
      PlPlanDir *d = plan->dirs->pdata[i];
      if (!clean_in_place (&d->path, d->origin, error)
          || !check_unique (paths, d->path, d->origin, "path", error))
        return FALSE;
    }
  for (guint i = 0; i < plan->links->len; i++)
    {
      PlPlanLink *l = plan->links->pdata[i];
      if (!clean_in_place (&l->path, l->origin, error)
          || !check_unique (paths, l->path, l->origin, "path", error))
        return FALSE;
      if (!l->target || !*l->target)
        return g_set_error (error, PL_PLAN_ERROR, PL_PLAN_ERROR_BAD_PATH,
                            "%s.target: must not be empty", l->origin), FALSE;
      /* A hard link's target is opened, so it must be as clean as any other path */
      if (l->hard && !clean_in_place (&l->target, l->origin, error))
        return FALSE;
    }
  g_autoptr(GHashTable) units = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < plan->units->len; i++)
    {
      PlPlanUnit *u = plan->units->pdata[i];
      if (!valid_unit_name (u->name))
        return g_set_error (error, PL_PLAN_ERROR, PL_PLAN_ERROR_BAD_PATH,
                            "%s.name: \"%s\" is not a valid unit name", u->origin,
                            u->name ? u->name : ""), FALSE;
      if (!check_unique (units, u->name, u->origin, "unit", error))
        return FALSE;
      g_autoptr(GHashTable) dropins = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint j = 0; j < u->dropins->len; j++)
        {
          PlPlanDropin *d = u->dropins->pdata[j];
          g_autofree char *where = g_strdup_printf ("%s.dropins[%u]", u->origin, j);
          if (!valid_dropin_name (d->name))
            return g_set_error (error, PL_PLAN_ERROR, PL_PLAN_ERROR_BAD_PATH,
                                "%s.name: \"%s\" is not a valid drop-in name (NAME.conf)",
                                where, d->name ? d->name : ""), FALSE;
          if (g_hash_table_contains (dropins, d->name))
            return g_set_error (error, PL_PLAN_ERROR, PL_PLAN_ERROR_DUPLICATE,
                                "%s.name: drop-in \"%s\" is given twice", where, d->name),
                   FALSE;
          g_hash_table_add (dropins, d->name);
        }
    }
  g_autoptr(GHashTable) users = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < plan->users->len; i++)
    {
      PlPlanUser *u = plan->users->pdata[i];
      if (!check_unique (users, u->name, u->origin, "user", error))
        return FALSE;
      if (u->home_dir && !clean_in_place (&u->home_dir, u->origin, error))
        return FALSE;
    }
  g_autoptr(GHashTable) groups = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < plan->groups->len; i++)
    {
      PlPlanGroup *g = plan->groups->pdata[i];
      if (!check_unique (groups, g->name, g->origin, "group", error))
        return FALSE;
    }
  return TRUE;
}

static void
move_all (GPtrArray *to, GPtrArray *from)
{
  /* Steal each element so FROM's free function does not run on it */
  for (guint i = 0; i < from->len; i++)
    g_ptr_array_add (to, from->pdata[i]);
  g_ptr_array_set_free_func (from, NULL);
  g_ptr_array_set_size (from, 0);
}

void
pl_plan_merge (PlPlan *plan, PlPlan *other)
{
  move_all (plan->files, other->files);
  move_all (plan->dirs, other->dirs);
  move_all (plan->links, other->links);
  move_all (plan->units, other->units);
  move_all (plan->users, other->users);
  move_all (plan->groups, other->groups);
  move_all (plan->kargs_add, other->kargs_add);
  move_all (plan->kargs_del, other->kargs_del);
  move_all (plan->warnings, other->warnings);
  if (other->hostname && !plan->hostname)
    plan->hostname = g_steal_pointer (&other->hostname);
}
