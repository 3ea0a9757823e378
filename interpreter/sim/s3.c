/* s3.c — simulated S3 (REST-XML, path style: /BUCKET/KEY): buckets, objects with
 * versioning and delete markers, ListObjectsV2 / ListObjects / ListObjectVersions
 * (interleaved Version and DeleteMarker), GET/HEAD/PUT/DELETE with versionId, ranged
 * GET, CopyObject (x-amz-copy-source with versionId), DeleteObjects, bucket versioning.
 * Bucket names are one namespace; each bucket lives in a region (CreateBucket's
 * LocationConstraint), and a request signed for another region is redirected as S3 does.
 * Bodies live in C memory (they may be binary); aws-chunked uploads are decoded.
 */
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "simint.h"
#include "../core/bug.h"
#include "../core/jvx.h"

#define S3_NS "http://s3.amazonaws.com/doc/2006-03-01/"

/* ------------------------------------------------------------------ request helpers */

struct s3_path {
	char bucket[256];
	const char *key;        /* NULL: bucket-level request */
};

static void path_parts(struct sim_req *r, struct s3_path *p)
{
	const char *s = r->path;
	while (*s == '/')
		s++;
	const char *slash = strchr(s, '/');
	size_t bl = slash ? (size_t)(slash - s) : strlen(s);
	if (bl >= sizeof(p->bucket))
		bl = sizeof(p->bucket) - 1;
	memcpy(p->bucket, s, bl);
	p->bucket[bl] = 0;
	p->key = slash && slash[1] ? slash + 1 : NULL;
}

static int has_arg(struct sim_req *r, const char *name)
{
	return jvx_has(r->query, name);
}

static const char *arg(struct sim_req *r, const char *name)
{
	return jvx_str(r->query, name);
}

static const char *hdr(struct sim_req *r, const char *name)
{
	return jvx_str(r->headers, name);
}

/* S3's subresources (query arguments that name an API) that are not simulated */
static const char *const unsimulated_subresources[] = {
	"accelerate", "acl", "analytics", "attributes", "cors", "encryption", "intelligent-tiering",
	"inventory", "legal-hold", "lifecycle", "logging", "metrics", "notification", "object-lock",
	"ownershipControls", "policy", "policyStatus", "publicAccessBlock", "requestPayment", "restore",
	"retention", "select", "tagging", "torrent", "uploadId", "uploads", "website", NULL
};

const char *sim_s3_route(struct sim_req *r)
{
	struct s3_path p;
	path_parts(r, &p);
	const char *m = r->method;
	if (!p.bucket[0])
		return !strcmp(m, "GET") ? "ListBuckets" : NULL;
	/* a subresource the simulator does not serve is not simulated (NotImplemented),
	 * never a bucket creation or a listing */
	for (const char *const *sub = unsimulated_subresources; *sub; sub++)
		if (has_arg(r, *sub))
			return NULL;
	if (!p.key) {
		if (has_arg(r, "replication"))
			return !strcmp(m, "GET") ? "GetBucketReplication" : !strcmp(m, "PUT") ? "PutBucketReplication"
			       : !strcmp(m, "DELETE") ? "DeleteBucketReplication" : NULL;
		if (!strcmp(m, "GET")) {
			if (has_arg(r, "versions")) return "ListObjectVersions";
			if (has_arg(r, "versioning")) return "GetBucketVersioning";
			if (has_arg(r, "location")) return "GetBucketLocation";
			const char *lt = arg(r, "list-type");
			return lt && !strcmp(lt, "2") ? "ListObjectsV2" : "ListObjects";
		}
		if (!strcmp(m, "PUT"))
			return has_arg(r, "versioning") ? "PutBucketVersioning" : "CreateBucket";
		if (!strcmp(m, "HEAD")) return "HeadBucket";
		if (!strcmp(m, "POST") && has_arg(r, "delete")) return "DeleteObjects";
		if (!strcmp(m, "DELETE")) return "DeleteBucket";
		return NULL;
	}
	if (!strcmp(m, "GET")) return "GetObject";
	if (!strcmp(m, "HEAD")) return "HeadObject";
	if (!strcmp(m, "PUT")) return hdr(r, "x-amz-copy-source") ? "CopyObject" : "PutObject";
	if (!strcmp(m, "DELETE")) return "DeleteObject";
	return NULL;
}

struct s3_bucket *sim_s3_bucket(struct sim *s, const char *name)
{
	for (int i = 0; i < s->nbuckets; i++)
		if (!strcmp(s->buckets[i].name, name))
			return &s->buckets[i];
	return NULL;
}

/* a request for a bucket of another region: S3's 301 PermanentRedirect, which names the
 * bucket's region in x-amz-bucket-region (the CLI signs again for it and retries) */
