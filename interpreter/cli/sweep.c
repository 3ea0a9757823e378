/* sweep.c — `runbook rehearse --sweep`: does every failure roll back completely?
 *
 * A position is a mutating step of the plan (its action mutates with its constant
 * args; steps of `uses:` runbooks included; a for_each step is one position, its
 * first item fails). For each position the runbook is rehearsed on a fresh simulator
 * with that step failing: its first call (and every retry of it) is answered by an
 * injected error instead of reaching the action (engine_opts.fault), so the step fails
 * having changed nothing. A position rolls back completely when the run exits 1
 * (failed, rollback complete) and the world it leaves equals the world the scenario
 * would be in without the run, but for the runbook's `rollback_keeps`. Both worlds are
 * taken settled (a day of virtual time later: a deletion in flight has finished) and
 * compared through sweep_world_view(), which drops what no rollback can put back
 * (the volatile table below).
 */
#include <fnmatch.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "sweep.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/jvx.h"

/* ---------------------------------------------------------------- world view */

static char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static char *strf(const char *fmt, ...)
{
	struct buf b = BUF_INIT(0);
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vaddf(&b, fmt, ap);
	va_end(ap);
	char *s = xstrdup(rc == 0 ? buf_str(&b) : "?");
	buf_release(&b);
	return s;
}

/* the resources of a world document: world[section][list] (list NULL: world[section]
 * is the array), named "KIND NAME" by name_key */
/* a secret: its version history reduced to which version is current (AWSCURRENT) */
static jv reduce_secret(jv res)
{
	jv cur = jv_null();
	jv vers = jvx_get(res, "Versions");
	if (jv_get_kind(vers) == JV_KIND_ARRAY)
		jv_array_foreach(vers, i, v) {
			jv st = jvx_get(v, "VersionStages");
			if (jv_get_kind(st) == JV_KIND_ARRAY)
				jv_array_foreach(st, j, x) {
					if (jv_get_kind(x) == JV_KIND_STRING && !strcmp(jv_string_value(x), "AWSCURRENT")) {
						jv_free(cur);
						cur = jvx_get(v, "VersionId");
					}
					jv_free(x);
				}
			jv_free(st);
			jv_free(v);
		}
	jv_free(vers);
	res = jv_object_delete(res, jv_string("Versions"));
	return jv_object_set(res, jv_string("AWSCURRENT"), cur);
}

static const struct world_kind {
	const char *section, *list;
	const char *kind;       /* KIND in diff lines and rollback_keeps */
	const char *name_key;
	jv (*reduce)(jv res);   /* what of it is compared; NULL: all (consumes res) */
} world_kinds[] = {
	{ "rds", "instances", "rds", "DBInstanceIdentifier", NULL },
	{ "rds", "snapshots", "rds-snapshot", "DBSnapshotIdentifier", NULL },
	{ "elasticache", "replication_groups", "elasticache", "ReplicationGroupId", NULL },
	{ "elasticache", "snapshots", "elasticache-snapshot", "SnapshotName", NULL },
	{ "secrets", NULL, "secretsmanager", "Name", reduce_secret },
	/* s3 buckets ("s3 BUCKET") and objects ("s3-object BUCKET/KEY") and Kubernetes
	 * objects ("KIND NAMESPACE/NAME", kind in lower case) are read by their own code */
};

/* What changes whatever a rollback does, and is left out of the comparison: times,
 * counters, generated ids, histories and logs. Keys dropped at any depth of a
 * resource; "" as kind: every resource. The world's "now" and "published" (SNS log)
 * are not resources; Kubernetes objects of derived_kinds or owned by another, and
 * resources being deleted or deleted are left out; an S3 bucket's version history is
 * reduced to its current objects, a secret's to the id of its AWSCURRENT version (the
 * values are never in the world document). A map left empty by dropping volatile keys counts as
 * absent. */
