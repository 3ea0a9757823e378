/* region.c — one world per region. The fields of struct sim listed below hold the world
 * of the region being answered (s->region); the other regions' worlds wait in
 * s->regions. A request enters the region of its SigV4 scope and leaves back to the
 * scenario's home region, so outside a request the fields are always the home world.
 * A region nobody declared is an empty world made at its first request, as on AWS.
 * Regional: RDS, ElastiCache and Secrets Manager. S3 buckets are one namespace, each
 * bucket in its region (s3.c answers a request sent to another region as S3 does).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "simint.h"
#include "../core/bug.h"
#include "../core/jvx.h"

static const size_t regional[SIM_REGIONAL_N] = {
	offsetof(struct sim, rds_instances), offsetof(struct sim, rds_snapshots),
	offsetof(struct sim, rds_subnet_groups), offsetof(struct sim, ec_groups),
	offsetof(struct sim, ec_snapshots), offsetof(struct sim, new_endpoint),
	offsetof(struct sim, new_cache_endpoint), offsetof(struct sim, secrets),
};

static jv *field(struct sim *s, size_t off)
{
	return (jv *)((char *)s + off);
}

static struct sim_region_world *slot(struct sim *s, const char *name)
{
	for (int i = 0; i < s->nregions; i++)
		if (!strcmp(s->regions[i].name, name))
			return &s->regions[i];
	return NULL;
}

/* text with every "from" replaced by "to" (endpoint templates name their region) */
static jv replace_all(const char *text, const char *from, const char *to)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	size_t fl = strlen(from);
	const char *p = text, *q;
	while (fl && (q = strstr(p, from))) {
		berr |= buf_add(&b, p, (size_t)(q - p));
		berr |= buf_adds(&b, to);
		p = q + fl;
	}
	berr |= buf_adds(&b, p);
	BUF_NOCAP(berr);
	jv v = jv_string(buf_str(&b));
	buf_release(&b);
	return v;
}

static jv endpoint_in(jv tmpl, const char *from, const char *to)
{
	const char *a = jvx_str(tmpl, "address");
	if (!a)
		return jv_copy(tmpl);
	return jv_object_set(jv_copy(tmpl), jv_string("address"), replace_all(a, from, to));
}

jv sim_rds_subnet_group(struct sim *s, const char *name, const char *desc, const char *vpc, jv subnets);

/* a new, empty world for region name (the active world's endpoints, renamed) */
static struct sim_region_world *slot_new(struct sim *s, const char *name)
{
	ALLOC_GROW(s->regions, s->nregions + 1, s->aregions);
	struct sim_region_world *w = &s->regions[s->nregions++];
	memset(w, 0, sizeof(*w));
	snprintf(w->name, sizeof(w->name), "%s", name);
	for (int i = 0; i < SIM_REGIONAL_N; i++)
		w->w[i] = jv_array();
	char saved[32];
	snprintf(saved, sizeof(saved), "%s", s->region);
	snprintf(s->region, sizeof(s->region), "%s", name);   /* the default group's ARN */
	jv_free(w->w[2]);
	w->w[2] = JV_ARRAY(sim_rds_subnet_group(s, "default", "default", NULL, jv_array()));
	snprintf(s->region, sizeof(s->region), "%s", saved);
	jv_free(w->w[5]);
	jv_free(w->w[6]);
	w->w[5] = endpoint_in(s->new_endpoint, s->region, name);
	w->w[6] = endpoint_in(s->new_cache_endpoint, s->region, name);
	return w;
}

void sim_region_enter(struct sim *s, const char *name)
{
	if (!name || !name[0] || !strcmp(name, s->region))
		return;
	struct sim_region_world *in = slot(s, name);
	if (!in)
		in = slot_new(s, name);
	ptrdiff_t ix = in - s->regions;
	struct sim_region_world *out = slot(s, s->region);
	if (!out) {
		out = slot_new(s, s->region);
		for (int i = 0; i < SIM_REGIONAL_N; i++)
			jv_free(out->w[i]);
	}
	in = &s->regions[ix];   /* slot_new may have moved the array */
	for (int i = 0; i < SIM_REGIONAL_N; i++) {
		out->w[i] = *field(s, regional[i]);
		*field(s, regional[i]) = in->w[i];
		in->w[i] = jv_null();
	}
	snprintf(s->region, sizeof(s->region), "%s", name);
}

void sim_region_leave(struct sim *s)
{
	sim_region_enter(s, s->home);
}

jv *sim_region_field(struct sim *s, const char *name, size_t off)
{
	if (!name || !strcmp(name, s->region))
		return field(s, off);
	struct sim_region_world *w = slot(s, name);
	if (!w)
		w = slot_new(s, name);
	for (int i = 0; i < SIM_REGIONAL_N; i++)
		if (regional[i] == off)
			return &w->w[i];
	BUG("not a regional field");
}

const char *sim_arn_region(const char *arn, char *buf, size_t size)
{
	/* arn:aws:SERVICE:REGION:... */
	const char *p = arn;
	if (!arn || strncmp(arn, "arn:", 4))
		return NULL;
	for (int i = 0; i < 3 && p; i++) {
		p = strchr(p, ':');
		if (p)
			p++;
	}
	const char *e = p ? strchr(p, ':') : NULL;
	if (!e || e == p || (size_t)(e - p) >= size)
		return NULL;
	memcpy(buf, p, (size_t)(e - p));
	buf[e - p] = 0;
	return buf;
}

const char *sim_scope_region(jv headers, jv query, char *buf, size_t size)
{
	const char *cred = NULL, *a = jvx_str(headers, "authorization");
	if (a && (cred = strstr(a, "Credential=")))
		cred += 11;
	else if (!a)
		cred = jvx_str(query, "X-Amz-Credential");
	/* AKID/DATE/REGION/SERVICE/aws4_request */
	const char *p = cred;
	for (int i = 0; i < 2 && p; i++) {
		p = strchr(p, '/');
		if (p)
			p++;
	}
	const char *e = p ? strchr(p, '/') : NULL;
	if (!e || e == p || (size_t)(e - p) >= size)
		return NULL;
	memcpy(buf, p, (size_t)(e - p));
	buf[e - p] = 0;
	return buf;
}

jv sim_regions_state(struct sim *s, jv (*world)(struct sim *s))
{
	jv out = jv_object();
	for (int i = 0; i < s->nregions; i++) {
		char name[32];
		snprintf(name, sizeof(name), "%s", s->regions[i].name);
		if (!strcmp(name, s->region))
			continue;
		sim_region_enter(s, name);
		out = jv_object_set(out, jv_string(name), world(s));
		sim_region_leave(s);
	}
	return out;
}

void sim_regions_release(struct sim *s)
{
	for (int i = 0; i < s->nregions; i++)
		for (int k = 0; k < SIM_REGIONAL_N; k++)
			jv_free(s->regions[i].w[k]);
	free(s->regions);
	s->regions = NULL;
	s->nregions = s->aregions = 0;
}
