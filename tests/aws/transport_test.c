/* transport_test — the aws client over real HTTP (a libmicrohttpd server on loopback
 * playing AWS's replies): pagination across pages, retries of throttling with bounded
 * attempts, fatal errors with request ids, x-amz-content-sha256 on S3, and the whole
 * credential chain with temporary HOME and environment: env beats profile, profile
 * selection, config region, assume-role through STS (signed with the source profile's
 * keys), web identity (unsigned), container credentials, IMDSv2. */
#include <microhttpd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <pthread.h>
#include "core/bug.h"
#include "core/jvx.h"
#include "modules/aws/aws.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int flaky_count, throttled_count;
static char last_auth[1024], last_sha[128], last_token[256];
static int last_signed;

struct conn { struct buf body; };

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, const char *type, const char *body)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "x-amzn-RequestId", "fixture-req");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

#define CREDS_XML(op, key) \
	"<" op "Response><" op "Result><Credentials><AccessKeyId>" key "</AccessKeyId>" \
	"<SecretAccessKey>secret-" key "</SecretAccessKey><SessionToken>token-" key "</SessionToken>" \
	"<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials></" op "Result></" op "Response>"

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			       const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	int berr = 0;
	struct conn *st = *con_cls;
	if (!st) {
		st = xcalloc(1, sizeof *st);
		buf_init(&st->body, 0);
		*con_cls = st;
		return MHD_YES;
	}
	if (*upload_size) {
		berr |= buf_add(&st->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	BUF_NOCAP(berr);
	const char *body = buf_str(&st->body);
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	const char *sha = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "x-amz-content-sha256");
	const char *tok = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Amz-Security-Token");
	pthread_mutex_lock(&lock);
	snprintf(last_auth, sizeof last_auth, "%s", auth ? auth : "");
	snprintf(last_sha, sizeof last_sha, "%s", sha ? sha : "");
	snprintf(last_token, sizeof last_token, "%s", tok ? tok : "");
	last_signed = auth != NULL;
	pthread_mutex_unlock(&lock);

	if (!strcmp(url, "/container-creds")) {
		const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
		if (!a || strcmp(a, "container-secret-token"))
			return reply(c, 401, "text/plain", "no");
		return reply(c, 200, "application/json",
			     "{\"AccessKeyId\":\"ASIACONT\",\"SecretAccessKey\":\"s\",\"Token\":\"t\",\"Expiration\":\"2099-01-01T00:00:00Z\"}");
	}
	if (!strcmp(url, "/latest/api/token") && !strcmp(method, "PUT"))
		return reply(c, 200, "text/plain", "imds-token");
	if (!strncmp(url, "/latest/meta-data/iam/security-credentials/", 43)) {
		const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-aws-ec2-metadata-token");
		if (!t || strcmp(t, "imds-token"))
			return reply(c, 401, "text/plain", "");
		if (!url[43])
			return reply(c, 200, "text/plain", "my-role\n");
		return reply(c, 200, "application/json",
			     "{\"Code\":\"Success\",\"AccessKeyId\":\"ASIAIMDS\",\"SecretAccessKey\":\"s\",\"Token\":\"t\",\"Expiration\":\"2099-01-01T00:00:00Z\"}");
	}
	/* "?versions" has no value, which MHD reports as NULL: tell the two listings apart by list-type */
	if (!strcmp(url, "/paged") && !MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "list-type")) {
		const char *km = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "key-marker");
		const char *vm = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "version-id-marker");
		if (km && vm && !strcmp(km, "b/k 2") && !strcmp(vm, "v+2"))
			return reply(c, 200, "application/xml",
				     "<ListVersionsResult><IsTruncated>false</IsTruncated>"
				     "<Version><Key>b/k 2</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest><Size>1</Size></Version>"
				     "<DeleteMarker><Key>c</Key><VersionId>d1</VersionId><IsLatest>true</IsLatest></DeleteMarker>"
				     "</ListVersionsResult>");
		return reply(c, 200, "application/xml",
			     "<ListVersionsResult><IsTruncated>true</IsTruncated><NextKeyMarker>b/k 2</NextKeyMarker>"
			     "<NextVersionIdMarker>v+2</NextVersionIdMarker>"
			     "<Version><Key>a</Key><VersionId>v9</VersionId><IsLatest>true</IsLatest><Size>1</Size></Version>"
			     "</ListVersionsResult>");
	}
	if (!strcmp(url, "/paged")) {
		const char *t = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "continuation-token");
		if (t && !strcmp(t, "tok/2=="))
			return reply(c, 200, "application/xml",
				     "<ListBucketResult><IsTruncated>false</IsTruncated>"
				     "<Contents><Key>p/x</Key><Size>5</Size><ETag>\"e\"</ETag></Contents></ListBucketResult>");
		return reply(c, 200, "application/xml",
			     "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>tok/2==</NextContinuationToken>"
			     "<Contents><Key>p/w</Key><Size>7</Size><ETag>\"f\"</ETag></Contents></ListBucketResult>");
	}
	if (!strcmp(url, "/far-bucket")) {
		if (auth && strstr(auth, "/eu-west-3/s3/aws4_request"))
			return reply(c, 200, "application/xml", "<ListBucketResult><Name>far-bucket</Name><IsTruncated>false</IsTruncated></ListBucketResult>");
		struct MHD_Response *rr = MHD_create_response_from_buffer(
			strlen("<Error><Code>PermanentRedirect</Code><Message>use the right endpoint</Message></Error>"),
			(void *)"<Error><Code>PermanentRedirect</Code><Message>use the right endpoint</Message></Error>",
			MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(rr, "x-amz-bucket-region", "eu-west-3");
		enum MHD_Result ret = MHD_queue_response(c, 301, rr);
		MHD_destroy_response(rr);
		return ret;
	}
	if (!strcmp(method, "GET") && !strncmp(url, "/bucket", 7))
		return reply(c, 200, "application/xml",
			     "<ListBucketResult><Name>bucket</Name><IsTruncated>false</IsTruncated>"
			     "<Contents><Key>a</Key><Size>3</Size></Contents></ListBucketResult>");
	if (strstr(body, "Action=AssumeRoleWithWebIdentity") && strstr(body, "WebIdentityToken=web-token-123"))
		return reply(c, 200, "text/xml", CREDS_XML("AssumeRoleWithWebIdentity", "ASIAWEB"));
	if (strstr(body, "Action=AssumeRole&") && strstr(body, "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Frestore"))
		return reply(c, 200, "text/xml", CREDS_XML("AssumeRole", "ASIAROLE"));
	if (strstr(body, "Action=DescribeDBSnapshots")) {
		if (strstr(body, "Marker=p2"))
			return reply(c, 200, "text/xml",
				     "<DescribeDBSnapshotsResponse><DescribeDBSnapshotsResult><DBSnapshots>"
				     "<DBSnapshot><DBSnapshotIdentifier>s2</DBSnapshotIdentifier><Status>available</Status><SnapshotCreateTime>2026-11-21T00:00:00Z</SnapshotCreateTime></DBSnapshot>"
				     "<DBSnapshot><DBSnapshotIdentifier>s3</DBSnapshotIdentifier><Status>creating</Status><SnapshotCreateTime>2026-11-22T00:00:00Z</SnapshotCreateTime></DBSnapshot>"
				     "</DBSnapshots></DescribeDBSnapshotsResult></DescribeDBSnapshotsResponse>");
		return reply(c, 200, "text/xml",
			     "<DescribeDBSnapshotsResponse><DescribeDBSnapshotsResult><Marker>p2</Marker><DBSnapshots>"
			     "<DBSnapshot><DBSnapshotIdentifier>s1</DBSnapshotIdentifier><Status>available</Status><SnapshotCreateTime>2026-11-20T00:00:00Z</SnapshotCreateTime></DBSnapshot>"
			     "</DBSnapshots></DescribeDBSnapshotsResult></DescribeDBSnapshotsResponse>");
	}
	if (strstr(body, "DBInstanceIdentifier=flaky")) {
		pthread_mutex_lock(&lock);
		int n = ++flaky_count;
		pthread_mutex_unlock(&lock);
		if (n <= 2)
			return reply(c, 503, "text/xml",
				     "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>t-1</RequestId></ErrorResponse>");
		return reply(c, 200, "text/xml",
			     "<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances><DBInstance>"
			     "<DBInstanceIdentifier>flaky</DBInstanceIdentifier><DBInstanceStatus>available</DBInstanceStatus>"
			     "</DBInstance></DBInstances></DescribeDBInstancesResult></DescribeDBInstancesResponse>");
	}
	if (strstr(body, "DBInstanceIdentifier=throttled")) {
		pthread_mutex_lock(&lock);
		throttled_count++;
		pthread_mutex_unlock(&lock);
		return reply(c, 400, "text/xml",
			     "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>t-2</RequestId></ErrorResponse>");
	}
	if (strstr(body, "DBInstanceIdentifier=missing"))
		return reply(c, 404, "text/xml",
			     "<ErrorResponse><Error><Type>Sender</Type><Code>DBInstanceNotFound</Code><Message>DBInstance missing not found.</Message></Error><RequestId>nf-42</RequestId></ErrorResponse>");
	if (strstr(body, "Action=GetCallerIdentity"))
		return reply(c, 200, "text/xml",
			     "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>");
	return reply(c, 400, "text/xml", "<ErrorResponse><Error><Code>InvalidAction</Code><Message>fixture does not know this</Message></Error></ErrorResponse>");
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode t)
{
	struct conn *st = *con_cls;
	if (st) {
		buf_release(&st->body);
		free(st);
	}
	*con_cls = NULL;
}

