/*
 * file.h - whole files: reading one with a size limit that fails cleanly,
 * and writing or copying one atomically (a temporary beside it, then
 * rename).
 */
#ifndef WINNOW_FILE_H
#define WINNOW_FILE_H

#include <stddef.h>

#include "strbuf.h"

/*
 * Appends the whole of path ("-" is standard input) to out. A file larger
 * than limit bytes is refused with a message naming it and the limit
 * (errno EFBIG, so callers can call that bad input); returns 0 or -1
 * after printing the error.
 */
int read_file_limited(const char *path, size_t limit, struct strbuf *out);

/*
 * Writes len bytes to path through "path.tmp" and a rename, so a reader
 * sees the old file or the new one, never a part. Returns 0 or -1 after
 * printing the error (the temporary is removed).
 */
int write_file_atomic(const char *path, const void *data, size_t len);

/*
 * Copies from to to (through "to.tmp" and a rename, as write_file_atomic).
 * Returns 0, or -1 after printing the error; with errno ENOENT when from
 * does not exist, so callers copying optional files can tell.
 */
int copy_file(const char *from, const char *to);

/*
 * Removes "path.tmp-PID" files beside path whose process PID is gone (a
 * writer killed before its rename). Returns how many were removed.
 */
int remove_stale_temps(const char *path);

#endif