static const struct volatile_key {
	const char *kind;
	const char *key;
} volatile_keys[] = {
	{ "", "InstanceCreateTime" },
	{ "", "SnapshotCreateTime" },
	{ "", "OriginalSnapshotCreateTime" },
	{ "", "LatestRestorableTime" },
	{ "", "ReplicationGroupCreateTime" },
	{ "", "CacheClusterCreateTime" },
	{ "", "CreatedDate" },
	{ "", "LastChangedDate" },
	{ "", "LastAccessedDate" },
	{ "", "LastRotatedDate" },

	{ "*", "resourceVersion" },                   /* Kubernetes (kinds in lower case) */
	{ "*", "uid" },
	{ "*", "generation" },
	{ "*", "observedGeneration" },
	{ "*", "creationTimestamp" },
	{ "*", "managedFields" },
	{ "*", "lastTransitionTime" },
	{ "*", "lastUpdateTime" },
	{ "*", "lastProbeTime" },
	{ "*", "deployment.kubernetes.io/revision" },
	{ "*", "kubectl.kubernetes.io/restartedAt" },  /* a restart leaves only its time */
	{ "*", "status" },                            /* Kubernetes status follows spec */
};

/* Kubernetes kinds made by controllers under generated names: they follow their owner */
static const char *const derived_kinds[] = { "Pod", "ReplicaSet", "ControllerRevision", "Event",
	"Endpoints", "EndpointSlice" };

static const char *const gone_states[] = { "deleting", "deleted" };

static int is_volatile(const char *kind, const char *key, int k8s)
{
	for (size_t i = 0; i < sizeof(volatile_keys) / sizeof(volatile_keys[0]); i++) {
		const struct volatile_key *v = &volatile_keys[i];
		int kind_ok = !*v->kind || (!strcmp(v->kind, "*") ? k8s : !strcmp(v->kind, kind));
		if (kind_ok && !strcmp(v->key, key))
			return 1;
	}
	return 0;
}

/* v without its volatile keys, at any depth (consumes v) */
static jv strip_volatile(jv v, const char *kind, int k8s)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_OBJECT: {
		jv o = jv_object();
		int dropped = 0;
		jv_object_foreach(v, k, x) {
			jv y = is_volatile(kind, jv_string_value(k), k8s) ? (jv_free(x), jv_invalid()) :
			       strip_volatile(x, kind, k8s);
			if (jv_is_valid(y)) {
				o = jv_object_set(o, k, y);
			} else {
				dropped = 1;
				jv_free(k);
			}
		}
		jv_free(v);
		if (dropped && jv_object_length(jv_copy(o)) == 0) {
			jv_free(o);
			return jv_invalid();
		}
		return o;
	}
	case JV_KIND_ARRAY: {
		jv a = jv_array();
		jv_array_foreach(v, i, x) {
			jv y = strip_volatile(x, kind, k8s);
			a = jv_array_append(a, jv_is_valid(y) ? y : jv_object());
		}
		jv_free(v);
		return a;
	}
	default:
		return v;
	}
}

static int gone(jv res)
{
	static const char *const status_keys[] = { "DBInstanceStatus", "Status", "SnapshotStatus" };
	for (size_t i = 0; i < sizeof(status_keys) / sizeof(status_keys[0]); i++) {
		const char *st = jvx_str(res, status_keys[i]);
		for (size_t j = 0; st && j < sizeof(gone_states) / sizeof(gone_states[0]); j++)
			if (!strcmp(st, gone_states[j]))
				return 1;
	}
	return 0;
}

static jv view_add(jv view, const char *kind, const char *name, jv res, int k8s)
{
	char *key = strf("%s %s", kind, name);
	jv v = strip_volatile(res, kind, k8s);
	view = jv_object_set(view, jv_string(key), jv_is_valid(v) ? v : jv_object());
	free(key);
	return view;
}

/* s3: "s3 BUCKET" {Versioning} and "s3-object BUCKET/KEY" {ETag, Size} of the
 * current version of every key that is not deleted */
