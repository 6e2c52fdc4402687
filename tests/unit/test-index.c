/* Tests for releases/index.c: parsing, strict validation with path-naming errors,
 * the deterministic writer, lookups, version comparison and the acceptance checks. */
#include "releases/index.h"

#include <string.h>

#define C1 "1111111111111111111111111111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222222222222222222222222222"
#define C3 "3333333333333333333333333333333333333333333333333333333333333333"
#define H1 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* A complete index; %s slots let tests swap one piece. Releases are out of order on
 * purpose: the reader sorts them. */
static const char *valid_index =
  "{\n"
  "  \"schema\": 1,\n"
  "  \"stream\": \"stable\",\n"
  "  \"arch\": \"x86_64\",\n"
  "  \"serial\": 7,\n"
  "  \"generated\": \"2026-11-20T10:00:00Z\",\n"
  "  \"expires\": \"2026-11-27T10:00:00Z\",\n"
  "  \"future_field\": {\"ignored\": true},\n"
  "  \"releases\": [\n"
  "    {\"version\": \"42.10\", \"commit\": \"" C3 "\", \"timestamp\": \"2026-11-20T09:00:00Z\",\n"
  "     \"rollout\": {\"start\": \"2026-11-21T00:00:00Z\", \"duration_minutes\": 1440,\n"
  "                 \"start_percentage\": 10},\n"
  "     \"barrier\": false,\n"
  "     \"deltas\": [{\"from\": \"" C2 "\", \"path\": \"deltas/2-3.delta\",\n"
  "                 \"sha256\": \"" H1 "\", \"size\": 3000},\n"
  "                {\"from\": \"" C1 "\", \"path\": \"deltas/1-3.delta\",\n"
  "                 \"sha256\": \"" H1 "\", \"size\": 5000}],\n"
  "     \"sysexts\": [{\"name\": \"kubernetes\", \"version\": \"1.31.2\",\n"
  "                  \"path\": \"sysext/kubernetes-1.31.2.raw\", \"sha256\": \"" H1 "\",\n"
  "                  \"size\": 123456789}]},\n"
  "    {\"version\": \"42.2\", \"commit\": \"" C2 "\", \"timestamp\": \"2026-11-10T09:00:00.5Z\",\n"
  "     \"barrier\": true, \"deadend\": \"moves to the 43 stream\"},\n"
  "    {\"version\": \"42.1\", \"commit\": \"" C1 "\", \"timestamp\": \"2026-11-01T09:00:00Z\"}\n"
  "  ]\n"
  "}\n";

static PlIndex *
parse_ok (const char *s)
{
  g_autoptr(GError) error = NULL;
  PlIndex *idx = pl_index_parse (s, strlen (s), &error);
  g_assert_no_error (error);
  g_assert_nonnull (idx);
  return idx;
}

/* Replaces the first occurrence of FROM in the valid index with TO and expects a
 * parse error of CODE whose message contains NEEDLE. */
static void
expect_error_with (const char *from, const char *to, int code, const char *needle)
{
  const char *at = strstr (valid_index, from);
  g_assert_nonnull (at);
  g_autofree char *s = g_strdup_printf ("%.*s%s%s", (int) (at - valid_index), valid_index,
                                        to, at + strlen (from));
  g_autoptr(GError) error = NULL;
  g_autoptr(PlIndex) idx = pl_index_parse (s, strlen (s), &error);
  g_assert_null (idx);
  g_assert_error (error, PL_INDEX_ERROR, code);
  if (strstr (error->message, needle) == NULL)
    g_error ("expected \"%s\" in \"%s\"", needle, error->message);
  g_assert_true (g_str_has_prefix (error->message, "index.json: "));
}

