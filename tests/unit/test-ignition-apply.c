/* Tests for ignition/rootfs.c, ignition/userdb.c and ignition/apply.c: paths stay in
 * the root, the user database round-trips, and a plan that fails anywhere writes
 * nothing. The apply tests set owners, so they need root (as the blackbox tests do). */
#include "ignition/apply.h"
#include "ignition/rootfs.h"
#include "ignition/userdb.h"
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  char *dir;      /* holds root/ and outside/ */
  char *root;
  int root_fd;
} Fixture;

static void
write_text (const char *root, const char *rel, const char *text)
{
  g_autofree char *path = g_build_filename (root, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp ("plinth-apply-XXXXXX", &error);
  g_assert_no_error (error);
  f->root = g_build_filename (f->dir, "root", NULL);
  write_text (f->root, "etc/passwd", "root:x:0:0:root:/root:/bin/bash\n# comment kept\n"
                                     "bin:x:1:1::/bin:/sbin/nologin\n");
  write_text (f->root, "etc/group", "root:x:0:\nwheel:x:10:\n");
  write_text (f->root, "etc/shadow", "root:!::0:99999:7:::\n");
  g_autofree char *outside = g_build_filename (f->dir, "outside", NULL);
  g_assert_cmpint (g_mkdir (outside, 0755), ==, 0);
  g_assert_true (pl_rootfs_open_root (f->root, &f->root_fd, &error));
}

static void
teardown (Fixture *f, gconstpointer data)
{
  close (f->root_fd);
  PL_AUTOFD int fd = open ("/", O_RDONLY | O_DIRECTORY);
  g_assert_true (pl_rm_rf_at (fd, f->dir, NULL, NULL));
  g_free (f->root);
  g_free (f->dir);
}

static gint
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* A listing of every node under DIR with mode, size and mtime. */
static void
list_tree (const char *dir, GString *out)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;
  while (d && (name = g_dir_read_name (d)))
    g_ptr_array_add (names, g_strdup (name));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *path = g_build_filename (dir, names->pdata[i], NULL);
      struct stat st;
      g_assert_cmpint (lstat (path, &st), ==, 0);
      g_string_append_printf (out, "%s %o %u:%u %ld %ld.%09ld\n", path, st.st_mode, st.st_uid,
                              st.st_gid, (long) st.st_size, (long) st.st_mtim.tv_sec,
                              st.st_mtim.tv_nsec);
      if (S_ISDIR (st.st_mode))
        list_tree (path, out);
    }
}

static char *
tree_state (const char *dir)
{
  GString *out = g_string_new (NULL);
  list_tree (dir, out);
  return g_string_free (out, FALSE);
}

