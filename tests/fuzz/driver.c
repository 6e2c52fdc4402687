/* Replays a fuzzer's corpus without libFuzzer: each argument is a file or a folder of
 * files, each file is one input, and each input is one TAP test. Built into every
 * fuzz-*.c so `make check` runs the corpora; clang -fsanitize=fuzzer builds use
 * libFuzzer's own main instead (see tests/fuzz/README.md). */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static int n;

static int
compare_paths (gconstpointer a, gconstpointer b)
{
  return g_strcmp0 (*(char *const *) a, *(char *const *) b);
}

static void
run_file (const char *path)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents (path, &data, &len, &error))
    {
      printf ("not ok %d %s # %s\n", ++n, path, error->message);
      return;
    }
  LLVMFuzzerTestOneInput ((const uint8_t *) data, len);
  printf ("ok %d %s\n", ++n, path);
  fflush (stdout);
}

int
main (int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    {
      if (!g_file_test (argv[i], G_FILE_TEST_IS_DIR))
        {
          run_file (argv[i]);
          continue;
        }
      g_autoptr(GDir) dir = g_dir_open (argv[i], 0, NULL);
      g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;
      while (dir && (name = g_dir_read_name (dir)))
        g_ptr_array_add (names, g_build_filename (argv[i], name, NULL));
      g_ptr_array_sort (names, compare_paths);
      for (guint j = 0; j < names->len; j++)
        run_file (names->pdata[j]);
    }
  if (n == 0)
    printf ("not ok 1 no corpus input found in the arguments\n");
  printf ("1..%d\n", n ? n : 1);
  return 0;
}
