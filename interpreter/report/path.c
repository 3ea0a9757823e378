/* path.c — the steps' order in the report and the critical path, from the recorded
 * times and the steps' needs. */
#include <stdlib.h>
#include <string.h>
#include "report_int.h"
#include "../core/bug.h"
#include "../core/events.h"
#include "../core/jvx.h"

static int skipped(const struct run_fold_step *s)
{
	return s->status && !strcmp(s->status, "skipped");
}

/* id is tmpl with item indexes: "deploy[3].rolled_out" for "deploy.rolled_out" */
static int same_but_items(const char *id, const char *tmpl)
{
	int items = 0;
	while (*id && *tmpl) {
		if (*id == '[' && (*tmpl == '.' || *tmpl == '[')) {
			const char *e = strchr(id, ']');
			if (!e)
				return 0;
			id = e + 1;
			items++;
			continue;
		}
		if (*id++ != *tmpl++)
			return 0;
	}
	if (*id == '[') {
		const char *e = strchr(id, ']');
		id = e ? e + 1 : id;
		items++;
	}
	return items > 0 && !*id && !*tmpl;
}

/* the need of step i that ended last (ties: the later in the plan), looking through
 * skipped needs to what they needed; -1 none */
static int last_need(const struct run_fold *f, const jv *info, int i, const int *on, const int *pos, int depth)
{
	jv needs = RGET(info[i], "needs");
	int best = -1;
	if (jv_get_kind(needs) == JV_KIND_ARRAY && depth < 64) {
		jv_array_foreach(needs, k, n) {
			jv at = jv_get_kind(n) == JV_KIND_STRING ? jv_object_get(jv_copy(f->index), jv_copy(n)) : jv_invalid();
			int j = jv_is_valid(at) ? (int)jv_number_value(at) : -1;
			/* a step of a for_each uses step's child (P.S) ran once per item (P[i].S) */
			for (int m = 0; j < 0 && jv_get_kind(n) == JV_KIND_STRING && m < f->nsteps; m++)
				if (same_but_items(f->steps[m].id, jv_string_value(n)) && f->steps[m].t_end >= 0 &&
				    (best < 0 || f->steps[m].t_end > f->steps[best].t_end) && !on[m])
					best = m;
			if (j >= 0 && skipped(&f->steps[j]))
				j = last_need(f, info, j, on, pos, depth + 1);
			if (j >= 0 && !on[j] && f->steps[j].t_end >= 0 &&
			    (best < 0 || f->steps[j].t_end > f->steps[best].t_end ||
			     (f->steps[j].t_end == f->steps[best].t_end && pos[j] > pos[best])))
				best = j;
			jv_free(at);
			jv_free(n);
			(void)k;
		}
	}
	jv_free(needs);
	return best;
}

/* the chain of steps, through their needs, that ended last: from the step that ended
 * last, back through the need that ended last, to a step that needed nothing. Where
 * the needs of a step are unknown (no plan), the step that ended last before it began
 * stands for its need. Skipped steps (they took no time) and finally steps are not
 * part of it. */
jv report_critical_path(const struct run_fold *f, const jv *info, const int *fin, const int *pos, int *on)
{
	jv rev = jv_array(), path = jv_array();
	int cur = -1;
	for (int i = 0; i < f->nsteps; i++)
		if (!fin[i] && !skipped(&f->steps[i]) && f->steps[i].t_end >= 0 &&
		    (cur < 0 || f->steps[i].t_end > f->steps[cur].t_end ||
		     (f->steps[i].t_end == f->steps[cur].t_end && pos[i] > pos[cur])))
			cur = i;     /* ties: the later in the plan's (topological) order */
	while (cur >= 0 && !on[cur]) {
		const struct run_fold_step *s = &f->steps[cur];
		int next = -1;
		on[cur] = 1;
		rev = jv_array_append(rev, jv_string(s->id));
		if (RHAS(info[cur], "needs")) {
			next = last_need(f, info, cur, on, pos, 0);
		} else if (s->t_start >= 0) {
			for (int j = 0; j < f->nsteps; j++)
				if (!on[j] && !fin[j] && !skipped(&f->steps[j]) && f->steps[j].t_end >= 0 &&
				    f->steps[j].t_end <= s->t_start &&
				    (next < 0 || f->steps[j].t_end > f->steps[next].t_end ||
				     (f->steps[j].t_end == f->steps[next].t_end && pos[j] > pos[next])))
					next = j;
		}
		cur = next;
	}
	for (int i = jv_array_length(jv_copy(rev)) - 1; i >= 0; i--)
		path = jv_array_append(path, jv_array_get(jv_copy(rev), i));
	jv_free(rev);
	return path;
}

static int is_uses(const struct run_fold_step *s)
{
	return s->kind && !strcmp(s->kind, "uses");
}

/* child is a step of the runbook that step parent uses: PARENT.STEP or PARENT[i].STEP */
static int child_of(const char *child, const char *parent)
{
	size_t n = strlen(parent);
	return !strncmp(child, parent, n) && (child[n] == '.' || child[n] == '[');
}

/* a uses step spans its child steps (a for_each one journals its start only when its
 * items are done) */
void report_uses_envelope(struct run_fold *f)
{
	for (int i = 0; i < f->nsteps; i++) {
		struct run_fold_step *p = &f->steps[i];
		if (!is_uses(p))
			continue;
		for (int j = 0; j < f->nsteps; j++) {
			const struct run_fold_step *c = &f->steps[j];
			if (j == i || !child_of(c->id, p->id))
				continue;
			if (c->t_start >= 0 && (p->t_start < 0 || c->t_start < p->t_start))
				p->t_start = c->t_start;
			if (c->t_end > p->t_end && p->t_end >= 0)
				p->t_end = c->t_end;
		}
	}
}

/* the steps in the plan's order, the items' steps of a for_each uses step (not in the
 * plan: seen in the journal) just before it, as the plan puts a child's steps */
void report_uses_order(const struct run_fold *f, int *order)
{
	int n = 0;
	char *placed = xcalloc((size_t)f->nsteps + 1, 1);
	for (int i = 0; i < f->nsteps; i++) {
		if (placed[i])
			continue;
		if (is_uses(&f->steps[i]))
			for (int j = i + 1; j < f->nsteps; j++)
				if (!placed[j] && child_of(f->steps[j].id, f->steps[i].id)) {
					placed[j] = 1;
					order[n++] = j;
				}
		placed[i] = 1;
		order[n++] = i;
	}
	free(placed);
}