static char endpoint[64];

static void client_init(struct aws_client *c, const char *region)
{
	jv err;
	jv conn = jv_object();
	conn = jv_object_set(conn, jv_string("region"), jv_string(region));
	conn = jv_object_set(conn, jv_string("endpoint"), jv_string(endpoint));
	conn = jv_object_set(conn, jv_string("credentials"),
			     jv_parse("{\"access_key_id\":\"AKIDTEST\",\"secret_access_key\":\"sk\"}"));
	if (aws_client_init(c, NULL, conn, &err) < 0)
		BUG("client init");
	jv_free(conn);
	c->base_ms = 1;
	c->cap_ms = 5;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		BUG("cannot write a test file");
	fputs(text, f);
	fclose(f);
}

static void clear_env(void)
{
	const char *vars[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
			      "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_SHARED_CREDENTIALS_FILE",
			      "AWS_CONFIG_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
			      "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
			      "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
			      "AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS",
			      "AWS_ENDPOINT_URL_RDS", "AWS_RETRY_MODE", "AWS_MAX_ATTEMPTS", NULL};
	for (int i = 0; vars[i]; i++)
		unsetenv(vars[i]);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	aws_creds_cache_clear();
}

/* resolve credentials for a client with the given connection profile (NULL: none) */
static int resolve(const char *profile, struct aws_creds *out, jv *err)
{
	struct aws_client c;
	memset(&c, 0, sizeof c);
	c.region = xstrdup("us-east-1");
	c.profile = profile ? xstrdup(profile) : NULL;
	c.max_attempts = 2;
	c.base_ms = 1;
	c.cap_ms = 2;
	int r = aws_resolve_credentials(&c, out, err);
	aws_client_release(&c);
	return r;
}

