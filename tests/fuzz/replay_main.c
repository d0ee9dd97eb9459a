/* SPDX-License-Identifier: GPL-2.0-or-later */
/* replay_main.c - runs a fuzz harness without libFuzzer, for make check:
 * linked with one tests/fuzz/fuzz_<target>.c into
 * BUILD/tests/test_fuzz_<target> (gcc, the ASan/UBSan build), it calls
 * LLVMFuzzerTestOneInput once per input file, in name order.
 * Inputs: the files named on the command line; with none, every file in
 * tests/fuzz/regressions/<target>/ and tests/fuzz/corpus/<target>/ under
 * $USERNET_TOP (tests/run.sh sets it; else the source tree it was built
 * from, FUZZ_TOP). A crash or a sanitizer report fails the test; so does
 * an empty regression and corpus set (the seeds went missing). */
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int replay_file(const char *path)
{
	g_autoptr(GError) err = NULL;
	g_autofree char *data = NULL;
	gsize len;

	if (!g_file_get_contents(path, &data, &len, &err)) {
		fprintf(stderr, "replay: %s\n", err->message);
		return 1;
	}
	LLVMFuzzerTestOneInput((const unsigned char *)data, len);
	return 0;
}

/* Every regular file of @dir, sorted, appended to @files. */
static void replay_list(const char *dir, GPtrArray *files)
{
	g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *f;

	while (d && (f = g_dir_read_name(d)))
		if (f[0] != '.')
			g_ptr_array_add(names, g_build_filename(dir, f, NULL));
	g_ptr_array_sort(names, (GCompareFunc)g_strcmp0);
	for (guint i = 0; i < names->len; i++) {
		char *path = g_ptr_array_index(names, i);

		if (g_file_test(path, G_FILE_TEST_IS_REGULAR))
			g_ptr_array_add(files, g_strdup(path));
	}
}

int main(int argc, char **argv)
{
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(g_free);
	const char *top = g_getenv("USERNET_TOP");
	int failed = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++)
		g_ptr_array_add(files, g_strdup(argv[i]));
	if (argc == 1) {
		static const char *const sets[] = { "regressions", "corpus" };

		if (!top)
			top = FUZZ_TOP;
		for (size_t i = 0; i < G_N_ELEMENTS(sets); i++) {
			g_autofree char *dir = g_build_filename(top, "tests", "fuzz", sets[i],
								FUZZ_TARGET, NULL);

			replay_list(dir, files);
		}
		if (files->len == 0) {
			fprintf(stderr, "replay: no inputs for %s under %s/tests/fuzz\n",
				FUZZ_TARGET, top);
			return 1;
		}
	}
	for (guint i = 0; i < files->len; i++)
		failed |= replay_file(g_ptr_array_index(files, i));
	printf("%s: %u inputs replayed\n", FUZZ_TARGET, files->len);
	return failed;
}
