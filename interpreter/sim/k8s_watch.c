/* k8s_watch.c — watches of the simulated Kubernetes API: what exists first (no
 * resourceVersion), then the store's change log from a resourceVersion on, streamed while
 * the watch lasts (the world is ticked each time it looks); 410 Gone for a
 * resourceVersion older than the log.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "k8s_int.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/jvx.h"

static const char *ev_names[] = { "ADDED", "MODIFIED", "DELETED" };

struct watch {
	struct k8s_sim *k;
	struct kreq r;           /* res, ns, selectors (query owned here) */
	uint64_t rv;             /* events after this one */
	int64_t until_real;      /* monotonic ms when the watch ends */
	struct buf pending;
	size_t off;
	int initial;             /* send ADDED for what exists first */
};

static int64_t mono_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int watch_line(struct watch *w, const char *type, jv obj)
{
	int berr = 0;
	jv e = jv_object();
	e = jv_object_set(e, jv_string("type"), jv_string(type));
	e = jv_object_set(e, jv_string("object"), obj);
	char *s = jvx_dump(e);
	berr |= buf_adds(&w->pending, s);
	berr |= buf_addc(&w->pending, '\n');
	free(s);
	return berr;
}

/* collect what a watcher has not seen; lock held */
static int watch_collect(struct watch *w)
{
	int berr = 0;
	struct k8s_sim *k = w->k;
	sim_k8s_tick(k, clock_now(k->clock));
	if (w->initial) {
		for (kh h = sim_k8s_first(k); h; h = sim_k8s_next(k, h)) {
			struct kobj *o = sim_k8s_at(k, h);
			if (o->res == w->r.res && sim_k8s_selected(&w->r, o->obj))
				berr |= watch_line(w, "ADDED", sim_k8s_served(k, o, w->r.now));
		}
		w->rv = k->rv;
		w->initial = 0;
		return berr;
	}
	if (k->ev_n && w->rv + 1 < k->ev[k->ev_head].rv && w->rv < k->rv) {
		berr |= watch_line(w, "ERROR", jv_parse("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
						"\"status\":\"Failure\",\"message\":\"too old resource version\","
						"\"reason\":\"Expired\",\"code\":410}"));
		w->until_real = 0;
		return berr;
	}
	for (int j = 0; j < k->ev_n; j++) {
		struct kev *e = &k->ev[(k->ev_head + j) % EVENTS_KEPT];
		if (e->rv <= w->rv || e->res != w->r.res || !sim_k8s_selected(&w->r, e->obj))
			continue;
		jv v = jv_copy(e->obj);
		v = jv_object_set(v, jv_string("apiVersion"), jv_string(sim_k8s_api_version(e->res)));
		v = jv_object_set(v, jv_string("kind"), jv_string(kres(e->res)->kind));
		berr |= watch_line(w, ev_names[e->type], v);
	}
	w->rv = k->rv;
	return berr;
}

ssize_t sim_k8s_watch_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	int berr = 0;
	struct watch *w = cls;
	(void)pos;
	while (w->off >= w->pending.len) {
		buf_reset(&w->pending);
		w->off = 0;
		if (atomic_load(&w->k->stopping) || mono_ms() >= w->until_real)
			return -1;      /* the end of the stream */
		pthread_mutex_lock(&w->k->lock);
		w->r.now = clock_now(w->k->clock);
		berr |= watch_collect(w);
		pthread_mutex_unlock(&w->k->lock);
		if (w->pending.len == 0)
			usleep(WATCH_TICK_MS * 1000);
	}
	BUF_NOCAP(berr);
	size_t n = w->pending.len - w->off;
	if (n > max)
		n = max;
	memcpy(buf, w->pending.data + w->off, n);
	w->off += n;
	return (ssize_t)n;
}

void sim_k8s_watch_free(void *cls)
{
	struct watch *w = cls;
	buf_release(&w->pending);
	jv_free(w->r.query);
	jv_free(w->r.headers);
	free((char *)w->r.ns);
	free(w);
}

void sim_k8s_watch_start(struct k8s_sim *k, struct kreq *r, struct kresp *o)
{
	struct watch *w = xcalloc(1, sizeof(*w));
	w->k = k;
	w->r = *r;
	w->r.query = jv_copy(r->query);
	w->r.headers = jv_copy(r->headers);
	w->r.ns = r->ns ? xstrdup(r->ns) : NULL;
	w->r.name = NULL;
	buf_init(&w->pending, 0);
	const char *rv = qarg(r, "resourceVersion"), *to = qarg(r, "timeoutSeconds");
	w->initial = !rv || !*rv || !strcmp(rv, "0");
	w->rv = rv ? strtoull(rv, NULL, 10) : 0;
	long secs = to ? strtol(to, NULL, 10) : 1800;
	if (secs <= 0 || secs > 3600)
		secs = 1800;
	w->until_real = mono_ms() + secs * 1000;
	o->watch = w;
	o->status = 200;
	o->ctype = "application/json";
}

void sim_k8s_watch_drain(struct k8s_sim *k, struct watch *w, struct buf *out)
{
	int berr = 0;
	pthread_mutex_lock(&k->lock);
	w->r.now = clock_now(k->clock);
	berr |= watch_collect(w);
	pthread_mutex_unlock(&k->lock);
	berr |= buf_add(out, w->pending.data ? w->pending.data : "", w->pending.len);
	BUF_NOCAP(berr);
	sim_k8s_watch_free(w);
}