static jv view_s3(jv view, jv buckets)
{
	jv_array_foreach(buckets, i, b) {
		const char *bn = jvx_str(b, "Name");
		if (!bn) {
			jv_free(b);
			continue;
		}
		view = view_add(view, "s3", bn, JV_OBJECT(jv_string("Versioning"), jvx_get(b, "Versioning")), 0);
		jv cur = jv_object();    /* key -> latest version (versions are oldest first) */
		jv vers = jvx_get(b, "Versions");
		if (jv_get_kind(vers) == JV_KIND_ARRAY)
			jv_array_foreach(vers, j, ver) {
				const char *k = jvx_str(ver, "Key");
				jv prev = k ? jvx_get(cur, k) : jv_invalid();
				const char *pt = jv_is_valid(prev) ? jvx_str(prev, "LastModified") : NULL;
				const char *t = jvx_str(ver, "LastModified");
				/* the latest by time (ISO 8601 sorts as text), the later one on a tie */
				if (k && (!pt || (t && strcmp(t, pt) >= 0)))
					cur = jv_object_set(cur, jv_string(k), jv_copy(ver));
				jv_free(prev);
				jv_free(ver);
			}
		jv_free(vers);
		jv_object_foreach(cur, k, ver) {
			if (!jvx_bool(ver, "DeleteMarker", 0)) {
				char *name = strf("%s/%s", bn, jv_string_value(k));
				view = view_add(view, "s3-object", name, JV_OBJECT(jv_string("ETag"), jvx_get(ver, "ETag"),
					jv_string("Size"), jvx_get(ver, "Size")), 0);
				free(name);
			}
			jv_free(k);
			jv_free(ver);
		}
		jv_free(cur);
		jv_free(b);
	}
	jv_free(buckets);
	return view;
}

static jv view_k8s(jv view, jv objs)
{
	jv_array_foreach(objs, i, o) {
		const char *kind = jvx_str(o, "kind");
		jv md = jvx_get(o, "metadata");
		const char *name = jvx_str(md, "name");
		const char *ns = jvx_str(md, "namespace");
		int skip = !kind || !name || jvx_has(md, "ownerReferences") || jvx_has(md, "deletionTimestamp");
		for (size_t d = 0; !skip && d < sizeof(derived_kinds) / sizeof(derived_kinds[0]); d++)
			skip = !strcmp(kind, derived_kinds[d]);
		if (!skip) {
			char *lk = xstrdup(kind);
			for (char *p = lk; *p; p++)
				*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
			char *full = ns ? strf("%s/%s", ns, name) : xstrdup(name);
			/* kind and apiVersion are the name's, status follows spec */
			jv res = jv_object_delete(jv_object_delete(jv_copy(o), jv_string("kind")), jv_string("apiVersion"));
			view = view_add(view, lk, full, res, 1);
			free(full);
			free(lk);
		}
		jv_free(md);
		jv_free(o);
	}
	jv_free(objs);
	return view;
}

jv sweep_world_view(jv world)
{
	jv view = jv_object();
	for (size_t i = 0; i < sizeof(world_kinds) / sizeof(world_kinds[0]); i++) {
		const struct world_kind *wk = &world_kinds[i];
		jv sec = jvx_get(world, wk->section);
		jv arr = wk->list ? jvx_get(sec, wk->list) : jv_copy(sec);
		jv_free(sec);
		if (jv_get_kind(arr) == JV_KIND_ARRAY)
			jv_array_foreach(arr, j, res) {
				const char *name = jvx_str(res, wk->name_key);
				if (name && !gone(res))
					view = view_add(view, wk->kind, name, wk->reduce ? wk->reduce(jv_copy(res)) :
							jv_copy(res), 0);
				jv_free(res);
			}
		jv_free(arr);
	}
	jv s3 = jvx_get(world, "s3");
	view = jv_get_kind(s3) == JV_KIND_ARRAY ? view_s3(view, s3) : (jv_free(s3), view);
	jv k8s = jvx_get(world, "k8s");
	view = jv_get_kind(k8s) == JV_KIND_ARRAY ? view_k8s(view, k8s) : (jv_free(k8s), view);
	jv_free(world);
	return view;
}

