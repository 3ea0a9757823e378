/* test_sim_api.c — the embedding API (sim.h) on a virtual clock: state machines advance
 * only when virtual time jumps (no background thread), counters count, diagnostics for
 * bad scenarios and listen addresses. Requests go over real HTTP with libcurl. */
#include <curl/curl.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "core/clock.h"
#include "core/jvx.h"
#include "sim/sim.h"

static int fails;
#define CHECK(cond, ...) do { if (cond) printf("ok - " __VA_ARGS__); \
	else { printf("not ok - " __VA_ARGS__); fails++; } printf("\n"); } while (0)

static size_t sink(char *p, size_t sz, size_t n, void *arg)
{
	int berr = 0;
	berr |= buf_add(arg, p, sz * n);
	BUF_NOCAP(berr);
	return sz * n;
}

static int64_t real_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* POST a form (Query protocol) or JSON (target != NULL); body into out; HTTP status */
static long post(const char *ep, const char *service, const char *target, const char *body, struct buf *out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char auth[256];
	snprintf(auth, sizeof(auth), "Authorization: AWS4-HMAC-SHA256 Credential=AKIDTEST/20261122/us-east-1/%s/"
		 "aws4_request, SignedHeaders=host;x-amz-date, Signature=0123", service);
	h = curl_slist_append(h, auth);
	if (target) {
		char t[128];
		snprintf(t, sizeof(t), "X-Amz-Target: %s", target);
		h = curl_slist_append(h, t);
		h = curl_slist_append(h, "Content-Type: application/x-amz-json-1.1");
	} else {
		h = curl_slist_append(h, "Content-Type: application/x-www-form-urlencoded");
	}
	buf_reset(out);
	curl_easy_setopt(c, CURLOPT_URL, ep);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	long status = 0;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return status;
}