static void
test_parse_valid (void)
{
  g_autoptr(PlIndex) idx = parse_ok (valid_index);
  g_assert_cmpuint (idx->schema, ==, 1);
  g_assert_cmpstr (idx->stream, ==, "stable");
  g_assert_cmpstr (idx->arch, ==, "x86_64");
  g_assert_cmpuint (idx->serial, ==, 7);
  g_assert_cmpint (idx->generated, ==, 1795168800); /* 2026-11-20T10:00:00Z */
  g_assert_cmpint (idx->expires - idx->generated, ==, 7 * 86400);
  g_assert_cmpuint (idx->releases->len, ==, 3);

  /* sorted by rpm version order: 42.1 < 42.2 < 42.10 */
  PlRelease *r1 = idx->releases->pdata[0], *r2 = idx->releases->pdata[1];
  PlRelease *r3 = idx->releases->pdata[2];
  g_assert_cmpstr (r1->version, ==, "42.1");
  g_assert_cmpstr (r2->version, ==, "42.2");
  g_assert_cmpstr (r3->version, ==, "42.10");
  g_assert_false (r1->has_rollout);
  g_assert_false (r1->barrier);
  g_assert_null (r1->deadend);
  g_assert_cmpuint (r1->deltas->len, ==, 0);
  g_assert_true (r2->barrier);
  g_assert_cmpstr (r2->deadend, ==, "moves to the 43 stream");
  g_assert_cmpint (r2->timestamp, ==, 1794301200); /* fraction dropped */
  g_assert_true (r3->has_rollout);
  g_assert_cmpuint (r3->rollout.duration_minutes, ==, 1440);
  g_assert_cmpfloat (r3->rollout.start_percentage, ==, 10.0);
  g_assert_cmpuint (r3->deltas->len, ==, 2);
  g_assert_cmpuint (r3->sysexts->len, ==, 1);
  PlSysext *s = r3->sysexts->pdata[0];
  g_assert_cmpstr (s->name, ==, "kubernetes");
  g_assert_cmpuint (s->size, ==, 123456789);
}

static void
test_lookups (void)
{
  g_autoptr(PlIndex) idx = parse_ok (valid_index);
  PlRelease *r = pl_index_find_release (idx, "42.10");
  g_assert_nonnull (r);
  g_assert_cmpstr (r->commit, ==, C3);
  g_assert_null (pl_index_find_release (idx, "42.3"));
  g_assert_true (pl_index_find_by_commit (idx, C2) == pl_index_find_release (idx, "42.2"));
  g_assert_null (pl_index_find_by_commit (idx, H1));
  PlDelta *d = pl_index_find_delta (r, C1);
  g_assert_nonnull (d);
  g_assert_cmpstr (d->path, ==, "deltas/1-3.delta");
  g_assert_cmpuint (d->size, ==, 5000);
  g_assert_null (pl_index_find_delta (r, C3));
  g_assert_true (pl_index_newest (idx) == r);
}