/* ---------------------------------------------------------------- diff */

/* word i (0-based) of a space-separated entry into out; 0 or -1 when absent/too long */
static int word(const char *s, int i, char *out, size_t size)
{
	for (; i > 0 && s; i--)
		if ((s = strchr(s, ' ')))
			s++;
	if (!s || !*s)
		return -1;
	size_t n = strcspn(s, " ");
	if (n >= size)
		return -1;
	memcpy(out, s, n);
	out[n] = '\0';
	return 0;
}

/* field path pat matches path, or a path above it ("spec" keeps "spec.replicas") */
static int field_match(const char *pat, const char *path)
{
	if (!fnmatch(pat, path, 0))
		return 1;
	char up[1024];
	for (size_t i = strlen(path); i > 0; i--) {
		if ((path[i] == '.' || path[i] == '[') && i < sizeof(up)) {
			memcpy(up, path, i);
			up[i] = '\0';
			if (!fnmatch(pat, up, 0))
				return 1;
		}
	}
	return 0;
}

/* the kinds as DESIGN.md and AWS name them ("rds.snapshot") for the diff's words */
static const struct { const char *alias, *kind; } kind_aliases[] = {
	{ "rds.instance", "rds" }, { "rds.snapshot", "rds-snapshot" },
	{ "elasticache.replication_group", "elasticache" }, { "elasticache.snapshot", "elasticache-snapshot" },
	{ "secretsmanager.secret", "secretsmanager" }, { "s3.bucket", "s3" }, { "s3.object", "s3-object" },
};

/* res ("KIND NAME") is kept by a rollback_keeps entry: the whole resource ("KIND" and
 * "KIND NAME" patterns), or with field, that field ("KIND NAME FIELD" patterns too) */
static int kept(const char *res, const char *field, char *const *keeps, int nkeeps)
{
	char kind[256], name[1024], kk[256], kn[1024], kf[1024];
	if (word(res, 0, kind, sizeof(kind)) < 0 || !strchr(res, ' ') ||
	    snprintf(name, sizeof(name), "%s", strchr(res, ' ') + 1) >= (int)sizeof(name))
		return 0;
	for (int i = 0; i < nkeeps; i++) {
		if (word(keeps[i], 0, kk, sizeof(kk)) < 0)
			continue;
		for (size_t a = 0; a < sizeof(kind_aliases) / sizeof(kind_aliases[0]); a++)
			if (!strcmp(kk, kind_aliases[a].alias))
				snprintf(kk, sizeof(kk), "%s", kind_aliases[a].kind);
		if (word(keeps[i], 1, kn, sizeof(kn)) < 0)
			snprintf(kn, sizeof(kn), "*");     /* "KIND": every one of them */
		if (fnmatch(kk, kind, 0) || fnmatch(kn, name, 0))
			continue;
		if (word(keeps[i], 2, kf, sizeof(kf)) < 0)
			return 1;
		if (field && field_match(kf, field))
			return 1;
	}
	return 0;
}

/* a value in a diff line: strings as text, short values as JSON, longer ones elided */
static int diff_value(struct buf *b, jv v)
{
	int berr = 0;
	if (!jv_is_valid(v) || jv_get_kind(v) == JV_KIND_NULL) {
		berr |= buf_adds(b, "none");
	} else if (jv_get_kind(v) == JV_KIND_STRING) {
		berr |= buf_adds(b, jv_string_value(v));
	} else {
		char *t = jvx_dump(jv_copy(v));
		berr |= buf_adds(b, strlen(t) <= 40 ? t : jv_get_kind(v) == JV_KIND_OBJECT ? "{...}" : "[...]");
		free(t);
	}
	jv_free(v);
	return berr;
}

struct diff_ctx {
	struct buf *b;          /* " path a->b" per field */
	const char *res;        /* "KIND NAME" */
	char *const *keeps;
	int nkeeps;
	int n;                  /* fields that differ, not kept */
};

