/* Tests for sysroot/: each post-process rule on a fake tree made in a temp directory,
 * the whole pass (idempotent, and a rejected tree left as it was), systemd-tmpfiles
 * rebuilding /var from the generated lines, and `ostree admin deploy` of the result. */
#include "sysroot/kernel.h"
#include "sysroot/osrelease.h"
#include "sysroot/postprocess.h"
#include "sysroot/tmpfiles.h"
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

typedef struct {
  char *path;
  int fd;
} Tree;

static void
tree_free (Tree *t)
{
  if (t->fd >= 0)
    close (t->fd);
  (void) pl_rm_rf_at (AT_FDCWD, t->path, NULL, NULL);
  g_free (t->path);
  g_free (t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Tree, tree_free)

static Tree *
tree_new (void)
{
  g_autoptr(GError) error = NULL;
  Tree *t = g_new0 (Tree, 1);
  t->path = g_dir_make_tmp ("plinth-pp-XXXXXX", &error);
  g_assert_no_error (error);
  t->fd = open (t->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (t->fd, >=, 0);
  return t;
}

static void
mkd (Tree *t, const char *path, mode_t mode)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (pl_mkdir_p_at (t->fd, path, 0755, &error));
  g_assert_no_error (error);
  g_assert_cmpint (fchmodat (t->fd, path, mode, 0), ==, 0);
}

static void
put (Tree *t, const char *path, const char *content, mode_t mode)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_true (pl_mkdir_p_at (t->fd, dir, 0755, &error));
  g_assert_true (pl_file_replace_at (t->fd, path, content, strlen (content), mode, &error));
  g_assert_no_error (error);
}

static void
lnk (Tree *t, const char *target, const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_path_get_dirname (path);
  g_assert_true (pl_mkdir_p_at (t->fd, dir, 0755, &error));
  g_assert_cmpint (symlinkat (target, t->fd, path), ==, 0);
}

static char *
slurp (Tree *t, const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gboolean ok = pl_file_read_at (t->fd, path, 0, &data, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ok);
  return data;
}

static char *
readlink_at (Tree *t, const char *path)
{
  char buf[PATH_MAX];
  ssize_t n = readlinkat (t->fd, path, buf, sizeof buf - 1);
  if (n < 0)
    return NULL;
  buf[n] = '\0';
  return g_strdup (buf);
}

static gboolean
exists (Tree *t, const char *path)
{
  struct stat st;
  return fstatat (t->fd, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static struct stat
lst (Tree *t, const char *path)
{
  struct stat st;
  g_assert_cmpint (fstatat (t->fd, path, &st, AT_SYMLINK_NOFOLLOW), ==, 0);
  return st;
}

static guint
n_children (Tree *t, const char *path)
{
  g_autofree char *full = g_build_filename (t->path, path, NULL);
  g_autoptr(GDir) d = g_dir_open (full, 0, NULL);
  g_assert_nonnull (d);
  guint n = 0;
  while (g_dir_read_name (d))
    n++;
  return n;
}

static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Every entry with its type, mode, owner, size, link target and content hash:
 * two equal snapshots mean the tree did not change. */
static void
snapshot_dir (Tree *t, const char *rel, GString *out)
{
  g_autofree char *full = g_build_filename (t->path, rel, NULL);
  g_autoptr(GDir) d = g_dir_open (full, 0, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *n;
  while (d && (n = g_dir_read_name (d)))
    g_ptr_array_add (names, g_strdup (n));
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *p = *rel ? g_build_filename (rel, names->pdata[i], NULL)
                                : g_strdup (names->pdata[i]);
      struct stat st = lst (t, p);
      g_string_append_printf (out, "%s %o %u:%u", p, st.st_mode, st.st_uid, st.st_gid);
      if (S_ISLNK (st.st_mode))
        {
          g_autofree char *target = readlink_at (t, p);
          g_string_append_printf (out, " -> %s", target);
        }
      else if (S_ISREG (st.st_mode))
        {
          /* mode 0000 files cannot be read without root: their metadata must do */
          g_autofree char *data = NULL;
          gsize len = 0;
          g_autofree char *full_path = g_build_filename (t->path, p, NULL);
          if (g_file_get_contents (full_path, &data, &len, NULL))
            {
              g_autofree char *sum = pl_sha256_hex (data, len);
              g_string_append_printf (out, " %s", sum);
            }
        }
      g_string_append_c (out, '\n');
      if (S_ISDIR (st.st_mode))
        snapshot_dir (t, p, out);
    }
}

static char *
snapshot (Tree *t)
{
  GString *out = g_string_new (NULL);
  snapshot_dir (t, "", out);
  return g_string_free (out, FALSE);
}

static const PlPostprocessOptions default_opts = {
  .os_id = "plinth",
  .os_name = "Plinth",
  .version = "2026.11.1",
};

/* ---- /etc ---- */

static void
test_etc_move (void)
{
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  put (t, "etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644);
  put (t, "etc/shadow", "root:!::0:99999:7:::\n", 0000);
  put (t, "etc/ssh/sshd_config", "PermitRootLogin no\n", 0600);
  lnk (t, "../usr/share/zoneinfo/UTC", "etc/localtime");
  mkd (t, "usr", 0755);
  g_autofree char *sshd = g_build_filename (t->path, "etc/ssh/sshd_config", NULL);
  g_assert_cmpint (setxattr (sshd, "user.plinth", "kept", 4, 0), ==, 0);
  ino_t ino = lst (t, "etc/ssh/sshd_config").st_ino;

  g_assert_true (pl_postprocess_move_etc (t->fd, &error));
  g_assert_no_error (error);
  g_assert_false (exists (t, "etc"));
  g_autofree char *passwd = slurp (t, "usr/etc/passwd");
  g_assert_cmpstr (passwd, ==, "root:x:0:0::/root:/bin/sh\n");
  g_assert_cmpint (lst (t, "usr/etc/shadow").st_mode & 07777, ==, 0000);
  struct stat st = lst (t, "usr/etc/ssh/sshd_config");
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);
  /* the same inode: moved with one rename, never copied */
  g_assert_cmpuint (st.st_ino, ==, ino);
  char buf[16] = { 0 };
  g_autofree char *cfg = g_build_filename (t->path, "usr/etc/ssh/sshd_config", NULL);
  g_assert_cmpint (getxattr (cfg, "user.plinth", buf, sizeof buf), ==, 4);
  g_assert_cmpstr (buf, ==, "kept");
  g_autofree char *tz = readlink_at (t, "usr/etc/localtime");
  g_assert_cmpstr (tz, ==, "../usr/share/zoneinfo/UTC");

  /* again: nothing to do, no error */
  g_autofree char *before = snapshot (t);
  g_assert_true (pl_postprocess_move_etc (t->fd, &error));
  g_assert_no_error (error);
  g_autofree char *after = snapshot (t);
  g_assert_cmpstr (before, ==, after);
}

static void
test_etc_owner (void)
{
  if (geteuid () != 0)
    {
      g_test_skip ("changing file owners needs root");
      return;
    }
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  put (t, "etc/chrony.keys", "1 SHA1 x\n", 0640);
  g_assert_cmpint (fchownat (t->fd, "etc/chrony.keys", 0, 994, 0), ==, 0);
  mkd (t, "usr/etc", 0755); /* empty: rename replaces it */
  g_assert_true (pl_postprocess_move_etc (t->fd, &error));
  g_assert_no_error (error);
  struct stat st = lst (t, "usr/etc/chrony.keys");
  g_assert_cmpuint (st.st_gid, ==, 994);
  g_assert_cmpint (st.st_mode & 07777, ==, 0640);
}

static void
test_etc_conflict (void)
{
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  put (t, "etc/hosts", "127.0.0.1 localhost\n", 0644);
  put (t, "usr/etc/stray", "x\n", 0644);
  g_autofree char *before = snapshot (t);
  g_assert_false (pl_postprocess_move_etc (t->fd, &error));
  g_assert_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_NOT_EMPTY);
  g_assert_nonnull (strstr (error->message, "/usr/etc"));
  g_autofree char *after = snapshot (t);
  g_assert_cmpstr (before, ==, after);
  g_clear_error (&error);

  /* /etc as a symlink is not something the rule can move */
  g_autoptr(Tree) t2 = tree_new ();
  mkd (t2, "usr", 0755);
  lnk (t2, "usr/etc", "etc");
  g_assert_false (pl_postprocess_move_etc (t2->fd, &error));
  g_assert_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_BAD_TREE);
  g_assert_cmpstr (error->message, ==, "/etc: expected a directory");
}

