/* runid.h — run ids: "YYYYMMDDTHHMMSSZ-xxxx" (the start time, then 4 random hex digits),
 * so ids sort by start time. Used by the engine (a new run) and both state stores (a
 * taken id drawn again, an id checked before it names a folder or a row). */
#ifndef RB_CORE_RUNID_H
#define RB_CORE_RUNID_H
#include <stdint.h>

/* 0 if id can name a run folder: [A-Za-z0-9][A-Za-z0-9._-]*, no "..", < 128 bytes */
int run_id_check(const char *id);
/* a new id for a run starting at now_ms (malloc'd) */
char *run_id_new(int64_t now_ms);
/* another id for a taken one: the same time, its random part (after the last '-')
 * drawn again (malloc'd) */
char *run_id_again(const char *id);
#endif
