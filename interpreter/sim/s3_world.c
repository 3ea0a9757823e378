/* s3_world.c — the simulated S3 world: buckets and their object versions (add, put,
 * remove a version, release, the state dump of --world-out); s3.c serves the API. */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "simint.h"
#include "../core/bug.h"
#include "../core/jvx.h"

/* ------------------------------------------------------------------ world */

struct s3_bucket *sim_s3_bucket_add(struct sim *s, const char *name, int64_t created)
{
	ALLOC_GROW(s->buckets, s->nbuckets + 1, s->abuckets);
	struct s3_bucket *b = &s->buckets[s->nbuckets++];
	memset(b, 0, sizeof(*b));
	b->name = xstrdup(name);
	b->created = created;
	snprintf(b->region, sizeof(b->region), "%s", s->region);
	return b;
}

static void ver_free(struct s3_ver *v)
{
	free(v->key);
	free(v->vid);
	free(v->body);
	free(v->ctype);
	jv_free(v->meta);
}

void sim_s3_ver_remove(struct s3_bucket *b, int i)
{
	ver_free(&b->v[i]);
	memmove(&b->v[i], &b->v[i + 1], (size_t)(b->n - i - 1) * sizeof(b->v[0]));
	b->n--;
}

static void new_vid(struct sim *s, char *buf, size_t size)
{
	char id[48];
	sim_new_id(s, id, sizeof(id));
	size_t j = 0;
	for (size_t i = 0; id[i] && j + 1 < size; i++)
		if (id[i] != '-')
			buf[j++] = id[i];
	buf[j] = 0;
}

struct s3_ver *sim_s3_put(struct sim *s, struct s3_bucket *b, const char *key, const char *body,
		      size_t len, const char *ctype, int dm, const char *vid, int64_t mtime)
{
	char gen[48];
	if (b->versioning != 1) {
		vid = "null";   /* unversioned or suspended: the null version is replaced */
		for (int i = 0; i < b->n; i++)
			if (!strcmp(b->v[i].key, key) && !strcmp(b->v[i].vid, "null")) {
				sim_s3_ver_remove(b, i);
				break;
			}
	} else if (!vid) {
		new_vid(s, gen, sizeof(gen));
		vid = gen;
	}
	ALLOC_GROW(b->v, b->n + 1, b->alloc);
	struct s3_ver *v = &b->v[b->n++];
	memset(v, 0, sizeof(*v));
	v->key = xstrdup(key);
	v->vid = xstrdup(vid);
	v->dm = dm;
	v->mtime = mtime;
	v->ctype = xstrdup(ctype ? ctype : "binary/octet-stream");
	v->meta = jv_object();
	if (!dm) {
		v->body = xmalloc(len + 1);
		if (len)
			memcpy(v->body, body, len);
		v->body[len] = 0;
		v->len = len;
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned int mdlen = 0;
		EVP_Digest(v->body, len, md, &mdlen, EVP_md5(), NULL);
		size_t p = 0;
		v->etag[p++] = '"';
		for (unsigned i = 0; i < mdlen && p + 3 < sizeof(v->etag); i++)
			p += (size_t)snprintf(v->etag + p, sizeof(v->etag) - p, "%02x", md[i]);
		v->etag[p++] = '"';
		v->etag[p] = 0;
	}
	return v;
}

void sim_s3_world_release(struct sim *s)
{
	for (int i = 0; i < s->nbuckets; i++) {
		for (int j = 0; j < s->buckets[i].n; j++)
			ver_free(&s->buckets[i].v[j]);
		free(s->buckets[i].v);
		free(s->buckets[i].name);
		free(s->buckets[i].replication);
	}
	free(s->buckets);
	s->buckets = NULL;
	s->nbuckets = s->abuckets = 0;
}

jv sim_s3_state(struct sim *s)
{
	char iso[40];
	jv out = jv_array();
	for (int i = 0; i < s->nbuckets; i++) {
		struct s3_bucket *b = &s->buckets[i];
		jv vers = jv_array();
		for (int j = 0; j < b->n; j++) {
			struct s3_ver *v = &b->v[j];
			jv o = JV_OBJECT(jv_string("Key"), jv_string(v->key), jv_string("VersionId"), jv_string(v->vid),
					 jv_string("LastModified"), jv_string(sim_iso(v->mtime, iso, sizeof(iso))));
			if (v->dm)
				o = jv_object_set(o, jv_string("DeleteMarker"), jv_true());
			else
				o = jv_object_set(jv_object_set(o, jv_string("Size"), jv_number((double)v->len)),
						  jv_string("ETag"), jv_string(v->etag));
			vers = jv_array_append(vers, o);
		}
		out = jv_array_append(out, JV_OBJECT(jv_string("Name"), jv_string(b->name),
			jv_string("Region"), jv_string(b->region),
			jv_string("Versioning"), jv_string(b->versioning == 1 ? "Enabled" :
							   b->versioning == 2 ? "Suspended" : "none"),
			jv_string("Versions"), vers));
	}
	return out;
}