/* ---- /var ---- */

static const char var_conf_expected[] =
    "# Generated by plinth-build from what the packages installed in /var: OSTree\n"
    "# deploys an empty /var, so systemd-tmpfiles recreates it (docs/sysroot.md).\n"
    "d /run/media 0755 root root -\n"
    "d /var/cache 0755 root root -\n"
    "d /var/home 0755 root root -\n"
    "d /var/lib 0755 root root -\n"
    "d /var/lib/chrony 0750 chrony chrony -\n"
    "C /var/lib/chrony/drift - - - - /usr/share/factory/var/lib/chrony/drift\n"
    "L /var/lib/chrony/link - - - - drift 100%%\n"
    "C \"/var/lib/chrony/odd name%%.txt\" - - - - "
    "/usr/share/factory/var/lib/chrony/odd name%%.txt\n"
    "C \"/var/lib/chrony/q\\\"uote\\\\\" - - - - /usr/share/factory/var/lib/chrony/q\"uote\\\\\n"
    "d /var/lib/orphan 2770 4242 4343 -\n"
    "p /var/lib/orphan/fifo 0600 root root -\n"
    "d /var/log 0755 root root -\n"
    "d /var/mnt 0755 root root -\n"
    "d /var/opt 0755 root root -\n"
    "d /var/roothome 0700 root root -\n"
    "L /var/run - - - - ../run\n"
    "d /var/srv 0755 root root -\n"
    "d /var/tmp 1777 root root -\n"
    "d /var/usrlocal 0755 root root -\n"
    "d /var/usrlocal/bin 0755 root root -\n"
    "d /var/usrlocal/etc 0755 root root -\n"
    "d /var/usrlocal/games 0755 root root -\n"
    "d /var/usrlocal/include 0755 root root -\n"
    "d /var/usrlocal/lib 0755 root root -\n"
    "d /var/usrlocal/man 0755 root root -\n"
    "d /var/usrlocal/sbin 0755 root root -\n"
    "d /var/usrlocal/share 0755 root root -\n"
    "d /var/usrlocal/src 0755 root root -\n";

/* A /var as packages leave it. Owners need root; without it everything is root's own
 * and the test of names is done by test_var_owner_names. */
