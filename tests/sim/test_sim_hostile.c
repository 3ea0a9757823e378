/* test_sim_hostile.c — hostile requests through sim_handle() and sim_k8s_handle(), the
 * simulator's request path without HTTP: every one must get an answer (a status from
 * 200 to 599, or an injected reset), never a crash, a hang or a sanitizer report.
 * Malformed aws-chunked bodies (a chunk size near ULONG_MAX), bad XML, invalid UTF-8,
 * deep JSON, a tag index of 10^11, Range edge cases, a DeleteObjects of 1001 objects,
 * garbage sent to every operation of every service, and on the Kubernetes side deep
 * PATCH bodies, absurd replica counts, bad base64 and broken selectors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/clock.h"
#include "core/jvx.h"
#include "sim/sim.h"
#include "sim/simint.h"

static int fails;
#define CHECK(cond, ...) do { if (cond) printf("ok - " __VA_ARGS__); \
	else { printf("not ok - " __VA_ARGS__); fails++; } printf("\n"); } while (0)

static struct sim *S;
static FILE *LOG;        /* the request log */

/* headers as a JSON text (single quotes for double) */
static jv hdrs(const char *service, const char *extra_json)
{
	jv h = jv_parse(extra_json ? extra_json : "{}");
	if (!jv_is_valid(h)) {
		fprintf(stderr, "bad test headers %s\n", extra_json);
		exit(2);
	}
	char auth[256];
	snprintf(auth, sizeof(auth), "AWS4-HMAC-SHA256 Credential=AKIDTEST/20261122/us-east-1/%s/aws4_request, "
		 "SignedHeaders=host;x-amz-date, Signature=0123", service);
	return jv_object_set(h, jv_string("Authorization"), jv_string(auth));
}

/* one AWS request; its status (0 for a reset) */
static int aws(const char *method, const char *path, const char *query_json, const char *service,
	       const char *headers_json, const char *body, size_t len, struct buf *out)
{
	int berr = 0;
	struct sim_reply rep;
	jv q = query_json ? jv_parse(query_json) : jv_object();
	sim_handle(S, method, path, q, hdrs(service, headers_json), body, len, &rep);
	int st = rep.reset ? 0 : rep.status;
	if (out) {
		buf_reset(out);
		berr |= buf_add(out, rep.body, rep.len);
	}
	BUF_NOCAP(berr);
	sim_reply_release(&rep);
	return st;
}

static int answered(int st)
{
	return st == 0 || (st >= 200 && st <= 599);
}

static int k8s(const char *method, const char *url, const char *query_json, const char *ctype, const char *body,
	       size_t len, struct buf *out)
{
	int berr = 0;
	struct sim_reply rep;
	struct diag_list dl = { 0 };
	jv h = jv_object_set(jv_object(), jv_string("Authorization"), jv_string("Bearer hostile-token"));
	if (ctype)
		h = jv_object_set(h, jv_string("Content-Type"), jv_string(ctype));
	if (sim_k8s_handle(S, method, url, query_json ? jv_parse(query_json) : jv_object(), h, body, len, &rep,
			   &dl) < 0) {
		diag_print(&dl, stderr, 0);
		exit(2);
	}
	diag_list_release(&dl);
	int st = rep.status;
	if (out) {
		buf_reset(out);
		berr |= buf_add(out, rep.body, rep.len);
	}
	BUF_NOCAP(berr);
	sim_reply_release(&rep);
	return st;
}

static char *repeat(const char *unit, int n, const char *tail)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	for (int i = 0; i < n; i++)
		berr |= buf_adds(&b, unit);
	if (tail)
		berr |= buf_adds(&b, tail);
	BUF_NOCAP(berr);
	return buf_detach(&b);
}

