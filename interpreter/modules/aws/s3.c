/* s3.c — S3 actions over REST-XML (path style). Listing follows pagination
 * (ListObjectVersions: IsTruncated + NextKeyMarker / NextVersionIdMarker; ListObjectsV2:
 * NextContinuationToken). s3.sync copies with a bounded pool of threads, each with its own
 * client (curl handle, credentials copy); jv never crosses threads there: work items are
 * plain C strings. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "aws.h"
#include "../../core/b64.h"
#include "../../core/bug.h"
#include "../../core/clock.h"
#include "../../core/jvx.h"
#include "../../core/redact.h"
#include "../../core/caps.h"

#define MAX_PAGES 100000
#define LIST_CAP 1000     /* keys listed in results (counts are exact) */

static int q_add(struct buf *q, const char *k, const char *v)
{
	int berr = 0;
	if (q->len)
		berr |= buf_addc(q, '&');
	berr |= aws_uri_encode(q, k, strlen(k), 0);
	if (v) {
		berr |= buf_addc(q, '=');
		berr |= aws_uri_encode(q, v, strlen(v), 0);
	}
	return berr;
}

static int client(struct action_call *call, jv args, struct aws_client *c, jv *out)
{
	return aws_client_for_call(c, call, aws_arg_region(args), out);
}

/* all versions and delete markers under prefix (key: only that exact key) */
/* a reply's list field as an array: S3 leaves an empty list out (an empty bucket's
 * ListObjectsV2 has no Contents), so absent is [], and a lone entry is one item; v consumed */
static jv as_list(jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_ARRAY:
		return v;
	case JV_KIND_OBJECT:
		return JV_ARRAY(v);
	default:
		jv_free(v);
		return jv_array();
	}
}

static int list_versions(struct aws_client *c, const char *bucket, const char *prefix, const char *key,
			 jv *out, jv *err)
{
	int berr = 0;
	jv versions = jv_array(), markers = jv_array(), prefixes = jv_array();
	char *km = NULL, *vm = NULL;
	int ret = -1;
	for (int page = 0; page < MAX_PAGES; page++) {
		struct buf q = BUF_INIT(0);
		berr |= q_add(&q, "versions", NULL);
		if (prefix && *prefix)
			berr |= q_add(&q, "prefix", prefix);
		if (km)
			berr |= q_add(&q, "key-marker", km);
		if (vm)
			berr |= q_add(&q, "version-id-marker", vm);
		BUF_NOCAP(berr);
		jv res;
		int r = aws_s3_request(c, "GET", bucket, NULL, q.data, NULL, NULL, 0, &res, NULL, NULL, err);
		buf_release(&q);
		if (r < 0)
			goto out;
		versions = jv_array_concat(versions, as_list(jvx_get(res, "Versions")));
		markers = jv_array_concat(markers, as_list(jvx_get(res, "DeleteMarkers")));
		prefixes = jv_array_concat(prefixes, as_list(jvx_get(res, "CommonPrefixes")));
		free(km);
		free(vm);
		km = vm = NULL;
		int more = jvx_bool(res, "IsTruncated", 0);
		if (more) {
			const char *a = jvx_str(res, "NextKeyMarker"), *b = jvx_str(res, "NextVersionIdMarker");
			km = a ? xstrdup(a) : NULL;
			vm = b ? xstrdup(b) : NULL;
		}
		jv_free(res);
		if (!more || !km)
			break;
	}
	if (key) {
		/* keep only the exact key (the prefix also matches "key2") */
		jv lists[2] = {versions, markers};
		for (int i = 0; i < 2; i++) {
			jv kept = jv_array();
			jv_array_foreach(lists[i], j, e) {
				const char *k = jvx_str(e, "Key");
				if (k && !strcmp(k, key))
					kept = jv_array_append(kept, e);
				else
					jv_free(e);
			}
			jv_free(lists[i]);
			lists[i] = kept;
		}
		versions = lists[0];
		markers = lists[1];
	}
	*out = jv_object();
	*out = jv_object_set(*out, jv_string("Versions"), versions);
	*out = jv_object_set(*out, jv_string("DeleteMarkers"), markers);
	if (jv_array_length(jv_copy(prefixes)) > 0)
		*out = jv_object_set(*out, jv_string("CommonPrefixes"), prefixes);
	else
		jv_free(prefixes);
	versions = markers = prefixes = jv_invalid();
	ret = 0;
out:
	jv_free(versions);
	jv_free(markers);
	jv_free(prefixes);
	free(km);
	free(vm);
	return ret;
}

static int run_list_versions(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	int r = -1;
	if (client(call, args, &c, out) < 0)
		goto done;
	const char *key = jvx_str(args, "key"), *prefix = jvx_str(args, "prefix");
	r = list_versions(&c, jvx_str(args, "bucket"), key ? key : prefix, key, out, out);
	aws_client_release(&c);
done:
	jv_free(args);
	return r;
}

/* the latest entry of a key: a Version or a DeleteMarker with IsLatest; *is_marker */
static jv latest_entry(jv listing, int *is_marker)
{
	const char *lists[2] = {"Versions", "DeleteMarkers"};
	for (int i = 0; i < 2; i++) {
		jv l = as_list(jvx_get(listing, lists[i]));
		jv_array_foreach(l, j, e) {
			if (jvx_bool(e, "IsLatest", 0)) {
				jv_free(l);
				*is_marker = i == 1;
				return e;
			}
			jv_free(e);
		}
		jv_free(l);
	}
	return jv_null();
}

