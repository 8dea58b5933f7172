/*
 * file.c - reading a whole file with a limit, writing one atomically, and
 * removing the temporaries of writers that died before their rename.
 */
#include "file.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int read_file_limited(const char *path, size_t limit, struct strbuf *out)
{
	FILE *fp = !strcmp(path, "-") ? stdin : fopen(path, "rb");
	char buf[65536];
	size_t n, start = out->len;
	if (!fp)
		return error("cannot open '%s': %s", path, strerror(errno));
	while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
		if (out->len - start + n > limit) {
			if (fp != stdin)
				fclose(fp);
			if (limit >= (1u << 20))
				error("'%s' is larger than %zu MB", path, limit >> 20);
			else
				error("'%s' is larger than %zu bytes", path, limit);
			errno = EFBIG;
			return -1;
		}
		strbuf_add(out, buf, n);
	}
	int bad = ferror(fp);
	if (fp != stdin)
		fclose(fp);
	if (bad)
		return error("cannot read '%s': %s", path, strerror(errno));
	return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len)
{
	char *tmp = xstrfmt("%s.tmp", path);
	FILE *fp = fopen(tmp, "wb");
	int rc = 0;
	if (!fp) {
		rc = error("cannot write '%s': %s", tmp, strerror(errno));
	} else {
		if (fwrite(data, 1, len, fp) != len)
			rc = error("cannot write '%s': %s", tmp, strerror(errno));
		if (fclose(fp) && !rc)
			rc = error("cannot write '%s': %s", tmp, strerror(errno));
		if (!rc && rename(tmp, path))
			rc = error("cannot rename '%s' to '%s': %s", tmp, path, strerror(errno));
		if (rc)
			unlink(tmp);
	}
	free(tmp);
	return rc;
}

int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[65536], *tmp;
	size_t n;
	int rc = 0;
	if (!in)
		return error("cannot read '%s': %s", from, strerror(errno));
	tmp = xstrfmt("%s.tmp", to);
	out = fopen(tmp, "wb");
	if (!out) {
		rc = error("cannot write '%s': %s", tmp, strerror(errno));
		goto out;
	}
	while (!rc && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		if (fwrite(buf, 1, n, out) != n)
			rc = error("cannot write '%s': %s", tmp, strerror(errno));
	if (!rc && ferror(in))
		rc = error("cannot read '%s': %s", from, strerror(errno));
	if (fclose(out) && !rc)
		rc = error("cannot write '%s': %s", tmp, strerror(errno));
	if (!rc && rename(tmp, to))
		rc = error("cannot rename '%s' to '%s': %s", tmp, to, strerror(errno));
	if (rc)
		unlink(tmp);
out:
	fclose(in);
	free(tmp);
	return rc;
}

int remove_stale_temps(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xstrndup(path, (size_t)(slash - path + 1)) : xstrdup(".");
	char *prefix = xstrfmt("%s.tmp-", slash ? slash + 1 : path);
	size_t plen = strlen(prefix);
	DIR *d = opendir(*dir ? dir : "/");
	struct dirent *e;
	int removed = 0;
	while (d && (e = readdir(d))) {
		char *end;
		long pid;
		if (strncmp(e->d_name, prefix, plen))
			continue;
		errno = 0;
		pid = strtol(e->d_name + plen, &end, 10);
		if (errno || *end || end == e->d_name + plen || pid <= 0 || pid == (long)getpid() ||
		    kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		char *full = xstrfmt("%s%s", slash ? dir : "", e->d_name);
		if (!unlink(full))
			removed++;
		free(full);
	}
	if (d)
		closedir(d);
	free(dir);
	free(prefix);
	return removed;
}