static void aws_cases(void)
{
	struct buf out = BUF_INIT(0);
	static const char streaming[] = "{\"x-amz-content-sha256\": \"STREAMING-AWS4-HMAC-SHA256-PAYLOAD\"}";
	const char *chunk = "ffffffffffffffff\r\nabc\r\n0\r\n\r\n";
	int st = aws("PUT", "/media/k.txt", NULL, "s3", streaming, chunk, strlen(chunk), &out);
	CHECK(st == 400, "PutObject with a chunk size near ULONG_MAX: 400 (%d)", st);
	st = aws("PUT", "/media", "{\"versioning\": \"\"}", "s3", streaming, chunk, strlen(chunk), NULL);
	CHECK(st == 400, "PutBucketVersioning with a malformed chunked body: 400 (%d)", st);
	st = aws("POST", "/media", "{\"delete\": \"\"}", "s3", streaming, "zz\r\n", 4, NULL);
	CHECK(st == 400, "DeleteObjects with a malformed chunked body: 400 (%d)", st);
	const char *chunk2 = "5\r\nhello\r\n0\r\n\r\n";
	st = aws("PUT", "/media/chunked.txt", NULL, "s3", streaming, chunk2, strlen(chunk2), NULL);
	CHECK(st == 200, "a well-formed chunked PutObject still works (%d)", st);
	st = aws("GET", "/media/chunked.txt", NULL, "s3", NULL, NULL, 0, &out);
	CHECK(st == 200 && !strcmp(buf_str(&out), "hello"), "and reads back (%d '%s')", st, buf_str(&out));

	char *many = repeat("<Object><Key>a</Key></Object>", 1001, "</Delete>");
	st = aws("POST", "/media", "{\"delete\": \"\"}", "s3", NULL, many, strlen(many), &out);
	CHECK(st == 400 && strstr(buf_str(&out), "MalformedXML"), "DeleteObjects of 1001 objects: 400 (%d)", st);
	free(many);
	char *nokeys = repeat("<Object><VersionId>x</VersionId></Object>", 1000, NULL);
	st = aws("POST", "/media", "{\"delete\": \"\"}", "s3", NULL, nokeys, strlen(nokeys), NULL);
	CHECK(st == 200, "DeleteObjects of 1000 objects without keys (%d)", st);
	free(nokeys);
	st = aws("POST", "/media", "{\"delete\": \"\"}", "s3", NULL, "<Object><Key>&amp;&lt;", strlen("<Object><Key>&amp;&lt;"), NULL);
	CHECK(answered(st), "DeleteObjects with unclosed XML (%d)", st);
	st = aws("PUT", "/media", "{\"versioning\": \"\"}", "s3", NULL, "\xff\xfe<Status>", strlen("\xff\xfe<Status>"), NULL);
	CHECK(st == 400, "PutBucketVersioning with invalid UTF-8 and no status: 400 (%d)", st);

	static const char *const ranges[] = { "bytes=-0", "bytes=-", "bytes=99999999999999999999-",
		"bytes=5-2", "bytes=--5", "bytes=0-18446744073709551615", "bytes=abc", "bytes=1-1,3-4", NULL };
	for (const char *const *rg = ranges; *rg; rg++) {
		char h[96];
		snprintf(h, sizeof(h), "{\"Range\": \"%s\"}", *rg);
		st = aws("GET", "/media/a.txt", NULL, "s3", h, NULL, 0, NULL);
		CHECK(st == 200 || st == 206 || st == 416, "GetObject with Range '%s' (%d)", *rg, st);
	}
	st = aws("GET", "/media", "{\"list-type\": \"2\", \"max-keys\": \"99999999999999999999\"}", "s3", NULL, NULL, 0,
		 NULL);
	CHECK(st == 200, "ListObjectsV2 with a huge max-keys (%d)", st);
	st = aws("PUT", "/media/copy", NULL, "s3", "{\"x-amz-copy-source\": \"/\"}", NULL, 0, NULL);
	CHECK(answered(st) && st != 200, "CopyObject from '/' (%d)", st);
	st = aws("PUT", "/media/copy", NULL, "s3", "{\"x-amz-copy-source\": \"media/a.txt?versionId=\"}", NULL, 0, NULL);
	CHECK(answered(st), "CopyObject with an empty versionId (%d)", st);

	/* a tag index of 10^11 is a number, not a loop bound */
	const char *tags = "Action=AddTagsToResource&Version=2014-10-31"
			   "&ResourceName=arn%3Aaws%3Ards%3Aus-east-1%3A123456789012%3Adb%3Aorders-db"
			   "&Tags.Tag.99999999999.Key=a&Tags.Tag.99999999999.Value=b&Tags.Tag.1.Key=c"
			   "&Tags.member.9223372036854775807.Key=d&Tags.Tag.99999999999999999999999.Key=e";
	st = aws("POST", "/", NULL, "rds", "{\"Content-Type\": \"application/x-www-form-urlencoded\"}", tags,
		 strlen(tags), NULL);
	CHECK(st == 200, "AddTagsToResource with tag indexes up to 2^63 (%d)", st);
	/* a forged line in the request log: one request, one line */
	fflush(LOG);
	long at = ftell(LOG);
	const char *forge = "Action=Describe%0A2026-01-01T00:00:00.000Z%20rds%20DeleteDBInstance&Version=2014-10-31";
	st = aws("POST", "/", NULL, "rds", "{\"Content-Type\": \"application/x-www-form-urlencoded\"}", forge,
		 strlen(forge), NULL);
	fflush(LOG);
	fseek(LOG, at, SEEK_SET);
	int lines = 0, ch;
	while ((ch = fgetc(LOG)) != EOF)
		lines += ch == '\n';
	fseek(LOG, 0, SEEK_END);
	CHECK(st == 400 && lines == 1, "an Action with a newline is one line in the request log (%d lines)", lines);
	const char *bad_form = "Action=DescribeDBInstances&Version=2014-10-31&%zz=%&DBInstanceIdentifier=%FF%FE%00x&&=";
	st = aws("POST", "/", NULL, "rds", "{\"Content-Type\": \"application/x-www-form-urlencoded\"}", bad_form,
		 strlen(bad_form), NULL);
	CHECK(answered(st), "a form with bad escapes, NUL and invalid UTF-8 (%d)", st);

	/* Secrets Manager: deep, invalid and mistyped JSON */
	char *deep = repeat("[", 100000, NULL);
	st = aws("POST", "/", NULL, "secretsmanager", "{\"X-Amz-Target\": \"secretsmanager.GetSecretValue\"}", deep,
		 strlen(deep), NULL);
	CHECK(st == 400, "GetSecretValue with 100000 nested arrays: 400 (%d)", st);
	free(deep);
	const char *typed = "{\"SecretId\": 5, \"VersionStage\": [], \"VersionId\": {}, \"ClientRequestToken\": 1e400,"
			    " \"SecretString\": null, \"RemoveFromVersionId\": true, \"MoveToVersionId\": [1]}";
	static const char *const targets[] = { "GetSecretValue", "PutSecretValue", "UpdateSecretVersionStage",
		"DescribeSecret", "CreateSecret", "DeleteSecret", "RestoreSecret", "ListSecretVersionIds",
		"ListSecrets", NULL };
	for (const char *const *t = targets; *t; t++) {
		char h[128];
		snprintf(h, sizeof(h), "{\"X-Amz-Target\": \"secretsmanager.%s\"}", *t);
		st = aws("POST", "/", NULL, "secretsmanager", h, typed, strlen(typed), NULL);
		CHECK(answered(st), "%s with mistyped fields (%d)", *t, st);
		st = aws("POST", "/", NULL, "secretsmanager", h, "{\"SecretId\": \"app/\xff\xfe\"}", strlen("{\"SecretId\": \"app/\xff\xfe\"}"), NULL);
		CHECK(answered(st), "%s with invalid UTF-8 (%d)", *t, st);
	}

	/* garbage to every operation of every service */
	static const struct { const char *svc, *version; const struct sim_op *ops; } svcs[] = {
		{ "rds", "2014-10-31", sim_rds_ops }, { "elasticache", "2015-02-02", sim_elasticache_ops },
		{ "sns", "2010-03-31", sim_sns_ops }, { "sts", "2011-06-15", sim_sts_ops },
	};
	static const char *const junk[] = { "", "&DBInstanceIdentifier=orders-db&DBSnapshotIdentifier=",
		"&DBInstanceIdentifier=%00&SourceDBInstanceIdentifier=orders-db&TargetDBInstanceIdentifier=x"
		"&RestoreTime=not-a-time&UseLatestRestorableTime=maybe&AllocatedStorage=-1e999",
		"&ReplicationGroupId=sessions&SnapshotName=&NumCacheClusters=99999999999&MaxRecords=-5&Marker=%FF",
		"&DBSnapshotIdentifier=orders-db-snap&DBInstanceIdentifier=orders-db&NewDBInstanceIdentifier=orders-db"
		"&ApplyImmediately=true&SkipFinalSnapshot=false&FinalDBSnapshotIdentifier=orders-db-snap",
		NULL };
	int nops = 0, nok = 0;
	for (size_t i = 0; i < sizeof(svcs) / sizeof(svcs[0]); i++) {
		for (const struct sim_op *op = svcs[i].ops; op->name; op++) {
			for (const char *const *j = junk; *j; j++) {
				char form[1024];
				snprintf(form, sizeof(form), "Action=%s&Version=%s%s", op->name, svcs[i].version, *j);
				st = aws("POST", "/", NULL, svcs[i].svc,
					 "{\"Content-Type\": \"application/x-www-form-urlencoded\"}", form, strlen(form), NULL);
				nops++;
				nok += answered(st);
			}
		}
	}
	CHECK(nok == nops, "garbage parameters to every Query operation: %d of %d answered", nok, nops);
	static const char *const methods[] = { "GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS", NULL };
	static const char *const paths[] = { "/", "/media", "/media/a.txt", "/media/", "//", "/media/\xff\xfe", "/nope/x",
		NULL };
	static const char *const queries[] = { "{}", "{\"versions\": \"\", \"key-marker\": \"\\u00ff\", \"max-keys\": \"-1\"}",
		"{\"versionId\": \"null\"}", "{\"delete\": \"\"}", "{\"versioning\": \"\"}", "{\"list-type\": \"2\", "
		"\"continuation-token\": \"!!\", \"delimiter\": \"\", \"prefix\": \"\\u0000\"}", NULL };
	nops = nok = 0;
	for (const char *const *m = methods; *m; m++)
		for (const char *const *p = paths; *p; p++)
			for (const char *const *q = queries; *q; q++) {
				st = aws(*m, *p, *q, "s3", "{\"x-amz-copy-source\": \"media/a.txt?versionId=%\"}",
					 "<x>\xff</x>", strlen("<x>\xff</x>"), NULL);
				nops++;
				nok += answered(st);
			}
	CHECK(nok == nops, "every S3 route with odd queries and bodies: %d of %d answered", nok, nops);
	st = aws("GET", "/_sim/counters", NULL, "s3", NULL, NULL, 0, &out);
	CHECK(st == 200 && strstr(buf_str(&out), "\"requests\""), "the counters still answer (%d)", st);
	buf_release(&out);
}