static int run_undelete(struct action_call *call, jv args, jv *out)
{
	int berr = 0;
	struct aws_client c;
	jv listing = jv_null(), latest = jv_null();
	int r = -1, marker = 0;
	const char *bucket = jvx_str(args, "bucket"), *key = jvx_str(args, "key");
	if (client(call, args, &c, out) < 0)
		goto done;
	if (list_versions(&c, bucket, key, key, &listing, out) < 0)
		goto out;
	latest = latest_entry(listing, &marker);
	if (jv_get_kind(latest) == JV_KIND_NULL) {
		*out = jvx_error("NoSuchKey", "no version of s3://%s/%s exists", bucket, key);
		goto out;
	}
	jv res = jv_object_set(jv_object(), jv_string("Key"), jv_string(key));
	if (!marker) {
		res = jv_object_set(res, jv_string("Undeleted"), jv_false());
		res = jv_object_set(res, jv_string("VersionId"), jvx_get(latest, "VersionId"));
		*out = res;
		r = 0;
		goto out;
	}
	const char *vid = jvx_str(latest, "VersionId");
	struct buf q = BUF_INIT(0);
	berr |= q_add(&q, "versionId", vid ? vid : "null");
	BUF_NOCAP(berr);
	jv ignored;
	int rr = aws_s3_request(&c, "DELETE", bucket, key, q.data, NULL, NULL, 0, &ignored, NULL, NULL, out);
	buf_release(&q);
	if (rr < 0) {
		jv_free(res);
		goto out;
	}
	jv_free(ignored);
	res = jv_object_set(res, jv_string("Undeleted"), jv_true());
	res = jv_object_set(res, jv_string("DeleteMarkerVersionId"), jvx_get(latest, "VersionId"));
	*out = res;
	r = 0;
out:
	jv_free(listing);
	jv_free(latest);
	aws_client_release(&c);
done:
	jv_free(args);
	return r;
}

/* x-amz-copy-source: bucket/key (key URL-encoded, '/' kept) [?versionId=] */
static char *copy_source(const char *bucket, const char *key, const char *vid)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	berr |= aws_uri_encode(&b, bucket, strlen(bucket), 0);
	berr |= buf_addc(&b, '/');
	berr |= aws_uri_encode(&b, key, strlen(key), 1);
	if (vid) {
		berr |= buf_adds(&b, "?versionId=");
		berr |= aws_uri_encode(&b, vid, strlen(vid), 0);
	}
	BUF_NOCAP(berr);
	return buf_detach(&b);
}

static int do_copy(struct aws_client *c, const char *sb, const char *sk, const char *svid,
		   const char *db, const char *dk, jv *out)
{
	char *src = copy_source(sb, sk, svid);
	const char *hdrs[] = {"x-amz-copy-source", src, NULL};
	jv res, h;
	int r = aws_s3_request(c, "PUT", db, dk, NULL, hdrs, NULL, 0, &res, &h, NULL, out);
	free(src);
	if (r < 0)
		return -1;
	if (jvx_has(res, "Code") && !jvx_has(res, "ETag")) {
		/* CopyObject may fail with 200 and an <Error> body */
		*out = jvx_error(jvx_str(res, "Code"), "%s (request id %s)",
				 jvx_str(res, "Message") ? jvx_str(res, "Message") : "copy failed",
				 jvx_str(res, "RequestId") ? jvx_str(res, "RequestId") : "none");
		jv_free(res);
		jv_free(h);
		return -1;
	}
	if (jvx_str(h, "x-amz-version-id"))
		res = jv_object_set(res, jv_string("VersionId"), jvx_get(h, "x-amz-version-id"));
	if (svid)
		res = jv_object_set(res, jv_string("CopySourceVersionId"), jv_string(svid));
	jv_free(h);
	*out = res;
	return 0;
}

static int run_restore_version(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	int r = -1;
	if (client(call, args, &c, out) < 0)
		goto done;
	const char *b = jvx_str(args, "bucket"), *k = jvx_str(args, "key");
	r = do_copy(&c, b, k, jvx_str(args, "version_id"), b, k, out);
	aws_client_release(&c);
done:
	jv_free(args);
	return r;
}

static int run_copy_object(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	int r = -1;
	if (client(call, args, &c, out) < 0)
		goto done;
	r = do_copy(&c, jvx_str(args, "source_bucket"), jvx_str(args, "source_key"),
		    jvx_str(args, "source_version_id"), jvx_str(args, "bucket"), jvx_str(args, "key"), out);
	aws_client_release(&c);
done:
	jv_free(args);
	return r;
}

/* response headers -> HeadObject output names */
static jv head_fields(jv h)
{
	static const struct { const char *hdr, *field; int num; } map[] = {
		{"content-length", "ContentLength", 1}, {"etag", "ETag", 0}, {"last-modified", "LastModified", 0},
		{"x-amz-version-id", "VersionId", 0}, {"content-type", "ContentType", 0},
		{"content-encoding", "ContentEncoding", 0}, {"cache-control", "CacheControl", 0},
		{"x-amz-storage-class", "StorageClass", 0},
		{"x-amz-server-side-encryption", "ServerSideEncryption", 0},
		{"x-amz-replication-status", "ReplicationStatus", 0}, {NULL, NULL, 0},
	};
	jv o = jv_object(), meta = jv_object();
	for (int i = 0; map[i].hdr; i++) {
		const char *v = jvx_str(h, map[i].hdr);
		if (!v)
			continue;
		o = jv_object_set(o, jv_string(map[i].field), map[i].num ? jv_number(strtod(v, NULL)) : jv_string(v));
	}
	const char *dm = jvx_str(h, "x-amz-delete-marker");
	if (dm)
		o = jv_object_set(o, jv_string("DeleteMarker"), jv_bool(!strcmp(dm, "true")));
	jv_object_foreach(h, k, v) {
		if (!strncmp(jv_string_value(k), "x-amz-meta-", 11))
			meta = jv_object_set(meta, jv_string(jv_string_value(k) + 11), v);
		else
			jv_free(v);
		jv_free(k);
	}
	return jv_object_set(o, jv_string("Metadata"), meta);
}

static int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + n;
	while (p < e) {
		int k = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (k < 0 || (k == 1 && *p < 0xc2) || p + k >= e)
			return 0;
		if (*p == 0)
			return 0;   /* NUL: not text for our purposes */
		for (int i = 1; i <= k; i++)
			if ((p[i] & 0xc0) != 0x80)
				return 0;
		p += k + 1;
	}
	return 1;
}

