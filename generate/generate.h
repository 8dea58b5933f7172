/*
 * generate.h - the generation commands: growing a dataset from a task's
 * seed examples through an LLM platform (task, feedback, generate,
 * answer, augment). What they share is in generate_internal.h.
 */
#ifndef WINNOW_GENERATE_H
#define WINNOW_GENERATE_H

int cmd_task(int argc, char **argv);
int cmd_feedback(int argc, char **argv);
int cmd_generate(int argc, char **argv);
int cmd_answer(int argc, char **argv);
int cmd_augment(int argc, char **argv);

#endif