#define DIFF_FIELDS_SHOWN 3   /* changed fields named per resource */

/* the fields of res that differ and are not kept, "path a->b", at most
 * DIFF_FIELDS_SHOWN named (then "..."); consumes a and b */
static int diff_fields(struct diff_ctx *c, const char *path, jv a, jv b2)
{
	int berr = 0;
	if (jv_equal(jv_copy(a), jv_copy(b2))) {
		jv_free(a);
		jv_free(b2);
		return berr;
	}
	if (jv_get_kind(a) == JV_KIND_OBJECT && jv_get_kind(b2) == JV_KIND_OBJECT) {
		jv keys = jv_keys(jv_copy(a));
		jv kb = jv_keys(jv_copy(b2));
		jv_array_foreach(kb, i, k) {
			if (!jv_object_has(jv_copy(a), jv_copy(k)))
				keys = jv_array_append(keys, k);
			else
				jv_free(k);
		}
		jv_free(kb);
		jv_array_foreach(keys, i, k) {
			char *p = *path ? strf("%s.%s", path, jv_string_value(k)) : xstrdup(jv_string_value(k));
			jv va = jv_object_has(jv_copy(a), jv_copy(k)) ? jv_object_get(jv_copy(a), jv_copy(k)) : jv_invalid();
			jv vb = jv_object_has(jv_copy(b2), jv_copy(k)) ? jv_object_get(jv_copy(b2), jv_copy(k)) : jv_invalid();
			berr |= diff_fields(c, p, va, vb);
			free(p);
			jv_free(k);
		}
		jv_free(keys);
	} else if (jv_get_kind(a) == JV_KIND_ARRAY && jv_get_kind(b2) == JV_KIND_ARRAY &&
		   jv_array_length(jv_copy(a)) == jv_array_length(jv_copy(b2))) {
		jv_array_foreach(a, i, x) {
			char *p = strf("%s[%d]", path, i);
			berr |= diff_fields(c, p, x, jv_array_get(jv_copy(b2), i));
			free(p);
		}
	} else if (!kept(c->res, path, c->keeps, c->nkeeps)) {
		if (c->n < DIFF_FIELDS_SHOWN) {
			berr |= buf_addf(c->b, " %s ", path);
			berr |= diff_value(c->b, jv_copy(a));
			berr |= buf_adds(c->b, "->");
			berr |= diff_value(c->b, jv_copy(b2));
		} else if (c->n == DIFF_FIELDS_SHOWN) {
			berr |= buf_adds(c->b, " ...");
		}
		c->n++;
	}
	jv_free(a);
	jv_free(b2);
	return berr;
}

char *sweep_world_diff(jv before, jv after, char *const *keeps, int nkeeps)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	jv names = jv_keys(jv_copy(after));
	jv bn = jv_keys(jv_copy(before));
	jv_array_foreach(bn, i, k) {
		if (!jv_object_has(jv_copy(after), jv_copy(k)))
			names = jv_array_append(names, k);
		else
			jv_free(k);
	}
	jv_free(bn);
	names = jv_sort(names, jv_copy(names));
	jv_array_foreach(names, i, k) {
		const char *res = jv_string_value(k);
		int in_a = jv_object_has(jv_copy(before), jv_copy(k));
		int in_b = jv_object_has(jv_copy(after), jv_copy(k));
		if (in_a && in_b) {
			struct buf f = BUF_INIT(0);
			struct diff_ctx c = { &f, res, keeps, nkeeps, 0 };
			berr |= diff_fields(&c, "", jv_object_get(jv_copy(before), jv_copy(k)),
				    jv_object_get(jv_copy(after), jv_copy(k)));
			if (c.n)
				berr |= buf_addf(&b, "%s~ %s%s", b.len ? "; " : "", res, buf_str(&f));
			buf_release(&f);
		} else if (!kept(res, NULL, keeps, nkeeps)) {
			berr |= buf_addf(&b, "%s%c %s", b.len ? "; " : "", in_b ? '+' : '-', res);
		}
		jv_free(k);
	}
	jv_free(names);
	jv_free(before);
	jv_free(after);
	BUF_NOCAP(berr);
	char *s = xstrdup(b.len ? buf_str(&b) : "=");
	buf_release(&b);
	return s;
}

