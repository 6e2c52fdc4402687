/* Ignition spec 3.x into a plan. The parser is strict about what it acts on (types,
 * modes, paths, hashes, sections Plinth refuses) and lenient about keys it does not
 * know, which Ignition itself only warns about: those become plan warnings. Fields of
 * the spec that Plinth does not implement are refused when set, never ignored. */
#include "ignition/ignition-config.h"
#include "lib/json.h"

#include <string.h>

G_DEFINE_QUARK (pl-ignition-error-quark, pl_ignition_error)

typedef struct {
  PlPlan *plan;
  guint minor;
  const PlFetchOptions *opts;
} Ctx;

static void
note_unknown_keys (Ctx *c, json_object *obj, const char *path, const char *const *allowed)
{
  json_object_object_foreach (obj, key, val)
    {
      (void) val;
      if (!g_strv_contains (allowed, key))
        {
          g_autofree char *p = pl_json_path_key (path, key);
          pl_plan_warn (c->plan, "%s: unknown field, ignored", p);
        }
    }
}

static gboolean
fail (GError **error, int code, const char *path, const char *key, const char *fmt, ...)
    G_GNUC_PRINTF (5, 6);

static gboolean
fail (GError **error, int code, const char *path, const char *key, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_autofree char *p = key ? pl_json_path_key (path, key) : g_strdup (path);
  g_set_error (error, PL_IGNITION_ERROR, code, "%s: %s", p, msg);
  return FALSE;
}

/* An array that may be absent or null; fails for anything else that is not an array. */
static gboolean
get_array (json_object *obj, const char *path, const char *key, json_object **out,
           GError **error)
{
  *out = NULL;
  return pl_json_get_array (obj, path, key, FALSE, out, error);
}

static gsize
array_len (json_object *arr)
{
  return arr ? json_object_array_length (arr) : 0;
}

static gboolean
get_element (json_object *arr, const char *path, gsize i, json_object **out, GError **error)
{
  json_object *el = json_object_array_get_idx (arr, i);
  if (!el || json_object_get_type (el) != json_type_object)
    {
      g_autofree char *p = pl_json_path_index (path, i);
      return fail (error, PL_IGNITION_ERROR_INVALID, p, NULL, "expected an object"), FALSE;
    }
  *out = el;
  return TRUE;
}

gboolean
pl_ignition_parse_version (const char *version, guint *out_minor, GError **error)
{
  static const char *const known[] = { "3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0",
                                       "3.5.0", NULL };
  for (guint i = 0; known[i]; i++)
    if (g_strcmp0 (version, known[i]) == 0)
      {
        *out_minor = i;
        return TRUE;
      }
  return g_set_error (error, PL_IGNITION_ERROR, PL_IGNITION_ERROR_VERSION,
                      "ignition.version: unsupported version \"%s\" (supported: 3.0.0 to "
                      "3.5.0)", version ? version : ""), FALSE;
}

static gboolean
parse_owner_part (json_object *obj, const char *path, const char *key, gint64 *out_id,
                  char **out_name, GError **error)
{
  json_object *o = NULL;
  if (!pl_json_get_object (obj, path, key, FALSE, &o, error))
    return FALSE;
  if (!o)
    return TRUE;
  g_autofree char *p = pl_json_path_key (path, key);
  gint64 id = G_MININT64;
  const char *name = NULL;
  if (!pl_json_get_int64 (o, p, "id", FALSE, &id, error)
      || !pl_json_get_string (o, p, "name", FALSE, &name, error))
    return FALSE;
  if (id != G_MININT64 && name)
    return fail (error, PL_IGNITION_ERROR_INVALID, p, NULL, "give id or name, not both");
  if (id == G_MININT64)
    id = -1;
  else if (id < 0 || id > G_MAXUINT32 - 1)
    return fail (error, PL_IGNITION_ERROR_INVALID, p, "id", "%" G_GINT64_FORMAT
                 " is not a valid id", id);
  if (name && !*name)
    return fail (error, PL_IGNITION_ERROR_INVALID, p, "name", "must not be empty");
  *out_id = id;
  *out_name = g_strdup (name);
  return TRUE;
}