static int pods(const char *selector)
{
	struct buf out = BUF_INIT(0);
	char q[128];
	snprintf(q, sizeof(q), "{\"labelSelector\": \"%s\"}", selector);
	int st = k8s("GET", "/api/v1/namespaces/shop/pods", q, NULL, NULL, 0, &out);
	jv l = jv_parse(buf_str(&out));
	jv items = jvx_get(l, "items");
	int n = st == 200 && jv_get_kind(items) == JV_KIND_ARRAY ? jv_array_length(jv_copy(items)) : -1;
	jv_free(items);
	jv_free(l);
	buf_release(&out);
	return n;
}

static int k8s_cases(void)
{
	int berr = 0;
	struct buf out = BUF_INIT(0);
	const char *dep = "/apis/apps/v1/namespaces/shop/deployments/web";
	int st = k8s("GET", dep, NULL, NULL, NULL, 0, &out);
	CHECK(st == 200, "the scenario's Deployment is served (%d)", st);
	CHECK(pods("app=web") == 12, "its 12 pods (%d)", pods("app=web"));
	static const int sizes[] = { 40, 400, 1, 40 };
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char body[96];
		snprintf(body, sizeof(body), "{\"spec\":{\"replicas\":%d}}", sizes[i]);
		st = k8s("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web/scale", NULL,
			 "application/merge-patch+json", body, strlen(body), NULL);
		CHECK(st == 200 && pods("app=web") == sizes[i], "scaled to %d: %d pods (%d)", sizes[i], pods("app=web"), st);
	}
	static const char *const bad_replicas[] = { "1e300", "-1", "2.5", "\"many\"", "100000", "null", NULL };
	for (const char *const *b = bad_replicas; *b; b++) {
		char body[96];
		snprintf(body, sizeof(body), "{\"spec\":{\"replicas\":%s}}", *b);
		st = k8s("PATCH", "/apis/apps/v1/namespaces/shop/deployments/web/scale", NULL,
			 "application/merge-patch+json", body, strlen(body), NULL);
		CHECK(st == 422, "scale to %s: 422 (%d)", *b, st);
		st = k8s("PATCH", dep, NULL, "application/merge-patch+json", body, strlen(body), NULL);
		CHECK(st == 422 || (st == 200 && !strcmp(*b, "null")), "patch replicas to %s: refused (%d)", *b, st);
	}
	/* a null replicas is the default again, as on the API server: 1 */
	CHECK(pods("app=web") == 1, "1 pod after the refusals and a null replicas (%d)", pods("app=web"));

	char *deep = repeat("{\"a\":", 100000, NULL);
	st = k8s("PATCH", dep, NULL, "application/merge-patch+json", deep, strlen(deep), NULL);
	CHECK(st == 400, "a PATCH of 100000 nested objects: 400 (%d)", st);
	free(deep);
	/* as deep as the JSON parser takes: the patch code recurses that far */
	struct buf d = BUF_INIT(0);
	berr |= buf_adds(&d, "{\"metadata\":{\"annotations\":{\"x\":\"y\"}},\"spec\":{\"template\":{\"metadata\":{\"labels\":"
		     "{\"app\":\"web\"}}},\"strategy\":");
	for (int i = 0; i < 240; i++)
		berr |= buf_adds(&d, "{\"a\":");
	berr |= buf_adds(&d, "1");
	for (int i = 0; i < 240; i++)
		berr |= buf_addc(&d, '}');
	berr |= buf_adds(&d, "}}");
	static const char *const ctypes[] = { "application/merge-patch+json", "application/strategic-merge-patch+json",
		"application/apply-patch+yaml", "application/json-patch+json", "text/plain", NULL };
	for (const char *const *ct = ctypes; *ct; ct++) {
		st = k8s("PATCH", dep, "{\"fieldManager\": \"hostile\", \"force\": \"true\"}", *ct, d.data, d.len, NULL);
		CHECK(answered(st), "a 240-deep %s PATCH (%d)", *ct, st);
	}
	buf_release(&d);
	const char *jp = "[{\"op\":\"remove\",\"path\":\"/spec/template/spec/containers/99999999999\"},"
			 "{\"op\":\"add\",\"path\":\"/spec/x/-/~2/\",\"value\":1},{\"op\":\"move\",\"from\":\"/\",\"path\":\"/a\"},"
			 "{\"op\":\"test\"},{\"op\":\"copy\",\"from\":\"/spec\",\"path\":\"/spec/template\"}]";
	st = k8s("PATCH", dep, NULL, "application/json-patch+json", jp, strlen(jp), NULL);
	CHECK(answered(st), "a JSON patch with bad paths (%d)", st);
	st = k8s("PATCH", dep, NULL, "application/merge-patch+json", "{\"metadata\":{\"name\":\"\xff\xfe\"}}", strlen("{\"metadata\":{\"name\":\"\xff\xfe\"}}"), NULL);
	CHECK(answered(st), "a PATCH with invalid UTF-8 (%d)", st);
	const char *secret = "{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"s\"},\"data\":{\"k\":\"not base64!\"}}";
	st = k8s("POST", "/api/v1/namespaces/shop/secrets", NULL, "application/json", secret, strlen(secret), NULL);
	CHECK(st == 422, "a Secret with bad base64: 422 (%d)", st);
	char *longname = repeat("a", 300, NULL);
	const char *names[] = { "UPPER", "-dash", "a_b", "", longname, NULL };
	for (const char *const *nm = names; *nm; nm++) {
		char cm[512];
		snprintf(cm, sizeof(cm), "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"%s\"}}", *nm);
		st = k8s("POST", "/api/v1/namespaces/shop/configmaps", NULL, "application/json", cm, strlen(cm), NULL);
		CHECK(st == 422, "a ConfigMap named '%.20s': 422 (%d)", *nm, st);
	}
	free(longname);
	static const char *const selectors[] = { "a in (", "!!", " notin ", "a in (b,c", "=", "a!=", ",,,", "a notin b)",
		NULL };
	for (const char *const *s = selectors; *s; s++)
		CHECK(pods(*s) >= 0, "label selector '%s' answered", *s);
	st = k8s("GET", "/api/v1/namespaces/shop/pods", "{\"fieldSelector\": \"metadata.name\"}", NULL, NULL, 0, NULL);
	CHECK(answered(st), "a field selector without a value (%d)", st);
	st = k8s("GET", "/apis/apps/v1/namespaces/shop/deployments", "{\"watch\": \"true\", \"resourceVersion\": \"-5\"}",
		 NULL, NULL, 0, &out);
	CHECK(st == 200, "a watch without a connection ends (%d)", st);
	static const char *const urls[] = { "/api/v1/namespaces/shop/pods/a/b/c/d/e/f/g/h/i", "/apis/apps/v1/", "/api/v1//",
		"/api/v1/namespaces//deployments", "/apis/apps/v1/namespaces/shop/deployments/web/exec", "/openapi/v3/x",
		"/api/v1/namespaces/\xff/configmaps", NULL };
	for (const char *const *u = urls; *u; u++) {
		st = k8s("DELETE", *u, NULL, "application/json", "{", 1, NULL);
		CHECK(answered(st), "DELETE %s (%d)", *u, st);
		st = k8s("POST", *u, NULL, "application/json", "[]", 2, NULL);
		CHECK(answered(st), "POST %s (%d)", *u, st);
	}
	st = k8s("DELETE", "/api/v1/namespaces/shop", NULL, NULL, NULL, 0, NULL);
	CHECK(st == 200 && pods("app=web") == 0, "deleting the namespace deletes its pods (%d)", st);
	buf_release(&out);
	return berr;
}

int main(int argc, char **argv)
{
	int berr = 0;
	if (argc < 2) {
		fprintf(stderr, "usage: test_sim_hostile SCENARIO.yaml\n");
		return 2;
	}
	struct rb_clock *clk = clock_new(CLOCK_VIRTUAL, 1795300000000, 1);
	struct diag_list dl = { 0 };
	clock_hold(clk);
	LOG = tmpfile();
	struct sim_options opt = { LOG };
	S = sim_open(argv[1], clk, &opt, &dl);
	if (!S) {
		diag_print(&dl, stderr, 0);
		return 2;
	}
	aws_cases();
	berr |= k8s_cases();
	BUF_NOCAP(berr);
	sim_stop(S);
	clock_release(clk);
	clock_free(clk);
	fclose(LOG);
	diag_list_release(&dl);
	printf("%d failed\n", fails);
	return fails ? 1 : 0;
}
