/* uses.c — `uses:`: the used runbook is found next to the caller, then in the search
 * path, loaded (its errors noted as coming through this use), and the caller's with:
 * checked against its params. plan/ then expands it into nodes. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "load_priv.h"
#include "../core/buf.h"
#include "../core/bug.h"

/* `uses:` loads its file again at every use: a fan-out (10 uses of a file that makes 10
 * uses ...) grows exponentially. Bounds on what one runbook may bring in, in all: */
#define USES_MAX_RUNBOOKS 1000     /* used runbooks, each use counted */
#define USES_MAX_STEPS    20000    /* their steps */

/* ---- uses: -------------------------------------------------------------------- */

static int file_exists(const char *path)
{
	return access(path, R_OK) == 0;
}

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static char *join(const char *dir, const char *rel)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	if (rel[0] == '/' || !strcmp(dir, "."))
		berr |= buf_adds(&b, rel);
	else
		berr |= buf_addf(&b, "%s/%s", dir, rel);
	BUF_NOCAP(berr);
	return buf_detach(&b);
}

/* the param the caller gives must exist, required ones must be given, constants typed */
static void check_uses_with(struct lctx *c, struct rb_step *s, int bad_with)
{
	const struct runbook *child = s->child;
	const char *names[256];
	int nn = 0;
	for (int i = 0; i < child->nparams && nn < 255; i++)
		names[nn++] = child->params[i].name;
	names[nn] = NULL;
	if (s->with) {
		for (int i = 0; i < s->with->n; i++) {
			const char *k = s->with->keys[i];
			const struct rb_param *p = NULL;
			for (int j = 0; j < child->nparams; j++)
				if (!strcmp(child->params[j].name, k))
					p = &child->params[j];
			if (!p) {
				const char *sg = diag_suggest(k, names, -1);
				diag_error(c->dl, &s->with->key_locs[i], "runbook '%s' has no param '%s'%s%s%s",
					   s->uses, k, sg ? " (did you mean '" : "", sg ? sg : "", sg ? "'?)" : "");
				continue;
			}
			const struct tmpl *t = s->with->items[i];
			const char *why;
			if (t->kind == TMPL_CONST && param_check_value(p, jv_copy(t->value), &why) < 0)
				diag_error(c->dl, &t->loc, "param '%s' of '%s' %s", k, s->uses, why);
		}
	}
	for (int j = 0; j < child->nparams; j++) {
		const struct rb_param *p = &child->params[j];
		if ((p->flags & PARAM_REQUIRED) && !jv_is_valid(p->def) && !bad_with && !tmpl_get(s->with, p->name))
			diag_error(c->dl, &s->uses_loc, "step '%s' does not give required param '%s' of '%s'",
				   s->id, p->name, s->uses);
	}
}

void load_uses_child(struct lctx *c, struct rb_step *s, int bad_with)
{
	int berr = 0;
	struct rb_loader *ld = c->ld;
	char *dir = dir_of(c->rb->path);
	char *path = join(dir, s->uses);
	free(dir);
	if (s->uses[0] != '/' && !file_exists(path)) {
		for (const char **sp = ld->search_path; sp && *sp; sp++) {
			char *cand = join(*sp, s->uses);
			if (file_exists(cand)) {
				free(path);
				path = cand;
				break;
			}
			free(cand);
		}
	}
	if (!file_exists(path)) {
		diag_error(c->dl, &s->uses_loc, "cannot find runbook '%s' (looked next to '%s' and in the "
			   "search path)", s->uses, c->rb->path);
		free(path);
		return;
	}
	if (ld->depth >= RB_USES_MAX_DEPTH) {
		diag_error(c->dl, &s->uses_loc, "'uses' nested deeper than %d runbooks", RB_USES_MAX_DEPTH);
		free(path);
		return;
	}
	if (ld->nloaded >= USES_MAX_RUNBOOKS || ld->nsteps >= USES_MAX_STEPS) {
		/* once: every later use would say the same */
		if (!ld->too_many++)
			diag_error(c->dl, &s->uses_loc, "too many runbooks through 'uses': loading '%s' "
				   "would pass %d runbooks or %d steps in all", s->uses, USES_MAX_RUNBOOKS,
				   USES_MAX_STEPS);
		free(path);
		return;
	}
	char real[PATH_MAX];
	if (realpath(path, real)) {
		for (int i = 0; i < ld->nstack; i++) {
			if (strcmp(ld->stack[i], real))
				continue;
			struct buf b = BUF_INIT(0);
			for (int j = i; j < ld->nstack; j++)
				berr |= buf_addf(&b, "%s -> ", ld->stack_names[j]);
			berr |= buf_adds(&b, path);
			diag_error(c->dl, &s->uses_loc, "'uses' cycle: %s", buf_str(&b));
			buf_release(&b);
			free(path);
			return;
		}
	}
	BUF_NOCAP(berr);
	const char *saved = c->where;
	int n0 = c->dl->n, inside = 0;
	ld->depth++;
	s->child = load_runbook_file(ld, path, &s->uses_loc, c->dl);
	ld->depth--;
	c->where = saved;
	/* errors in the child (not those said at this uses:) are told where they come from */
	for (int i = n0; i < c->dl->n; i++)
		inside |= c->dl->items[i].level == DIAG_ERROR && c->dl->items[i].loc.src != s->uses_loc.src;
	if (inside)
		diag_note(c->dl, &s->uses_loc, "in '%s', used by step '%s'", path, s->id);
	/* the run lock is the top runbook's: a used runbook's `lock:` (it may be run on its
	 * own too) is not taken inside another run, and the author is told so */
	if (s->child && s->child->lock)
		diag_warn(c->dl, &s->uses_loc, "step '%s' uses '%s', whose lock is not taken: a run "
			  "holds only the lock of the runbook it runs (declare one here that covers it)",
			  s->id, s->uses);
	free(path);
	if (s->child)
		check_uses_with(c, s, bad_with);
}
