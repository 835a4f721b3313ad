// replay.c - runs a fuzz target over files and directories of inputs
// without libFuzzer, so that the normal build and test run (gcc, ASan,
// valgrind) exercise each target's harness on its committed corpus.
// SPDX-License-Identifier: MPL-2.0
//
// Usage: replay_<target> PATH...  Each PATH is an input file, or a
// directory whose files are fed in name order. Exits non-zero when an
// input breaks an invariant (the target aborts) or when no input was found,
// so that a missing corpus cannot pass unnoticed.

#include "fuzz_common.h"

#include <stdbool.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int s_inputs;

static int
s_feed_file (const char *path)
{
    FILE *file = fopen (path, "rb");
    if (!file) {
        perror (path);
        return -1;
    }
    uint8_t *data = NULL;
    size_t size = 0, capacity = 0;
    while (true) {
        if (size == capacity) {
            capacity = capacity ? capacity * 2 : 4096;
            uint8_t *bigger = realloc (data, capacity);
            if (!bigger) {
                free (data);
                fclose (file);
                return -1;
            }
            data = bigger;
        }
        size_t got = fread (data + size, 1, capacity - size, file);
        size += got;
        if (got == 0)
            break;
    }
    int failed = ferror (file);
    fclose (file);
    if (failed) {
        fprintf (stderr, "%s: read error\n", path);
        free (data);
        return -1;
    }
    // Copy into a buffer of exactly the input's size, as libFuzzer does,
    // so that a read past the input is caught.
    uint8_t *exact = malloc (size ? size : 1);
    if (!exact) {
        free (data);
        return -1;
    }
    if (size)
        memcpy (exact, data, size);
    free (data);
    LLVMFuzzerTestOneInput (exact, size);
    free (exact);
    s_inputs++;
    return 0;
}

static int
s_skip_dots (const struct dirent *entry)
{
    return entry->d_name[0] != '.';
}

static int
s_feed (const char *path)
{
    struct stat info;
    if (stat (path, &info) == -1) {
        perror (path);
        return -1;
    }
    if (!S_ISDIR (info.st_mode))
        return s_feed_file (path);
    struct dirent **entries;
    int count = scandir (path, &entries, s_skip_dots, alphasort);
    if (count == -1) {
        perror (path);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < count; i++) {
        char child[4096];
        snprintf (child, sizeof child, "%s/%s", path, entries[i]->d_name);
        if (rc == 0)
            rc = s_feed (child);
        free (entries[i]);
    }
    free (entries);
    return rc;
}

int
main (int argc, char **argv)
{
    LLVMFuzzerInitialize (&argc, &argv);
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++)
        rc = s_feed (argv[i]);
    fz_teardown ();
    printf ("%d inputs replayed\n", s_inputs);
    return rc == 0 && s_inputs > 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
