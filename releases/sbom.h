/* The image's SBOM: an SPDX 2.3 JSON document listing every RPM in the image (name,
 * EVR, SHA-256 of the .rpm, declared license, purl), published beside the commit and
 * bound to it by its SHA-256 in the commit metadata. Same inputs, same bytes. */
#pragma once

#include <gio/gio.h>

#include "releases/package.h"

G_BEGIN_DECLS

/* The purl namespace of every package: PlPackage has no Vendor (see docs). */
#define PL_SBOM_PURL_NAMESPACE "plinth"

/* The SPDX document for the image. PACKAGES (PlPackage*) is not modified; its order
 * does not matter. CREATED_UNIX is SOURCE_DATE_EPOCH or the current time. */
char *pl_sbom_to_json (const char *image_name, const char *image_version, const char *arch,
                       GPtrArray *packages, gint64 created_unix);
/* The same, written atomically to DFD/PATH. */
gboolean pl_sbom_write (int dfd, const char *path, const char *image_name,
                        const char *image_version, const char *arch, GPtrArray *packages,
                        gint64 created_unix, GError **error);

/* "pkg:rpm/plinth/<name>@<version>-<release>?arch=<arch>[&epoch=<e>]", percent-encoded
 * as the purl specification says. */
char *pl_sbom_purl (const PlPackage *pkg);
/* Percent-encodes all but A-Z a-z 0-9 . - _ ~ and ':' (which purl never encodes). */
char *pl_sbom_purl_encode (const char *s);
/* RPM_LICENSE normalized as an SPDX license expression, or NULL when it is not one
 * (unknown identifiers, bad syntax, old Fedora short names such as "GPLv2+"). */
char *pl_sbom_license_expression (const char *rpm_license);

G_END_DECLS