static void wrong_region(struct sim_req *r, struct sim_resp *o, struct s3_bucket *b)
{
	int berr = 0;
	char ep[320];
	sim_error(r, o, 301, "PermanentRedirect", "x");
	sim_header(o, "x-amz-bucket-region", b->region);
	snprintf(ep, sizeof(ep), "%s.s3.%s.amazonaws.com", b->name, b->region);
	buf_reset(&o->body);
	berr |= buf_adds(&o->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>");
	sim_xml_elem(&o->body, "Code", "PermanentRedirect");
	sim_xml_elem(&o->body, "Message", "The bucket you are attempting to access must be addressed using the "
		     "specified endpoint. Please send all future requests to this endpoint.");
	sim_xml_elem(&o->body, "Endpoint", ep);
	sim_xml_elem(&o->body, "Bucket", b->name);
	sim_xml_elem(&o->body, "RequestId", r->request_id);
	sim_xml_elem(&o->body, "HostId", "runbook-sim");
	berr |= buf_adds(&o->body, "</Error>");
	BUF_NOCAP(berr);
}

/* the request's bucket, when it exists and lives in the region the request is for */
static struct s3_bucket *need_bucket(struct sim *s, struct sim_req *r, struct sim_resp *o, struct s3_path *p)
{
	path_parts(r, p);
	struct s3_bucket *b = sim_s3_bucket(s, p->bucket);
	if (!b) {
		sim_error(r, o, 404, "NoSuchBucket", "The specified bucket does not exist");
	} else if (strcmp(b->region, s->region)) {
		wrong_region(r, o, b);
		b = NULL;
	}
	return b;
}

/* the latest version of key (may be a delete marker), or -1 */
static int latest(struct s3_bucket *b, const char *key)
{
	for (int i = b->n - 1; i >= 0; i--)
		if (!strcmp(b->v[i].key, key))
			return i;
	return -1;
}

static int version_of(struct s3_bucket *b, const char *key, const char *vid)
{
	for (int i = 0; i < b->n; i++)
		if (!strcmp(b->v[i].key, key) && !strcmp(b->v[i].vid, vid))
			return i;
	return -1;
}

static char *http_date(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, size, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	return buf;
}

static int owner(struct buf *b)
{
	int berr = 0;
	berr |= buf_adds(b, "<Owner><ID>5e3a0000simowner</ID><DisplayName>runbook-sim</DisplayName></Owner>");
	return berr;
}

/* aws-chunked bodies: "<hex>[;ext]\r\n<data>\r\n ... 0\r\n<trailers>\r\n\r\n" */
static int dechunk(const char *in, size_t n, struct buf *out)
{
	size_t i = 0;
	while (i < n) {
		char *end;
		unsigned long sz = strtoul(in + i, &end, 16);
		if (end == in + i)
			return -1;
		const char *nl = memchr(end, '\n', n - (size_t)(end - in));
		if (!nl)
			return -1;
		i = (size_t)(nl - in) + 1;
		if (sz == 0)
			return 0;
		if (i > n || sz > n - i)          /* also a size near ULONG_MAX */
			return -1;
		if (buf_add(out, in + i, sz) < 0)
			return -1;
		i += sz;
		if (i < n && in[i] == '\r')
			i++;
		if (i < n && in[i] == '\n')
			i++;
	}
	return 0;
}

/* the request body, decoded if aws-chunked; *tmp holds decoded data */
static int body_of(struct sim_req *r, struct buf *tmp, const char **data, size_t *len)
{
	const char *sha = hdr(r, "x-amz-content-sha256");
	const char *enc = hdr(r, "content-encoding");
	if ((sha && !strncmp(sha, "STREAMING-", 10)) || (enc && strstr(enc, "aws-chunked"))) {
		if (dechunk(r->body, r->body_len, tmp) < 0)
			return -1;
		*data = buf_str(tmp);
		*len = tmp->len;
	} else {
		*data = r->body;
		*len = r->body_len;
	}
	return 0;
}

static void version_headers(struct s3_bucket *b, struct s3_ver *v, struct sim_resp *o)
{
	if (b->versioning || strcmp(v->vid, "null"))
		sim_header(o, "x-amz-version-id", v->vid);
}

/* ------------------------------------------------------------------ bucket operations */

static int op_list_buckets(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	char iso[40];
	o->ctype = "application/xml";
	berr |= buf_adds(&o->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListAllMyBucketsResult xmlns=\"" S3_NS "\">");
	berr |= owner(&o->body);
	berr |= buf_adds(&o->body, "<Buckets>");
	for (int i = 0; i < s->nbuckets; i++) {
		berr |= buf_adds(&o->body, "<Bucket>");
		sim_xml_elem(&o->body, "Name", s->buckets[i].name);
		sim_xml_elem(&o->body, "CreationDate", sim_iso(s->buckets[i].created, iso, sizeof(iso)));
		sim_xml_elem(&o->body, "BucketRegion", s->buckets[i].region);
		berr |= buf_adds(&o->body, "</Bucket>");
	}
	berr |= buf_adds(&o->body, "</Buckets></ListAllMyBucketsResult>");
	BUF_NOCAP(berr);
	return 0;
}

/* CreateBucketConfiguration's LocationConstraint, "" when none */
static void location_constraint(struct sim_req *r, char *out, size_t size)
{
	const char *b = r->body, *end = r->body ? r->body + r->body_len : NULL;
	const char *open = "<LocationConstraint>";
	out[0] = 0;
	for (; b && b + strlen(open) <= end; b++) {
		if (memcmp(b, open, strlen(open)))
			continue;
		const char *v = b + strlen(open), *e = v;
		while (e < end && *e != '<')
			e++;
		size_t n = (size_t)(e - v) < size - 1 ? (size_t)(e - v) : size - 1;
		memcpy(out, v, n);
		out[n] = 0;
		return;
	}
}

static int op_create_bucket(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	struct s3_path p;
	char lc[32];
	path_parts(r, &p);
	if (sim_s3_bucket(s, p.bucket))
		return sim_error(r, o, 409, "BucketAlreadyOwnedByYou",
				 "Your previous request to create the named bucket succeeded and you already own it.");
	/* us-east-1 (the global endpoint) creates a bucket in any region; another region's
	 * endpoint only in its own, which the request must name */
	location_constraint(r, lc, sizeof(lc));
	if (!strcmp(lc, "us-east-1"))
		return sim_error(r, o, 400, "InvalidLocationConstraint", "The specified location-constraint is not valid");
	if (strcmp(s->region, "us-east-1") && strcmp(lc, s->region))
		return sim_error(r, o, 400, "IllegalLocationConstraintException",
				 "The %s location constraint is incompatible for the region specific endpoint this "
				 "request was sent to.", lc[0] ? lc : "unspecified");
	struct s3_bucket *b = sim_s3_bucket_add(s, p.bucket, r->now);
	if (lc[0])
		snprintf(b->region, sizeof(b->region), "%s", lc);
	char loc[300];
	snprintf(loc, sizeof(loc), "/%s", p.bucket);
	sim_header(o, "Location", loc);
	return 0;
}

static int op_delete_bucket(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	struct s3_path p;
	struct s3_bucket *b = need_bucket(s, r, o, &p);
	if (!b)
		return 0;
	if (b->n)
		return sim_error(r, o, 409, "BucketNotEmpty", "The bucket you tried to delete is not empty");
	int ix = (int)(b - s->buckets);
	free(b->v);
	free(b->name);
	free(b->replication);
	memmove(&s->buckets[ix], &s->buckets[ix + 1], (size_t)(s->nbuckets - ix - 1) * sizeof(*b));
	s->nbuckets--;
	o->status = 204;
	return 0;
}

static int op_head_bucket(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	struct s3_path p;
	struct s3_bucket *b = need_bucket(s, r, o, &p);
	if (b)
		sim_header(o, "x-amz-bucket-region", b->region);
	return 0;
}

/* answered from any region, as S3 does: it is how a client finds a bucket's */
static int op_get_location(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	struct s3_path p;
	path_parts(r, &p);
	struct s3_bucket *b = sim_s3_bucket(s, p.bucket);
	if (!b)
		return sim_error(r, o, 404, "NoSuchBucket", "The specified bucket does not exist");
	o->ctype = "application/xml";
	berr |= buf_adds(&o->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"" S3_NS "\">");
	if (strcmp(b->region, "us-east-1"))
		sim_xml_esc(&o->body, b->region);
	berr |= buf_adds(&o->body, "</LocationConstraint>");
	BUF_NOCAP(berr);
	return 0;
}

static int op_get_versioning(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	struct s3_path p;
	struct s3_bucket *b = need_bucket(s, r, o, &p);
	if (!b)
		return 0;
	o->ctype = "application/xml";
	berr |= buf_adds(&o->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VersioningConfiguration xmlns=\"" S3_NS "\">");
	if (b->versioning)
		sim_xml_elem(&o->body, "Status", b->versioning == 1 ? "Enabled" : "Suspended");
	berr |= buf_adds(&o->body, "</VersioningConfiguration>");
	BUF_NOCAP(berr);
	return 0;
}

/* replication: the configuration is kept as put and given back (no object is copied) */
static int op_put_replication(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	struct s3_path p;
	struct s3_bucket *b = need_bucket(s, r, o, &p);
	if (!b)
		return 0;
	struct buf tmp = BUF_INIT(0);
	const char *body;
	size_t len;
	if (body_of(r, &tmp, &body, &len) < 0) {
		buf_release(&tmp);
		return sim_error(r, o, 400, "IncompleteBody", "the aws-chunked body is malformed");
	}
	if (!strstr(body, "<ReplicationConfiguration") || !strstr(body, "<Role>") || !strstr(body, "<Rule>"))
		sim_error(r, o, 400, "MalformedXML",
			  "The XML you provided was not well-formed or did not validate against our published schema");
	else if (b->versioning != 1)
		sim_error(r, o, 400, "InvalidRequest",
			  "Versioning must be 'Enabled' on the bucket to apply a replication configuration");
	else {
		free(b->replication);
		b->replication = xstrndup(body, len);
	}
	buf_release(&tmp);
	return 0;
}

static int op_get_replication(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	struct s3_path p;
	struct s3_bucket *b = need_bucket(s, r, o, &p);
	if (!b)
		return 0;
	if (!b->replication)
		return sim_error(r, o, 404, "ReplicationConfigurationNotFoundError",
				 "The replication configuration was not found");
	o->ctype = "application/xml";
	if (buf_adds(&o->body, b->replication) < 0)
		return sim_error(r, o, 500, "InternalError", "out of memory");
	return 0;
}

static int op_delete_replication(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	struct s3_path p;
	struct s3_bucket *b = need_bucket(s, r, o, &p);
	if (!b)
		return 0;
	free(b->replication);
	b->replication = NULL;
	o->status = 204;
	return 0;
}

static int op_put_versioning(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	struct s3_path p;
	struct s3_bucket *b = need_bucket(s, r, o, &p);
	if (!b)
		return 0;
	struct buf tmp = BUF_INIT(0);
	const char *body;
	size_t len;
	if (body_of(r, &tmp, &body, &len) < 0) {
		buf_release(&tmp);
		return sim_error(r, o, 400, "IncompleteBody", "the aws-chunked body is malformed");
	}
	if (strstr(body, "<Status>Enabled</Status>"))
		b->versioning = 1;
	else if (strstr(body, "<Status>Suspended</Status>"))
		b->versioning = 2;
	else
		sim_error(r, o, 400, "MalformedXML", "The XML you provided was not well-formed or did not validate");
	buf_release(&tmp);
	return 0;
}

/* ------------------------------------------------------------------ listings */

struct ent {
	const char *key;
	int pos;
};

static int ent_cmp(const void *a, const void *b)
{
	const struct ent *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	if (c)
		return c;
	return y->pos - x->pos;   /* newest first */
}

static const char *qarg(struct sim_req *r, const char *name, const char *def)
{
	const char *v = arg(r, name);
	return v ? v : def;
}

static int max_keys(struct sim_req *r)
{
	const char *m = arg(r, "max-keys");
	long n = m ? strtol(m, NULL, 10) : 1000;
	return n < 0 ? 0 : n > 1000 ? 1000 : (int)n;
}

/* common prefix of key under prefix with delimiter, written into cp; 1 if one */
static int common_prefix(const char *key, const char *prefix, const char *delim, char *cp, size_t size)
{
	if (!delim || !*delim)
		return 0;
	size_t pl = strlen(prefix);
	const char *d = strstr(key + pl, delim);
	if (!d)
		return 0;
	size_t n = (size_t)(d - key) + strlen(delim);
	if (n >= size)
		n = size - 1;
	memcpy(cp, key, n);
	cp[n] = 0;
	return 1;
}

static int op_list_versions(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	struct s3_path p;
	struct s3_bucket *b = need_bucket(s, r, o, &p);
	if (!b)
		return 0;
	const char *prefix = qarg(r, "prefix", ""), *delim = arg(r, "delimiter");
	const char *km = qarg(r, "key-marker", ""), *vm = arg(r, "version-id-marker");
	int max = max_keys(r);
	char iso[40], cp[1100], lastcp[1100] = "";
	struct ent *e = xcalloc((size_t)b->n + 1, sizeof(*e));
	int n = 0;
	for (int i = 0; i < b->n; i++)
		if (!strncmp(b->v[i].key, prefix, strlen(prefix)))
			e[n++] = (struct ent){ b->v[i].key, i };
	qsort(e, (size_t)n, sizeof(*e), ent_cmp);

	int start = 0;
	if (*km) {
		/* after key-marker (all its versions), or after version-id-marker within it */
		while (start < n && strcmp(e[start].key, km) < 0)
			start++;
		if (vm && *vm) {
			while (start < n && !strcmp(e[start].key, km) && strcmp(b->v[e[start].pos].vid, vm))
				start++;
			if (start < n && !strcmp(e[start].key, km))
				start++;
		} else {
			while (start < n && !strcmp(e[start].key, km))
				start++;
		}
	}
	struct buf items = BUF_INIT(0);
	int count = 0, truncated = 0;
	const char *next_key = NULL, *next_vid = NULL;
	for (int i = start; i < n; i++) {
		struct s3_ver *v = &b->v[e[i].pos];
		if (common_prefix(v->key, prefix, delim, cp, sizeof(cp))) {
			if (!strcmp(cp, lastcp))
				continue;
			if (count >= max) {
				truncated = 1;
				break;
			}
			snprintf(lastcp, sizeof(lastcp), "%s", cp);
			berr |= buf_adds(&items, "<CommonPrefixes>");
			sim_xml_elem(&items, "Prefix", cp);
			berr |= buf_adds(&items, "</CommonPrefixes>");
			count++;
			next_key = v->key;
			next_vid = v->vid;
			continue;
		}
		if (count >= max) {
			truncated = 1;
			break;
		}
		int is_latest = latest(b, v->key) == e[i].pos;
		berr |= buf_adds(&items, v->dm ? "<DeleteMarker>" : "<Version>");
		sim_xml_elem(&items, "Key", v->key);
		sim_xml_elem(&items, "VersionId", v->vid);
		sim_xml_elem(&items, "IsLatest", is_latest ? "true" : "false");
		sim_xml_elem(&items, "LastModified", sim_iso(v->mtime, iso, sizeof(iso)));
		if (!v->dm) {
			sim_xml_elem(&items, "ETag", v->etag);
			sim_xml_elemf(&items, "Size", "%zu", v->len);
			sim_xml_elem(&items, "StorageClass", "STANDARD");
		}
		berr |= owner(&items);
		berr |= buf_adds(&items, v->dm ? "</DeleteMarker>" : "</Version>");
		count++;
		next_key = v->key;
		next_vid = v->vid;
	}
	o->ctype = "application/xml";
	berr |= buf_adds(&o->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListVersionsResult xmlns=\"" S3_NS "\">");
	sim_xml_elem(&o->body, "Name", b->name);
	sim_xml_elem(&o->body, "Prefix", prefix);
	sim_xml_elem(&o->body, "KeyMarker", km);
	sim_xml_elem(&o->body, "VersionIdMarker", vm ? vm : "");
	if (truncated && next_key) {
		sim_xml_elem(&o->body, "NextKeyMarker", next_key);
		sim_xml_elem(&o->body, "NextVersionIdMarker", next_vid);
	}
	sim_xml_elemf(&o->body, "MaxKeys", "%d", max);
	if (delim)
		sim_xml_elem(&o->body, "Delimiter", delim);
	sim_xml_elem(&o->body, "IsTruncated", truncated ? "true" : "false");
	berr |= buf_add(&o->body, buf_str(&items), items.len);
	berr |= buf_adds(&o->body, "</ListVersionsResult>");
	BUF_NOCAP(berr);
	buf_release(&items);
	free(e);
	return 0;
}

/* ListObjectsV2 (v2 = 1) and ListObjects: latest versions that are not delete markers */
static int list_objects(struct sim *s, struct sim_req *r, struct sim_resp *o, int v2)
{
	int berr = 0;
	struct s3_path p;
	struct s3_bucket *b = need_bucket(s, r, o, &p);
	if (!b)
		return 0;
	const char *prefix = qarg(r, "prefix", ""), *delim = arg(r, "delimiter");
	const char *after = v2 ? (arg(r, "continuation-token") ? arg(r, "continuation-token") :
				  qarg(r, "start-after", "")) : qarg(r, "marker", "");
	int max = max_keys(r);
	char iso[40], cp[1100], lastcp[1100] = "";
	struct ent *e = xcalloc((size_t)b->n + 1, sizeof(*e));
	int n = 0;
	for (int i = 0; i < b->n; i++) {
		struct s3_ver *v = &b->v[i];
		if (!strncmp(v->key, prefix, strlen(prefix)) && latest(b, v->key) == i && !v->dm &&
		    strcmp(v->key, after) > 0)
			e[n++] = (struct ent){ v->key, i };
	}
	qsort(e, (size_t)n, sizeof(*e), ent_cmp);
	struct buf items = BUF_INIT(0);
	int count = 0, truncated = 0;
	const char *last = NULL;
	for (int i = 0; i < n; i++) {
		struct s3_ver *v = &b->v[e[i].pos];
		int is_cp = common_prefix(v->key, prefix, delim, cp, sizeof(cp));
		if (is_cp && !strcmp(cp, lastcp))
			continue;
		if (count >= max) {
			truncated = 1;
			break;
		}
		if (is_cp) {
			snprintf(lastcp, sizeof(lastcp), "%s", cp);
			berr |= buf_adds(&items, "<CommonPrefixes>");
			sim_xml_elem(&items, "Prefix", cp);
			berr |= buf_adds(&items, "</CommonPrefixes>");
		} else {
			berr |= buf_adds(&items, "<Contents>");
			sim_xml_elem(&items, "Key", v->key);
			sim_xml_elem(&items, "LastModified", sim_iso(v->mtime, iso, sizeof(iso)));
			sim_xml_elem(&items, "ETag", v->etag);
			sim_xml_elemf(&items, "Size", "%zu", v->len);
			sim_xml_elem(&items, "StorageClass", "STANDARD");
			if (!v2 || has_arg(r, "fetch-owner"))
				berr |= owner(&items);
			berr |= buf_adds(&items, "</Contents>");
		}
		count++;
		last = v->key;
	}
	/* a continuation past a common prefix must skip the whole prefix */
	char nextbuf[1200];
	const char *next = last;
	if (truncated && lastcp[0] && last && !strncmp(last, lastcp, strlen(lastcp))) {
		snprintf(nextbuf, sizeof(nextbuf), "%s\xef\xbf\xbf", lastcp);
		next = nextbuf;
	}
	o->ctype = "application/xml";
	berr |= buf_adds(&o->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"" S3_NS "\">");
	sim_xml_elem(&o->body, "Name", b->name);
	sim_xml_elem(&o->body, "Prefix", prefix);
	if (v2) {
		sim_xml_elemf(&o->body, "KeyCount", "%d", count);
		if (arg(r, "continuation-token"))
			sim_xml_elem(&o->body, "ContinuationToken", arg(r, "continuation-token"));
		if (arg(r, "start-after"))
			sim_xml_elem(&o->body, "StartAfter", arg(r, "start-after"));
		if (truncated && next)
			sim_xml_elem(&o->body, "NextContinuationToken", next);
	} else {
		sim_xml_elem(&o->body, "Marker", after);
		if (truncated && next && delim)
			sim_xml_elem(&o->body, "NextMarker", next);
	}
	sim_xml_elemf(&o->body, "MaxKeys", "%d", max);
	if (delim)
		sim_xml_elem(&o->body, "Delimiter", delim);
	sim_xml_elem(&o->body, "IsTruncated", truncated ? "true" : "false");
	berr |= buf_add(&o->body, buf_str(&items), items.len);
	berr |= buf_adds(&o->body, "</ListBucketResult>");
	BUF_NOCAP(berr);
	buf_release(&items);
	free(e);
	return 0;
}

static int op_list_v2(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	return list_objects(s, r, o, 1);
}

static int op_list_v1(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	return list_objects(s, r, o, 0);
}

/* ------------------------------------------------------------------ objects */

/* the version a GET/HEAD/COPY addresses: index, or -1 with the error set */
static int addressed(struct s3_bucket *b, struct sim_req *r, struct sim_resp *o, const char *key,
		     const char *vid, int for_copy)
{
	if (vid) {
		int i = version_of(b, key, vid);
		if (i < 0) {
			sim_error(r, o, 404, "NoSuchVersion", "The specified version does not exist.");
			return -1;
		}
		if (b->v[i].dm) {
			sim_header(o, "x-amz-delete-marker", "true");
			sim_header(o, "x-amz-version-id", b->v[i].vid);
			if (for_copy)
				sim_error(r, o, 400, "InvalidRequest",
					  "The source of a copy request may not specifically refer to a delete marker by version id.");
			else
				sim_error(r, o, 405, "MethodNotAllowed",
					  "The specified method is not allowed against this resource.");
			return -1;
		}
		return i;
	}
	int i = latest(b, key);
	if (i < 0 || b->v[i].dm) {
		if (i >= 0) {
			sim_header(o, "x-amz-delete-marker", "true");
			sim_header(o, "x-amz-version-id", b->v[i].vid);
		}
		sim_error(r, o, 404, "NoSuchKey", "The specified key does not exist.");
		return -1;
	}
	return i;
}

/* the headers an object keeps (user metadata, server-side encryption), from a request */
static int kept_header(const char *name)
{
	return !strncmp(name, "x-amz-meta-", 11) || !strcmp(name, "x-amz-server-side-encryption") ||
	       !strcmp(name, "x-amz-server-side-encryption-aws-kms-key-id") ||
	       !strcmp(name, "x-amz-server-side-encryption-context") ||
	       !strcmp(name, "x-amz-server-side-encryption-bucket-key-enabled") ||
	       !strcmp(name, "x-amz-storage-class") || !strcmp(name, "cache-control") ||
	       !strcmp(name, "content-disposition") || !strcmp(name, "content-encoding") ||
	       !strcmp(name, "content-language") || !strcmp(name, "expires");
}

static jv request_meta(struct sim_req *r)
{
	jv meta = jv_object();
	jv_object_foreach(r->headers, k, v) {
		if (jv_get_kind(v) == JV_KIND_STRING && kept_header(jv_string_value(k)))
			meta = jv_object_set(meta, jv_copy(k), jv_copy(v));
		jv_free(k);
		jv_free(v);
	}
	return meta;
}

/* what HEAD and GET send back of it; objects are encrypted (SSE-S3) unless said otherwise,
 * as on S3 since 2023 */
static void meta_headers(struct s3_ver *v, struct sim_resp *o)
{
	if (jv_get_kind(v->meta) == JV_KIND_OBJECT) {
		jv_object_foreach(v->meta, k, val) {
			sim_header(o, jv_string_value(k), jv_string_value(val));
			jv_free(k);
			jv_free(val);
		}
	}
	if (!jvx_str(v->meta, "x-amz-server-side-encryption"))
		sim_header(o, "x-amz-server-side-encryption", "AES256");
}

/* a write's reply: the encryption the object got */
static void sse_headers(struct s3_ver *v, struct sim_resp *o)
{
	const char *sse = jvx_str(v->meta, "x-amz-server-side-encryption");
	sim_header(o, "x-amz-server-side-encryption", sse ? sse : "AES256");
	const char *key = jvx_str(v->meta, "x-amz-server-side-encryption-aws-kms-key-id");
	if (key)
		sim_header(o, "x-amz-server-side-encryption-aws-kms-key-id", key);
}

static int get_or_head(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	struct s3_path p;
	struct s3_bucket *b = need_bucket(s, r, o, &p);
	if (!b)
		return 0;
	int i = addressed(b, r, o, p.key, arg(r, "versionId"), 0);
	if (i < 0)
		return 0;
	struct s3_ver *v = &b->v[i];
	char date[64];
	size_t from = 0, to = v->len ? v->len - 1 : 0;
	const char *range = hdr(r, "range");
	if (range && !strncmp(range, "bytes=", 6) && v->len) {
		char *end;
		const char *q = range + 6;
		if (*q == '-') {   /* suffix: the last N bytes */
			size_t nlast = strtoul(q + 1, &end, 10);
			from = nlast >= v->len ? 0 : v->len - nlast;
		} else {
			from = strtoul(q, &end, 10);
			if (*end == '-' && end[1])
				to = strtoul(end + 1, &end, 10);
		}
		if (to >= v->len)
			to = v->len - 1;
		if (from > to)
			return sim_error(r, o, 416, "InvalidRange", "The requested range is not satisfiable");
		char cr[96];
		snprintf(cr, sizeof(cr), "bytes %zu-%zu/%zu", from, to, v->len);
		sim_header(o, "Content-Range", cr);
		o->status = 206;
	}
	o->ctype = v->ctype;
	sim_header(o, "ETag", v->etag);
	sim_header(o, "Last-Modified", http_date(v->mtime, date, sizeof(date)));
	sim_header(o, "Accept-Ranges", "bytes");
	version_headers(b, v, o);
	meta_headers(v, o);
	if (v->len)
		berr |= buf_add(&o->body, v->body + from, to - from + 1);
	BUF_NOCAP(berr);
	return 0;
}

static int op_put_object(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	struct s3_path p;
	struct s3_bucket *b = need_bucket(s, r, o, &p);
	if (!b)
		return 0;
	struct buf tmp = BUF_INIT(0);
	const char *data;
	size_t len;
	if (body_of(r, &tmp, &data, &len) < 0) {
		buf_release(&tmp);
		return sim_error(r, o, 400, "IncompleteBody", "the aws-chunked body is malformed");
	}
	struct s3_ver *v = sim_s3_put(s, b, p.key, data, len, hdr(r, "content-type"), 0, NULL, r->now);
	buf_release(&tmp);
	jv_free(v->meta);
	v->meta = request_meta(r);
	sim_header(o, "ETag", v->etag);
	version_headers(b, v, o);
	sse_headers(v, o);
	return 0;
}

static int op_copy_object(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	struct s3_path p;
	struct s3_bucket *b = need_bucket(s, r, o, &p);
	if (!b)
		return 0;
	/* "[/]bucket/key[?versionId=V]", URL-encoded */
	const char *cs = hdr(r, "x-amz-copy-source");
	struct buf src = BUF_INIT(0);
	for (const char *c = cs; *c; c++) {
		if (*c == '%' && c[1] && c[2]) {
			char hex[3] = { c[1], c[2], 0 };
			berr |= buf_addc(&src, (char)strtol(hex, NULL, 16));
			c += 2;
		} else {
			berr |= buf_addc(&src, *c);
		}
	}
	char *sp = src.data ? src.data : (char *)"";
	while (*sp == '/')
		sp++;
	char *vid = NULL, *q = strstr(sp, "?versionId=");
	if (q) {
		*q = 0;
		vid = q + 11;
	}
	char *slash = strchr(sp, '/');
	struct s3_bucket *sb = NULL;
	if (slash) {
		*slash = 0;
		sb = sim_s3_bucket(s, sp);
	}
	if (!slash || !sb) {
		sim_error(r, o, 404, "NoSuchBucket", "The specified bucket does not exist");
		goto out;
	}
	int i = addressed(sb, r, o, slash + 1, vid, 1);
	if (i < 0)
		goto out;
	/* copy out first: sim_s3_put may move the source (same bucket) */
	struct s3_ver sv = sb->v[i];
	char *body = xmalloc(sv.len + 1);
	memcpy(body, sv.body, sv.len);
	char *ctype = xstrdup(sv.ctype);
	char *svid = xstrdup(sv.vid);
	const char *dir = hdr(r, "x-amz-metadata-directive");
	int replace = dir && !strcmp(dir, "REPLACE");
	const char *nct = replace && hdr(r, "content-type") ? hdr(r, "content-type") : ctype;
	/* COPY keeps the source's metadata; the request's encryption applies either way */
	jv meta = replace ? request_meta(r) : jv_copy(sv.meta);
	jv asked = request_meta(r);
	jv_object_foreach(asked, k, val) {
		if (!strncmp(jv_string_value(k), "x-amz-server-side-encryption", 28))
			meta = jv_object_set(meta, k, val);
		else {
			jv_free(k);
			jv_free(val);
		}
	}
	jv_free(asked);
	struct s3_ver *v = sim_s3_put(s, b, p.key, body, sv.len, nct, 0, NULL, r->now);
	jv_free(v->meta);
	v->meta = meta;
	sse_headers(v, o);
	char iso[40];
	version_headers(b, v, o);
	if (sb->versioning || strcmp(svid, "null"))
		sim_header(o, "x-amz-copy-source-version-id", svid);
	o->ctype = "application/xml";
	berr |= buf_adds(&o->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<CopyObjectResult>");
	sim_xml_elem(&o->body, "LastModified", sim_iso(v->mtime, iso, sizeof(iso)));
	sim_xml_elem(&o->body, "ETag", v->etag);
	berr |= buf_adds(&o->body, "</CopyObjectResult>");
	BUF_NOCAP(berr);
	free(body);
	free(ctype);
	free(svid);
out:
	buf_release(&src);
	return 0;
}

/* delete one key (a delete marker when versioned) or one version; says what it did */
static int delete_one(struct sim *s, struct sim_req *r, struct s3_bucket *b, const char *key, const char *vid,
		      char *out_vid, size_t vsize, int *out_dm)
{
	*out_dm = 0;
	out_vid[0] = 0;
	if (vid) {
		int i = version_of(b, key, vid);
		if (i < 0) {
			/* AWS answers 204 for a missing version id of a well-formed kind */
			snprintf(out_vid, vsize, "%s", vid);
			return 0;
		}
		*out_dm = b->v[i].dm;
		snprintf(out_vid, vsize, "%s", b->v[i].vid);
		sim_s3_ver_remove(b, i);
		return 0;
	}
	if (b->versioning == 0) {
		int i = latest(b, key);
		if (i >= 0)
			sim_s3_ver_remove(b, i);
		return 0;
	}
	struct s3_ver *v = sim_s3_put(s, b, key, NULL, 0, NULL, 1, NULL, r->now);
	*out_dm = 1;
	snprintf(out_vid, vsize, "%s", v->vid);
	return 0;
}

static int op_delete_object(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	struct s3_path p;
	struct s3_bucket *b = need_bucket(s, r, o, &p);
	if (!b)
		return 0;
	char vid[128];
	int dm;
	delete_one(s, r, b, p.key, arg(r, "versionId"), vid, sizeof(vid), &dm);
	if (dm)
		sim_header(o, "x-amz-delete-marker", "true");
	if (vid[0] && (b->versioning || strcmp(vid, "null")))
		sim_header(o, "x-amz-version-id", vid);
	o->status = 204;
	return 0;
}

#define DELETE_MAX 1000     /* objects per DeleteObjects, as on S3 */

/* text of <tag>…</tag> inside [s, e) with XML entities decoded; 0 if found. Searches
 * only [s, e), so a body of many objects is read once, not once per object. */
static int xml_field(const char *s, const char *e, const char *tag, struct buf *out)
{
	int berr = 0;
	char open[64], close[64];
	snprintf(open, sizeof(open), "<%s>", tag);
	snprintf(close, sizeof(close), "</%s>", tag);
	const char *a = memmem(s, (size_t)(e - s), open, strlen(open));
	if (!a)
		return -1;
	a += strlen(open);
	const char *z = memmem(a, (size_t)(e - a), close, strlen(close));
	if (!z)
		return -1;
	static const struct { const char *ent; char c; } ents[] = {
		{ "&lt;", '<' }, { "&gt;", '>' }, { "&amp;", '&' }, { "&quot;", '"' }, { "&apos;", '\'' },
	};
	while (a < z) {
		int done = 0;
		for (size_t i = 0; i < sizeof(ents) / sizeof(ents[0]) && !done; i++) {
			size_t l = strlen(ents[i].ent);
			if (!strncmp(a, ents[i].ent, l)) {
				berr |= buf_addc(out, ents[i].c);
				a += l;
				done = 1;
			}
		}
		if (!done)
			berr |= buf_addc(out, *a++);
	}
	BUF_NOCAP(berr);
	return 0;
}

static int op_delete_objects(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	struct s3_path p;
	struct s3_bucket *b = need_bucket(s, r, o, &p);
	if (!b)
		return 0;
	struct buf tmp = BUF_INIT(0), key = BUF_INIT(0), vid = BUF_INIT(0);
	const char *data;
	size_t len;
	if (body_of(r, &tmp, &data, &len) < 0) {
		buf_release(&tmp);
		return sim_error(r, o, 400, "IncompleteBody", "the aws-chunked body is malformed");
	}
	char *body = xstrndup(data, len);
	int nobj = 0;
	for (char *c = strstr(body, "<Object>"); c && nobj <= DELETE_MAX; c = strstr(c + 8, "<Object>"))
		nobj++;
	if (nobj > DELETE_MAX) {
		free(body);
		buf_release(&tmp);
		return sim_error(r, o, 400, "MalformedXML", "a DeleteObjects request names at most %d objects",
				 DELETE_MAX);
	}
	int quiet = strstr(body, "<Quiet>true</Quiet>") != NULL;
	o->ctype = "application/xml";
	berr |= buf_adds(&o->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DeleteResult xmlns=\"" S3_NS "\">");
	for (char *c = strstr(body, "<Object>"); c; c = strstr(c, "<Object>")) {
		char *end = strstr(c, "</Object>");
		if (!end)
			break;
		buf_reset(&key);
		buf_reset(&vid);
		if (xml_field(c, end, "Key", &key) == 0) {
			int has_vid = xml_field(c, end, "VersionId", &vid) == 0;
			char outvid[128];
			int dm;
			delete_one(s, r, b, buf_str(&key), has_vid ? buf_str(&vid) : NULL, outvid,
				   sizeof(outvid), &dm);
			if (!quiet) {
				berr |= buf_adds(&o->body, "<Deleted>");
				sim_xml_elem(&o->body, "Key", buf_str(&key));
				if (has_vid)
					sim_xml_elem(&o->body, "VersionId", buf_str(&vid));
				if (dm) {
					sim_xml_elem(&o->body, "DeleteMarker", "true");
					sim_xml_elem(&o->body, "DeleteMarkerVersionId", outvid);
				}
				berr |= buf_adds(&o->body, "</Deleted>");
			}
		}
		c = end;
	}
	berr |= buf_adds(&o->body, "</DeleteResult>");
	BUF_NOCAP(berr);
	free(body);
	buf_release(&tmp);
	buf_release(&key);
	buf_release(&vid);
	return 0;
}

const struct sim_op sim_s3_ops[] = {
	{ "ListBuckets", 0, op_list_buckets },
	{ "CreateBucket", 1, op_create_bucket },
	{ "DeleteBucket", 1, op_delete_bucket },
	{ "HeadBucket", 0, op_head_bucket },
	{ "GetBucketLocation", 0, op_get_location },
	{ "GetBucketVersioning", 0, op_get_versioning },
	{ "PutBucketVersioning", 1, op_put_versioning },
	{ "PutBucketReplication", 1, op_put_replication },
	{ "GetBucketReplication", 0, op_get_replication },
	{ "DeleteBucketReplication", 1, op_delete_replication },
	{ "ListObjectVersions", 0, op_list_versions },
	{ "ListObjectsV2", 0, op_list_v2 },
	{ "ListObjects", 0, op_list_v1 },
	{ "GetObject", 0, get_or_head },
	{ "HeadObject", 0, get_or_head },
	{ "PutObject", 1, op_put_object },
	{ "CopyObject", 1, op_copy_object },
	{ "DeleteObject", 1, op_delete_object },
	{ "DeleteObjects", 1, op_delete_objects },
	{ NULL, 0, NULL },
};