static int key_is(const struct aws_creds *c, const char *key)
{
	int ok = c->access_key_id && !strcmp(c->access_key_id, key);
	if (!ok)
		fprintf(stderr, "  access key %s, want %s\n", c->access_key_id ? c->access_key_id : "(none)", key);
	return ok;
}

static void test_transport(void)
{
	struct aws_client c;
	jv out, err;

	/* pagination: Marker followed across two pages, Latest = newest available */
	client_init(&c, "us-east-1");
	CHECK(aws_query_paginate(&c, &aws_svc_rds, "DescribeDBSnapshots", jv_object(), "DBSnapshots", &out, &err) == 0);
	CHECK(jv_array_length(jvx_get(out, "DBSnapshots")) == 3);
	CHECK(!jvx_has(out, "Marker"));
	jv latest = aws_latest_available(jvx_get(out, "DBSnapshots"), "Status", "SnapshotCreateTime");
	CHECK(jvx_str(latest, "DBSnapshotIdentifier") && !strcmp(jvx_str(latest, "DBSnapshotIdentifier"), "s2"));
	jv_free(latest);
	jv_free(out);
	CHECK(strstr(last_auth, "Credential=AKIDTEST/") != NULL);
	CHECK(strstr(last_auth, "/us-east-1/rds/aws4_request") != NULL);
	aws_client_release(&c);

	/* throttled twice, then fine: 3 attempts */
	client_init(&c, "us-east-1");
	CHECK(aws_query_call(&c, &aws_svc_rds, "DescribeDBInstances",
			     jv_parse("{\"DBInstanceIdentifier\":\"flaky\"}"), &out, &err) == 0);
	CHECK(c.attempts_made == 3);
	CHECK(flaky_count == 3);
	jv_free(out);
	aws_client_release(&c);

	/* always throttled: bounded at max_attempts (standard retry mode: 3), error says so and
	 * is transient */
	client_init(&c, "us-east-1");
	CHECK(aws_query_call(&c, &aws_svc_rds, "DescribeDBInstances",
			     jv_parse("{\"DBInstanceIdentifier\":\"throttled\"}"), &out, &err) < 0);
	CHECK(throttled_count == 3);
	CHECK(aws_err_is(err, "Throttling"));
	CHECK(jvx_bool(err, "transient", 0) == 1);
	CHECK(jvx_str(err, "message") && strstr(jvx_str(err, "message"), "after 3 attempts"));
	jv_free(err);
	aws_client_release(&c);

	/* fatal: one attempt, code, message with the request id, request_id field */
	client_init(&c, "us-east-1");
	CHECK(aws_query_call(&c, &aws_svc_rds, "DescribeDBInstances",
			     jv_parse("{\"DBInstanceIdentifier\":\"missing\"}"), &out, &err) < 0);
	CHECK(c.attempts_made == 1);
	CHECK(aws_err_is(err, "DBInstanceNotFound"));
	CHECK(jvx_str(err, "message") && !strcmp(jvx_str(err, "message"), "DBInstance missing not found. (request id nf-42)"));
	CHECK(jvx_str(err, "request_id") && !strcmp(jvx_str(err, "request_id"), "nf-42"));
	jv_free(err);
	aws_client_release(&c);

	/* S3: x-amz-content-sha256 on every request (here: sha256 of the empty body) */
	client_init(&c, "eu-west-1");
	CHECK(aws_s3_request(&c, "GET", "bucket", NULL, "list-type=2&prefix=a%2Fb", NULL, NULL, 0, &out, NULL, NULL, &err) == 0);
	CHECK(!strcmp(last_sha, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
	CHECK(strstr(last_auth, "/eu-west-1/s3/aws4_request") && strstr(last_auth, "x-amz-content-sha256"));
	CHECK(jv_array_length(jvx_get(out, "Contents")) == 1);
	jv_free(out);
	aws_client_release(&c);

	/* a bucket in another region: follow x-amz-bucket-region once, re-signed */
	client_init(&c, "us-east-1");
	CHECK(aws_s3_request(&c, "GET", "far-bucket", NULL, "list-type=2", NULL, NULL, 0, &out, NULL, NULL, &err) == 0);
	CHECK(!strcmp(c.region, "eu-west-3"));
	CHECK(c.attempts_made == 2);
	jv_free(out);
	aws_client_release(&c);
}

/* an action run through its descriptor against the fixture */
static int run_action(const char *name, const char *args, jv *out)
{
	const struct action_desc *d = NULL;
	for (const struct action_desc *a = aws_module.actions; a->name; a++)
		if (!strcmp(a->name, name))
			d = a;
	if (!d)
		BUG("no such action");
	struct action_call call;
	memset(&call, 0, sizeof call);
	call.desc = d;
	jv aws = jv_object_set(jv_object(), jv_string("endpoint"), jv_string(endpoint));
	aws = jv_object_set(aws, jv_string("region"), jv_string("us-east-1"));
	aws = jv_object_set(aws, jv_string("credentials"),
			    jv_parse("{\"access_key_id\":\"AKIDTEST\",\"secret_access_key\":\"sk\"}"));
	call.connections = jv_object_set(jv_object(), jv_string("aws"), aws);
	int r = d->run(&call, jv_parse(args), out);
	jv_free(call.connections);
	return r;
}

static void test_s3_pagination(void)
{
	jv out;
	/* ListObjectVersions: IsTruncated + NextKeyMarker / NextVersionIdMarker */
	CHECK(run_action("s3.list_object_versions", "{\"bucket\":\"paged\"}", &out) == 0);
	CHECK(jv_array_length(jvx_get(out, "Versions")) == 2);
	CHECK(jv_array_length(jvx_get(out, "DeleteMarkers")) == 1);
	jv_free(out);
	/* ListObjectsV2: NextContinuationToken (s3.compare lists both sides) */
	CHECK(run_action("s3.compare", "{\"source\":\"s3://paged/p\",\"destination\":\"s3://paged/p/\"}", &out) == 0);
	jv src = jvx_get(out, "source");
	CHECK(jvx_num(src, "count", 0) == 2);
	CHECK(jvx_num(src, "bytes", 0) == 12);
	jv_free(src);
	CHECK(jvx_bool(out, "equal", 0) == 1);
	jv_free(out);
}

static void test_credentials(const char *home)
{
	char path[512], path2[512];
	struct aws_creds cr;
	jv err = jv_null();
	char *region;

	snprintf(path, sizeof path, "%s/.aws", home);
	mkdir(path, 0700);
	snprintf(path, sizeof path, "%s/.aws/credentials", home);
	write_file(path, "[default]\naws_access_key_id = PROFKEY\naws_secret_access_key = profsecret\n\n"
			 "[other]\naws_access_key_id=OTHERKEY\naws_secret_access_key=othersecret\naws_session_token = othertoken\n");
	snprintf(path, sizeof path, "%s/.aws/config", home);
	snprintf(path2, sizeof path2, "%s/web-token", home);
	write_file(path2, "web-token-123\n");
	char cfg[2048];
	snprintf(cfg, sizeof cfg,
		 "[default]\nregion = us-west-2\ns3 =\n  max_concurrent_requests = 20\n\n"
		 "[profile other]\nregion = eu-west-2\n\n"
		 "[profile restore]\nrole_arn = arn:aws:iam::123456789012:role/restore\nsource_profile = default\n"
		 "role_session_name = dr-drill\nregion = eu-central-1\n\n"
		 "[profile cfgonly]\naws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\n\n"
		 "[profile webprof]\nrole_arn = arn:aws:iam::123456789012:role/web\nweb_identity_token_file = %s\n\n"
		 "[profile broken]\nrole_arn = arn:aws:iam::123456789012:role/x\n",
		 path2);
	write_file(path, cfg);
	setenv("HOME", home, 1);
	clear_env();

	/* profile default from ~/.aws/credentials; region from ~/.aws/config [default] */
	CHECK(resolve(NULL, &cr, &err) == 1 && key_is(&cr, "PROFKEY") && !strcmp(cr.source, "profile"));
	aws_creds_release(&cr);
	region = aws_resolve_region(NULL, NULL);
	CHECK(region && !strcmp(region, "us-west-2"));
	free(region);

	/* env beats profile */
	setenv("AWS_ACCESS_KEY_ID", "ENVKEY", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	CHECK(resolve(NULL, &cr, &err) == 1 && key_is(&cr, "ENVKEY") && cr.session_token &&
	      !strcmp(cr.session_token, "envtoken"));
	aws_creds_release(&cr);
	/* ... but an explicit connection profile beats env (like aws --profile) */
	CHECK(resolve("other", &cr, &err) == 1 && key_is(&cr, "OTHERKEY") && cr.session_token &&
	      !strcmp(cr.session_token, "othertoken"));
	aws_creds_release(&cr);
	clear_env();

	/* AWS_PROFILE selects; its config section gives the region */
	setenv("AWS_PROFILE", "other", 1);
	CHECK(resolve(NULL, &cr, &err) == 1 && key_is(&cr, "OTHERKEY"));
	aws_creds_release(&cr);
	region = aws_resolve_region(NULL, NULL);
	CHECK(region && !strcmp(region, "eu-west-2"));
	free(region);
	/* region order: connection, AWS_REGION, AWS_DEFAULT_REGION, profile */
	setenv("AWS_DEFAULT_REGION", "ap-south-1", 1);
	region = aws_resolve_region(NULL, NULL);
	CHECK(region && !strcmp(region, "ap-south-1"));
	free(region);
	setenv("AWS_REGION", "sa-east-1", 1);
	region = aws_resolve_region(NULL, NULL);
	CHECK(region && !strcmp(region, "sa-east-1"));
	free(region);
	region = aws_resolve_region("ca-central-1", NULL);
	CHECK(region && !strcmp(region, "ca-central-1"));
	free(region);
	clear_env();

	/* keys only in ~/.aws/config */
	CHECK(resolve("cfgonly", &cr, &err) == 1 && key_is(&cr, "CFGKEY"));
	aws_creds_release(&cr);

	/* AWS_SHARED_CREDENTIALS_FILE moves the credentials file */
	snprintf(path2, sizeof path2, "%s/alt-credentials", home);
	write_file(path2, "[default]\naws_access_key_id = ALTKEY\naws_secret_access_key = alts\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", path2, 1);
	CHECK(resolve(NULL, &cr, &err) == 1 && key_is(&cr, "ALTKEY"));
	aws_creds_release(&cr);
	clear_env();

	/* assume-role: source_profile's keys sign STS AssumeRole (our query client) */
	char sts[128];
	snprintf(sts, sizeof sts, "%s", endpoint);
	setenv("AWS_ENDPOINT_URL_STS", sts, 1);
	CHECK(resolve("restore", &cr, &err) == 1 && key_is(&cr, "ASIAROLE") && !strcmp(cr.source, "assume-role"));
	CHECK(cr.session_token && !strcmp(cr.session_token, "token-ASIAROLE"));
	CHECK(strstr(last_auth, "Credential=PROFKEY/") != NULL);
	CHECK(strstr(last_auth, "/sts/aws4_request") != NULL);
	aws_creds_release(&cr);
	region = aws_resolve_region(NULL, "restore");
	CHECK(region && !strcmp(region, "eu-central-1"));
	free(region);
	/* cached: a second resolution makes no STS call (the fixture would see a request) */
	last_auth[0] = 0;
	CHECK(resolve("restore", &cr, &err) == 1 && key_is(&cr, "ASIAROLE"));
	CHECK(last_auth[0] == 0);
	aws_creds_release(&cr);

	/* a profile that does not exist: said at once */
	CHECK(resolve("no-such-profile", &cr, &err) == -1 && aws_err_is(err, "ProfileNotFound"));
	jv_free(err);
	err = jv_null();
	setenv("AWS_PROFILE", "typo", 1);
	CHECK(resolve(NULL, &cr, &err) == -1 && aws_err_is(err, "ProfileNotFound"));
	jv_free(err);
	err = jv_null();
	unsetenv("AWS_PROFILE");

	/* credential_process: run without a shell (quoted args), JSON on stdout */
	{
		char script[600], cfg2[1400];
		snprintf(script, sizeof script, "%s/creds helper.sh", home);
		write_file(script, "#!/bin/sh\n[ \"$1\" = \"--role name\" ] || exit 3\n"
				   "echo '{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"s\", "
				   "\"SessionToken\": \"t\", \"Expiration\": \"2099-01-01T00:00:00Z\"}'\n");
		chmod(script, 0700);
		snprintf(cfg2, sizeof cfg2, "%s/config-proc", home);
		char text[1400];
		snprintf(text, sizeof text, "[profile proc]\ncredential_process = \"%s\" '--role name'\n"
			 "[profile badproc]\ncredential_process = \"%s\" --wrong\n", script, script);
		write_file(cfg2, text);
		setenv("AWS_CONFIG_FILE", cfg2, 1);
		setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
		CHECK(resolve("proc", &cr, &err) == 1 && key_is(&cr, "ASIAPROC") && !strcmp(cr.source, "process"));
		aws_creds_release(&cr);
		CHECK(resolve("badproc", &cr, &err) == -1 && aws_err_is(err, "ProcessError"));
		jv_free(err);
		err = jv_null();
		/* SSO (tests/aws/conventions.sh has the rest): incomplete, then no cached token */
		write_file(cfg2, "[profile ssoprof]\nsso_start_url = https://example.awsapps.com/start\nsso_role_name = x\n");
		CHECK(resolve("ssoprof", &cr, &err) == -1 && aws_err_is(err, "InvalidConfiguration"));
		jv_free(err);
		err = jv_null();
		write_file(cfg2, "[profile ssoprof]\nsso_start_url = https://example.awsapps.com/start\nsso_region = eu-west-1\n"
			   "sso_account_id = 1\nsso_role_name = x\n");
		CHECK(resolve("ssoprof", &cr, &err) == -1 && aws_err_is(err, "SSOTokenNotFound"));
		jv_free(err);
		err = jv_null();
		unlink(script);
		unlink(cfg2);
		unsetenv("AWS_CONFIG_FILE");
		unsetenv("AWS_SHARED_CREDENTIALS_FILE");
		aws_creds_cache_clear();
	}

	/* role_arn without a source: a clear error */
	CHECK(resolve("broken", &cr, &err) == -1 && aws_err_is(err, "InvalidConfiguration"));
	jv_free(err);
	err = jv_null();

	/* web identity from a profile and from the environment: unsigned STS call */
	CHECK(resolve("webprof", &cr, &err) == 1 && key_is(&cr, "ASIAWEB"));
	CHECK(!last_signed);
	aws_creds_release(&cr);
	aws_creds_cache_clear();
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials", 1);
	setenv("AWS_CONFIG_FILE", "/nonexistent/config", 1);
	snprintf(path2, sizeof path2, "%s/web-token", home);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", path2, 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/web", 1);
	CHECK(resolve(NULL, &cr, &err) == 1 && key_is(&cr, "ASIAWEB") && !strcmp(cr.source, "web-identity"));
	aws_creds_release(&cr);
	unsetenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	unsetenv("AWS_ROLE_ARN");
	aws_creds_cache_clear();

	/* container credentials with an authorization token */
	char full[160];
	snprintf(full, sizeof full, "%s/container-creds", endpoint);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", full, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-secret-token", 1);
	CHECK(resolve(NULL, &cr, &err) == 1 && key_is(&cr, "ASIACONT") && !strcmp(cr.source, "container"));
	aws_creds_release(&cr);
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	aws_creds_cache_clear();

	/* IMDSv2: token PUT, role name, credentials */
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint, 1);
	CHECK(resolve(NULL, &cr, &err) == 1 && key_is(&cr, "ASIAIMDS") && !strcmp(cr.source, "imds"));
	aws_creds_release(&cr);
	aws_creds_cache_clear();

	/* nothing anywhere: not found (the client turns it into NoCredentials) */
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	CHECK(resolve(NULL, &cr, &err) == 0);
	aws_creds_release(&cr);
	clear_env();
}

