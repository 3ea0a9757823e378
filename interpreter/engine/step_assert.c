/* step_assert.c — the assert step: expectations over the context, once, with what they
 * saw. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../core/fs.h"
#include "../core/bug.h"
#include "../core/buf.h"
#include "../core/clock.h"
#include "../core/dur.h"
#include "../core/events.h"
#include "../core/jvx.h"
#include "../core/redact.h"
#include "../modules/registry.h"
#include "engine_int.h"
#include "tape.h"

void eng_assert_run(struct engine *e, struct task *t)
{
	int berr = 0;
	jv c = eng_ctx_for(e, t->scope, t->item_v, jv_invalid());
	jv failures = jv_array(), notes = jv_array();
	int nfail = 0;
	for (int i = 0; i < t->step->nasserts; i++) {
		const struct rb_assertion *a = &t->step->asserts[i];
		const char *text = exprset_text(e->set, a->that);
		if (eng_expr_unknown(e, t->scope, a->that)) {
			notes = jv_array_append(notes, jv_string_fmt("not evaluated (depends on unknown outputs): %s", text));
			continue;
		}
		jv v = exprset_eval1(e->set, a->that, jv_copy(c));
		if (jv_is_valid(v) && jvx_truthy(v)) {
			jv_free(v);
			continue;
		}
		nfail++;
		struct buf b = BUF_INIT(0);        /* cut to 64 KiB below */
		if (a->message) {
			jv m = eng_tmpl_eval_dry(e, t->scope, a->message, c);
			if (jv_is_valid(m)) {
				char *mt = jvx_text(m);
				berr |= buf_addf(&b, "%s: ", mt);
				free(mt);
			} else {
				jv_free(m);
			}
		}
		berr |= buf_addf(&b, "assertion failed: %s", text);
		if (!jv_is_valid(v)) {
			char *m = eng_invalid_msg(v);
			berr |= buf_addf(&b, " (error: %s)", m);
			free(m);
		} else {
			char *ex = assert_explain(text, c);
			if (ex)
				berr |= buf_addf(&b, " (%s)", ex);
			else {
				char *vt = jvx_dump(jv_copy(v));
				berr |= buf_addf(&b, " (value: %s)", vt);
				free(vt);
			}
			free(ex);
			jv_free(v);
		}
		BUF_NOCAP(berr);
		buf_cut(&b, 1 << 16, "...");
		failures = jv_array_append(failures, jv_string(buf_str(&b)));
		buf_release(&b);
	}
	jv_free(c);
	/* each failed assertion is said once, in error.message: not again in a list of the
	 * error, nor in the result (the display, the journal and `show` print all three) */
	jv res = jv_object();
	res = jv_object_set(res, jv_string("failed"), jv_number(nfail));
	if (jv_array_length(jv_copy(notes)) > 0)
		res = jv_object_set(res, jv_string("not_evaluated"), jv_copy(notes));
	if (nfail) {
		struct buf b = BUF_INIT(0);        /* cut to 1 MiB below */
		jv_array_foreach(failures, i, f) {
			berr |= buf_addf(&b, "%s%s", i ? "; " : "", jv_string_value(f));
			jv_free(f);
		}
		BUF_NOCAP(berr);
		buf_cut(&b, 1 << 20, "...");
		jv err = eng_err_obj("assert_failed", "%s", buf_str(&b));
		err = jv_object_set(err, jv_string("failed"), jv_number(nfail));
		buf_release(&b);
		jv_free(failures);
		jv_free(notes);
		eng_task_finish(e, t, ST_FAILED, err, res, jv_null());
		return;
	}
	int nnotes = jv_array_length(jv_copy(notes));
	jv_free(failures);
	jv_free(notes);
	eng_task_finish(e, t, nnotes ? ST_DRY_RUN : ST_SUCCEEDED, jv_null(), res, jv_object());
}