static void
test_rootfs_escape (Fixture *f, gconstpointer data)
{
  g_autofree char *outside = g_build_filename (f->dir, "outside", NULL);
  g_autofree char *abs_link = g_build_filename (f->root, "abs", NULL);
  g_autofree char *climb = g_build_filename (f->root, "climb", NULL);
  g_autofree char *inside = g_build_filename (f->root, "inside", NULL);
  g_assert_cmpint (symlink (outside, abs_link), ==, 0);
  g_assert_cmpint (symlink ("../../../../../..", climb), ==, 0);
  g_assert_cmpint (symlink ("etc", inside), ==, 0);
  g_autoptr(GError) error = NULL;
  g_assert_false (pl_rootfs_write (f->root_fd, "/abs/x", "x", 1, 0644, -1, -1, &error));
  g_assert_error (error, PL_ROOTFS_ERROR, PL_ROOTFS_ERROR_ESCAPE);
  g_assert_cmpstr (error->message, ==, "/abs/x: a symlink in the path leads outside the root");
  g_clear_error (&error);
  g_assert_false (pl_rootfs_mkdir (f->root_fd, "/climb/tmp/y", 0755, -1, -1, &error));
  g_assert_error (error, PL_ROOTFS_ERROR, PL_ROOTFS_ERROR_ESCAPE);
  g_clear_error (&error);
  gboolean exists = TRUE;
  struct stat st;
  g_assert_false (pl_rootfs_lstat (f->root_fd, "/abs/sub/z", &exists, &st, &error));
  g_assert_error (error, PL_ROOTFS_ERROR, PL_ROOTFS_ERROR_ESCAPE);
  g_clear_error (&error);
  /* nothing appeared outside */
  g_autoptr(GDir) d = g_dir_open (outside, 0, NULL);
  g_assert_null (g_dir_read_name (d));

  /* a relative link that stays inside is followed */
  g_assert_true (pl_rootfs_write (f->root_fd, "/inside/via-link", "v", 1, 0600, -1, -1, &error));
  g_assert_no_error (error);
  g_autofree char *target = g_build_filename (f->root, "etc/via-link", NULL);
  g_assert_true (g_file_test (target, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpint (g_lstat (target, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  /* the last component is replaced, never followed */
  g_assert_true (pl_rootfs_write (f->root_fd, "/abs", "replaced", 8, 0644, -1, -1, &error));
  g_assert_cmpint (g_lstat (abs_link, &st), ==, 0);
  g_assert_true (S_ISREG (st.st_mode));
  /* a file where a directory is needed */
  g_assert_false (pl_rootfs_write (f->root_fd, "/etc/passwd/x", "x", 1, 0644, -1, -1, &error));
  g_assert_error (error, PL_ROOTFS_ERROR, PL_ROOTFS_ERROR_NOT_DIR);
}

static void
test_userdb (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlUserdb) db = pl_userdb_load (f->root_fd, &error);
  g_assert_no_error (error);
  guint32 uid, gid;
  g_assert_true (pl_userdb_lookup_user (db, "bin", &uid, &gid, NULL));
  g_assert_cmpuint (uid, ==, 1);
  g_assert_false (pl_userdb_lookup_user (db, "bi", NULL, NULL, NULL));
  g_assert_false (pl_userdb_is_dirty (db, PL_USERDB_PASSWD));

  PlPlanGroup g = { .origin = "g", .name = "svc", .gid = -1 };
  g_assert_true (pl_userdb_add_group (db, &g, &error));
  char *groups[] = { "wheel", "svc", NULL };
  PlPlanUser u = { .origin = "u", .name = "alice", .uid = -1, .groups = groups,
                   .password_hash = "$6$x$y" };
  g_assert_true (pl_userdb_add_user (db, &u, &error));
  g_autofree char *passwd = pl_userdb_render (db, PL_USERDB_PASSWD);
  g_assert_cmpstr (passwd, ==, "root:x:0:0:root:/root:/bin/bash\n# comment kept\n"
                               "bin:x:1:1::/bin:/sbin/nologin\n"
                               "alice:x:1000:1001::/home/alice:/bin/bash\n");
  g_autofree char *group = pl_userdb_render (db, PL_USERDB_GROUP);
  g_assert_cmpstr (group, ==, "root:x:0:\nwheel:x:10:alice\nsvc:x:1000:alice\nalice:x:1001:\n");
  g_autofree char *shadow = pl_userdb_render (db, PL_USERDB_SHADOW);
  g_assert_cmpstr (shadow, ==, "root:!::0:99999:7:::\nalice:$6$x$y:::::::\n");
  g_assert_false (pl_userdb_is_dirty (db, PL_USERDB_GSHADOW));

  PlPlanUser dup = { .origin = "passwd.users[1]", .name = "alice", .uid = 5 };
  g_assert_false (pl_userdb_add_user (db, &dup, &error));
  g_assert_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_CONFLICT);
  g_clear_error (&error);
  PlPlanUser bad = { .origin = "o", .name = "x", .uid = -1, .gecos = "a:b" };
  g_assert_false (pl_userdb_add_user (db, &bad, &error));
  g_assert_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_INVALID);
  g_assert_cmpstr (error->message, ==, "o.gecos: must not contain \":\" or a newline");
  g_clear_error (&error);
  PlOwner owner = { .uid = -1, .user = "nobody", .gid = -1 };
  gint64 ou, og;
  g_assert_false (pl_userdb_resolve_owner (db, &owner, "storage.files[0]", &ou, &og, &error));
  g_assert_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_NO_SUCH_USER);
  g_assert_cmpstr (error->message, ==,
                   "storage.files[0].user.name: user \"nobody\" does not exist in the root");
}