static gboolean
parse_node_common (json_object *obj, const char *path, char **out_path, PlOwner *owner,
                   gboolean *out_overwrite, GError **error)
{
  const char *p = NULL;
  if (!pl_json_get_string (obj, path, "path", TRUE, &p, error)
      || !pl_json_get_bool (obj, path, "overwrite", FALSE, out_overwrite, error)
      || !parse_owner_part (obj, path, "user", &owner->uid, &owner->user, error)
      || !parse_owner_part (obj, path, "group", &owner->gid, &owner->group, error))
    return FALSE;
  g_autofree char *where = pl_json_path_key (path, "path");
  g_autofree char *clean = pl_plan_clean_path (where, p, error);
  if (!clean)
    return FALSE;
  *out_path = g_steal_pointer (&clean);
  return TRUE;
}

static gboolean
parse_mode (json_object *obj, const char *path, gint *out_mode, GError **error)
{
  gint64 mode = G_MININT64;
  if (!pl_json_get_int64 (obj, path, "mode", FALSE, &mode, error))
    return FALSE;
  if (mode == G_MININT64)
    mode = -1;
  else if (mode < 0 || mode > 07777)
    return fail (error, PL_IGNITION_ERROR_INVALID, path, "mode",
                 "%" G_GINT64_FORMAT " is not a valid mode (decimal 0 to 4095, e.g. 420 for "
                 "0644)", mode);
  *out_mode = (gint) mode;
  return TRUE;
}

/* A resource ({source, compression, verification, httpHeaders}) into a PlSource;
 * *out stays NULL when there is no source. */
static gboolean
parse_resource (Ctx *c, json_object *obj, const char *path, PlSource **out, GError **error)
{
  static const char *const keys[] = { "source", "compression", "verification",
                                      "httpHeaders", NULL };
  const char *source = NULL, *compression = NULL, *hash = NULL;
  json_object *verification = NULL, *headers = NULL;
  *out = NULL;
  note_unknown_keys (c, obj, path, keys);
  if (!pl_json_get_string (obj, path, "source", FALSE, &source, error)
      || !pl_json_get_string (obj, path, "compression", FALSE, &compression, error)
      || !pl_json_get_object (obj, path, "verification", FALSE, &verification, error)
      || !get_array (obj, path, "httpHeaders", &headers, error))
    return FALSE;
  g_autofree char *vpath = pl_json_path_key (path, "verification");
  if (verification && !pl_json_get_string (verification, vpath, "hash", FALSE, &hash, error))
    return FALSE;
  if (compression && *compression == '\0')
    compression = NULL;
  if (compression && c->minor < 1)
    return fail (error, PL_IGNITION_ERROR_INVALID, path, "compression",
                 "needs spec 3.1.0 or later");
  if (compression && !g_str_equal (compression, "gzip"))
    return fail (error, PL_IGNITION_ERROR_INVALID, path, "compression",
                 "\"%s\" is not supported (null or \"gzip\")", compression);
  if (array_len (headers) > 0)
    return fail (error, PL_IGNITION_ERROR_UNSUPPORTED, path, "httpHeaders",
                 "not supported by plinth-provision");
  if (hash)
    {
      g_autoptr(GError) local_error = NULL;
      g_autofree char *hpath = pl_json_path_key (vpath, "hash");
      if (!pl_fetch_check_hash_spec (hash, &local_error))
        return fail (error, PL_IGNITION_ERROR_INVALID, hpath, NULL, "%s",
                     local_error->message);
      if (c->minor < 1 && !g_str_has_prefix (hash, "sha512-"))
        return fail (error, PL_IGNITION_ERROR_INVALID, hpath, NULL,
                     "spec 3.0.0 only knows sha512");
    }
  if (!source)
    {
      if (compression || hash)
        return fail (error, PL_IGNITION_ERROR_INVALID, path, "source",
                     "compression or verification given without a source");
      return TRUE;
    }
  g_autoptr(PlSource) src = pl_source_new_bytes (NULL);
  src->url = g_strdup (source);
  src->compression = g_strdup (compression);
  src->hash = g_strdup (hash);
  g_autofree char *spath = pl_json_path_key (path, "source");
  if (!pl_fetch_is_remote (source) && !g_str_has_prefix (source, "data:"))
    {
      g_autofree char *scheme = g_uri_parse_scheme (source);
      if (!scheme)
        return fail (error, PL_IGNITION_ERROR_INVALID, spath, NULL,
                     "\"%.80s\" is not a URL", source);
      return fail (error, PL_IGNITION_ERROR_UNSUPPORTED, spath, NULL,
                   "scheme \"%s\" is not supported (data, http, https)", scheme);
    }
  /* Inline data is decoded now, so a bad config fails before any network traffic */
  if (!pl_fetch_is_remote (source) && !pl_fetch_source (src, c->opts, NULL, error))
    return g_prefix_error (error, "%s: ", path), FALSE;
  *out = g_steal_pointer (&src);
  return TRUE;
}

