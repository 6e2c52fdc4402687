/* The kernel rule. OSTree (2022.7) takes the kernel of a commit from
 * /usr/lib/modules/<kver>/vmlinuz and its initramfs from initramfs.img beside it, and
 * copies them into the boot partition itself at deploy time; anything the packages'
 * scriptlets put in /boot would only be stale copies. One commit boots one kernel, so
 * a tree with two is refused rather than guessed at. */
#include "sysroot/kernel.h"

#include "sysroot/postprocess-private.h"
#include "lib/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#define MODULES_DIR "usr/lib/modules"
#define EFI_KEEP_DIR "usr/lib/plinth/boot/efi"

/* What /boot may hold for kernel KVER and its name in /usr/lib/modules/KVER; the first
 * match for a target wins (Fedora names first, then Debian's). */
static const struct {
  const char *prefix, *suffix, *target;
} boot_files[] = {
  { "vmlinuz-", "", "vmlinuz" },
  { "initramfs-", ".img", "initramfs.img" },
  { "initrd.img-", "", "initramfs.img" },
  { "config-", "", "config" },
  { "System.map-", "", "System.map" },
  { ".vmlinuz-", ".hmac", ".vmlinuz.hmac" },
};

static gboolean
is_regular (int dfd, const char *path)
{
  struct stat st;
  return fstatat (dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG (st.st_mode);
}

gboolean
pl_kernel_find (int rootfd, char **out_kver, GError **error)
{
  g_autoptr(GPtrArray) kvers = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) boot = NULL;
  g_autoptr(GPtrArray) modules = NULL;
  if (!pl_sysroot_list_dir (rootfd, "boot", &boot, error)
      || !pl_sysroot_list_dir (rootfd, MODULES_DIR, &modules, error))
    return FALSE;
  for (guint i = 0; i < boot->len; i++)
    {
      const char *name = boot->pdata[i];
      if (!g_str_has_prefix (name, "vmlinuz-") || g_str_has_prefix (name, "vmlinuz-0-rescue-"))
        continue;
      const char *kver = name + strlen ("vmlinuz-");
      if (*kver && !g_ptr_array_find_with_equal_func (kvers, kver, g_str_equal, NULL))
        g_ptr_array_add (kvers, g_strdup (kver));
    }
  for (guint i = 0; i < modules->len; i++)
    {
      const char *kver = modules->pdata[i];
      g_autofree char *p = g_build_filename (MODULES_DIR, kver, "vmlinuz", NULL);
      if (is_regular (rootfd, p)
          && !g_ptr_array_find_with_equal_func (kvers, kver, g_str_equal, NULL))
        g_ptr_array_add (kvers, g_strdup (kver));
    }
  if (kvers->len > 1)
    {
      pl_sysroot_sort_strings (kvers);
      g_ptr_array_add (kvers, NULL);
      g_autofree char *all = g_strjoinv (", ", (char **) kvers->pdata);
      return g_set_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_MULTIPLE_KERNELS,
                          "The tree holds more than one kernel (%s); an image boots exactly "
                          "one: remove the others from the manifest", all), FALSE;
    }
  *out_kver = kvers->len == 1 ? g_strdup (kvers->pdata[0]) : NULL;
  return TRUE;
}

/* Moves /boot/NAME to DEST unless DEST is already there (a kernel-core style package
 * ships /usr/lib/modules/<kver>/vmlinuz itself; the /boot one is then a copy). */
static gboolean
move_if_absent (int rootfd, const char *name, const char *dest, GError **error)
{
  g_autofree char *src = g_build_filename ("boot", name, NULL);
  struct stat st;
  if (fstatat (rootfd, src, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG (st.st_mode))
    return TRUE;
  if (fstatat (rootfd, dest, &st, AT_SYMLINK_NOFOLLOW) == 0)
    return TRUE;
  if (renameat (rootfd, src, rootfd, dest) < 0)
    return pl_sysroot_throw_errno (error, "Moving", src);
  return TRUE;
}

/* /boot/efi holds the EFI binaries of shim/grub packages: the boot-loader tooling takes
 * them from /usr at image build time, so they are kept, not dropped. */
static gboolean
keep_efi (int rootfd, GCancellable *cancellable, GError **error)
{
  gboolean hollow = TRUE;
  if (!pl_sysroot_is_hollow (rootfd, "boot/efi", &hollow, error))
    return FALSE;
  if (hollow)
    return TRUE;
  gboolean dest_hollow = TRUE;
  if (!pl_sysroot_is_hollow (rootfd, EFI_KEEP_DIR, &dest_hollow, error))
    return FALSE;
  if (!dest_hollow)
    return g_set_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_NOT_EMPTY,
                        "/boot/efi has files but /" EFI_KEEP_DIR " is not empty"), FALSE;
  if (!pl_rm_rf_at (rootfd, EFI_KEEP_DIR, cancellable, error)
      || !pl_mkdir_p_at (rootfd, "usr/lib/plinth/boot", 0755, error))
    return FALSE;
  if (renameat (rootfd, "boot/efi", rootfd, EFI_KEEP_DIR) < 0)
    return pl_sysroot_throw_errno (error, "Moving", "boot/efi");
  return TRUE;
}

gboolean
pl_kernel_relocate (int rootfd, GCancellable *cancellable, GError **error)
{
  g_autofree char *kver = NULL;
  if (!pl_kernel_find (rootfd, &kver, error))
    return FALSE;
  if (kver != NULL)
    {
      g_autofree char *moddir = g_build_filename (MODULES_DIR, kver, NULL);
      if (!pl_mkdir_p_at (rootfd, moddir, 0755, error))
        return FALSE;
      for (gsize i = 0; i < G_N_ELEMENTS (boot_files); i++)
        {
          g_autofree char *name = g_strconcat (boot_files[i].prefix, kver,
                                               boot_files[i].suffix, NULL);
          g_autofree char *dest = g_build_filename (moddir, boot_files[i].target, NULL);
          if (!move_if_absent (rootfd, name, dest, error))
            return FALSE;
        }
    }
  if (!keep_efi (rootfd, cancellable, error))
    return FALSE;

  g_autoptr(GPtrArray) boot = NULL;
  if (!pl_sysroot_list_dir (rootfd, "boot", &boot, error))
    return FALSE;
  for (guint i = 0; i < boot->len; i++)
    {
      g_autofree char *p = g_build_filename ("boot", boot->pdata[i], NULL);
      if (!pl_rm_rf_at (rootfd, p, cancellable, error))
        return FALSE;
    }

  /* Debian's kernel packages point these at /boot; they would dangle now. */
  static const char *const root_links[] = { "vmlinuz", "vmlinuz.old", "initrd.img",
                                            "initrd.img.old" };
  for (gsize i = 0; i < G_N_ELEMENTS (root_links); i++)
    {
      struct stat st;
      if (fstatat (rootfd, root_links[i], &st, AT_SYMLINK_NOFOLLOW) == 0
          && S_ISLNK (st.st_mode) && unlinkat (rootfd, root_links[i], 0) < 0)
        return pl_sysroot_throw_errno (error, "Removing", root_links[i]);
    }
  return TRUE;
}
