/* replay.h — a run answered from a tape, and what drifted (replay.c)
 *
 * cli/replay.c sets engine_opts.replay = { replay_answer, rp } on a virtual clock
 * starting at the tape's `started`, runs the plan, then asks replay_report.
 */
#ifndef RB_REPLAY_H
#define RB_REPLAY_H
#include <jv.h>
#include "engine.h"
#include "tape.h"

struct replay;
struct redactor;
/* the tape's calls, ready to answer (td is borrowed only during the call; r, the run's
 * redactor, must outlive the replay) */
struct replay *replay_new(const struct tape_data *td, struct redactor *r);
void replay_free(struct replay *rp);
/* the engine_replay hook (thread-safe; see engine.h) */
int replay_answer(void *arg, const struct replay_call *c, jv args, jv *out);
/* The drift report, once the run is over (consumes plan_steps, engine_steps_list of the
 * plan replayed; reads the replay run's journal in the store st):
 *   {drift: bool, arguments: [{step, action, field, recorded?, now?}],
 *    unanswered: [{step, action, args}], never_made: [{seq, line, step, action, mutating}],
 *    steps_added: [ID], steps_removed: [ID], outcome: {recorded, now, changed},
 *    steps_changed: [{step, recorded, now, recorded_rollback?, now_rollback?}], calls: N}
 * (recorded/now absent in an arguments entry: the field was not there) */
struct state;
jv replay_report(struct replay *rp, const struct tape_data *td, jv plan_steps, struct state *st,
		 const char *run_id);
/* sha256 of a file as hex; -1 if unreadable */
int replay_sha256_file(const char *path, char out[65]);
#endif
