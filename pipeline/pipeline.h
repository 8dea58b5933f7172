/*
 * pipeline.h - `winnow run`: every stage in order, for cron.
 */
#ifndef WINNOW_PIPELINE_H
#define WINNOW_PIPELINE_H

int cmd_run(int argc, char **argv);

#endif
