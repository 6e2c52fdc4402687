/* The baseline for tests/bench/provision.sh: the least a C program can do to put the
 * same nodes into a root with the same durability, read from a plan file of lines
 *   f MODE UID GID PATH SOURCE   a regular file with SOURCE's bytes
 *   d MODE UID GID PATH          a directory
 *   l PATH TARGET                a symbolic link
 * Each file is written to a temp name, fsynced, renamed into place, and its directory
 * fsynced; each link is made under a temp name and renamed, and its directory fsynced:
 * what an atomic, crash-safe writer must do at the least, and what plinth-provision does. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void
die (const char *what, const char *path)
{
  fprintf (stderr, "baseline: %s %s: %s\n", what, path, strerror (errno));
  exit (1);
}

static void
mkdirs (int root, char *path)
{
  for (char *p = path + 1; *p; p++)
    if (*p == '/')
      {
        *p = '\0';
        if (mkdirat (root, path, 0755) < 0 && errno != EEXIST)
          die ("mkdir", path);
        *p = '/';
      }
}

/* fsyncs the directory holding PATH */
static void
sync_parent (int root, char *path)
{
  char *slash = strrchr (path, '/');
  *slash = '\0';
  int dfd = openat (root, *path ? path : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  *slash = '/';
  if (dfd < 0 || fsync (dfd) < 0)
    die ("fsync dir of", path);
  close (dfd);
}

static void
put_link (int root, char *path, const char *target)
{
  char tmp[4096];
  mkdirs (root, path);
  snprintf (tmp, sizeof tmp, "%s.tmp-baseline", path);
  if (symlinkat (target, root, tmp) < 0 || renameat (root, tmp, root, path) < 0)
    die ("symlink", path);
  sync_parent (root, path);
}

static void
put_file (int root, char *path, mode_t mode, uid_t uid, gid_t gid, const char *src)
{
  static char buf[1 << 20];
  int in = open (src, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    die ("open", src);
  ssize_t n = read (in, buf, sizeof buf);
  close (in);
  if (n < 0)
    die ("read", src);
  mkdirs (root, path);
  char tmp[4096];
  snprintf (tmp, sizeof tmp, "%s.tmp-baseline", path);
  int fd = openat (root, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    die ("create", tmp);
  if (write (fd, buf, n) != n || fchmod (fd, mode) < 0 || fchown (fd, uid, gid) < 0
      || fsync (fd) < 0)
    die ("write", tmp);
  close (fd);
  if (renameat (root, tmp, root, path) < 0)
    die ("rename", path);
  sync_parent (root, path);
}

int
main (int argc, char **argv)
{
  if (argc != 3)
    return fprintf (stderr, "usage: provision-baseline ROOT PLAN\n"), 2;
  int root = open (argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  FILE *plan = fopen (argv[2], "r");
  if (root < 0 || !plan)
    die ("open", argv[1]);
  char line[8192];
  while (fgets (line, sizeof line, plan))
    {
      char kind, path[4096], extra[4096];
      unsigned mode, uid, gid;
      line[strcspn (line, "\n")] = '\0';
      if (sscanf (line, "f %o %u %u %4095s %4095s", &mode, &uid, &gid, path, extra) == 5)
        put_file (root, path, mode, uid, gid, extra);
      else if (sscanf (line, "d %o %u %u %4095s", &mode, &uid, &gid, path) == 4)
        {
          mkdirs (root, path);
          if (mkdirat (root, path, mode) < 0 && errno != EEXIST)
            die ("mkdir", path);
          if (fchownat (root, path, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
            die ("chown", path);
        }
      else if (sscanf (line, "l %4095s %4095s", path, extra) == 2)
        put_link (root, path, extra);
      else if (sscanf (line, "%c", &kind) == 1)
        return fprintf (stderr, "baseline: bad plan line: %s\n", line), 2;
    }
  fclose (plan);
  return 0;
}