static gboolean
require_root (void)
{
  if (geteuid () == 0)
    return TRUE;
  g_test_message ("the apply tests set file owners and need root");
  g_test_fail ();
  return FALSE;
}

static void
test_apply_all_or_nothing (Fixture *f, gconstpointer data)
{
  if (!require_root ())
    return;
  g_autofree char *before = tree_state (f->dir);
  g_autoptr(PlPlan) plan = pl_plan_new ("test");
  pl_plan_add_text (plan, "a", "/etc/a", "a", 0644);
  pl_plan_add_dir (plan, "d", "/var/lib/d");
  pl_plan_add_user (plan, "u", "carol");
  PlPlanUnit *unit = pl_plan_add_unit (plan, "unit", "x.service");
  unit->contents = g_strdup ("[Install]\nWantedBy=multi-user.target\n");
  unit->enabled = 1;
  /* the last entry fails: its owner does not exist */
  PlPlanFile *bad = pl_plan_add_text (plan, "storage.files[9]", "/etc/z", "z", 0644);
  bad->owner.group = g_strdup ("nogroup");
  g_autoptr(GError) error = NULL;
  g_assert_false (pl_apply_plan (f->root_fd, plan, NULL, NULL, NULL, &error));
  g_assert_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_NO_SUCH_GROUP);
  g_autofree char *after = tree_state (f->dir);
  g_assert_cmpstr (before, ==, after);

  /* without the bad entry it applies; a dry run first writes nothing */
  g_ptr_array_remove_index (plan->files, plan->files->len - 1);
  PlApplyOptions dry = { .dry_run = TRUE };
  g_clear_error (&error);
  g_assert_true (pl_apply_plan (f->root_fd, plan, &dry, NULL, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *after_dry = tree_state (f->dir);
  g_assert_cmpstr (before, ==, after_dry);
  g_autoptr(GPtrArray) changes = NULL;
  g_assert_true (pl_apply_plan (f->root_fd, plan, NULL, &changes, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_ptr_array_find_with_equal_func (changes, "file /etc/a", g_str_equal, NULL));
  g_assert_true (g_ptr_array_find_with_equal_func (
      changes, "enable /etc/systemd/system/multi-user.target.wants/x.service", g_str_equal, NULL));
  g_autofree char *link = g_build_filename (f->root, "etc/systemd/system/multi-user.target.wants/x.service", NULL);
  g_autofree char *target = g_file_read_link (link, NULL);
  g_assert_cmpstr (target, ==, "/etc/systemd/system/x.service");
}

static void
test_apply_exists (Fixture *f, gconstpointer data)
{
  if (!require_root ())
    return;
  write_text (f->root, "etc/issue", "old\n");
  g_autoptr(PlPlan) plan = pl_plan_new ("test");
  PlPlanFile *file = pl_plan_add_text (plan, "storage.files[0]", "/etc/issue", "new\n", 0644);
  file->overwrite = FALSE;
  g_autoptr(GError) error = NULL;
  g_assert_false (pl_apply_plan (f->root_fd, plan, NULL, NULL, NULL, &error));
  g_assert_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_EXISTS);
  g_assert_cmpstr (error->message, ==, "storage.files[0]: /etc/issue already exists (with "
                                       "other contents) and overwrite is false");
  g_clear_error (&error);
  /* the file's contents not yet fetched: refused, not written empty */
  g_autoptr(PlPlan) unresolved = pl_plan_new ("test");
  PlPlanFile *r = pl_plan_add_file (unresolved, "storage.files[0]", "/etc/remote");
  r->contents = pl_source_new_bytes (NULL);
  r->contents->url = g_strdup ("https://example.test/x");
  g_assert_false (pl_apply_plan (f->root_fd, unresolved, NULL, NULL, NULL, &error));
  g_assert_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_UNRESOLVED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/apply/rootfs-escape", Fixture, NULL, setup, test_rootfs_escape, teardown);
  g_test_add ("/apply/userdb", Fixture, NULL, setup, test_userdb, teardown);
  g_test_add ("/apply/all-or-nothing", Fixture, NULL, setup, test_apply_all_or_nothing, teardown);
  g_test_add ("/apply/exists", Fixture, NULL, setup, test_apply_exists, teardown);
  return g_test_run ();
}