static int has(struct buf *b, const char *s)
{
	return strstr(buf_str(b), s) != NULL;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: test_sim_api WORLD.yaml BAD.yaml [FAULTS.yaml]\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_ALL);
	const int64_t t0 = 1795300000000;   /* 2026-11-22T... */
	struct rb_clock *clk = clock_new(CLOCK_VIRTUAL, t0, 1);
	struct diag_list dl = { 0 };
	struct buf out = BUF_INIT(0);
	clock_hold(clk);   /* this thread is the worker: it holds a token, as the engine does */

	struct sim *s = sim_start(argv[1], NULL, clk, &dl);
	CHECK(s != NULL, "sim_start on an ephemeral port");
	if (!s) {
		diag_print(&dl, stderr, 0);
		return 1;
	}
	const char *ep = sim_endpoint(s);
	CHECK(!strncmp(ep, "http://127.0.0.1:", 17) && strcmp(ep, "http://127.0.0.1:0"), "endpoint %s", ep);

	long st = post(ep, "rds", NULL, "Action=RestoreDBInstanceFromDBSnapshot&Version=2014-10-31"
		       "&DBInstanceIdentifier=orders-restored&DBSnapshotIdentifier=orders-db-snap"
		       "&VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-9&Tags.Tag.1.Key=k&Tags.Tag.1.Value=v", &out);
	CHECK(st == 200 && has(&out, "<DBInstanceStatus>creating</DBInstanceStatus>"), "restore accepted (%ld)", st);
	CHECK(has(&out, "<VpcSecurityGroupMembership><VpcSecurityGroupId>sg-9</VpcSecurityGroupId>"),
	      "list members named by the shape (VpcSecurityGroupMembership)");
	CHECK(has(&out, "<TagList><Tag><Key>k</Key><Value>v</Value></Tag></TagList>"), "tags from Tags.Tag.N");

	const char *desc = "Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=orders-restored";
	post(ep, "rds", NULL, desc, &out);
	CHECK(has(&out, "<DBInstanceStatus>creating</DBInstanceStatus>"), "still creating while time stands still");

	clock_sleep(clk, 16 * 60000 + 1, NULL);   /* virtual: returns at once, time jumped */
	CHECK(clock_now(clk) >= t0 + 16 * 60000, "virtual time jumped 16 minutes");
	post(ep, "rds", NULL, desc, &out);
	CHECK(has(&out, "<DBInstanceStatus>backing-up</DBInstanceStatus>"), "backing-up after 80%% of 20m");
	clock_sleep(clk, 4 * 60000, NULL);
	post(ep, "rds", NULL, desc, &out);
	CHECK(has(&out, "<DBInstanceStatus>available</DBInstanceStatus>"), "available after 20m");
	CHECK(has(&out, "<Address>orders-restored."), "endpoint once available");

	st = post(ep, "rds", NULL, "Action=RestoreDBInstanceFromDBSnapshot&Version=2014-10-31"
		  "&DBInstanceIdentifier=orders-restored&DBSnapshotIdentifier=orders-db-snap", &out);
	CHECK(st == 400 && has(&out, "<Code>DBInstanceAlreadyExists</Code>") && has(&out, "<RequestId>"),
	      "already exists: 400 with code and request id");
	st = post(ep, "rds", NULL, "Action=DescribeDBInstances&Version=2014-10-31&DBInstanceIdentifier=x", &out);
	CHECK(st == 404 && has(&out, "<ErrorResponse") && has(&out, "<Type>Sender</Type>"), "not found: 404 ErrorResponse");
	char form[512], when[40];
	clock_format(clock_now(clk) + 3600000, when, sizeof(when));   /* after LatestRestorableTime */
	snprintf(form, sizeof(form), "Action=RestoreDBInstanceToPointInTime&Version=2014-10-31"
		 "&SourceDBInstanceIdentifier=orders-db&TargetDBInstanceIdentifier=p&RestoreTime=%s", when);
	st = post(ep, "rds", NULL, form, &out);
	CHECK(st == 400 && has(&out, "<Code>InvalidRestoreFault</Code>"), "restore time after the latest restorable time");

	st = post(ep, "secretsmanager", "secretsmanager.GetSecretValue", "{\"SecretId\": \"app/token\"}", &out);
	CHECK(st == 200 && has(&out, "\"SecretString\":\"tok-123456\""), "json 1.1 GetSecretValue");
	st = post(ep, "secretsmanager", "secretsmanager.GetSecretValue", "{\"SecretId\": \"nope\"}", &out);
	CHECK(st == 400 && has(&out, "\"__type\":\"ResourceNotFoundException\""), "json error shape");
	st = post(ep, "secretsmanager", "secretsmanager.GetSecretValue", "{}", &out);
	CHECK(st == 400 && has(&out, "ValidationException"), "missing SecretId");

	jv c = sim_counters(s);
	jv mut = jv_object_get(jv_copy(c), jv_string("mutating"));
	jv req = jv_object_get(jv_copy(c), jv_string("requests"));
	CHECK(jvx_int(mut, "RestoreDBInstanceFromDBSnapshot", 0) == 2, "mutating restore calls counted");
	CHECK(jvx_int(req, "DescribeDBInstances", 0) == 4, "describe requests counted");
	CHECK(!jvx_has(mut, "DescribeDBInstances"), "reads are not mutating");
	jv_free(mut);
	jv_free(req);
	jv_free(c);

	jv state = sim_state(s);
	char *text = jvx_dump(state);
	CHECK(strstr(text, "orders-restored") && !strstr(text, "tok-123456"), "state has the world, not secret values");
	free(text);
	sim_stop(s);

	/* a broken scenario: every error, with its location */
	struct diag_list bad = { 0 };
	s = sim_start(argv[2], NULL, clk, &bad);
	CHECK(s == NULL && bad.nerrors == 9, "broken scenario refused with 9 errors (%d)", bad.nerrors);
	int located = 0;
	for (int i = 0; i < bad.n; i++)
		located += bad.items[i].loc.line > 0;
	CHECK(located == bad.n, "every error has a line");
	diag_list_release(&bad);
	struct diag_list bad2 = { 0 };
	s = sim_start(argv[1], "10.0.0.1:8080", clk, &bad2);
	CHECK(s == NULL && bad2.nerrors == 1, "non-loopback listen refused");
	diag_list_release(&bad2);

	clock_release(clk);
	clock_free(clk);

	/* faults on the real clock: latency, throttling and 5xx in each protocol's shape, resets */
	if (argc > 3) {
		struct rb_clock *rc = clock_new(CLOCK_REAL, 0, 1);
		struct diag_list fdl = { 0 };
		s = sim_start(argv[3], NULL, rc, &fdl);
		CHECK(s != NULL, "faults scenario starts");
		if (s) {
			ep = sim_endpoint(s);
			const char *d = "Action=DescribeDBInstances&Version=2014-10-31";
			int64_t t = real_ms();
			st = post(ep, "rds", NULL, d, &out);
			CHECK(st == 200 && real_ms() - t >= 300, "latency fault delays the answer (%lld ms)",
			      (long long)(real_ms() - t));
			st = post(ep, "rds", NULL, d, &out);
			CHECK(st == 400 && has(&out, "<Code>Throttling</Code>"), "query throttling: 400 Throttling");
			st = post(ep, "rds", NULL, d, &out);
			CHECK(st == 200, "count exhausted: normal answer");
			const char *g = "{\"SecretId\": \"app/token\"}";
			st = post(ep, "secretsmanager", "secretsmanager.GetSecretValue", g, &out);
			CHECK(st == 400 && has(&out, "ThrottlingException"), "json throttling: ThrottlingException");
			st = post(ep, "secretsmanager", "secretsmanager.GetSecretValue", g, &out);
			CHECK(st == 500 && has(&out, "InternalServiceError"), "json 5xx");
			st = post(ep, "secretsmanager", "secretsmanager.GetSecretValue", g, &out);
			CHECK(st == 200, "then the value");
			st = post(ep, "sts", NULL, "Action=GetCallerIdentity&Version=2011-06-15", &out);
			CHECK(st == 0, "reset: no HTTP answer at all");
			st = post(ep, "sts", NULL, "Action=GetCallerIdentity&Version=2011-06-15", &out);
			CHECK(st == 200 && has(&out, "<Account>123456789012</Account>"), "sts after the reset");
			jv fc = sim_counters(s);
			jv f = jv_object_get(jv_copy(fc), jv_string("faults"));
			CHECK(jvx_int(f, "DescribeDBInstances", 0) == 2 && jvx_int(f, "GetSecretValue", 0) == 2 &&
			      jvx_int(f, "GetCallerIdentity", 0) == 1, "faults counted by operation");
			jv_free(f);
			jv_free(fc);
			sim_stop(s);
		}
		diag_list_release(&fdl);
		clock_free(rc);
	}
	diag_list_release(&dl);
	buf_release(&out);
	curl_global_cleanup();
	return fails ? 1 : 0;
}