static void
make_var (Tree *t)
{
  put (t, "usr/etc/passwd", "root:x:0:0::/root:/bin/sh\nchrony:x:994:992::/var/lib/chrony:/sbin/nologin\n", 0644);
  put (t, "usr/etc/group", "root:x:0:\nchrony:x:992:\n", 0644);
  put (t, "usr/lib/tmpfiles.d/pkg.conf", "# from a package\nd /var/lib/covered 0755 root root -\n", 0644);
  mkd (t, "var/cache/dnf", 0755);
  put (t, "var/cache/dnf/repomd.xml", "<repomd/>\n", 0644);
  put (t, "var/log/dnf.log", "installed\n", 0644);
  mkd (t, "var/tmp", 01777);
  put (t, "var/tmp/rpm-tmp.1", "x", 0644);
  put (t, "var/lib/dnf/history.sqlite", "db", 0644);
  mkd (t, "var/lib/covered", 0755);
  mkd (t, "var/lib/chrony", 0750);
  put (t, "var/lib/chrony/drift", "0.0 0.0\n", 0644);
  put (t, "var/lib/chrony/odd name%.txt", "odd\n", 0600);
  mkd (t, "var/lib/orphan", 02770);
  g_assert_cmpint (mkfifoat (t->fd, "var/lib/orphan/fifo", 0600), ==, 0);
  lnk (t, "../run", "var/run");
  lnk (t, "drift 100%", "var/lib/chrony/link");
  put (t, "var/lib/chrony/q\"uote\\", "q\n", 0644);
  g_assert_cmpint (fchownat (t->fd, "var/lib/chrony", 994, 992, AT_SYMLINK_NOFOLLOW), ==, 0);
  g_assert_cmpint (fchownat (t->fd, "var/lib/orphan", 4242, 4343, AT_SYMLINK_NOFOLLOW), ==, 0);
}