static gboolean
parse_file (Ctx *c, json_object *obj, const char *path, GError **error)
{
  static const char *const keys[] = { "path", "overwrite", "user", "group", "mode",
                                      "contents", "append", NULL };
  note_unknown_keys (c, obj, path, keys);
  g_autofree char *fpath = NULL;
  PlOwner owner;
  pl_owner_init (&owner);
  gboolean overwrite = FALSE;
  gint mode = -1;
  json_object *contents = NULL, *append = NULL;
  if (!parse_node_common (obj, path, &fpath, &owner, &overwrite, error)
      || !parse_mode (obj, path, &mode, error)
      || !pl_json_get_object (obj, path, "contents", FALSE, &contents, error)
      || !get_array (obj, path, "append", &append, error))
    return pl_owner_clear (&owner), FALSE;
  PlPlanFile *f = pl_plan_add_file (c->plan, path, fpath);
  f->owner = owner;
  f->overwrite = overwrite;
  f->mode = mode;
  g_autofree char *cpath = pl_json_path_key (path, "contents");
  if (contents && !parse_resource (c, contents, cpath, &f->contents, error))
    return FALSE;
  if (overwrite && !f->contents)
    return fail (error, PL_IGNITION_ERROR_INVALID, path, "overwrite",
                 "true needs contents.source");
  g_autofree char *apath = pl_json_path_key (path, "append");
  for (gsize i = 0; i < array_len (append); i++)
    {
      json_object *el;
      g_autofree char *ep = pl_json_path_index (apath, i);
      PlSource *src = NULL;
      if (!get_element (append, apath, i, &el, error)
          || !parse_resource (c, el, ep, &src, error))
        return FALSE;
      if (!src)
        return fail (error, PL_IGNITION_ERROR_INVALID, ep, "source", "required");
      g_ptr_array_add (f->append, src);
    }
  return TRUE;
}

static gboolean
parse_directory (Ctx *c, json_object *obj, const char *path, GError **error)
{
  static const char *const keys[] = { "path", "overwrite", "user", "group", "mode", NULL };
  note_unknown_keys (c, obj, path, keys);
  g_autofree char *dpath = NULL;
  PlOwner owner;
  pl_owner_init (&owner);
  gboolean overwrite = FALSE;
  gint mode = -1;
  if (!parse_node_common (obj, path, &dpath, &owner, &overwrite, error)
      || !parse_mode (obj, path, &mode, error))
    return pl_owner_clear (&owner), FALSE;
  PlPlanDir *d = pl_plan_add_dir (c->plan, path, dpath);
  d->owner = owner;
  d->overwrite = overwrite;
  d->mode = mode;
  return TRUE;
}

