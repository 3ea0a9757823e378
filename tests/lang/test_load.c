/* runbook_load: the model built from a runbook (fields, defaults, generated ids) */
#include <jv.h>
#include <stdlib.h>
#include "check.h"
#include "lang/model.h"

static const char *text =
	"runbook: model-test\n"
	"description: all the fields\n"
	"objectives: {rto: 30m, rpo: 5m}\n"
	"timeout: 1h30m\n"
	"x-notes: free\n"
	"params:\n"
	"  src: {type: string, required: true, pattern: '^[a-z]+$', description: source}\n"
	"  n: {type: int, default: 2, enum: [1, 2, 3]}\n"
	"  pw: {type: string, secret: true}\n"
	"connections:\n"
	"  aws: {region: \"${{ .params.region }}\"}\n"
	"steps:\n"
	"  - id: first\n"
	"    name: First\n"
	"    action: exec\n"
	"    with: {argv: [echo, \"${{ .params.src }}\"]}\n"
	"    retry: {delay: 2s, max_delay: 1m}\n"
	"    timeout: 90s\n"
	"    outputs: {out: .result.stdout}\n"
	"    rollback:\n"
	"      - action: log\n"
	"        with: {message: undo}\n"
	"      - id: named_undo\n"
	"        action: log\n"
	"        with: {message: undo2}\n"
	"  - id: second\n"
	"    needs: first\n"
	"    for_each: [a, b]\n"
	"    concurrency: 2\n"
	"    when: .params.n > 1\n"
	"    retry: 4\n"
	"    critical: false\n"
	"    action: log\n"
	"    with: {message: \"${{ .item }}\"}\n"
	"  - id: third\n"
	"    needs: []\n"
	"    wait:\n"
	"      action: rds.describe_instance\n"
	"      with: {instance: db}\n"
	"      until: .result.s == \"ok\"\n"
	"      fail_if: .result.s == \"bad\"\n"
	"      timeout: 10m\n"
	"      interval: 5s\n"
	"      max_interval: 1m\n"
	"      expect: 4m\n"
	"  - id: fourth\n"
	"    confirm: {prompt: \"go ${{ .params.src }}?\", phrase: yes-really}\n"
	"  - id: fifth\n"
	"    assert:\n"
	"      - that: .a\n"
	"        message: m\n"
	"      - .b\n"
	"  - id: sixth\n"
	"    confirm: plain prompt\n"
	"outputs:\n"
	"  result: .steps.first.outputs.out\n";

