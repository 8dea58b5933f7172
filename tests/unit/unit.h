/*
 * unit.h - what every unit test includes: cmocka, and a main() helper that
 * makes cmocka speak TAP so `prove` runs unit and CLI tests alike and
 * prints one summary.
 */
#ifndef WINNOW_UNIT_H
#define WINNOW_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#define RUN_TESTS(tests) \
	(cmocka_set_message_output(CM_OUTPUT_TAP), cmocka_run_group_tests(tests, NULL, NULL))

#endif
