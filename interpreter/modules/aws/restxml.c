/* restxml.c — S3's REST-XML protocol, path style (/bucket/key) on every endpoint.
 * Every request carries x-amz-content-sha256 (added by transport.c for service "s3").
 * Flattened lists (ListVersionsResult's interleaved Version / DeleteMarker, Contents,
 * CommonPrefixes, Deleted, Error) become arrays named like the AWS CLI's output
 * (Versions, DeleteMarkers, ...); wrapped lists come from the shape table. */
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "aws.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"

static const char *const s3_flat[] = {
	"Version", "Versions", "DeleteMarker", "DeleteMarkers", "Contents", "Contents",
	"CommonPrefixes", "CommonPrefixes", "Deleted", "Deleted", "Error", "Errors",
	"Upload", "Uploads", "Part", "Parts", NULL,
};

int aws_s3_parse(const char *xml, size_t len, jv *out)
{
	xmlDoc *doc = xmlReadMemory(xml, (int)len, NULL, NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		if (doc)
			xmlFreeDoc(doc);
		return -1;
	}
	*out = aws_xml_to_jv(&aws_svc_s3, root, s3_flat);
	if (jv_get_kind(*out) != JV_KIND_OBJECT) {
		/* <LocationConstraint>eu-west-1</LocationConstraint>: keep it under its name */
		*out = jv_object_set(jv_object(), jv_string((const char *)root->name), *out);
	}
	xmlFreeDoc(doc);
	return 0;
}

int s3_loc_parse(const char *s, struct s3_loc *l)
{
	memset(l, 0, sizeof *l);
	if (!strncmp(s, "s3://", 5))
		s += 5;
	size_t bl = strcspn(s, "/");
	if (bl == 0)
		return -1;
	l->bucket = xstrndup(s, bl);
	l->key = xstrdup(s[bl] ? s + bl + 1 : "");
	return 0;
}

void s3_loc_release(struct s3_loc *l)
{
	free(l->bucket);
	free(l->key);
	memset(l, 0, sizeof *l);
}

int aws_s3_request(struct aws_client *c, const char *method, const char *bucket,
		   const char *key, const char *query, const char *const *hdrs,
		   const char *body, size_t body_len, jv *out, jv *headers, struct buf *raw,
		   jv *err)
{
	int berr = 0;
	struct aws_request r;
	struct aws_response resp;
	int ret = -1;
	aws_request_init(&r, &aws_svc_s3, method);
	memset(&resp, 0, sizeof resp);
	resp.headers = jv_null();
	struct buf path = BUF_INIT(0);
	berr |= buf_addc(&path, '/');
	berr |= aws_uri_encode(&path, bucket, strlen(bucket), 0);
	if (key) {
		berr |= buf_addc(&path, '/');
		berr |= aws_uri_encode(&path, key, strlen(key), 1);
	}
	free(r.path);
	r.path = buf_detach(&path);
	if (query)
		berr |= buf_adds(&r.query, query);
	for (int i = 0; hdrs && hdrs[i]; i += 2)
		if (hdrs[i + 1])
			aws_request_header(&r, hdrs[i], hdrs[i + 1]);
	if (berr) {
		*err = jvx_error("InvalidParameter", "S3 %s: the request's path or query is too long", method);
		goto out;
	}
	r.body = body;
	r.body_len = body_len;
	if (aws_perform(c, &r, &resp, err) < 0) {
		/* a bucket in another region: S3 says which (x-amz-bucket-region); sign for that
		 * region and go again, once (what the AWS CLI does too) */
		const char *br = jvx_str(resp.headers, "x-amz-bucket-region");
		if (!br || !strcmp(br, c->region) ||
		    !(aws_err_is(*err, "PermanentRedirect") || aws_err_is(*err, "AuthorizationHeaderMalformed") ||
		      aws_err_is(*err, "IllegalLocationConstraintException") || aws_err_is(*err, "Redirect")))
			goto out;
		free(c->region);
		c->region = xstrdup(br);
		jv_free(*err);
		aws_response_release(&resp);
		if (aws_perform(c, &r, &resp, err) < 0)
			goto out;
	}
	if (headers)
		*headers = jv_copy(resp.headers);
	if (raw) {
		if (buf_add(raw, buf_str(&resp.body), resp.body.len) < 0) {
			*err = jvx_error("InvalidResponse", "S3 %s: the reply is over %zu bytes", method, raw->max);
			if (headers) {
				jv_free(*headers);
				*headers = jv_null();
			}
			goto out;
		}
		*out = jv_object();
	} else if (resp.body.len && strcmp(method, "HEAD")) {
		if (aws_s3_parse(resp.body.data, resp.body.len, out) < 0) {
			*err = jvx_error("InvalidResponse", "S3 %s: reply is not XML", method);
			if (headers) {
				jv_free(*headers);
				*headers = jv_null();
			}
			goto out;
		}
	} else {
		*out = jv_object();
	}
	ret = 0;
out:
	aws_request_release(&r);
	aws_response_release(&resp);
	return ret;
}