int main(void)
{
	struct rb_loader ld;
	struct diag_list dl = { 0 };
	loader_init(&ld, NULL);
	struct runbook *rb = runbook_load_text(&ld, "m.yaml", text, &dl);
	CHECK(rb != NULL);
	CHECK_INT(dl.nerrors, 0);
	for (int i = 0; i < dl.n; i++)
		fprintf(stderr, "unexpected: %s\n", dl.items[i].msg);
	CHECK_STR(rb->name, "model-test");
	CHECK_STR(rb->description, "all the fields");
	CHECK_INT(rb->objectives.rto_ms, 1800000);
	CHECK_INT(rb->objectives.rpo_ms, 300000);
	CHECK_INT(rb->timeout_ms, 5400000);
	CHECK_INT(rb->nparams, 3);
	CHECK_INT(rb->params[0].flags, PARAM_REQUIRED);
	CHECK(rb->params[0].re != NULL);
	CHECK_STR(rb->params[0].description, "source");
	CHECK_INT(rb->params[1].type, ARG_INT);
	CHECK_INT((int)jv_number_value(rb->params[1].def), 2);
	CHECK_INT(jv_array_length(jv_copy(rb->params[1].choices)), 3);
	CHECK_INT(rb->params[2].flags, PARAM_SECRET);
	CHECK(rb->connections && rb->connections->kind == TMPL_MAP);
	CHECK_INT(rb->nsteps, 6);

	const struct rb_step *s = &rb->steps[0];
	CHECK_INT(s->kind, STEP_ACTION);
	CHECK_STR(s->action, "exec");
	CHECK_STR(s->name, "First");
	CHECK_INT(s->action_loc.line, 15);
	CHECK_INT(s->action_loc.col, 13);
	CHECK(s->with && s->with->kind == TMPL_MAP && tmpl_get(s->with, "argv")->kind == TMPL_LIST);
	CHECK_INT(s->retry.attempts, 3);      /* a retry map starts from 3 attempts */
	CHECK_INT(s->retry.delay_ms, 2000);
	CHECK_INT(s->retry.max_delay_ms, 60000);
	CHECK(s->retry.backoff == 2);
	CHECK_INT(s->timeout_ms, 90000);
	CHECK_INT(s->noutputs, 1);
	CHECK_STR(s->outputs[0].name, "out");
	CHECK_STR(exprset_text(ld.exprs, s->outputs[0].expr), ".result.stdout");
	CHECK_INT(s->nrollback, 2);
	CHECK_STR(s->rollback[0].id, "first_rollback_1");
	CHECK_STR(s->rollback[1].id, "named_undo");
	CHECK(runbook_find_step(rb, "named_undo") == &s->rollback[1]);
	CHECK_INT(s->critical, 1);
	CHECK_INT(s->has_needs, 0);
	CHECK_INT(s->when, -1);

	s = &rb->steps[1];
	CHECK_INT(s->has_needs, 1);
	CHECK_INT(s->nneeds, 1);
	CHECK_STR(s->needs[0], "first");
	CHECK_INT(s->needs_locs[0].line, 27);
	CHECK(s->for_each >= 0);
	CHECK_STR(exprset_text(ld.exprs, s->for_each), "[\"a\",\"b\"]");
	CHECK_INT(s->concurrency, 2);
	CHECK(s->when >= 0);
	CHECK_INT(s->retry.attempts, 4);
	CHECK_INT(s->critical, 0);

	s = &rb->steps[2];
	CHECK_INT(s->kind, STEP_WAIT);
	CHECK_INT(s->has_needs, 1);
	CHECK_INT(s->nneeds, 0);
	CHECK_STR(s->wait.action, "rds.describe_instance");
	CHECK(s->wait.with != NULL);
	CHECK_STR(exprset_text(ld.exprs, s->wait.until), ".result.s == \"ok\"");
	CHECK(s->wait.fail_if >= 0);
	CHECK_INT(s->wait.timeout_ms, 600000);
	CHECK_INT(s->wait.interval_ms, 5000);
	CHECK_INT(s->wait.max_interval_ms, 60000);
	CHECK_INT(s->wait.expect_ms, 240000);
	CHECK_INT(s->retry.attempts, 1);      /* no retry key: one attempt */

	s = &rb->steps[3];
	CHECK_INT(s->kind, STEP_CONFIRM);
	CHECK_INT(s->confirm.prompt->kind, TMPL_INTERP);
	CHECK_INT(s->confirm.phrase->kind, TMPL_CONST);
	s = &rb->steps[4];
	CHECK_INT(s->kind, STEP_ASSERT);
	CHECK_INT(s->nasserts, 2);
	CHECK(s->asserts[0].message != NULL);
	CHECK(s->asserts[1].message == NULL);
	CHECK_STR(exprset_text(ld.exprs, s->asserts[1].that), ".b");
	s = &rb->steps[5];
	CHECK_INT(s->kind, STEP_CONFIRM);
	CHECK(s->confirm.phrase == NULL);
	CHECK_INT(rb->noutputs, 1);
	CHECK_STR(rb->outputs[0].name, "result");
	CHECK_STR(step_kind_name(STEP_USES), "uses");

	/* every expression compiles */
	CHECK_INT(exprset_compile(ld.exprs, &dl), 0);
	runbook_free(rb);
	loader_release(&ld);
	diag_list_release(&dl);
	CHECK_DONE();
}