static void
test_version_compare (void)
{
  struct { const char *a, *b; int sign; } cases[] = {
    { "1.0", "1.0", 0 },        { "1.0", "1.1", -1 },      { "42.10", "42.9", 1 },
    { "1.0", "1.0.1", -1 },     { "1.0a", "1.0", 1 },      { "1.0~rc1", "1.0", -1 },
    { "1.0^git1", "1.0", 1 },   { "2", "10", -1 },         { "1.01", "1.1", 0 },
    { "a", "1", -1 },           { "20261121.1", "20261121.0", 1 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int c = pl_version_compare (cases[i].a, cases[i].b);
      int sign = c < 0 ? -1 : c > 0 ? 1 : 0;
      if (sign != cases[i].sign)
        g_error ("%s vs %s: got %d, expected %d", cases[i].a, cases[i].b, sign,
                 cases[i].sign);
      /* antisymmetric */
      int r = pl_version_compare (cases[i].b, cases[i].a);
      g_assert_cmpint (r < 0 ? -1 : r > 0 ? 1 : 0, ==, -sign);
    }
}

static void
test_errors_name_the_path (void)
{
  int INV = PL_INDEX_ERROR_INVALID;
  expect_error_with ("\"schema\": 1", "\"schema\": 2", PL_INDEX_ERROR_UNSUPPORTED_SCHEMA,
                     "schema 2 is newer");
  expect_error_with ("\"schema\": 1", "\"schema\": 0", INV, "schema: must be at least 1");
  expect_error_with ("\"schema\": 1,", "", INV, "schema: required field is missing");
  expect_error_with ("\"serial\": 7", "\"serial\": -1", INV, "serial: must not be negative");
  expect_error_with ("\"serial\": 7", "\"serial\": \"7\"", INV, "serial: expected an integer");
  expect_error_with ("\"stream\": \"stable\"", "\"stream\": \"../x\"", INV, "stream: must");
  expect_error_with ("\"arch\": \"x86_64\"", "\"arch\": \"\"", INV, "arch: must");
  expect_error_with ("\"2026-11-27T10:00:00Z\"", "\"2026-11-27 10:00:00\"", INV,
                     "expires: \"2026-11-27 10:00:00\" is not an RFC 3339 UTC time");
  expect_error_with ("\"2026-11-27T10:00:00Z\"", "\"2026-11-27T10:00:00+01:00\"", INV,
                     "expires:");
  expect_error_with ("\"2026-11-27T10:00:00Z\"", "\"2026-02-30T10:00:00Z\"", INV,
                     "expires:");
  expect_error_with ("\"2026-11-27T10:00:00Z\"", "\"2026-11-19T10:00:00Z\"", INV,
                     "expires: must be later than generated");
  expect_error_with ("\"releases\": [", "\"releases\": 3, \"x\": [", INV,
                     "releases: expected an array");
  expect_error_with ("\"version\": \"42.10\"", "\"version\": \"42 10\"", INV,
                     "releases[0]: version \"42 10\"");
  expect_error_with ("\"commit\": \"" C3 "\"", "\"commit\": \"" H1 "0\"", INV,
                     "releases[0]: commit must be 64 lower-case hex digits");
  expect_error_with ("\"commit\": \"" C2 "\"", "\"commit\": \"" C1 "\"", INV,
                     "releases[2]: commit 111111111111 is listed by another release too");
  expect_error_with ("\"version\": \"42.10\"", "\"version\": \"42.01\"", INV,
                     "releases[2]: version 42.1 equals that of releases[0] (42.01)");
  expect_error_with ("\"start_percentage\": 10", "\"start_percentage\": 101", INV,
                     "releases[0]: rollout.start_percentage must be between 0 and 100");
  expect_error_with ("\"duration_minutes\": 1440,", "", INV,
                     "releases[0].rollout.duration_minutes: required field is missing");
  expect_error_with ("\"barrier\": false", "\"barrier\": \"no\"", INV,
                     "releases[0].barrier: expected a boolean");
  expect_error_with ("\"path\": \"deltas/2-3.delta\"", "\"path\": \"deltas/../../etc/x\"",
                     INV, "releases[0].deltas[0]: path \"deltas/../../etc/x\" must not contain '..'");
  expect_error_with ("\"path\": \"deltas/2-3.delta\"", "\"path\": \"/etc/passwd\"", INV,
                     "releases[0].deltas[0]: path \"/etc/passwd\" must be relative");
  expect_error_with ("\"path\": \"deltas/2-3.delta\"", "\"path\": \"a//b\"", INV,
                     "must not contain empty or '.' components");
  expect_error_with ("\"path\": \"deltas/2-3.delta\"", "\"path\": \"a\\u0000b\"", INV,
                     "releases[0].deltas[0].path: contains a NUL character");
  expect_error_with ("\"from\": \"" C1 "\"", "\"from\": \"" C2 "\"", INV,
                     "releases[0].deltas[1]: a second delta from 222222222222");
  expect_error_with ("\"from\": \"" C2 "\"", "\"from\": \"" C3 "\"", INV,
                     "releases[0].deltas[0]: from is the release's own commit");
  expect_error_with ("\"size\": 3000", "\"size\": 3.5", INV,
                     "releases[0].deltas[0].size: expected an integer");
  expect_error_with ("\"size\": 3000},", "},", INV,
                     "releases[0].deltas[0].size: required field is missing");
  expect_error_with ("\"name\": \"kubernetes\"", "\"name\": \"k/8\"", INV,
                     "releases[0].sysexts[0]: name \"k/8\"");
  expect_error_with ("\"sysexts\": [{", "\"sysexts\": [1, {", INV,
                     "releases[0].sysexts[0]: expected an object");
  expect_error_with ("\"deadend\": \"moves to the 43 stream\"", "\"deadend\": \"\"", INV,
                     "releases[1]: deadend must be a non-empty reason");
  expect_error_with ("{\n  \"schema\"", "[{\n  \"schema\"", INV, "not valid JSON");
}

static void
test_not_json (void)
{
  const char *inputs[] = { "", "null", "[]", "\"x\"", "{", "{\"schema\":1}", "{} {}" };
  for (gsize i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PlIndex) idx = pl_index_parse (inputs[i], strlen (inputs[i]), &error);
      g_assert_null (idx);
      g_assert_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_INVALID);
    }
}

