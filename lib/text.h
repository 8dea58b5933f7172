/*
 * text.h - measuring UTF-8 text for terminals: display width (CJK
 * characters take two columns) and cutting to a width without splitting a
 * character.
 */
#ifndef WINNOW_TEXT_H
#define WINNOW_TEXT_H

#include <stddef.h>

#include "strbuf.h"

/* Columns s[0..len) takes on a terminal; invalid bytes count as one. */
size_t text_width(const char *s, size_t len);
/*
 * Appends s to out with newlines and tabs shown as spaces, cut to at most
 * `width` columns ("…" marks a cut). Returns the columns appended.
 */
size_t text_fit(struct strbuf *out, const char *s, size_t len, size_t width);

/* Appends s to out with every invalid UTF-8 sequence replaced by U+FFFD. */
void text_append_valid(struct strbuf *out, const char *s, size_t len);

#endif
