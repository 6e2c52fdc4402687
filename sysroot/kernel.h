/* The kernel rule: one kernel, kept as /usr/lib/modules/<kver>/{vmlinuz,initramfs.img}
 * where OSTree looks for it, and /boot left empty for the deployment's boot mount. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* The kernel version of the tree in *OUT_KVER (NULL when there is none). Fails with
 * PL_POSTPROCESS_ERROR_MULTIPLE_KERNELS when /boot and /usr/lib/modules name more
 * than one. Rescue images (vmlinuz-0-rescue-*) are not kernels of their own. */
gboolean pl_kernel_find (int rootfd, char **out_kver, GError **error);

/* Moves the kernel, initramfs, config, System.map and HMAC from /boot into
 * /usr/lib/modules/<kver>/, keeps /boot/efi content in /usr/lib/plinth/boot/efi,
 * empties /boot and drops Debian's /vmlinuz and /initrd.img symlinks. */
gboolean pl_kernel_relocate (int rootfd, GCancellable *cancellable, GError **error);

G_END_DECLS