static int get_or_head(struct action_call *call, jv args, const char *method, jv *out)
{
	int berr = 0;
	struct aws_client c;
	struct buf q = BUF_INIT(0), body = BUF_INIT(CAP_S3_GET);
	int r = -1;
	const char *file = jvx_str(args, "file");
	if (client(call, args, &c, out) < 0)
		goto done;
	if (jvx_str(args, "version_id"))
		berr |= q_add(&q, "versionId", jvx_str(args, "version_id"));
	BUF_NOCAP(berr);
	jv res, h;
	if (aws_s3_request(&c, method, jvx_str(args, "bucket"), jvx_str(args, "key"), q.len ? q.data : NULL, NULL,
			   NULL, 0, &res, &h, !strcmp(method, "GET") ? &body : NULL, out) < 0)
		goto out;
	jv_free(res);
	*out = head_fields(h);
	jv_free(h);
	if (!strcmp(method, "GET")) {
		if (file) {
			FILE *f = fopen(file, "wb");
			if (!f || fwrite(buf_str(&body), 1, body.len, f) != body.len) {
				if (f)
					fclose(f);
				jv_free(*out);
				*out = jvx_error("WriteError", "cannot write '%s'", file);
				goto out;
			}
			if (fclose(f) != 0) {
				jv_free(*out);
				*out = jvx_error("WriteError", "cannot write '%s'", file);
				goto out;
			}
			*out = jv_object_set(*out, jv_string("File"), jv_string(file));
		} else if (utf8_valid(buf_str(&body), body.len)) {
			jv b = jv_string_sized(buf_str(&body), (int)body.len);
			/* secret: true (a backup of secrets): tainted before anything else sees it */
			if (jvx_bool(args, "secret", 0) && call->redact)
				redact_add_jv(call->redact, jv_copy(b));
			*out = jv_object_set(*out, jv_string("Body"), b);
		} else {
			/* binary content would be mangled as a JSON string: base64 instead */
			char *b64 = b64_encode(buf_str(&body), body.len, 0);
			*out = jv_object_set(*out, jv_string("BodyBase64"), jv_string(b64));
			free(b64);
		}
	}
	r = 0;
out:
	aws_client_release(&c);
done:
	buf_release(&q);
	buf_release(&body);
	jv_free(args);
	return r;
}

static int run_head_object(struct action_call *call, jv args, jv *out)
{
	return get_or_head(call, args, "HEAD", out);
}

static int run_get_object(struct action_call *call, jv args, jv *out)
{
	return get_or_head(call, args, "GET", out);
}

/* DeleteObject: without version_id a delete marker on top (the object reads as deleted,
 * every version kept); with it, that version or marker is removed for good */
static int run_delete_object(struct action_call *call, jv args, jv *out)
{
	int berr = 0;
	struct aws_client c;
	struct buf q = BUF_INIT(0);
	int r = -1;
	if (client(call, args, &c, out) < 0)
		goto done;
	if (jvx_str(args, "version_id"))
		berr |= q_add(&q, "versionId", jvx_str(args, "version_id"));
	BUF_NOCAP(berr);
	jv res, h;
	if (aws_s3_request(&c, "DELETE", jvx_str(args, "bucket"), jvx_str(args, "key"), q.len ? q.data : NULL, NULL,
			   NULL, 0, &res, &h, NULL, out) < 0)
		goto out;
	jv_free(res);
	const char *dm = jvx_str(h, "x-amz-delete-marker"), *vid = jvx_str(h, "x-amz-version-id");
	*out = jv_object_set(jv_object(), jv_string("Key"), jv_string(jvx_str(args, "key")));
	*out = jv_object_set(*out, jv_string("DeleteMarker"), jv_bool(dm && !strcmp(dm, "true")));
	*out = jv_object_set(*out, jv_string("VersionId"), vid ? jv_string(vid) : jv_null());
	jv_free(h);
	r = 0;
out:
	aws_client_release(&c);
done:
	buf_release(&q);
	jv_free(args);
	return r;
}

static int run_put_object(struct action_call *call, jv args, jv *out)
{
	int berr = 0;
	struct aws_client c;
	struct buf data = BUF_INIT(CAP_S3_PUT);
	int r = -1;
	const char *file = jvx_str(args, "file"), *body = jvx_str(args, "body");
	if (!file == !body) {
		*out = jvx_error("InvalidParameterCombination", "give exactly one of body and file");
		goto done;
	}
	if (file) {
		FILE *f = fopen(file, "rb");
		char tmp[65536];
		size_t n;
		struct stat st;
		if (!f) {
			*out = jvx_error("ReadError", "cannot read '%s'", file);
			goto done;
		}
		/* a file known to be too large is refused before it is read */
		if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > CAP_S3_PUT)
			berr = -1;
		while (!berr && (n = fread(tmp, 1, sizeof tmp, f)) > 0)
			berr |= buf_add(&data, tmp, n);
		fclose(f);
	} else {
		jv b = jvx_get(args, "body");
		berr |= buf_add(&data, jv_string_value(b), (size_t)jv_string_length_bytes(jv_copy(b)));
		jv_free(b);
	}
	if (berr) {    /* AWS's own limit for one PUT; never send a truncated object */
		*out = jvx_error("EntityTooLarge", "the object is over 5 GiB, the most one PUT can upload");
		goto done;
	}
	if (client(call, args, &c, out) < 0)
		goto done;
	const char *ct = jvx_str(args, "content_type");
	const char *hdrs[] = {"Content-Type", ct ? ct : "application/octet-stream", NULL};
	jv res, h;
	if (aws_s3_request(&c, "PUT", jvx_str(args, "bucket"), jvx_str(args, "key"), NULL, hdrs, buf_str(&data),
			   data.len, &res, &h, NULL, out) == 0) {
		jv_free(res);
		jv o = jv_object();
		if (jvx_str(h, "etag"))
			o = jv_object_set(o, jv_string("ETag"), jvx_get(h, "etag"));
		if (jvx_str(h, "x-amz-version-id"))
			o = jv_object_set(o, jv_string("VersionId"), jvx_get(h, "x-amz-version-id"));
		jv_free(h);
		*out = o;
		r = 0;
	}
	aws_client_release(&c);