/* ---------------------------------------------------------------- the fault */

struct fault_state {
	pthread_mutex_t lock;
	const char *qid;        /* the position's step */
	char *hit;              /* the job name of its first call, once made */
	int calls;              /* calls answered by the fault */
};

/* name is qid's, of its first item: qid with "[0]" after for_each parts (the job of
 * item 0 fails, whichever item's call comes first) */
static int same_step(const char *name, const char *qid)
{
	for (;;) {
		if (!strncmp(name, "[0]", 3) && *qid != '[') {
			name += 3;
			continue;
		}
		if (*name != *qid)
			return 0;
		if (!*name)
			return 1;
		name++;
		qid++;
	}
}

static int fault_call(void *arg, const char *step, const struct action_desc *desc, jv *err)
{
	struct fault_state *fs = arg;
	int fail = 0;
	pthread_mutex_lock(&fs->lock);
	if (fs->hit)
		fail = !strcmp(fs->hit, step);       /* its retries fail too */
	else if (same_step(step, fs->qid)) {
		fs->hit = xstrdup(step);
		fail = 1;
	}
	if (fail)
		fs->calls++;
	pthread_mutex_unlock(&fs->lock);
	if (fail)
		*err = jvx_error("InjectedFault", "rehearse --sweep: step '%s' fails at its first call (%s)",
				 step, desc->name);
	return fail;
}

/* what the sweep needs of the run's events: its end, and whether the position's
 * step was skipped (its when: false) */
struct sweep_sink {
	const char *qid;
	jv finished;
	char status[32];        /* how the position's step finished, "" if it did not */
};

static void sink_event(void *arg, jv ev)
{
	struct sweep_sink *ss = arg;
	const char *kind = jvx_str(ev, "event");
	const char *step = jvx_str(ev, "step");
	const char *st = jvx_str(ev, "status");
	if (kind && !strcmp(kind, "run_finished")) {
		jv_free(ss->finished);
		ss->finished = ev;
		return;
	}
	if (kind && !strcmp(kind, "step_finished") && step && st && !ss->status[0] && same_step(step, ss->qid))
		snprintf(ss->status, sizeof(ss->status), "%s", st);
	jv_free(ev);
}

/* ---------------------------------------------------------------- the sweep */

/* every scope's rollback_keeps (a uses: runbook keeps what it keeps) */
static char **collect_keeps(const struct plan *p, int *n)
{
	int total = 0;
	for (int i = 0; i < p->nscopes; i++)
		total += p->scopes[i].rb->nrollback_keeps;
	char **k = xcalloc((size_t)total + 1, sizeof(*k));
	*n = 0;
	for (int i = 0; i < p->nscopes; i++)
		for (int j = 0; j < p->scopes[i].rb->nrollback_keeps; j++)
			k[(*n)++] = p->scopes[i].rb->rollback_keeps[j];
	return k;
}

