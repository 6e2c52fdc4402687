/* Tests for releases/sbom.c: the SPDX 2.3 document field by field (read back with
 * json-c), purl encoding, license expressions, and byte-for-byte determinism. */
#include "releases/sbom.h"
#include "lib/fsutil.h"
#include "lib/json.h"

#include <fcntl.h>
#include <string.h>

#define SHA_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define SHA_B "FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210FEDCBA9876543210"

static PlPackage *
pkg (const char *name, guint64 epoch, const char *version, const char *release,
     const char *arch, const char *license, const char *sha256)
{
  PlPackage *p = pl_package_new ();
  p->name = g_strdup (name);
  p->epoch = epoch;
  p->version = g_strdup (version);
  p->release = g_strdup (release);
  p->arch = g_strdup (arch);
  p->license = g_strdup (license);
  p->sha256 = g_strdup (sha256);
  p->summary = g_strdup_printf ("The %s package", name);
  p->size = 1000;
  p->repo_id = g_strdup ("fedora");
  return p;
}

static GPtrArray *
sample (void)
{
  GPtrArray *a = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_package_free);
  g_ptr_array_add (a, pkg ("zlib-ng", 0, "2.1.7", "2.fc41", "x86_64", "Zlib", SHA_A));
  g_ptr_array_add (a, pkg ("bash", 0, "5.2.32", "1.fc41", "x86_64", "GPL-3.0-or-later", SHA_B));
  g_ptr_array_add (a, pkg ("libstdc++", 1, "14.2.1+git~rc1", "3.fc41", "x86_64",
                           "gpl-3.0-or-later with gcc-exception-3.1 and (mit or bsd-3-clause)",
                           SHA_A));
  g_ptr_array_add (a, pkg ("oldstyle", 0, "1.0", "1", "noarch", "GPLv2+", NULL));
  g_ptr_array_add (a, pkg ("oldstyle2", 0, "1.0", "1", "noarch", "GPLv2 ", SHA_A));
  g_ptr_array_add (a, pkg ("fedora-pd", 0, "1", "1", "noarch",
                           "LicenseRef-Fedora-Public-Domain AND MIT", SHA_A));
  g_ptr_array_add (a, pkg ("nolicense", 0, "1", "1", "noarch", NULL, SHA_A));
  return a;
}

static json_object *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  json_object *o = pl_json_parse (text, strlen (text), "sbom", &error);
  g_assert_no_error (error);
  return o;
}

static const char *
str (json_object *o, const char *key)
{
  json_object *v = NULL;
  if (!json_object_object_get_ex (o, key, &v) || !json_object_is_type (v, json_type_string))
    return NULL;
  return json_object_get_string (v);
}

static json_object *
find_package (json_object *root, const char *name)
{
  json_object *pkgs = json_object_object_get (root, "packages");
  for (size_t i = 0; i < json_object_array_length (pkgs); i++)
    {
      json_object *p = json_object_array_get_idx (pkgs, i);
      if (g_strcmp0 (str (p, "name"), name) == 0)
        return p;
    }
  return NULL;
}

