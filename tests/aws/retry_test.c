/* retry_test — the retry modes' shared state (modules/aws/retry.c) on explicit times:
 * CUBIC against botocore's hand-checked numbers (tests/unit/retries/test_throttling.py),
 * the token bucket and the measured rate of adaptive mode, the retry quota's 500 tokens
 * (5 a retry, 10 after a timeout, refunds capped), and one state per run, service,
 * region and endpoint, shared by threads. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include "core/action.h"
#include "modules/aws/aws.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)
#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static void test_cubic(void)
{
	struct aws_rate_limiter l;

	/* botocore: starting_max_rate 10 -> k 1.9574338205844317; w_max 8 -> 1.8171205928321397 */
	CHECK(NEAR(aws_cubic_k(10), 1.9574338205844317));
	CHECK(NEAR(aws_cubic_k(8), 1.8171205928321397));

	/* off until the first throttling error: no waits, whatever the pace */
	aws_limiter_init(&l, 100.0);
	for (int i = 0; i < 50; i++)
		CHECK(aws_limiter_take(&l, 100.0, INFINITY) == 0);
	CHECK(!l.enabled);
	/* throttled in the first half second: nothing measured yet, so the floor, 0.5/s */
	CHECK(NEAR(aws_limiter_response(&l, 100.1, 1), 0.5));
	CHECK(l.enabled);
	/* 0.1 token filled at the old rate (1/s) before the change: the first token in
	 * 0.9 / 0.5 = 1.8 s; reserved, so the next one 2 s later */
	CHECK(NEAR(aws_limiter_take(&l, 100.1, INFINITY), 1.8));
	CHECK(NEAR(aws_limiter_take(&l, 100.1, INFINITY), 3.8));
	/* a wait longer than allowed reserves nothing */
	CHECK(NEAR(aws_limiter_take(&l, 100.1, 1.0), 5.8));
	CHECK(NEAR(aws_limiter_take(&l, 100.1, INFINITY), 5.8));
	/* tokens come at the fill rate: 6 s later, three more than the 3 reserved */
	CHECK(NEAR(aws_limiter_take(&l, 106.1, INFINITY), 1.8));

	/* throttled at a measured rate (about 8/s: 16 responses in [100, 102)): 0.7 x it */
	aws_limiter_init(&l, 100.0);
	for (int i = 0; i < 15; i++)
		aws_limiter_response(&l, 100.0 + i * 0.125, 0);
	double r = aws_limiter_response(&l, 102.0, 1);
	CHECK(l.enabled);
	CHECK(l.measured > 5 && l.measured < 9);
	CHECK(fabs(r - 0.7 * l.w_max) < 1e-9 && NEAR(l.w_max, l.measured));
	CHECK(NEAR(l.k, aws_cubic_k(l.w_max)) && NEAR(l.last_fail, 102.0));
	/* successes climb back along the cubic: at t = k past the failure, w_max again
	 * (bounded by twice the measured rate, which steady sends at w_max keep above) */
	double w = l.w_max, k = l.k, t;
	for (t = 102.0 + 1.0 / w; t < 102.0 + k; t += 1.0 / w)
		aws_limiter_response(&l, t, 0);
	CHECK(l.fill_rate < w);
	r = aws_limiter_response(&l, 102.0 + k, 0);
	CHECK(fabs(r - w) < 1e-6);
	/* and past it, above */
	for (t = 102.0 + k + 1.0 / w; t < 102.0 + 2 * k; t += 1.0 / w)
		aws_limiter_response(&l, t, 0);
	CHECK(l.fill_rate > w);
}

static void test_quota(void)
{
	struct aws_client c;
	int n = 0;

	memset(&c, 0, sizeof c);
	c.region = "us-east-1";
	struct aws_retry_state *s = aws_retry_state(&c, &aws_svc_rds);
	CHECK(s->quota == 500);
	while (aws_quota_take(s, 0) == 5)
		n++;
	CHECK(n == 100 && s->quota == 0);
	CHECK(aws_quota_take(s, 0) == 0 && aws_quota_take(s, 1) == 0);
	aws_quota_refund(s, 5);
	aws_quota_refund(s, 0);        /* a call that was not retried: 1 */
	aws_quota_refund(s, 0);
	aws_quota_refund(s, 0);
	aws_quota_refund(s, 0);
	aws_quota_refund(s, 0);
	CHECK(s->quota == 10);
	CHECK(aws_quota_take(s, 1) == 10 && s->quota == 0);   /* a timeout costs 10 */
	for (int i = 0; i < 200; i++)
		aws_quota_refund(s, 10);
	CHECK(s->quota == 500);        /* never above 500 */

	/* one state per run, service, region, endpoint */
	struct action_call call;
	memset(&call, 0, sizeof call);
	CHECK(aws_retry_state(&c, &aws_svc_rds) == s);
	CHECK(aws_retry_state(&c, &aws_svc_s3) != s);
	c.region = "eu-west-1";
	CHECK(aws_retry_state(&c, &aws_svc_rds) != s);
	c.region = "us-east-1";
	c.endpoint = "http://127.0.0.1:1";
	CHECK(aws_retry_state(&c, &aws_svc_rds) != s);
	c.endpoint = NULL;
	call.work_dir = "/runs/a";
	c.call = &call;
	struct aws_retry_state *a = aws_retry_state(&c, &aws_svc_rds);
	CHECK(a != s && aws_retry_state(&c, &aws_svc_rds) == a);
	call.work_dir = "/runs/b";
	CHECK(aws_retry_state(&c, &aws_svc_rds) != a);
}

/* threads taking and refunding at once: nothing lost */
static struct aws_retry_state *shared;
static void *churn(void *arg)
{
	(void)arg;
	for (int i = 0; i < 10000; i++) {
		int t = aws_quota_take(shared, i % 7 == 0);
		if (t)
			aws_quota_refund(shared, t);
	}
	return NULL;
}

static void test_threads(void)
{
	struct aws_client c;
	pthread_t th[4];

	memset(&c, 0, sizeof c);
	c.region = "ap-south-1";
	shared = aws_retry_state(&c, &aws_svc_elasticache);
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, churn, NULL);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	CHECK(shared->quota == 500);
}

int main(void)
{
	test_cubic();
	test_quota();
	test_threads();
	aws_retry_states_clear();
	if (failures)
		fprintf(stderr, "%d checks failed\n", failures);
	return failures ? 1 : 0;
}
