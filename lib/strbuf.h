/*
 * strbuf.h - growable byte buffers.
 *
 * Invariants:
 *  1. buf is never NULL: an empty strbuf points at a shared empty string, so
 *     it can always be printed or compared.
 *  2. buf[len] == '\0' always, even when the content holds NUL bytes.
 *  3. The strbuf owns buf until strbuf_detach(), after which the caller
 *     frees it and the strbuf is empty again.
 */
#ifndef WINNOW_STRBUF_H
#define WINNOW_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	size_t alloc;
	size_t len;
	char *buf;
};

extern char strbuf_empty[];
#define STRBUF_INIT { 0, 0, strbuf_empty }

void strbuf_init(struct strbuf *sb, size_t hint);
/* Frees the contents; the strbuf is empty and reusable afterwards. */
void strbuf_release(struct strbuf *sb);
/* Returns the contents (caller frees) and leaves the strbuf empty. */
char *strbuf_detach(struct strbuf *sb, size_t *len);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap);
void strbuf_reset(struct strbuf *sb);
/* Removes leading and trailing ASCII whitespace. */
void strbuf_trim(struct strbuf *sb);

#endif