static gboolean
parse_link (Ctx *c, json_object *obj, const char *path, GError **error)
{
  static const char *const keys[] = { "path", "overwrite", "user", "group", "target",
                                      "hard", NULL };
  note_unknown_keys (c, obj, path, keys);
  g_autofree char *lpath = NULL;
  PlOwner owner;
  pl_owner_init (&owner);
  gboolean overwrite = FALSE, hard = FALSE;
  const char *target = NULL;
  if (!parse_node_common (obj, path, &lpath, &owner, &overwrite, error)
      || !pl_json_get_string (obj, path, "target", c->minor < 5, &target, error)
      || !pl_json_get_bool (obj, path, "hard", FALSE, &hard, error))
    return pl_owner_clear (&owner), FALSE;
  if (!target || !*target)
    {
      pl_owner_clear (&owner);
      return fail (error, PL_IGNITION_ERROR_INVALID, path, "target", "required");
    }
  PlPlanLink *l = pl_plan_add_link (c->plan, path, lpath);
  l->owner = owner;
  l->overwrite = overwrite;
  l->hard = hard;
  l->target = g_strdup (target);
  if (hard)
    {
      g_autofree char *tp = pl_json_path_key (path, "target");
      g_autofree char *clean = pl_plan_clean_path (tp, target, error);
      if (!clean)
        return FALSE;
    }
  return TRUE;
}

/* A section Plinth refuses unless it is absent or empty. */
static gboolean
refuse_nonempty (json_object *obj, const char *path, const char *key, const char *why,
                 GError **error)
{
  json_object *arr = NULL;
  if (!get_array (obj, path, key, &arr, error))
    return FALSE;
  if (array_len (arr) > 0)
    return fail (error, PL_IGNITION_ERROR_UNSUPPORTED, path, key,
                 "not supported by plinth-provision (%s)", why);
  return TRUE;
}

typedef gboolean (*ParseEntryFunc) (Ctx *c, json_object *obj, const char *path,
                                    GError **error);