/* retry settings (issue 13): the mode's attempts and backoff; AWS_MAX_ATTEMPTS /
 * AWS_RETRY_MODE before the profile's max_attempts / retry_mode; bad values refused */
static void test_retry_config(const char *home)
{
	char cfg[400];
	struct aws_client c;
	jv err;

	clear_env();
	snprintf(cfg, sizeof cfg, "%s/retry-config", home);
	setenv("AWS_CONFIG_FILE", cfg, 1);
	write_file(cfg, "[default]\n");
	memset(&c, 0, sizeof c);
	CHECK(aws_retry_config(&c, &err) == 0);
	CHECK(c.max_attempts == 3 && c.base_ms == 1000 && c.cap_ms == 20000);     /* standard */
	write_file(cfg, "[default]\nretry_mode = legacy\n[profile ops]\nretry_mode = adaptive\nmax_attempts = 7\n");
	CHECK(aws_retry_config(&c, &err) == 0);
	CHECK(c.max_attempts == 5 && c.base_ms == 1000 && c.cap_ms == 0);          /* legacy: no cap */
	c.profile = "ops";
	CHECK(aws_retry_config(&c, &err) == 0);
	CHECK(c.max_attempts == 7 && c.cap_ms == 20000);
	setenv("AWS_MAX_ATTEMPTS", "2", 1);
	setenv("AWS_RETRY_MODE", "legacy", 1);
	CHECK(aws_retry_config(&c, &err) == 0);
	CHECK(c.max_attempts == 2 && c.cap_ms == 0);
	c.profile = NULL;
	setenv("AWS_MAX_ATTEMPTS", "3x", 1);
	CHECK(aws_retry_config(&c, &err) < 0);
	CHECK(aws_err_is(err, "InvalidConfiguration") && strstr(jvx_str(err, "message"), "AWS_MAX_ATTEMPTS"));
	jv_free(err);
	unsetenv("AWS_MAX_ATTEMPTS");
	unsetenv("AWS_RETRY_MODE");
	write_file(cfg, "[default]\nretry_mode = Standard\n");
	CHECK(aws_retry_config(&c, &err) < 0);
	CHECK(aws_err_is(err, "InvalidConfiguration") && strstr(jvx_str(err, "message"), "'Standard' in retry_mode"));
	jv_free(err);
	unlink(cfg);
	unsetenv("AWS_CONFIG_FILE");
}

int main(void)
{
	struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
						NULL, NULL, handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
						MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
	if (!d) {
		fprintf(stderr, "cannot start the fixture server\n");
		return 1;
	}
	const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%u", (unsigned)info->port);
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");

	char home[] = "/tmp/rb-aws-test-XXXXXX";
	if (!mkdtemp(home))
		BUG("mkdtemp");
	clear_env();
	test_transport();
	test_s3_pagination();
	test_credentials(home);
	test_retry_config(home);

	char cmd[600];
	snprintf(cmd, sizeof cmd, "%s/.aws/credentials", home);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/.aws/config", home);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/.aws", home);
	rmdir(cmd);
	snprintf(cmd, sizeof cmd, "%s/web-token", home);
	unlink(cmd);
	snprintf(cmd, sizeof cmd, "%s/alt-credentials", home);
	unlink(cmd);
	rmdir(home);
	aws_creds_cache_clear();
	MHD_stop_daemon(d);
	if (failures) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