static void
test_writer_roundtrip (void)
{
  g_autoptr(PlIndex) idx = parse_ok (valid_index);
  g_autofree char *json = pl_index_to_json (idx);
  g_autoptr(PlIndex) again = parse_ok (json);
  g_autofree char *json2 = pl_index_to_json (again);
  g_assert_cmpstr (json, ==, json2);
  g_assert_true (g_str_has_suffix (json, "}\n"));
  g_assert_nonnull (strstr (json, "\"generated\": \"2026-11-20T10:00:00Z\""));
  g_assert_nonnull (strstr (json, "\"start_percentage\": 10"));
  /* the unknown field is not carried over; releases come out ascending */
  g_assert_null (strstr (json, "future_field"));
  const char *p1 = strstr (json, "\"42.1\""), *p2 = strstr (json, "\"42.2\"");
  const char *p3 = strstr (json, "\"42.10\"");
  g_assert_true (p1 && p2 && p3 && p1 < p2 && p2 < p3);
}

static void
test_build_in_memory (void)
{
  g_autoptr(PlIndex) idx = pl_index_new ("edge", "aarch64", G_MAXUINT64, 1000, 2000);
  PlRelease *r = pl_release_new ("1.2.3", C1, 1500);
  r->has_rollout = TRUE;
  r->rollout.start = 1600;
  r->rollout.duration_minutes = 90;
  r->rollout.start_percentage = 12.5;
  g_ptr_array_add (r->deltas, pl_delta_new (C2, "d/x", H1, 0));
  g_ptr_array_add (r->sysexts, pl_sysext_new ("tools", "1~beta", "s/tools.raw", H1, 9));
  g_ptr_array_add (idx->releases, r);
  g_autoptr(GError) error = NULL;
  g_assert_true (pl_index_validate (idx, &error));
  g_assert_no_error (error);
  g_autofree char *json = pl_index_to_json (idx);
  g_autoptr(PlIndex) back = parse_ok (json);
  g_assert_cmpuint (back->serial, ==, G_MAXUINT64); /* full uint64 range survives */
  PlRelease *b = back->releases->pdata[0];
  g_assert_cmpfloat (b->rollout.start_percentage, ==, 12.5);
  g_assert_cmpint (b->rollout.start, ==, 1600);
  g_assert_cmpint (back->generated, ==, 1000);

  /* the same rules apply to indexes built in memory */
  g_ptr_array_add (r->deltas, pl_delta_new (C3, "../escape", H1, 1));
  g_assert_false (pl_index_validate (idx, &error));
  g_assert_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_INVALID);
  g_assert_nonnull (strstr (error->message, "releases[0].deltas[1]"));
}