done:
	buf_release(&data);
	jv_free(args);
	return r;
}

/* ---- sync and compare */
struct obj { char *rel; double size; char *etag; };
struct objlist { struct obj *v; int n, alloc; double bytes; };

static void objlist_release(struct objlist *l)
{
	for (int i = 0; i < l->n; i++) {
		free(l->v[i].rel);
		free(l->v[i].etag);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

static int obj_cmp(const void *a, const void *b)
{
	return strcmp(((const struct obj *)a)->rel, ((const struct obj *)b)->rel);
}

static char *dir_prefix(const char *p)
{
	int berr = 0;
	size_t n = strlen(p);
	struct buf b = BUF_INIT(0);
	berr |= buf_adds(&b, p);
	if (n && p[n - 1] != '/')
		berr |= buf_addc(&b, '/');
	BUF_NOCAP(berr);
	return buf_detach(&b);
}

static int list_objects(struct aws_client *c, const char *bucket, const char *prefix, struct objlist *l,
			jv *err)
{
	int berr = 0;
	char *tok = NULL;
	size_t pl = strlen(prefix);
	for (int page = 0; page < MAX_PAGES; page++) {
		struct buf q = BUF_INIT(0);
		berr |= q_add(&q, "list-type", "2");
		if (*prefix)
			berr |= q_add(&q, "prefix", prefix);
		if (tok)
			berr |= q_add(&q, "continuation-token", tok);
		BUF_NOCAP(berr);
		jv res;
		int r = aws_s3_request(c, "GET", bucket, NULL, q.data, NULL, NULL, 0, &res, NULL, NULL, err);
		buf_release(&q);
		free(tok);
		tok = NULL;
		if (r < 0)
			return -1;
		jv contents = as_list(jvx_get(res, "Contents"));
		jv_array_foreach(contents, i, o) {
			const char *k = jvx_str(o, "Key"), *e = jvx_str(o, "ETag");
			if (k && strlen(k) >= pl && !(k[pl] == 0 && pl)) {
				ALLOC_GROW(l->v, l->n + 1, l->alloc);
				l->v[l->n].rel = xstrdup(k + pl);
				l->v[l->n].size = jvx_num(o, "Size", 0);
				l->v[l->n].etag = xstrdup(e ? e : "");
				l->bytes += l->v[l->n].size;
				l->n++;
			}
			jv_free(o);
		}
		jv_free(contents);
		if (jvx_bool(res, "IsTruncated", 0) && jvx_str(res, "NextContinuationToken"))
			tok = xstrdup(jvx_str(res, "NextContinuationToken"));
		jv_free(res);
		if (!tok)
			break;
	}
	free(tok);
	if (l->n > 1)   /* NULL when empty: qsort wants a real pointer */
	qsort(l->v, (size_t)l->n, sizeof *l->v, obj_cmp);
	return 0;
}

enum diff_kind { D_SAME, D_ONLY_SRC, D_ONLY_DST, D_DIFFERENT };
struct diff_item { const struct obj *o; enum diff_kind kind; };
struct diff { struct diff_item *v; int n, alloc; };

/* merge two sorted lists */
static void diff_lists(const struct objlist *s, const struct objlist *d, struct diff *out)
{
	int i = 0, j = 0;
	while (i < s->n || j < d->n) {
		int c = i >= s->n ? 1 : j >= d->n ? -1 : strcmp(s->v[i].rel, d->v[j].rel);
		ALLOC_GROW(out->v, out->n + 1, out->alloc);
		if (c < 0) {
			out->v[out->n++] = (struct diff_item){&s->v[i++], D_ONLY_SRC};
		} else if (c > 0) {
			out->v[out->n++] = (struct diff_item){&d->v[j++], D_ONLY_DST};
		} else {
			int same = s->v[i].size == d->v[j].size && !strcmp(s->v[i].etag, d->v[j].etag);
			out->v[out->n++] = (struct diff_item){&s->v[i], same ? D_SAME : D_DIFFERENT};
			i++;
			j++;
		}
	}
}

struct sync_ctx {
	struct s3_loc src, dst;
	char *sp, *dp;            /* directory prefixes */
	struct objlist sl, dl;
	struct diff diff;
};

static void sync_ctx_release(struct sync_ctx *x)
{
	s3_loc_release(&x->src);
	s3_loc_release(&x->dst);
	free(x->sp);
	free(x->dp);
	objlist_release(&x->sl);
	objlist_release(&x->dl);
	free(x->diff.v);
}

static int sync_prepare(struct aws_client *c, jv args, struct sync_ctx *x, jv *out)
{
	memset(x, 0, sizeof *x);
	if (s3_loc_parse(jvx_str(args, "source"), &x->src) < 0 ||
	    s3_loc_parse(jvx_str(args, "destination"), &x->dst) < 0) {
		*out = jvx_error("InvalidParameterValue", "source and destination must look like s3://bucket/prefix");
		return -1;
	}
	x->sp = dir_prefix(x->src.key);
	x->dp = dir_prefix(x->dst.key);
	if (list_objects(c, x->src.bucket, x->sp, &x->sl, out) < 0 ||
	    list_objects(c, x->dst.bucket, x->dp, &x->dl, out) < 0)
		return -1;
	diff_lists(&x->sl, &x->dl, &x->diff);
	return 0;
}

static jv plan_json(const struct sync_ctx *x, int del)
{
	jv copy = jv_array(), rm = jv_array();
	int ncopy = 0, ndel = 0, same = 0;
	double bytes = 0;
	for (int i = 0; i < x->diff.n; i++) {
		const struct diff_item *d = &x->diff.v[i];
		if (d->kind == D_SAME) {
			same++;
		} else if (d->kind == D_ONLY_DST) {
			if (!del)
				continue;
			if (ndel++ < LIST_CAP)
				rm = jv_array_append(rm, jv_string(d->o->rel));
		} else {
			bytes += d->o->size;
			if (ncopy++ < LIST_CAP) {
				jv e = jv_object_set(jv_object(), jv_string("key"), jv_string(d->o->rel));
				e = jv_object_set(e, jv_string("size"), jv_number(d->o->size));
				e = jv_object_set(e, jv_string("reason"),
						  jv_string(d->kind == D_ONLY_SRC ? "missing" : "different"));
				copy = jv_array_append(copy, e);
			}
		}
	}
	jv o = jv_object();
	o = jv_object_set(o, jv_string("would_copy"), copy);
	o = jv_object_set(o, jv_string("would_delete"), rm);
	o = jv_object_set(o, jv_string("copy_count"), jv_number(ncopy));
	o = jv_object_set(o, jv_string("delete_count"), jv_number(ndel));
	o = jv_object_set(o, jv_string("unchanged"), jv_number(same));
	o = jv_object_set(o, jv_string("bytes"), jv_number(bytes));
	o = jv_object_set(o, jv_string("truncated"), jv_bool(ncopy > LIST_CAP || ndel > LIST_CAP));
	return o;
}

struct pool {
	struct sync_ctx *x;
	int del;
	pthread_mutex_t lock;
	int next;                 /* next diff index to take */
	int copied, deleted, failed;
	double bytes;
	char *first_error;
	const volatile int *cancel;
	struct rb_clock *clock;
};

struct worker { struct pool *p; struct aws_client c; pthread_t tid; };

static void *worker_main(void *arg)
{
	int berr = 0;
	struct worker *w = arg;
	struct pool *p = w->p;
	for (;;) {
		pthread_mutex_lock(&p->lock);
		int i = p->next;
		while (i < p->x->diff.n && (p->x->diff.v[i].kind == D_SAME ||
					    (p->x->diff.v[i].kind == D_ONLY_DST && !p->del)))
			i++;
		p->next = i + 1;
		int stop = i >= p->x->diff.n || (p->cancel && *p->cancel) || (p->first_error && 1);
		pthread_mutex_unlock(&p->lock);
		if (stop)
			break;
		const struct diff_item *d = &p->x->diff.v[i];
		jv res = jv_invalid();
		int r;
		struct buf dk = BUF_INIT(0);
		if (d->kind == D_ONLY_DST) {
			berr |= buf_addf(&dk, "%s%s", p->x->dp, d->o->rel);
			r = aws_s3_request(&w->c, "DELETE", p->x->dst.bucket, dk.data, NULL, NULL, NULL, 0, &res, NULL,
					   NULL, &res);
		} else {
			struct buf sk = BUF_INIT(0);
			berr |= buf_addf(&sk, "%s%s", p->x->sp, d->o->rel);
			berr |= buf_addf(&dk, "%s%s", p->x->dp, d->o->rel);
			r = do_copy(&w->c, p->x->src.bucket, sk.data, NULL, p->x->dst.bucket, dk.data, &res);
			buf_release(&sk);
		}
		BUF_NOCAP(berr);
		pthread_mutex_lock(&p->lock);
		if (r == 0) {
			if (d->kind == D_ONLY_DST)
				p->deleted++;
			else {
				p->copied++;
				p->bytes += d->o->size;
			}
		} else {
			p->failed++;
			if (!p->first_error) {
				struct buf e = BUF_INIT(0);
				berr |= buf_addf(&e, "%s: %s: %s", dk.data, jvx_str(res, "code") ? jvx_str(res, "code") : "?",
					 jvx_str(res, "message") ? jvx_str(res, "message") : "");
				BUF_NOCAP(berr);
				p->first_error = buf_detach(&e);
			}
		}
		pthread_mutex_unlock(&p->lock);
		jv_free(res);
		buf_release(&dk);
	}
	if (p->clock)
		clock_release(p->clock);
	return NULL;
}

static int run_sync(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	struct sync_ctx x;
	int r = -1, del = jvx_bool(args, "delete", 0);
	int conc = (int)jvx_int(args, "concurrency", 8);
	memset(&x, 0, sizeof x);
	if (conc < 1)
		conc = 1;
	if (conc > 32)
		conc = 32;
	if (client(call, args, &c, out) < 0)
		goto done;
	if (sync_prepare(&c, args, &x, out) < 0)
		goto out;
	if (aws_client_creds(&c, out) < 0)
		goto out;
	struct pool p;
	memset(&p, 0, sizeof p);
	p.x = &x;
	p.del = del;
	p.cancel = call->cancel;
	p.clock = call->clock;
	pthread_mutex_init(&p.lock, NULL);
	struct worker *w = xcalloc((size_t)conc, sizeof *w);
	/* the worker clients are built here, on the calling thread: jv stays on this thread */
	struct action_call wcall = *call;
	wcall.log = NULL;
	int started = 0;
	for (int i = 0; i < conc; i++) {
		w[i].p = &p;
		memset(&w[i].c, 0, sizeof w[i].c);
		w[i].c.call = &wcall;
		w[i].c.region = xstrdup(c.region);
		w[i].c.endpoint = c.endpoint ? xstrdup(c.endpoint) : NULL;
		w[i].c.retry_mode = c.retry_mode;
		w[i].c.max_attempts = c.max_attempts;
		w[i].c.base_ms = c.base_ms;
		w[i].c.cap_ms = c.cap_ms;
		w[i].c.creds.access_key_id = xstrdup(c.creds.access_key_id);
		w[i].c.creds.secret_access_key = xstrdup(c.creds.secret_access_key);
		w[i].c.creds.session_token = c.creds.session_token ? xstrdup(c.creds.session_token) : NULL;
		w[i].c.have_creds = 1;
		if (call->clock)
			clock_hold(call->clock);   /* the worker's busy token; it releases it */
		if (pthread_create(&w[i].tid, NULL, worker_main, &w[i]) != 0) {
			if (call->clock)
				clock_release(call->clock);
			break;
		}
		started++;
	}
	/* give our token back while we wait, so virtual time can move for the workers */
	if (call->clock)
		clock_release(call->clock);
	for (int i = 0; i < started; i++)
		pthread_join(w[i].tid, NULL);
	if (call->clock)
		clock_hold(call->clock);
	for (int i = 0; i < conc; i++)
		aws_client_release(&w[i].c);
	free(w);
	pthread_mutex_destroy(&p.lock);
	if (started == 0) {
		*out = jvx_error("ThreadError", "cannot start copy threads");
	} else if (p.failed) {
		*out = jvx_error("SyncFailed", "%d of %d operations failed; first: %s", p.failed,
				 p.failed + p.copied + p.deleted, p.first_error ? p.first_error : "?");
	} else if (action_cancelled(call)) {
		*out = jvx_error("Cancelled", "sync cancelled after %d copies", p.copied);
	} else {
		jv o = jv_object();
		o = jv_object_set(o, jv_string("copied"), jv_number(p.copied));
		o = jv_object_set(o, jv_string("deleted"), jv_number(p.deleted));
		o = jv_object_set(o, jv_string("bytes"), jv_number(p.bytes));
		int same = 0;
		for (int i = 0; i < x.diff.n; i++)
			same += x.diff.v[i].kind == D_SAME;
		o = jv_object_set(o, jv_string("unchanged"), jv_number(same));
		*out = o;
		r = 0;
	}
	free(p.first_error);
out:
	aws_client_release(&c);
done:
	sync_ctx_release(&x);
	jv_free(args);
	return r;
}

static int dry_run_sync(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	struct sync_ctx x;
	int r = -1;
	memset(&x, 0, sizeof x);
	if (client(call, args, &c, out) < 0)
		goto done;
	if (sync_prepare(&c, args, &x, out) == 0) {
		*out = plan_json(&x, jvx_bool(args, "delete", 0));
		r = 0;
	}
	aws_client_release(&c);
done:
	sync_ctx_release(&x);
	jv_free(args);
	return r;
}

static int run_compare(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	struct sync_ctx x;
	int r = -1;
	memset(&x, 0, sizeof x);
	if (client(call, args, &c, out) < 0)
		goto done;
	if (sync_prepare(&c, args, &x, out) < 0)
		goto out;
	jv lists[3] = {jv_array(), jv_array(), jv_array()};   /* only src, only dst, different */
	int counts[3] = {0, 0, 0};
	for (int i = 0; i < x.diff.n; i++) {
		int k = x.diff.v[i].kind == D_ONLY_SRC ? 0 : x.diff.v[i].kind == D_ONLY_DST ? 1
			: x.diff.v[i].kind == D_DIFFERENT ? 2 : -1;
		if (k < 0)
			continue;
		if (counts[k]++ < LIST_CAP)
			lists[k] = jv_array_append(lists[k], jv_string(x.diff.v[i].o->rel));
	}
	jv s = jv_object_set(jv_object(), jv_string("count"), jv_number(x.sl.n));
	s = jv_object_set(s, jv_string("bytes"), jv_number(x.sl.bytes));
	jv d = jv_object_set(jv_object(), jv_string("count"), jv_number(x.dl.n));
	d = jv_object_set(d, jv_string("bytes"), jv_number(x.dl.bytes));
	jv o = jv_object();
	o = jv_object_set(o, jv_string("source"), s);
	o = jv_object_set(o, jv_string("destination"), d);
	o = jv_object_set(o, jv_string("only_in_source"), lists[0]);
	o = jv_object_set(o, jv_string("only_in_destination"), lists[1]);
	o = jv_object_set(o, jv_string("different"), lists[2]);
	o = jv_object_set(o, jv_string("only_in_source_count"), jv_number(counts[0]));
	o = jv_object_set(o, jv_string("only_in_destination_count"), jv_number(counts[1]));
	o = jv_object_set(o, jv_string("different_count"), jv_number(counts[2]));
	o = jv_object_set(o, jv_string("equal"), jv_bool(!counts[0] && !counts[1] && !counts[2]));
	*out = o;
	r = 0;
out:
	aws_client_release(&c);
done:
	sync_ctx_release(&x);
	jv_free(args);
	return r;
}

#define REGION_ARG {"region", ARG_STRING, 0, NULL, "region for this call (default: the connection's)"}
static const struct action_arg a_list_versions[] = {
	{"bucket", ARG_STRING, ARG_REQUIRED, NULL, "bucket"},
	{"prefix", ARG_STRING, 0, NULL, "only keys under this prefix"},
	{"key", ARG_STRING, 0, NULL, "only this exact key"}, REGION_ARG, {NULL}};
static const struct action_arg a_key[] = {
	{"bucket", ARG_STRING, ARG_REQUIRED, NULL, "bucket"},
	{"key", ARG_STRING, ARG_REQUIRED, NULL, "object key"}, REGION_ARG, {NULL}};
static const struct action_arg a_restore_version[] = {
	{"bucket", ARG_STRING, ARG_REQUIRED, NULL, "bucket"},
	{"key", ARG_STRING, ARG_REQUIRED, NULL, "object key"},
	{"version_id", ARG_STRING, ARG_REQUIRED, NULL, "the old version to make current"}, REGION_ARG, {NULL}};
static const struct action_arg a_head[] = {
	{"bucket", ARG_STRING, ARG_REQUIRED, NULL, "bucket"},
	{"key", ARG_STRING, ARG_REQUIRED, NULL, "object key"},
	{"version_id", ARG_STRING, 0, NULL, "a specific version"}, REGION_ARG, {NULL}};
static const struct action_arg a_get[] = {
	{"bucket", ARG_STRING, ARG_REQUIRED, NULL, "bucket"},
	{"key", ARG_STRING, ARG_REQUIRED, NULL, "object key"},
	{"version_id", ARG_STRING, 0, NULL, "a specific version"},
	{"file", ARG_STRING, 0, NULL, "write the body to this file instead of returning it"},
	{"secret", ARG_BOOL, 0, "false", "the content is a secret (a backup of secrets): Body is tainted"}, REGION_ARG, {NULL}};
static const struct action_arg a_delete[] = {
	{"bucket", ARG_STRING, ARG_REQUIRED, NULL, "bucket"},
	{"key", ARG_STRING, ARG_REQUIRED, NULL, "object key"},
	{"version_id", ARG_STRING, 0, NULL, "remove this version or delete marker for good (default: add a delete marker)"},
	REGION_ARG, {NULL}};
static const struct action_arg a_put[] = {
	{"bucket", ARG_STRING, ARG_REQUIRED, NULL, "bucket"},
	{"key", ARG_STRING, ARG_REQUIRED, NULL, "object key"},
	{"body", ARG_STRING, 0, NULL, "content (or file)"},
	{"file", ARG_STRING, 0, NULL, "upload this file (or body), up to 5 GiB"},
	{"content_type", ARG_STRING, 0, NULL, "Content-Type"}, REGION_ARG, {NULL}};
static const struct action_arg a_copy[] = {
	{"source_bucket", ARG_STRING, ARG_REQUIRED, NULL, "source bucket"},
	{"source_key", ARG_STRING, ARG_REQUIRED, NULL, "source key"},
	{"source_version_id", ARG_STRING, 0, NULL, "source version"},
	{"bucket", ARG_STRING, ARG_REQUIRED, NULL, "destination bucket"},
	{"key", ARG_STRING, ARG_REQUIRED, NULL, "destination key"}, REGION_ARG, {NULL}};
static const struct action_arg a_sync[] = {
	{"source", ARG_STRING, ARG_REQUIRED, NULL, "s3://bucket/prefix"},
	{"destination", ARG_STRING, ARG_REQUIRED, NULL, "s3://bucket/prefix"},
	{"delete", ARG_BOOL, 0, "false", "delete destination objects missing from the source"},
	{"concurrency", ARG_INT, ARG_RANGE, "8", "parallel copies (1-32)", .min = 1, .max = 32}, REGION_ARG, {NULL}};
/* checks (resume after a crash mid-call): undelete happened when the latest entry is
 * not a delete marker; restore_version when the latest version has the old one's ETag */
static int check_s3_latest(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	jv listing = jv_null(), latest = jv_null();
	int r = -1, marker = 0;
	const char *b = jvx_str(args, "bucket"), *k = jvx_str(args, "key"), *vid = jvx_str(args, "version_id");
	if (client(call, args, &c, out) < 0)
		goto done;
	if (list_versions(&c, b, k, k, &listing, out) < 0)
		goto out;
	latest = latest_entry(listing, &marker);
	r = jv_get_kind(latest) != JV_KIND_NULL && !marker;
	if (r && vid) {
		const char *etag = jvx_str(latest, "ETag"), *lv = jvx_str(latest, "VersionId");
		int same = 0;
		jv vs = jvx_get(listing, "Versions");
		jv_array_foreach(vs, i, v) {
			const char *e = jvx_str(v, "ETag"), *id = jvx_str(v, "VersionId");
			if (id && !strcmp(id, vid) && e && etag && !strcmp(e, etag))
				same = 1;
			jv_free(v);
			(void)i;
		}
		jv_free(vs);
		r = same || (lv && !strcmp(lv, vid));
	}
	*out = r ? jv_copy(latest) : jv_null();
out:
	jv_free(listing);
	jv_free(latest);
	aws_client_release(&c);
done:
	jv_free(args);
	return r;
}

static const struct action_arg a_compare[] = {
	{"source", ARG_STRING, ARG_REQUIRED, NULL, "s3://bucket/prefix"},
	{"destination", ARG_STRING, ARG_REQUIRED, NULL, "s3://bucket/prefix"}, REGION_ARG, {NULL}};

static const struct action_result r_version[] = {
	{"Key", ARG_STRING, "object key", NULL},
	{"VersionId", ARG_STRING, "version id", NULL},
	{"IsLatest", ARG_BOOL, "the current version", NULL},
	{"Size", ARG_INT, "bytes (versions)", NULL},
	{"ETag", ARG_STRING, "entity tag (versions)", NULL},
	{"LastModified", ARG_TIMESTAMP, "when written", NULL},
	{"StorageClass", ARG_STRING, "storage class (versions)", NULL},
	{"Owner", ARG_MAP, "owner", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_list_versions[] = {
	{"Versions", ARG_LIST, "object versions, newest first per key", r_version},
	{"DeleteMarkers", ARG_LIST, "delete markers", r_version},
	{"CommonPrefixes", ARG_LIST, "with a delimiter: the common prefixes", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_undelete[] = {
	{"Key", ARG_STRING, "object key", NULL},
	{"Undeleted", ARG_BOOL, "a delete marker was removed", NULL},
	{"DeleteMarkerVersionId", ARG_STRING, "the removed delete marker", NULL},
	{"VersionId", ARG_STRING, "the version now current", NULL},
	{"reason", ARG_STRING, "why nothing was done", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_copy[] = {
	{"ETag", ARG_STRING, "entity tag of the new version", NULL},
	{"LastModified", ARG_TIMESTAMP, "when written", NULL},
	{"VersionId", ARG_STRING, "the new version", NULL},
	{"CopySourceVersionId", ARG_STRING, "the version copied", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_head[] = {
	{"ContentLength", ARG_INT, "bytes", NULL},
	{"ETag", ARG_STRING, "entity tag", NULL},
	{"LastModified", ARG_TIMESTAMP, "when written", NULL},
	{"VersionId", ARG_STRING, "version id", NULL},
	{"ContentType", ARG_STRING, "content type", NULL},
	{"DeleteMarker", ARG_BOOL, "the version is a delete marker", NULL},
	{"StorageClass", ARG_STRING, "storage class", NULL},
	{"Metadata", ARG_MAP, "x-amz-meta-* headers", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_get[] = {
	{"ContentLength", ARG_INT, "bytes", NULL},
	{"ETag", ARG_STRING, "entity tag", NULL},
	{"LastModified", ARG_TIMESTAMP, "when written", NULL},
	{"VersionId", ARG_STRING, "version id", NULL},
	{"ContentType", ARG_STRING, "content type", NULL},
	{"DeleteMarker", ARG_BOOL, "the version is a delete marker", NULL},
	{"StorageClass", ARG_STRING, "storage class", NULL},
	{"Metadata", ARG_MAP, "x-amz-meta-* headers", NULL},
	{"Body", ARG_STRING, "the content, when UTF-8 text", NULL},
	{"BodyBase64", ARG_STRING, "the content in base64, otherwise", NULL},
	{"File", ARG_STRING, "where it was written (file:)", NULL},
	{"size", ARG_INT, "bytes written to file", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_delete[] = {
	{"Key", ARG_STRING, "object key", NULL},
	{"DeleteMarker", ARG_BOOL, "a delete marker was added (or the version removed was one)", NULL},
	{"VersionId", ARG_STRING, "the delete marker added, or the version removed", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_put[] = {
	{"ETag", ARG_STRING, "entity tag", NULL},
	{"VersionId", ARG_STRING, "the new version", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_sync[] = {
	{"copied", ARG_INT, "objects copied", NULL},
	{"deleted", ARG_INT, "objects deleted (delete: true)", NULL},
	{"unchanged", ARG_INT, "objects already equal", NULL},
	{"bytes", ARG_INT, "bytes copied", NULL},
	{"would_copy", ARG_LIST, "--dry-run: keys it would copy", NULL},
	{"would_delete", ARG_LIST, "--dry-run: keys it would delete", NULL},
	{"copy_count", ARG_INT, "--dry-run: how many it would copy", NULL},
	{"delete_count", ARG_INT, "--dry-run: how many it would delete", NULL},
	{"truncated", ARG_BOOL, "--dry-run: the key lists were cut", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_side[] = {
	{"count", ARG_INT, "objects", NULL},
	{"bytes", ARG_INT, "bytes", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_compare[] = {
	{"source", ARG_MAP, "{count, bytes} of the source", r_side},
	{"destination", ARG_MAP, "{count, bytes} of the destination", r_side},
	{"only_in_source", ARG_LIST, "keys missing from the destination", NULL},
	{"only_in_destination", ARG_LIST, "keys missing from the source", NULL},
	{"different", ARG_LIST, "keys whose size or ETag differ", NULL},
	{"only_in_source_count", ARG_INT, "how many", NULL},
	{"only_in_destination_count", ARG_INT, "how many", NULL},
	{"different_count", ARG_INT, "how many", NULL},
	{"equal", ARG_BOOL, "no difference", NULL},
	{"truncated", ARG_BOOL, "the key lists were cut", NULL},
	{NULL, 0, NULL, NULL},
};

#define HEAD_DOC "{ContentLength, ETag, LastModified, VersionId, ContentType, DeleteMarker, StorageClass, Metadata}"
const struct action_desc aws_s3_actions[] = {
	{"s3.list_object_versions", "every version and delete marker under a prefix or of one key",
	 a_list_versions, "{Versions: [{Key, VersionId, IsLatest, Size, ETag, LastModified}], DeleteMarkers: [{Key, VersionId, IsLatest, LastModified}]}",
	 ACT_IDEMPOTENT, 1000, run_list_versions, NULL, NULL, NULL,
	  .results = r_list_versions},
	{"s3.undelete", "remove the latest delete marker of a key, making its last version current again",
	 a_key, "{Key, Undeleted, DeleteMarkerVersionId | VersionId}", ACT_MUTATING | ACT_IDEMPOTENT | ACT_CHECKABLE,
	 1000, run_undelete, NULL, NULL, check_s3_latest,
	  .results = r_undelete},
	{"s3.restore_version", "copy an old version over the latest (the old version becomes current)",
	 a_restore_version, "{ETag, LastModified, VersionId, CopySourceVersionId}",
	 ACT_MUTATING | ACT_IDEMPOTENT | ACT_CHECKABLE, 2000, run_restore_version, NULL, NULL, check_s3_latest,
	  .results = r_copy},
	{"s3.head_object", "an object's metadata (HeadObject)", a_head, HEAD_DOC, ACT_IDEMPOTENT, 300,
	 run_head_object, NULL, NULL, NULL,
	  .results = r_head},
	{"s3.get_object", "an object's content (as Body; BodyBase64 when not UTF-8 text; or into file)", a_get,
	 HEAD_DOC " + Body | BodyBase64 | File",
	 ACT_IDEMPOTENT, 1000, run_get_object, NULL, NULL, NULL,
	  .results = r_get},
	{"s3.put_object", "upload an object from body or file (PutObject)", a_put, "{ETag, VersionId}",
	 ACT_MUTATING | ACT_IDEMPOTENT, 1000, run_put_object, NULL, NULL, NULL,
	  .results = r_put},
	{"s3.delete_object", "delete an object (a delete marker) or remove one version of it (DeleteObject)", a_delete,
	 "{Key, DeleteMarker, VersionId}", ACT_MUTATING, 1000, run_delete_object, NULL, NULL, NULL,
	  .results = r_delete},
	{"s3.copy_object", "server-side copy of an object or one of its versions (CopyObject)", a_copy,
	 "{ETag, LastModified, VersionId, CopySourceVersionId}", ACT_MUTATING | ACT_IDEMPOTENT, 2000,
	 run_copy_object, NULL, NULL, NULL,
	  .results = r_copy},
	{"s3.sync", "copy what differs (size or ETag) from one bucket/prefix to another, concurrently",
	 a_sync, "{copied, deleted, unchanged, bytes}; in --dry-run: {would_copy, would_delete, copy_count, delete_count, unchanged, bytes}",
	 ACT_MUTATING | ACT_IDEMPOTENT, 5 * 60 * 1000, run_sync, NULL, dry_run_sync, NULL,
	  .results = r_sync},
	{"s3.compare", "compare two bucket/prefixes: counts, bytes and differing keys", a_compare,
	 "{source: {count, bytes}, destination: {count, bytes}, only_in_source, only_in_destination, different, *_count, equal}",
	 ACT_IDEMPOTENT, 2000, run_compare, NULL, NULL, NULL,
	  .results = r_compare},
	{NULL},
};