int sweep_run(struct rehearsal *r, FILE *out)
{
	int berr = 0;
	const struct plan *p = &r->ld->plan;
	int npos = 0, ncomplete = 0, nunreached = 0, nkeeps = 0;
	char **keeps = collect_keeps(p, &nkeeps);
	struct diag_list dl = { 0 };

	for (int i = 0; i < p->n; i++)
		if (p->nodes[i].step->kind == STEP_ACTION && p->nodes[i].mutating)
			npos++;
	if (!npos) {
		cli_error("nothing to sweep: '%s' has no mutating step", r->ld->rb->path ? r->ld->rb->path : "the runbook");
		free(keeps);
		return 2;
	}
	fprintf(out, "sweep: %d mutating step%s, each failing at its first call\n", npos, npos == 1 ? "" : "s");
	r->settle = 1;
	r->out = NULL;
	int pos = 0;
	for (int i = 0; i < p->n; i++) {
		const struct plan_node *pn = &p->nodes[i];
		if (pn->step->kind != STEP_ACTION || !pn->mutating)
			continue;
		pos++;
		struct fault_state fs = { .qid = pn->qid };
		pthread_mutex_init(&fs.lock, NULL);
		struct sweep_sink ss = { pn->qid, jv_invalid(), "" };
		r->fault = (struct engine_fault){ fault_call, &fs };
		r->sink = (struct engine_sink){ sink_event, &ss };
		int rc = rehearsal_run(r, &dl);
		if (rc < 0 && pos == 1) {
			/* refused before anything ran (the sandbox's steps without a rule, a
			 * scenario that does not load): every position would be; say it once */
			cli_print_diags(&dl);
			diag_list_release(&dl);
			jv_free(ss.finished);
			free(fs.hit);
			pthread_mutex_destroy(&fs.lock);
			free(keeps);
			return 2;
		}
		int complete = 0, unreached = 0;
		struct buf line = BUF_INIT(0);
		berr |= buf_addf(&line, "%3d  %-28s ", pos, pn->qid);
		if (rc < 0) {
			berr |= buf_addf(&line, "cannot be rehearsed: %s", dl.n ? dl.items[0].msg : "the simulator did not start");
		} else if (rc == EXIT_INVALID) {
			const char *why = jvx_str(ss.finished, "error");
			berr |= buf_addf(&line, "exit 2  cannot be rehearsed: %s", why ? why : "the rehearsal refused to start");
		} else if (!fs.hit) {
			berr |= buf_addf(&line, "exit %d  not reached: ", rc);
			/* a step these params leave out is not a mutation of this procedure: said,
			 * counted apart; sweep again with params that take that path */
			if (!strcmp(ss.status, "skipped"))
				berr |= buf_adds(&line, "skipped (its when: is false with these params)"), unreached = 1;
			else if (ss.status[0] && pn->step->has_for_each)
				berr |= buf_addf(&line, "its for_each had no item (%s)", ss.status), unreached = 1;
			else if (ss.status[0])
				berr |= buf_addf(&line, "the step made no call (%s)", ss.status);
			else
				berr |= buf_adds(&line, "the step did not run (the run ended before it)");
			berr |= buf_adds(&line, ", no fault injected");
		} else {
			jv bv = sweep_world_view(jv_copy(r->before));
			jv av = sweep_world_view(jv_copy(r->after));
			char *d = sweep_world_diff(bv, av, keeps, nkeeps);
			/* the engine's word (exit 1) and the world's both */
			complete = rc == EXIT_FAILED && !strcmp(d, "=");
			berr |= buf_addf(&line, "exit %d  rollback %-11s world: %s", rc,
				 complete ? "complete" : "incomplete", d);
			free(d);
		}
		if (!complete && r->run_id)
			berr |= buf_addf(&line, " (run %s)", r->run_id);
		BUF_NOCAP(berr);
		fprintf(out, "%s\n", buf_str(&line));
		fflush(out);
		buf_release(&line);
		ncomplete += complete;
		nunreached += unreached;
		jv_free(ss.finished);
		free(fs.hit);
		pthread_mutex_destroy(&fs.lock);
		diag_list_release(&dl);
		r->fault = (struct engine_fault){ NULL, NULL };
		r->sink = (struct engine_sink){ NULL, NULL };
	}
	fprintf(out, "%d position%s, %d roll%s back completely", npos, npos == 1 ? "" : "s", ncomplete,
		ncomplete == 1 ? "s" : "");
	if (nunreached)
		fprintf(out, ", %d not reached with these params", nunreached);
	fputc('\n', out);
	free(keeps);
	/* every position these params reach rolls back completely, and one at least does */
	return ncomplete > 0 && ncomplete + nunreached == npos ? 0 : 1;
}