static gboolean
valid_spdx_id (const char *id)
{
  if (!g_str_has_prefix (id, "SPDXRef-") || id[8] == '\0')
    return FALSE;
  for (const char *p = id + 8; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-')
      return FALSE;
  return TRUE;
}

static void
test_document (void)
{
  g_autoptr(GPtrArray) pkgs = sample ();
  g_autofree char *text = pl_sbom_to_json ("plinth-aks", "2026.11.1", "x86_64", pkgs,
                                           1700000000);
  g_autoptr(json_object) root = parse (text);
  g_assert_cmpstr (str (root, "spdxVersion"), ==, "SPDX-2.3");
  g_assert_cmpstr (str (root, "dataLicense"), ==, "CC0-1.0");
  g_assert_cmpstr (str (root, "SPDXID"), ==, "SPDXRef-DOCUMENT");
  g_assert_cmpstr (str (root, "name"), ==, "plinth-aks-2026.11.1-x86_64");
  const char *ns = str (root, "documentNamespace");
  g_assert_true (g_str_has_prefix (ns, "https://plinth.invalid/spdx/plinth-aks-2026.11.1-"));
  g_assert_cmpuint (strlen (ns), ==, strlen ("https://plinth.invalid/spdx/plinth-aks-2026.11.1-") + 64);
  json_object *info = json_object_object_get (root, "creationInfo");
  g_assert_cmpstr (str (info, "created"), ==, "2023-11-14T22:13:20Z");
  json_object *creators = json_object_object_get (info, "creators");
  g_assert_cmpuint (json_object_array_length (creators), ==, 1);
  g_assert_true (g_str_has_prefix (json_object_get_string (json_object_array_get_idx (creators, 0)),
                                   "Tool: plinth-build-"));

  /* the image itself, then one package per RPM, sorted by name */
  json_object *list = json_object_object_get (root, "packages");
  g_assert_cmpuint (json_object_array_length (list), ==, 1 + pkgs->len);
  json_object *image = json_object_array_get_idx (list, 0);
  g_assert_cmpstr (str (image, "SPDXID"), ==, "SPDXRef-Image");
  g_assert_cmpstr (str (image, "name"), ==, "plinth-aks");
  g_assert_cmpstr (str (image, "versionInfo"), ==, "2026.11.1");
  g_assert_cmpstr (str (image, "primaryPackagePurpose"), ==, "OPERATING-SYSTEM");
  const char *order[] = { "bash", "fedora-pd", "libstdc++", "nolicense", "oldstyle",
                          "oldstyle2", "zlib-ng" };
  for (gsize i = 0; i < G_N_ELEMENTS (order); i++)
    g_assert_cmpstr (str (json_object_array_get_idx (list, i + 1), "name"), ==, order[i]);

  json_object *bash = find_package (root, "bash");
  g_assert_cmpstr (str (bash, "SPDXID"), ==, "SPDXRef-Package-rpm-bash-5.2.32-1.fc41.x86-64");
  g_assert_cmpstr (str (bash, "versionInfo"), ==, "5.2.32-1.fc41");
  g_assert_cmpstr (str (bash, "supplier"), ==, "NOASSERTION");
  g_assert_cmpstr (str (bash, "downloadLocation"), ==, "NOASSERTION");
  g_assert_false (json_object_get_boolean (json_object_object_get (bash, "filesAnalyzed")));
  g_assert_true (json_object_is_type (json_object_object_get (bash, "filesAnalyzed"),
                                      json_type_boolean));
  g_assert_cmpstr (str (bash, "licenseConcluded"), ==, "NOASSERTION");
  g_assert_cmpstr (str (bash, "licenseDeclared"), ==, "GPL-3.0-or-later");
  g_assert_cmpstr (str (bash, "summary"), ==, "The bash package");
  json_object *sums = json_object_object_get (bash, "checksums");
  g_assert_cmpuint (json_object_array_length (sums), ==, 1);
  json_object *sum = json_object_array_get_idx (sums, 0);
  g_assert_cmpstr (str (sum, "algorithm"), ==, "SHA256");
  g_assert_cmpstr (str (sum, "checksumValue"), ==, "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210");
  json_object *refs = json_object_object_get (bash, "externalRefs");
  g_assert_cmpuint (json_object_array_length (refs), ==, 1);
  json_object *ref = json_object_array_get_idx (refs, 0);
  g_assert_cmpstr (str (ref, "referenceCategory"), ==, "PACKAGE-MANAGER");
  g_assert_cmpstr (str (ref, "referenceType"), ==, "purl");
  g_assert_cmpstr (str (ref, "referenceLocator"), ==,
                   "pkg:rpm/plinth/bash@5.2.32-1.fc41?arch=x86_64");

  json_object *cxx = find_package (root, "libstdc++");
  g_assert_cmpstr (str (cxx, "SPDXID"), ==,
                   "SPDXRef-Package-rpm-libstdc---1-14.2.1-git-rc1-3.fc41.x86-64");
  g_assert_cmpstr (str (cxx, "versionInfo"), ==, "1:14.2.1+git~rc1-3.fc41");
  g_assert_cmpstr (str (cxx, "licenseDeclared"), ==,
                   "GPL-3.0-or-later WITH GCC-exception-3.1 AND (MIT OR BSD-3-Clause)");
  const char *purl = str (json_object_array_get_idx (json_object_object_get (cxx, "externalRefs"), 0),
                          "referenceLocator");
  g_assert_cmpstr (purl, ==, "pkg:rpm/plinth/libstdc%2B%2B@14.2.1%2Bgit~rc1-3.fc41?arch=x86_64&epoch=1");

  /* no checksum when the record has none; NOASSERTION when there is no License tag */
  g_assert_null (json_object_object_get (find_package (root, "oldstyle"), "checksums"));
  g_assert_cmpstr (str (find_package (root, "nolicense"), "licenseDeclared"), ==, "NOASSERTION");

  /* non-SPDX tags become declared LicenseRefs, distinct even when they sanitize alike */
  const char *old1 = str (find_package (root, "oldstyle"), "licenseDeclared");
  const char *old2 = str (find_package (root, "oldstyle2"), "licenseDeclared");
  g_assert_true (g_str_has_prefix (old1, "LicenseRef-rpm-GPLv2-"));
  g_assert_true (g_str_has_prefix (old2, "LicenseRef-rpm-GPLv2-"));
  g_assert_cmpstr (old1, !=, old2);
  g_assert_cmpstr (str (find_package (root, "fedora-pd"), "licenseDeclared"), ==,
                   "LicenseRef-Fedora-Public-Domain AND MIT");
  json_object *extracted = json_object_object_get (root, "hasExtractedLicensingInfos");
  g_autoptr(GHashTable) declared = g_hash_table_new (g_str_hash, g_str_equal);
  for (size_t i = 0; i < json_object_array_length (extracted); i++)
    {
      json_object *e = json_object_array_get_idx (extracted, i);
      g_assert_nonnull (str (e, "extractedText"));
      g_assert_nonnull (str (e, "name"));
      g_hash_table_insert (declared, (char *) str (e, "licenseId"), e);
    }
  g_assert_cmpuint (g_hash_table_size (declared), ==, 3);
  g_assert_cmpstr (str (g_hash_table_lookup (declared, old1), "extractedText"), ==, "GPLv2+");
  g_assert_cmpstr (str (g_hash_table_lookup (declared, old2), "extractedText"), ==, "GPLv2 ");
  g_assert_true (g_hash_table_contains (declared, "LicenseRef-Fedora-Public-Domain"));

  /* relationships: the document describes the image, which contains every package;
   * every id is well formed and unique */
  g_autoptr(GHashTable) ids = g_hash_table_new (g_str_hash, g_str_equal);
  for (size_t i = 0; i < json_object_array_length (list); i++)
    {
      const char *id = str (json_object_array_get_idx (list, i), "SPDXID");
      g_assert_true (valid_spdx_id (id));
      g_assert_false (g_hash_table_contains (ids, id));
      g_hash_table_add (ids, (char *) id);
    }
  json_object *rels = json_object_object_get (root, "relationships");
  g_assert_cmpuint (json_object_array_length (rels), ==, 1 + pkgs->len);
  json_object *d = json_object_array_get_idx (rels, 0);
  g_assert_cmpstr (str (d, "spdxElementId"), ==, "SPDXRef-DOCUMENT");
  g_assert_cmpstr (str (d, "relationshipType"), ==, "DESCRIBES");
  g_assert_cmpstr (str (d, "relatedSpdxElement"), ==, "SPDXRef-Image");
  for (size_t i = 1; i < json_object_array_length (rels); i++)
    {
      json_object *r = json_object_array_get_idx (rels, i);
      g_assert_cmpstr (str (r, "spdxElementId"), ==, "SPDXRef-Image");
      g_assert_cmpstr (str (r, "relationshipType"), ==, "CONTAINS");
      g_assert_true (g_hash_table_contains (ids, str (r, "relatedSpdxElement")));
    }
}

static void
test_purl (void)
{
  g_autofree char *e = pl_sbom_purl_encode ("a:b+c~d e/f@g?h#i%j&k=l\xc3\xa9");
  g_assert_cmpstr (e, ==, "a:b%2Bc~d%20e%2Ff%40g%3Fh%23i%25j%26k%3Dl%C3%A9");
  g_autoptr(PlPackage) p = pkg ("perl-Foo+Bar", 0, "1.0~rc1^20240101", "2.fc41", "noarch",
                                "MIT", SHA_A);
  g_autofree char *u = pl_sbom_purl (p);
  g_assert_cmpstr (u, ==, "pkg:rpm/plinth/perl-Foo%2BBar@1.0~rc1%5E20240101-2.fc41?arch=noarch");
  p->epoch = 3;
  g_autofree char *u3 = pl_sbom_purl (p);
  g_assert_cmpstr (u3, ==,
                   "pkg:rpm/plinth/perl-Foo%2BBar@1.0~rc1%5E20240101-2.fc41?arch=noarch&epoch=3");
}

static void
test_license_expressions (void)
{
  static const struct {
    const char *in, *out;
  } cases[] = {
    { "MIT", "MIT" },
    { "mit", "MIT" },
    { "GPL-2.0-only OR  GPL-3.0-only", "GPL-2.0-only OR GPL-3.0-only" },
    { "(MIT OR Apache-2.0) AND BSD-2-Clause", "(MIT OR Apache-2.0) AND BSD-2-Clause" },
    { "((MIT))", "((MIT))" },
    { "GPL-2.0+", "GPL-2.0+" },
    { "Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception" },
    { "LicenseRef-Fedora-Public-Domain", "LicenseRef-Fedora-Public-Domain" },
    { "GPLv2+", NULL },
    { "GPLv2+ and BSD", NULL },
    { "MIT AND", NULL },
    { "AND MIT", NULL },
    { "(MIT", NULL },
    { "MIT)", NULL },
    { "MIT MIT", NULL },
    { "MIT WITH GPL-2.0-only", NULL },
    { "(MIT) WITH LLVM-exception", NULL },
    { "LicenseRef-", NULL },
    { "LicenseRef-a_b", NULL },
    { "", NULL },
    { "   ", NULL },
    { "Public Domain", NULL },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *out = pl_sbom_license_expression (cases[i].in);
      g_assert_cmpstr (out, ==, cases[i].out);
    }
  g_assert_null (pl_sbom_license_expression (NULL));
}

static void
test_deterministic (void)
{
  g_autoptr(GPtrArray) a = sample ();
  g_autoptr(GPtrArray) b = g_ptr_array_new ();
  for (guint i = a->len; i > 0; i--)
    g_ptr_array_add (b, a->pdata[i - 1]);
  g_autofree char *ja = pl_sbom_to_json ("plinth", "1.0", "x86_64", a, 42);
  g_autofree char *jb = pl_sbom_to_json ("plinth", "1.0", "x86_64", b, 42);
  g_assert_cmpstr (ja, ==, jb);
  /* the caller's order is kept */
  g_assert_cmpstr (((PlPackage *) a->pdata[0])->name, ==, "zlib-ng");

  /* the time changes the time only; a different package changes the namespace */
  g_autofree char *later = pl_sbom_to_json ("plinth", "1.0", "x86_64", a, 43);
  g_autoptr(json_object) ra = parse (ja);
  g_autoptr(json_object) rl = parse (later);
  g_assert_cmpstr (str (ra, "documentNamespace"), ==, str (rl, "documentNamespace"));
  json_object_object_del (ra, "creationInfo");
  json_object_object_del (rl, "creationInfo");
  g_assert_cmpstr (json_object_to_json_string (ra), ==, json_object_to_json_string (rl));
  g_free (((PlPackage *) a->pdata[0])->sha256);
  ((PlPackage *) a->pdata[0])->sha256 = g_strdup (SHA_B);
  g_autofree char *changed = pl_sbom_to_json ("plinth", "1.0", "x86_64", a, 42);
  g_autoptr(json_object) rc = parse (changed);
  g_assert_cmpstr (str (rc, "documentNamespace"), !=, str (ra, "documentNamespace"));

  /* an empty image is still a valid document */
  g_autoptr(GPtrArray) none = g_ptr_array_new ();
  g_autofree char *empty = pl_sbom_to_json ("plinth", "1.0", "x86_64", none, 0);
  g_autoptr(json_object) re = parse (empty);
  g_assert_cmpuint (json_object_array_length (json_object_object_get (re, "packages")), ==, 1);
  g_assert_null (json_object_object_get (re, "hasExtractedLicensingInfos"));
}

static void
test_write (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("plinth-sbom-XXXXXX", &error);
  g_assert_no_error (error);
  int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_autoptr(GPtrArray) a = sample ();
  g_assert_true (pl_sbom_write (dfd, "sbom.spdx.json", "plinth", "1.0", "x86_64", a, 7, &error));
  g_assert_no_error (error);
  g_autofree char *text = NULL;
  g_assert_true (pl_file_read_at (dfd, "sbom.spdx.json", 0, &text, NULL, &error));
  g_autofree char *want = pl_sbom_to_json ("plinth", "1.0", "x86_64", a, 7);
  g_assert_cmpstr (text, ==, want);
  g_assert_false (pl_sbom_write (dfd, "missing/sbom.json", "plinth", "1.0", "x86_64", a, 7, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
  g_assert_true (g_str_has_prefix (error->message, "Writing the SBOM: "));
  close (dfd);
  g_clear_error (&error);
  g_assert_true (pl_rm_rf_at (AT_FDCWD, dir, NULL, &error));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/sbom/document", test_document);
  g_test_add_func ("/sbom/purl", test_purl);
  g_test_add_func ("/sbom/license-expressions", test_license_expressions);
  g_test_add_func ("/sbom/deterministic", test_deterministic);
  g_test_add_func ("/sbom/write", test_write);
  return g_test_run ();
}