static void
test_check (void)
{
  g_autoptr(PlIndex) idx = parse_ok (valid_index);
  gint64 now = idx->generated + 3600;
  PlIndexCheck ok = { .stream = "stable", .arch = "x86_64", .last_serial = 7, .now = now };
  g_autoptr(GError) error = NULL;
  g_assert_true (pl_index_check (idx, &ok, &error));
  g_assert_no_error (error);
  PlIndexCheck first = { .stream = "stable", .arch = "x86_64", .last_serial = 0, .now = now };
  g_assert_true (pl_index_check (idx, &first, &error));

  PlIndexCheck c = ok;
  c.stream = "beta";
  g_assert_false (pl_index_check (idx, &c, &error));
  g_assert_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_WRONG_STREAM);
  g_assert_cmpstr (error->message, ==,
                   "index.json: stream is \"stable\" but this node follows \"beta\"");
  g_clear_error (&error);

  c = ok;
  c.arch = "aarch64";
  g_assert_false (pl_index_check (idx, &c, &error));
  g_assert_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_WRONG_ARCH);
  g_clear_error (&error);

  c = ok;
  c.last_serial = 8;
  g_assert_false (pl_index_check (idx, &c, &error));
  g_assert_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_SERIAL_ROLLBACK);
  g_assert_cmpstr (error->message, ==,
                   "index.json: serial 7 is lower than the last accepted serial 8 "
                   "(rollback attack?)");
  g_clear_error (&error);

  c = ok;
  c.now = idx->expires;
  g_assert_false (pl_index_check (idx, &c, &error));
  g_assert_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_EXPIRED);
  g_assert_nonnull (strstr (error->message, "expired at 2026-11-27T10:00:00Z"));
  g_clear_error (&error);
  c.now = idx->expires - 1;
  g_assert_true (pl_index_check (idx, &c, &error));

  idx->schema = 3;
  g_assert_false (pl_index_check (idx, &ok, &error));
  g_assert_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_UNSUPPORTED_SCHEMA);
}

static void
test_times (void)
{
  gint64 t = 0;
  g_assert_true (pl_index_parse_time ("1970-01-01T00:00:00Z", &t));
  g_assert_cmpint (t, ==, 0);
  g_assert_true (pl_index_parse_time ("2024-02-29T23:59:59.999Z", &t));
  g_autofree char *s = pl_index_format_time (t);
  g_assert_cmpstr (s, ==, "2024-02-29T23:59:59Z");
  const char *bad[] = { "2023-02-29T00:00:00Z", "1969-12-31T23:59:59Z", "0226-01-01T00:00:00Z", "2026-11-21T24:00:00Z", "2026-11-21T10:00Z",
                        "2026-11-21T10:00:00z", "2026-11-21T10:00:00.Z", "x", "" };
  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    g_assert_false (pl_index_parse_time (bad[i], &t));
}

/* The example in releases/FORMAT.md is a valid index, so the documentation cannot
 * drift from the code. Run from the top of the tree or with PL_TOP set. */
static void
test_format_md_example (void)
{
  const char *top = g_getenv ("PL_TOP");
  g_autofree char *path = g_build_filename (top ? top : ".", "releases", "FORMAT.md", NULL);
  g_autofree char *md = NULL;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents (path, &md, NULL, &error))
    g_error ("%s (set PL_TOP to the source tree)", error->message);
  const char *start = strstr (md, "```json\n");
  g_assert_nonnull (start);
  start += strlen ("```json\n");
  const char *end = strstr (start, "```");
  g_assert_nonnull (end);
  g_autoptr(PlIndex) idx = pl_index_parse (start, end - start, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (idx->releases->len, ==, 3);
  PlRelease *r = pl_index_find_release (idx, "42.10");
  g_assert_nonnull (r);
  g_assert_nonnull (r->deadend);
  g_assert_true (pl_index_find_release (idx, "42.2")->barrier);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/index/parse-valid", test_parse_valid);
  g_test_add_func ("/index/lookups", test_lookups);
  g_test_add_func ("/index/version-compare", test_version_compare);
  g_test_add_func ("/index/errors-name-the-path", test_errors_name_the_path);
  g_test_add_func ("/index/not-json", test_not_json);
  g_test_add_func ("/index/writer-roundtrip", test_writer_roundtrip);
  g_test_add_func ("/index/build-in-memory", test_build_in_memory);
  g_test_add_func ("/index/check", test_check);
  g_test_add_func ("/index/times", test_times);
  g_test_add_func ("/index/format-md-example", test_format_md_example);
  return g_test_run ();
}