static gboolean
parse_list (Ctx *c, json_object *parent, const char *path, const char *key,
            ParseEntryFunc func, GError **error)
{
  json_object *arr = NULL;
  if (!get_array (parent, path, key, &arr, error))
    return FALSE;
  g_autofree char *apath = pl_json_path_key (path, key);
  for (gsize i = 0; i < array_len (arr); i++)
    {
      json_object *el;
      g_autofree char *ep = pl_json_path_index (apath, i);
      if (!get_element (arr, apath, i, &el, error) || !func (c, el, ep, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_storage (Ctx *c, json_object *root, GError **error)
{
  static const char *const keys[] = { "disks", "raid", "filesystems", "luks", "files",
                                      "directories", "links", NULL };
  json_object *st = NULL;
  if (!pl_json_get_object (root, "", "storage", FALSE, &st, error))
    return FALSE;
  if (!st)
    return TRUE;
  note_unknown_keys (c, st, "storage", keys);
  const char *why = "the disk layout is fixed by the image";
  return refuse_nonempty (st, "storage", "disks", why, error)
         && refuse_nonempty (st, "storage", "raid", why, error)
         && refuse_nonempty (st, "storage", "filesystems", why, error)
         && refuse_nonempty (st, "storage", "luks", why, error)
         && parse_list (c, st, "storage", "directories", parse_directory, error)
         && parse_list (c, st, "storage", "files", parse_file, error)
         && parse_list (c, st, "storage", "links", parse_link, error);
}

static gboolean
parse_unit (Ctx *c, json_object *obj, const char *path, GError **error)
{
  static const char *const keys[] = { "name", "enabled", "mask", "contents", "dropins",
                                      NULL };
  static const char *const dkeys[] = { "name", "contents", NULL };
  note_unknown_keys (c, obj, path, keys);
  const char *name = NULL, *contents = NULL;
  gboolean mask = FALSE;
  json_object *enabled = NULL, *dropins = NULL;
  if (!pl_json_get_string (obj, path, "name", TRUE, &name, error)
      || !pl_json_get_bool (obj, path, "mask", FALSE, &mask, error)
      || !pl_json_get_string (obj, path, "contents", FALSE, &contents, error)
      || !get_array (obj, path, "dropins", &dropins, error))
    return FALSE;
  PlPlanUnit *u = pl_plan_add_unit (c->plan, path, name);
  u->mask = mask;
  u->contents = g_strdup (contents);
  if (json_object_object_get_ex (obj, "enabled", &enabled) && enabled)
    {
      gboolean b = FALSE;
      if (!pl_json_get_bool (obj, path, "enabled", FALSE, &b, error))
        return FALSE;
      u->enabled = b ? 1 : 0;
    }
  if (mask && u->enabled == 1)
    return fail (error, PL_IGNITION_ERROR_INVALID, path, NULL,
                 "a unit cannot be both masked and enabled");
  g_autofree char *dpath = pl_json_path_key (path, "dropins");
  for (gsize i = 0; i < array_len (dropins); i++)
    {
      json_object *el;
      const char *dname = NULL, *dcontents = NULL;
      g_autofree char *ep = pl_json_path_index (dpath, i);
      if (!get_element (dropins, dpath, i, &el, error)
          || !pl_json_get_string (el, ep, "name", TRUE, &dname, error)
          || !pl_json_get_string (el, ep, "contents", FALSE, &dcontents, error))
        return FALSE;
      note_unknown_keys (c, el, ep, dkeys);
      pl_plan_unit_add_dropin (u, dname, dcontents ? dcontents : "");
    }
  return TRUE;
}

static gboolean
parse_systemd (Ctx *c, json_object *root, GError **error)
{
  static const char *const keys[] = { "units", NULL };
  json_object *sd = NULL;
  if (!pl_json_get_object (root, "", "systemd", FALSE, &sd, error))
    return FALSE;
  if (!sd)
    return TRUE;
  note_unknown_keys (c, sd, "systemd", keys);
  return parse_list (c, sd, "systemd", "units", parse_unit, error);
}

/* Booleans of the spec that Plinth does not implement: refused when true. */
static gboolean
refuse_true (json_object *obj, const char *path, const char *const *names, GError **error)
{
  for (const char *const *n = names; *n; n++)
    {
      gboolean b = FALSE;
      if (!pl_json_get_bool (obj, path, *n, FALSE, &b, error))
        return FALSE;
      if (b)
        return fail (error, PL_IGNITION_ERROR_UNSUPPORTED, path, *n,
                     "true is not supported by plinth-provision");
    }
  json_object *se = NULL;
  if (json_object_object_get_ex (obj, "shouldExist", &se) && se)
    {
      gboolean b = TRUE;
      if (!pl_json_get_bool (obj, path, "shouldExist", FALSE, &b, error))
        return FALSE;
      if (!b)
        return fail (error, PL_IGNITION_ERROR_UNSUPPORTED, path, "shouldExist",
                     "removing users or groups is not supported");
    }
  return TRUE;
}

static gboolean
parse_user (Ctx *c, json_object *obj, const char *path, GError **error)
{
  static const char *const keys[] = { "name", "passwordHash", "sshAuthorizedKeys", "uid",
                                      "gecos", "homeDir", "noCreateHome", "primaryGroup",
                                      "groups", "noUserGroup", "noLogInit", "shell",
                                      "system", "shouldExist", NULL };
  static const char *const refused[] = { "noCreateHome", "noUserGroup", "noLogInit",
                                         "system", NULL };
  note_unknown_keys (c, obj, path, keys);
  const char *name = NULL, *hash = NULL, *gecos = NULL, *home = NULL, *pgroup = NULL,
             *shell = NULL;
  gint64 uid = G_MININT64;
  g_auto(GStrv) keys_v = NULL;
  g_auto(GStrv) groups = NULL;
  if (!pl_json_get_string (obj, path, "name", TRUE, &name, error)
      || !pl_json_get_string (obj, path, "passwordHash", FALSE, &hash, error)
      || !pl_json_get_strv (obj, path, "sshAuthorizedKeys", FALSE, &keys_v, error)
      || !pl_json_get_int64 (obj, path, "uid", FALSE, &uid, error)
      || !pl_json_get_string (obj, path, "gecos", FALSE, &gecos, error)
      || !pl_json_get_string (obj, path, "homeDir", FALSE, &home, error)
      || !pl_json_get_string (obj, path, "primaryGroup", FALSE, &pgroup, error)
      || !pl_json_get_strv (obj, path, "groups", FALSE, &groups, error)
      || !pl_json_get_string (obj, path, "shell", FALSE, &shell, error)
      || !refuse_true (obj, path, refused, error))
    return FALSE;
  if (uid == G_MININT64)
    uid = -1;
  else if (uid < 0 || uid > G_MAXUINT32 - 1)
    return fail (error, PL_IGNITION_ERROR_INVALID, path, "uid", "not a valid uid");
  PlPlanUser *u = pl_plan_add_user (c->plan, path, name);
  u->password_hash = g_strdup (hash);
  u->uid = uid;
  u->gecos = g_strdup (gecos);
  u->home_dir = g_strdup (home);
  u->primary_group = g_strdup (pgroup);
  u->shell = g_strdup (shell);
  u->groups = g_steal_pointer (&groups);
  u->ssh_keys = g_steal_pointer (&keys_v);
  return TRUE;
}

static gboolean
parse_group (Ctx *c, json_object *obj, const char *path, GError **error)
{
  static const char *const keys[] = { "name", "gid", "passwordHash", "system",
                                      "shouldExist", NULL };
  static const char *const refused[] = { "system", NULL };
  note_unknown_keys (c, obj, path, keys);
  const char *name = NULL, *hash = NULL;
  gint64 gid = G_MININT64;
  if (!pl_json_get_string (obj, path, "name", TRUE, &name, error)
      || !pl_json_get_int64 (obj, path, "gid", FALSE, &gid, error)
      || !pl_json_get_string (obj, path, "passwordHash", FALSE, &hash, error)
      || !refuse_true (obj, path, refused, error))
    return FALSE;
  if (gid == G_MININT64)
    gid = -1;
  else if (gid < 0 || gid > G_MAXUINT32 - 1)
    return fail (error, PL_IGNITION_ERROR_INVALID, path, "gid", "not a valid gid");
  PlPlanGroup *g = pl_plan_add_group (c->plan, path, name);
  g->gid = gid;
  g->password_hash = g_strdup (hash);
  return TRUE;
}

static gboolean
parse_passwd (Ctx *c, json_object *root, GError **error)
{
  static const char *const keys[] = { "users", "groups", NULL };
  json_object *pw = NULL;
  if (!pl_json_get_object (root, "", "passwd", FALSE, &pw, error))
    return FALSE;
  if (!pw)
    return TRUE;
  note_unknown_keys (c, pw, "passwd", keys);
  return parse_list (c, pw, "passwd", "groups", parse_group, error)
         && parse_list (c, pw, "passwd", "users", parse_user, error);
}

static gboolean
parse_kargs (Ctx *c, json_object *root, GError **error)
{
  static const char *const keys[] = { "shouldExist", "shouldNotExist", NULL };
  json_object *ka = NULL;
  if (!pl_json_get_object (root, "", "kernelArguments", FALSE, &ka, error))
    return FALSE;
  if (!ka)
    return TRUE;
  if (c->minor < 3)
    return fail (error, PL_IGNITION_ERROR_INVALID, "kernelArguments", NULL,
                 "needs spec 3.3.0 or later");
  note_unknown_keys (c, ka, "kernelArguments", keys);
  g_auto(GStrv) add = NULL;
  g_auto(GStrv) del = NULL;
  if (!pl_json_get_strv (ka, "kernelArguments", "shouldExist", FALSE, &add, error)
      || !pl_json_get_strv (ka, "kernelArguments", "shouldNotExist", FALSE, &del, error))
    return FALSE;
  for (char **a = add; a && *a; a++)
    {
      if (!**a || strpbrk (*a, " \t\n"))
        return fail (error, PL_IGNITION_ERROR_INVALID, "kernelArguments.shouldExist", NULL,
                     "\"%s\" is not a single kernel argument", *a);
      if (del && g_strv_contains ((const char *const *) del, *a))
        return fail (error, PL_IGNITION_ERROR_INVALID, "kernelArguments", NULL,
                     "\"%s\" is in both shouldExist and shouldNotExist", *a);
      g_ptr_array_add (c->plan->kargs_add, g_strdup (*a));
    }
  for (char **a = del; a && *a; a++)
    {
      if (!**a || strpbrk (*a, " \t\n"))
        return fail (error, PL_IGNITION_ERROR_INVALID, "kernelArguments.shouldNotExist",
                     NULL, "\"%s\" is not a single kernel argument", *a);
      g_ptr_array_add (c->plan->kargs_del, g_strdup (*a));
    }
  return TRUE;
}

static gboolean
parse_ignition_section (Ctx *c, json_object *root, GError **error)
{
  static const char *const keys[] = { "version", "config", "timeouts", "security", "proxy",
                                      NULL };
  json_object *ign = NULL, *config = NULL, *security = NULL, *proxy = NULL;
  const char *version = NULL;
  if (!pl_json_get_object (root, "", "ignition", FALSE, &ign, error))
    return FALSE;
  if (!ign)
    return g_set_error (error, PL_IGNITION_ERROR, PL_IGNITION_ERROR_VERSION,
                        "ignition.version: required field is missing"), FALSE;
  if (!pl_json_get_string (ign, "ignition", "version", FALSE, &version, error))
    return FALSE;
  if (!version)
    return g_set_error (error, PL_IGNITION_ERROR, PL_IGNITION_ERROR_VERSION,
                        "ignition.version: required field is missing"), FALSE;
  if (!pl_ignition_parse_version (version, &c->minor, error))
    return FALSE;
  note_unknown_keys (c, ign, "ignition", keys);
  if (!pl_json_get_object (ign, "ignition", "config", FALSE, &config, error)
      || !pl_json_get_object (ign, "ignition", "security", FALSE, &security, error)
      || !pl_json_get_object (ign, "ignition", "proxy", FALSE, &proxy, error))
    return FALSE;
  if (config)
    {
      json_object *replace = NULL;
      const char *src = NULL;
      if (!refuse_nonempty (config, "ignition.config", "merge",
                            "configs are not fetched from other configs", error)
          || !pl_json_get_object (config, "ignition.config", "replace", FALSE, &replace,
                                  error))
        return FALSE;
      if (replace && !pl_json_get_string (replace, "ignition.config.replace", "source",
                                          FALSE, &src, error))
        return FALSE;
      if (src)
        return fail (error, PL_IGNITION_ERROR_UNSUPPORTED, "ignition.config.replace", NULL,
                     "not supported by plinth-provision (configs are not fetched from "
                     "other configs)");
    }
  if (security)
    {
      json_object *tls = NULL;
      if (!pl_json_get_object (security, "ignition.security", "tls", FALSE, &tls, error))
        return FALSE;
      if (tls && !refuse_nonempty (tls, "ignition.security.tls", "certificateAuthorities",
                                   "use the image's trust store", error))
        return FALSE;
    }
  if (proxy && json_object_object_length (proxy) > 0)
    pl_plan_warn (c->plan, "ignition.proxy: ignored; remote contents are fetched with the "
                  "environment's proxy settings");
  return TRUE;
}

PlPlan *
pl_ignition_compile (const char *data, gsize len, const PlFetchOptions *opts, GError **error)
{
  g_autoptr(json_object) root = pl_json_parse (data, len, "Ignition config", error);
  if (!root)
    return NULL;
  if (json_object_get_type (root) != json_type_object)
    return g_set_error (error, PL_IGNITION_ERROR, PL_IGNITION_ERROR_INVALID,
                        "Ignition config: expected a JSON object"), NULL;
  static const char *const keys[] = { "ignition", "storage", "systemd", "passwd",
                                      "kernelArguments", NULL };
  g_autoptr(PlPlan) plan = pl_plan_new ("ignition");
  Ctx c = { .plan = plan, .opts = opts };
  if (!parse_ignition_section (&c, root, error))
    return NULL;
  note_unknown_keys (&c, root, "", keys);
  if (!parse_storage (&c, root, error) || !parse_systemd (&c, root, error)
      || !parse_passwd (&c, root, error) || !parse_kargs (&c, root, error))
    return NULL;
  if (!pl_plan_validate (plan, error))
    return NULL;
  return g_steal_pointer (&plan);
}