static void
test_var_tmpfiles (void)
{
  if (geteuid () != 0)
    {
      g_test_skip ("owners of /var entries need root to set up");
      return;
    }
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  make_var (t);
  g_autofree char *drift = g_build_filename (t->path, "var/lib/chrony/drift", NULL);
  g_assert_cmpint (setxattr (drift, "user.plinth", "kept", 4, 0), ==, 0);
  ino_t ino = lst (t, "var/lib/chrony/drift").st_ino;

  g_assert_true (pl_tmpfiles_from_var (t->fd, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *conf = slurp (t, PL_TMPFILES_VAR_CONF);
  g_assert_cmpstr (conf, ==, var_conf_expected);
  g_assert_cmpuint (n_children (t, "var"), ==, 0);
  /* moved, not copied: inode, xattr and content are the package's */
  struct stat st = lst (t, "usr/share/factory/var/lib/chrony/drift");
  g_assert_cmpuint (st.st_ino, ==, ino);
  g_autofree char *moved = g_build_filename (t->path, "usr/share/factory/var/lib/chrony/drift", NULL);
  char buf[16] = { 0 };
  g_assert_cmpint (getxattr (moved, "user.plinth", buf, sizeof buf), ==, 4);
  g_assert_false (exists (t, "usr/share/factory/var/cache/dnf/repomd.xml"));

  /* a second run over the emptied /var keeps every line */
  g_assert_true (pl_tmpfiles_from_var (t->fd, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *conf2 = slurp (t, PL_TMPFILES_VAR_CONF);
  g_assert_cmpstr (conf2, ==, var_conf_expected);
}

static void
test_var_numeric_owner (void)
{
  /* no passwd at all: numeric ids, which tmpfiles.d accepts as well */
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  mkd (t, "var/lib/x", 0711);
  g_assert_true (pl_tmpfiles_from_var (t->fd, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *conf = slurp (t, PL_TMPFILES_VAR_CONF);
  g_autofree char *want = g_strdup_printf ("\nd /var/lib/x 0711 %u %u -\n", geteuid (), getegid ());
  g_assert_nonnull (strstr (conf, want));
}

static void
test_tmpfiles_escape (void)
{
  static const struct {
    const char *in, *path, *argument;
  } cases[] = {
    { "/var/lib/plain-name_1.2+x@y:z,w=v~^", "/var/lib/plain-name_1.2+x@y:z,w=v~^",
      "/var/lib/plain-name_1.2+x@y:z,w=v~^" },
    { "/var/a b", "\"/var/a b\"", "/var/a b" },
    { "/var/100%", "/var/100%%", "/var/100%%" },
    { "/var/q\"'\\", "\"/var/q\\\"'\\\\\"", "/var/q\"'\\\\" },
    { "/var/caf\xc3\xa9", "\"/var/caf\xc3\xa9\"", "/var/caf\xc3\xa9" },
    { "/var/tab\there", NULL, NULL },
    { "/var/new\nline", NULL, NULL },
    { " lead", "\" lead\"", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *p = pl_tmpfiles_quote_path (cases[i].in);
      g_autofree char *a = pl_tmpfiles_escape_argument (cases[i].in);
      g_assert_cmpstr (p, ==, cases[i].path);
      g_assert_cmpstr (a, ==, cases[i].argument);
    }

  /* a name no tmpfiles.d line can hold is refused, naming it */
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  put (t, "var/lib/bad\nname", "x", 0644);
  g_assert_false (pl_tmpfiles_from_var (t->fd, NULL, &error));
  g_assert_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_BAD_TREE);
  g_assert_nonnull (strstr (error->message, "/var/lib/bad\\nname: a name with control"));
}

/* The real systemd-tmpfiles, pointed at the processed tree, must rebuild /var as the
 * packages left it. */
static void
test_var_systemd_tmpfiles (void)
{
  if (geteuid () != 0)
    {
      g_test_skip ("systemd-tmpfiles --root sets owners: needs root");
      return;
    }
  g_autofree char *tool = g_find_program_in_path ("systemd-tmpfiles");
  if (tool == NULL)
    {
      g_test_message ("systemd-tmpfiles is not installed (Debian package systemd)");
      g_test_fail ();
      return;
    }
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  make_var (t);
  mkd (t, "run", 0755);
  g_assert_true (pl_tmpfiles_from_var (t->fd, NULL, &error));
  g_assert_no_error (error);
  /* on a node /etc is the deployed copy of /usr/etc; tmpfiles reads names from it */
  g_autofree char *passwd = slurp (t, "usr/etc/passwd");
  g_autofree char *group = slurp (t, "usr/etc/group");
  put (t, "etc/passwd", passwd, 0644);
  put (t, "etc/group", group, 0644);

  g_autofree char *root_arg = g_strconcat ("--root=", t->path, NULL);
  const char *argv[] = { tool, root_arg, "--create", NULL };
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               &err, &status, &error));
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, &error))
    g_test_message ("systemd-tmpfiles: %s", err);
  g_assert_no_error (error);

  struct stat st = lst (t, "var/lib/chrony");
  g_assert_true (S_ISDIR (st.st_mode));
  g_assert_cmpint (st.st_mode & 07777, ==, 0750);
  g_assert_cmpuint (st.st_uid, ==, 994);
  g_assert_cmpuint (st.st_gid, ==, 992);
  g_autofree char *drift = slurp (t, "var/lib/chrony/drift");
  g_assert_cmpstr (drift, ==, "0.0 0.0\n");
  g_autofree char *odd = slurp (t, "var/lib/chrony/odd name%.txt");
  g_assert_cmpstr (odd, ==, "odd\n");
  g_assert_cmpint (lst (t, "var/lib/chrony/odd name%.txt").st_mode & 07777, ==, 0600);
  st = lst (t, "var/lib/orphan");
  g_assert_cmpint (st.st_mode & 07777, ==, 02770);
  g_assert_cmpuint (st.st_uid, ==, 4242);
  g_assert_true (S_ISFIFO (lst (t, "var/lib/orphan/fifo").st_mode));
  g_autofree char *link = readlink_at (t, "var/lib/chrony/link");
  g_assert_cmpstr (link, ==, "drift 100%");
  g_autofree char *quote = slurp (t, "var/lib/chrony/q\"uote\\");
  g_assert_cmpstr (quote, ==, "q\n");
  g_autofree char *run = readlink_at (t, "var/run");
  g_assert_cmpstr (run, ==, "../run");
  g_assert_cmpint (lst (t, "var/roothome").st_mode & 07777, ==, 0700);
  g_assert_cmpint (lst (t, "var/tmp").st_mode & 07777, ==, 01777);
  g_assert_true (S_ISDIR (lst (t, "var/usrlocal/bin").st_mode));
  g_assert_true (S_ISDIR (lst (t, "run/media").st_mode));
  /* the package's own line made it */
  g_assert_true (S_ISDIR (lst (t, "var/lib/covered").st_mode));
  /* dropped state stays dropped */
  g_assert_false (exists (t, "var/lib/dnf"));
  g_assert_false (exists (t, "var/log/dnf.log"));
}

/* ---- OSTree links ---- */

static void
test_links (void)
{
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  mkd (t, "home", 0755);
  mkd (t, "usr/local/bin", 0755);
  mkd (t, "usr/local/share/man", 0755);
  mkd (t, "mnt", 0755);
  lnk (t, "somewhere/else", "opt");
  g_assert_true (pl_postprocess_ostree_links (t->fd, NULL, &error));
  g_assert_no_error (error);
  static const char *const want[][2] = {
    { "home", "var/home" }, { "root", "var/roothome" }, { "opt", "var/opt" },
    { "srv", "var/srv" }, { "mnt", "var/mnt" }, { "media", "run/media" },
    { "usr/local", "../var/usrlocal" }, { "ostree", "sysroot/ostree" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (want); i++)
    {
      g_autofree char *target = readlink_at (t, want[i][0]);
      g_assert_cmpstr (target, ==, want[i][1]);
    }
  g_assert_true (S_ISDIR (lst (t, "sysroot").st_mode));
  g_autofree char *before = snapshot (t);
  g_assert_true (pl_postprocess_ostree_links (t->fd, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *after = snapshot (t);
  g_assert_cmpstr (before, ==, after);
}

static void
test_links_not_empty (void)
{
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  mkd (t, "home", 0755);
  put (t, "opt/vendor/bin/tool", "#!/bin/sh\n", 0755);
  g_autofree char *before = snapshot (t);
  g_assert_false (pl_postprocess_ostree_links (t->fd, NULL, &error));
  g_assert_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_NOT_EMPTY);
  g_assert_true (g_str_has_prefix (error->message, "/opt holds files"));
  g_autofree char *after = snapshot (t);
  g_assert_cmpstr (before, ==, after);
  g_clear_error (&error);

  g_autoptr(Tree) t2 = tree_new ();
  put (t2, "srv", "a file\n", 0644);
  g_assert_false (pl_postprocess_ostree_links (t2->fd, NULL, &error));
  g_assert_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_BAD_TREE);
  g_assert_cmpstr (error->message, ==, "/srv: expected a directory or a symlink");
}

/* ---- clean ---- */

static void
test_clean (void)
{
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  put (t, "tmp/leftover", "x", 0644);
  mkd (t, "tmp/dir/sub", 0755);
  put (t, "run/lock/pid", "1", 0644);
  put (t, "etc/machine-id", "0123456789abcdef0123456789abcdef\n", 0444);
  put (t, "usr/lib/sysimage/rpm/rpmdb.sqlite", "db", 0644);
  put (t, "usr/lib/sysimage/rpm/__db.001", "env", 0644);
  put (t, "usr/lib/sysimage/rpm/.rpm.lock", "", 0644);
  put (t, "var/lib/rpm/Packages", "stray", 0644);
  g_assert_true (pl_postprocess_clean (t->fd, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n_children (t, "tmp"), ==, 0);
  g_assert_cmpuint (n_children (t, "run"), ==, 0);
  g_assert_false (exists (t, "etc/machine-id"));
  g_assert_false (exists (t, "usr/lib/sysimage/rpm/__db.001"));
  g_assert_false (exists (t, "usr/lib/sysimage/rpm/.rpm.lock"));
  g_assert_true (exists (t, "usr/lib/sysimage/rpm/rpmdb.sqlite"));
  g_assert_false (exists (t, "var/lib/rpm"));
  static const char *const mounts[] = { "boot", "dev", "proc", "sys", "var", "tmp", "run" };
  for (gsize i = 0; i < G_N_ELEMENTS (mounts); i++)
    g_assert_true (S_ISDIR (lst (t, mounts[i]).st_mode));

  /* the only database is kept, in /usr */
  g_autoptr(Tree) t2 = tree_new ();
  put (t2, "var/lib/rpm/rpmdb.sqlite", "only db", 0644);
  g_assert_true (pl_postprocess_clean (t2->fd, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *db = slurp (t2, "usr/lib/sysimage/rpm/rpmdb.sqlite");
  g_assert_cmpstr (db, ==, "only db");
  g_assert_false (exists (t2, "var/lib/rpm"));
  g_assert_cmpint (lst (t2, "tmp").st_mode & 07777, ==, 01777);
}

/* ---- kernel ---- */

static void
test_kernel_fedora (void)
{
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  const char *k = "6.11.4-301.fc41.x86_64";
  g_autofree char *vmlinuz = g_strdup_printf ("boot/vmlinuz-%s", k);
  g_autofree char *initramfs = g_strdup_printf ("boot/initramfs-%s.img", k);
  g_autofree char *config = g_strdup_printf ("boot/config-%s", k);
  g_autofree char *hmac = g_strdup_printf ("boot/.vmlinuz-%s.hmac", k);
  put (t, vmlinuz, "kernel", 0755);
  put (t, initramfs, "initramfs", 0600);
  put (t, config, "CONFIG_X=y\n", 0644);
  put (t, hmac, "hmac", 0644);
  put (t, "boot/vmlinuz-0-rescue-0123abcd", "rescue", 0755);
  put (t, "boot/loader/entries/x.conf", "title x\n", 0644);
  put (t, "boot/efi/EFI/fedora/shimx64.efi", "shim", 0700);
  mkd (t, "usr/lib/modules/6.11.4-301.fc41.x86_64/kernel", 0755);

  g_autofree char *kver = NULL;
  g_assert_true (pl_kernel_find (t->fd, &kver, &error));
  g_assert_cmpstr (kver, ==, k);
  g_assert_true (pl_kernel_relocate (t->fd, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *m = g_strdup_printf ("usr/lib/modules/%s/", k);
  g_autofree char *mv = g_strconcat (m, "vmlinuz", NULL);
  g_autofree char *mi = g_strconcat (m, "initramfs.img", NULL);
  g_autofree char *mc = g_strconcat (m, "config", NULL);
  g_autofree char *mh = g_strconcat (m, ".vmlinuz.hmac", NULL);
  g_autofree char *v = slurp (t, mv), *i = slurp (t, mi), *c = slurp (t, mc), *h = slurp (t, mh);
  g_assert_cmpstr (v, ==, "kernel");
  g_assert_cmpstr (i, ==, "initramfs");
  g_assert_cmpint (lst (t, mi).st_mode & 07777, ==, 0600);
  g_assert_cmpstr (c, ==, "CONFIG_X=y\n");
  g_assert_cmpstr (h, ==, "hmac");
  g_assert_cmpuint (n_children (t, "boot"), ==, 0);
  g_autofree char *shim = slurp (t, "usr/lib/plinth/boot/efi/EFI/fedora/shimx64.efi");
  g_assert_cmpstr (shim, ==, "shim");

  g_autofree char *before = snapshot (t);
  g_assert_true (pl_kernel_relocate (t->fd, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *after = snapshot (t);
  g_assert_cmpstr (before, ==, after);
}

static void
test_kernel_debian (void)
{
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  put (t, "boot/vmlinuz-6.1.0-27-amd64", "kernel", 0644);
  put (t, "boot/initrd.img-6.1.0-27-amd64", "initrd", 0644);
  put (t, "boot/System.map-6.1.0-27-amd64", "map", 0644);
  lnk (t, "boot/vmlinuz-6.1.0-27-amd64", "vmlinuz");
  lnk (t, "boot/initrd.img-6.1.0-27-amd64", "initrd.img");
  g_assert_true (pl_kernel_relocate (t->fd, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *i = slurp (t, "usr/lib/modules/6.1.0-27-amd64/initramfs.img");
  g_assert_cmpstr (i, ==, "initrd");
  g_autofree char *m = slurp (t, "usr/lib/modules/6.1.0-27-amd64/System.map");
  g_assert_cmpstr (m, ==, "map");
  g_assert_false (exists (t, "vmlinuz"));
  g_assert_false (exists (t, "initrd.img"));
  g_assert_cmpuint (n_children (t, "boot"), ==, 0);
}

static void
test_kernel_in_modules (void)
{
  /* kernel-core ships /usr/lib/modules/K/vmlinuz; the /boot copy is the stale one */
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  put (t, "usr/lib/modules/6.12.0/vmlinuz", "packaged", 0755);
  put (t, "boot/vmlinuz-6.12.0", "copy", 0755);
  put (t, "boot/initramfs-6.12.0.img", "initramfs", 0600);
  g_assert_true (pl_kernel_relocate (t->fd, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *v = slurp (t, "usr/lib/modules/6.12.0/vmlinuz");
  g_assert_cmpstr (v, ==, "packaged");
  g_autofree char *i = slurp (t, "usr/lib/modules/6.12.0/initramfs.img");
  g_assert_cmpstr (i, ==, "initramfs");
  g_assert_cmpuint (n_children (t, "boot"), ==, 0);

  /* no kernel at all is fine (sysext or container trees) */
  g_autoptr(Tree) t2 = tree_new ();
  char *kver = (char *) "unset";
  mkd (t2, "usr/lib/modules/6.12.0/extra", 0755); /* modules without a kernel */
  g_assert_true (pl_kernel_find (t2->fd, &kver, &error));
  g_assert_null (kver);
  g_assert_true (pl_kernel_relocate (t2->fd, NULL, &error));
  g_assert_no_error (error);
}

static void
test_kernel_multiple (void)
{
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  put (t, "boot/vmlinuz-6.11.4", "a", 0755);
  put (t, "usr/lib/modules/6.12.0/vmlinuz", "b", 0755);
  g_autofree char *before = snapshot (t);
  g_assert_false (pl_kernel_relocate (t->fd, NULL, &error));
  g_assert_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_MULTIPLE_KERNELS);
  g_assert_nonnull (strstr (error->message, "(6.11.4, 6.12.0)"));
  g_autofree char *after = snapshot (t);
  g_assert_cmpstr (before, ==, after);
}

/* ---- os-release ---- */

static void
test_os_release_render (void)
{
  g_autoptr(GError) error = NULL;
  const char *extra[] = { "HOME_URL=https://example.invalid/plinth", "SUPPORT_END=2027-11-01",
                          "ODD=a \"$b\" `c` \\d", NULL };
  PlPostprocessOptions o = { .os_id = "plinth", .os_name = "Plinth OS",
                             .version = "2026.11.1", .variant_id = "aks",
                             .extra_os_release = extra };
  g_autofree char *text = pl_os_release_render (&o, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (text, ==,
                   "NAME=\"Plinth OS\"\n"
                   "ID=plinth\n"
                   "VERSION=2026.11.1\n"
                   "VERSION_ID=2026.11.1\n"
                   "PRETTY_NAME=\"Plinth OS 2026.11.1\"\n"
                   "VARIANT_ID=aks\n"
                   "IMAGE_VERSION=2026.11.1\n"
                   "HOME_URL=\"https://example.invalid/plinth\"\n"
                   "SUPPORT_END=2027-11-01\n"
                   "ODD=\"a \\\"\\$b\\\" \\`c\\` \\\\d\"\n");
  o.pretty_name = "Plinth for AKS";
  o.extra_os_release = NULL;
  g_autofree char *text2 = pl_os_release_render (&o, &error);
  g_assert_nonnull (strstr (text2, "\nPRETTY_NAME=\"Plinth for AKS\"\n"));

  g_autofree char *q = pl_os_release_quote ("");
  g_assert_cmpstr (q, ==, "\"\"");
}

static void
test_os_release_invalid (void)
{
  static const struct {
    PlPostprocessOptions o;
    const char *message;
  } cases[] = {
    { { .os_name = "P", .version = "1" }, "os-release ID: required value is missing or empty" },
    { { .os_id = "Plinth", .os_name = "P", .version = "1" },
      "os-release ID: \"Plinth\" may only hold lower-case letters, digits, \".\", \"_\" and \"-\"" },
    { { .os_id = "p", .version = "1" }, "os-release NAME: required value is missing or empty" },
    { { .os_id = "p", .os_name = "P\nEVIL=1", .version = "1" },
      "os-release NAME: contains a control character" },
    { { .os_id = "p", .os_name = "P", .version = "1 beta" },
      "os-release VERSION_ID: \"1 beta\" may only hold lower-case letters, digits, \".\", \"_\" and \"-\"" },
    { { .os_id = "p", .os_name = "P", .version = "1", .variant_id = "a/b" },
      "os-release VARIANT_ID: \"a/b\" may only hold lower-case letters, digits, \".\", \"_\" and \"-\"" },
    { { .os_id = "p", .os_name = "\xff", .version = "1" }, "os-release NAME: not valid UTF-8" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *text = pl_os_release_render (&cases[i].o, &error);
      g_assert_null (text);
      g_assert_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_INVALID_OPTION);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }
  static const struct {
    const char *line, *message;
  } extras[] = {
    { "lower=x", "os-release extra line 1: \"lower=x\" is not KEY=VALUE with KEY of A-Z, 0-9 and \"_\"" },
    { "NOEQUALS", "os-release extra line 1: \"NOEQUALS\" is not KEY=VALUE with KEY of A-Z, 0-9 and \"_\"" },
    { "ID=other", "os-release extra line 1: ID is already set" },
    { "X=a\tb", "os-release X: contains a control character" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (extras); i++)
    {
      g_autoptr(GError) error = NULL;
      const char *extra[] = { extras[i].line, NULL };
      PlPostprocessOptions o = default_opts;
      o.extra_os_release = extra;
      g_autofree char *text = pl_os_release_render (&o, &error);
      g_assert_null (text);
      g_assert_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_INVALID_OPTION);
      g_assert_cmpstr (error->message, ==, extras[i].message);
    }
}

static void
test_os_release_write (void)
{
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  put (t, "usr/etc/os-release", "NAME=Fedora\n", 0644);
  put (t, "usr/lib/os-release", "NAME=Fedora\n", 0644);
  g_assert_true (pl_os_release_write (t->fd, &default_opts, &error));
  g_assert_no_error (error);
  g_autofree char *target = readlink_at (t, "usr/etc/os-release");
  g_assert_cmpstr (target, ==, "../usr/lib/os-release");
  g_autofree char *text = slurp (t, "usr/lib/os-release");
  g_assert_true (g_str_has_prefix (text, "NAME=Plinth\nID=plinth\n"));
  /* the link resolves from /etc once deployed: etc/../usr/lib/os-release */
  g_assert_cmpint (mkdirat (t->fd, "etc", 0755), ==, 0);
  g_assert_cmpint (symlinkat (target, t->fd, "etc/os-release"), ==, 0);
  g_autofree char *via = slurp (t, "etc/os-release");
  g_assert_cmpstr (via, ==, text);
}

/* ---- the whole pass ---- */

static void
make_installed_tree (Tree *t)
{
  static const char *const dirs[] = { "home", "root", "opt", "srv", "mnt", "media",
                                      "usr/local/bin", "usr/local/share", "dev", "proc",
                                      "sys", "usr/bin" };
  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    mkd (t, dirs[i], 0755);
  put (t, "etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0644);
  put (t, "etc/group", "root:x:0:\n", 0644);
  put (t, "etc/machine-id", "0123456789abcdef0123456789abcdef\n", 0444);
  put (t, "etc/os-release", "NAME=Fedora\n", 0644);
  put (t, "usr/bin/true", "#!/bin/sh\n", 0755);
  put (t, "boot/vmlinuz-6.12.0", "kernel", 0755);
  put (t, "boot/initramfs-6.12.0.img", "initramfs", 0600);
  put (t, "usr/lib/modules/6.12.0/modules.dep", "", 0644);
  put (t, "usr/lib/sysimage/rpm/rpmdb.sqlite", "db", 0644);
  put (t, "usr/lib/sysimage/rpm/.rpm.lock", "", 0644);
  put (t, "var/lib/foo/state", "s", 0644);
  put (t, "var/log/dnf.log", "l", 0644);
  lnk (t, "../run", "var/run");
  put (t, "tmp/x", "x", 0644);
}

static void
test_tree (void)
{
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  make_installed_tree (t);
  g_assert_true (pl_postprocess_tree (t->fd, &default_opts, NULL, &error));
  g_assert_no_error (error);

  g_assert_false (exists (t, "etc"));
  g_assert_false (exists (t, "usr/etc/machine-id"));
  g_autofree char *osr = readlink_at (t, "usr/etc/os-release");
  g_assert_cmpstr (osr, ==, "../usr/lib/os-release");
  g_assert_cmpuint (n_children (t, "var"), ==, 0);
  g_assert_cmpuint (n_children (t, "boot"), ==, 0);
  g_assert_cmpuint (n_children (t, "tmp"), ==, 0);
  g_assert_true (exists (t, "usr/lib/modules/6.12.0/vmlinuz"));
  g_assert_true (exists (t, "usr/lib/modules/6.12.0/initramfs.img"));
  g_autofree char *home = readlink_at (t, "home");
  g_assert_cmpstr (home, ==, "var/home");
  g_autofree char *conf = slurp (t, PL_TMPFILES_VAR_CONF);
  g_assert_nonnull (strstr (conf, "\nC /var/lib/foo/state - - - - /usr/share/factory/var/lib/foo/state\n"));
  g_assert_nonnull (strstr (conf, "\nd /var/roothome 0700 root root -\n"));
  g_assert_null (strstr (conf, "dnf.log"));

  /* idempotent: a second pass changes nothing */
  g_autofree char *before = snapshot (t);
  g_assert_true (pl_postprocess_tree (t->fd, &default_opts, NULL, &error));
  g_assert_no_error (error);
  g_autofree char *after = snapshot (t);
  g_assert_cmpstr (before, ==, after);
}

static void
test_tree_rejected_unchanged (void)
{
  /* every rejection happens before the first change */
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(GError) error = NULL;
  make_installed_tree (t);
  put (t, "boot/vmlinuz-6.13.0", "second kernel", 0755);
  g_autofree char *before = snapshot (t);
  g_assert_false (pl_postprocess_tree (t->fd, &default_opts, NULL, &error));
  g_assert_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_MULTIPLE_KERNELS);
  g_autofree char *after = snapshot (t);
  g_assert_cmpstr (before, ==, after);
  g_clear_error (&error);

  g_autoptr(Tree) t2 = tree_new ();
  make_installed_tree (t2);
  put (t2, "root/.bashrc", "alias x=y\n", 0644);
  g_autofree char *before2 = snapshot (t2);
  g_assert_false (pl_postprocess_tree (t2->fd, &default_opts, NULL, &error));
  g_assert_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_NOT_EMPTY);
  g_autofree char *after2 = snapshot (t2);
  g_assert_cmpstr (before2, ==, after2);
  g_clear_error (&error);

  g_autoptr(Tree) t3 = tree_new ();
  make_installed_tree (t3);
  PlPostprocessOptions bad = default_opts;
  bad.os_id = "Bad ID";
  g_autofree char *before3 = snapshot (t3);
  g_assert_false (pl_postprocess_tree (t3->fd, &bad, NULL, &error));
  g_assert_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_INVALID_OPTION);
  g_autofree char *after3 = snapshot (t3);
  g_assert_cmpstr (before3, ==, after3);
  g_clear_error (&error);

  g_autoptr(Tree) t5 = tree_new ();
  make_installed_tree (t5);
  put (t5, "var/lib/foo/bad\x01name", "x", 0644);
  g_autofree char *before5 = snapshot (t5);
  g_assert_false (pl_postprocess_tree (t5->fd, &default_opts, NULL, &error));
  g_assert_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_BAD_TREE);
  g_autofree char *after5 = snapshot (t5);
  g_assert_cmpstr (before5, ==, after5);
  g_clear_error (&error);

  g_autoptr(Tree) t4 = tree_new ();
  put (t4, "etc/hosts", "x", 0644);
  g_assert_false (pl_postprocess_tree (t4->fd, &default_opts, NULL, &error));
  g_assert_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_BAD_TREE);
  g_assert_cmpstr (error->message, ==, "/usr: expected a directory (is this an installed tree?)");
}

static gboolean
run (const char *const *argv, GError **error)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                     &status, error))
    return FALSE;
  if (!g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "%s: %s: ", argv[0], err);
      return FALSE;
    }
  return TRUE;
}

/* The processed tree is what the real ostree wants: commit it, deploy it into a
 * throwaway sysroot, and find /etc, the kernel and the links where they belong. */
static void
test_ostree_deploy (void)
{
  g_autofree char *ostree = g_find_program_in_path ("ostree");
  if (ostree == NULL)
    {
      g_test_message ("the ostree CLI is not installed (Debian package ostree)");
      g_test_fail ();
      return;
    }
  g_autoptr(Tree) t = tree_new ();
  g_autoptr(Tree) work = tree_new ();
  g_autoptr(GError) error = NULL;
  make_installed_tree (t);
  g_assert_true (pl_postprocess_tree (t->fd, &default_opts, NULL, &error));
  g_assert_no_error (error);

  g_autofree char *repo = g_build_filename (work->path, "repo", NULL);
  g_autofree char *sysroot = g_build_filename (work->path, "sysroot", NULL);
  g_autofree char *repo_arg = g_strconcat ("--repo=", repo, NULL);
  g_autofree char *sysroot_arg = g_strconcat ("--sysroot=", sysroot, NULL);
  g_autofree char *tree_arg = g_strconcat ("--tree=dir=", t->path, NULL);
  g_autofree char *sysroot_repo = g_build_filename (sysroot, "ostree/repo", NULL);
  g_autofree char *sysroot_repo_arg = g_strconcat ("--repo=", sysroot_repo, NULL);
  g_assert_cmpint (g_mkdir_with_parents (sysroot, 0755), ==, 0);
  const char *const steps[][12] = {
    { "ostree", "init", repo_arg, "--mode=bare-user", NULL },
    { "ostree", "commit", repo_arg, "--branch=plinth/test", tree_arg, "--no-xattrs", NULL },
    { "ostree", "admin", "init-fs", sysroot, NULL },
    { "ostree", "admin", "os-init", "plinth", sysroot_arg, NULL },
    { "ostree", "pull-local", sysroot_repo_arg, repo, "plinth/test", NULL },
    { "ostree", "admin", "deploy", sysroot_arg, "--os=plinth", "plinth/test", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      g_assert_true (run (steps[i], &error));
      g_assert_no_error (error);
    }
  g_autofree char *deploy = g_build_filename (sysroot, "ostree/deploy/plinth/deploy", NULL);
  g_autoptr(GDir) d = g_dir_open (deploy, 0, &error);
  g_assert_no_error (error);
  const char *name = NULL;
  while ((name = g_dir_read_name (d)) && g_str_has_suffix (name, ".origin"))
    ;
  g_assert_nonnull (name);
  g_autofree char *osr = g_build_filename (deploy, name, "etc/os-release", NULL);
  g_autofree char *text = NULL;
  g_assert_true (g_file_get_contents (osr, &text, NULL, &error));
  g_assert_true (g_str_has_prefix (text, "NAME=Plinth\n"));
  g_autofree char *passwd = g_build_filename (deploy, name, "etc/passwd", NULL);
  g_assert_true (g_file_test (passwd, G_FILE_TEST_IS_REGULAR));
  g_autofree char *machine_id = g_build_filename (deploy, name, "etc/machine-id", NULL);
  g_assert_false (g_file_test (machine_id, G_FILE_TEST_EXISTS));
  /* ostree found the kernel: it copied it into /boot/ostree/plinth-<checksum>/ */
  g_autofree char *boot_ostree = g_build_filename (sysroot, "boot/ostree", NULL);
  g_autoptr(GDir) b = g_dir_open (boot_ostree, 0, &error);
  g_assert_no_error (error);
  const char *bootdir = g_dir_read_name (b);
  g_assert_nonnull (bootdir);
  g_autofree char *kernel = g_build_filename (boot_ostree, bootdir, "vmlinuz-6.12.0", NULL);
  g_assert_true (g_file_test (kernel, G_FILE_TEST_IS_REGULAR));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/postprocess/etc/move", test_etc_move);
  g_test_add_func ("/postprocess/etc/owner", test_etc_owner);
  g_test_add_func ("/postprocess/etc/conflict", test_etc_conflict);
  g_test_add_func ("/postprocess/var/tmpfiles", test_var_tmpfiles);
  g_test_add_func ("/postprocess/var/numeric-owner", test_var_numeric_owner);
  g_test_add_func ("/postprocess/var/escape", test_tmpfiles_escape);
  g_test_add_func ("/postprocess/var/systemd-tmpfiles", test_var_systemd_tmpfiles);
  g_test_add_func ("/postprocess/links/create", test_links);
  g_test_add_func ("/postprocess/links/not-empty", test_links_not_empty);
  g_test_add_func ("/postprocess/clean", test_clean);
  g_test_add_func ("/postprocess/kernel/fedora", test_kernel_fedora);
  g_test_add_func ("/postprocess/kernel/debian", test_kernel_debian);
  g_test_add_func ("/postprocess/kernel/in-modules", test_kernel_in_modules);
  g_test_add_func ("/postprocess/kernel/multiple", test_kernel_multiple);
  g_test_add_func ("/postprocess/os-release/render", test_os_release_render);
  g_test_add_func ("/postprocess/os-release/invalid", test_os_release_invalid);
  g_test_add_func ("/postprocess/os-release/write", test_os_release_write);
  g_test_add_func ("/postprocess/tree/full", test_tree);
  g_test_add_func ("/postprocess/tree/rejected-unchanged", test_tree_rejected_unchanged);
  g_test_add_func ("/postprocess/tree/ostree-deploy", test_ostree_deploy);
  return g_test_run ();
}
