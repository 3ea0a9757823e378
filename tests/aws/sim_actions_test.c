/* sim_actions_test SCENARIO FAULT-SCENARIO — every aws action against runbook's simulator
 * (interpreter/sim, in process on a loopback port, virtual clock), through the same
 * descriptors, transport and wire protocols as a real run. Checks results by the
 * services' field names, errors with codes and request ids, check() after the fact,
 * taint of secret values, s3.sync's dry-run making zero mutating calls (the simulator's
 * counters prove it), and a fault-injection run (throttling + resets) that completes with
 * bounded retries. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/bug.h"
#include "core/clock.h"
#include "core/diag.h"
#include "core/jvx.h"
#include "core/redact.h"
#include "modules/aws/aws.h"
#include "sim/sim.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

static struct rb_clock *clk;
static struct redactor *red;
static jv conns;

static const struct action_desc *find(const char *name)
{
	for (const struct action_desc *d = aws_module.actions; d->name; d++)
		if (!strcmp(d->name, name))
			return d;
	fprintf(stderr, "no action %s\n", name);
	exit(1);
}

/* args with the descriptor's defaults filled, as the engine does */
static jv with_defaults(const struct action_desc *d, jv args)
{
	for (const struct action_arg *a = d->args; a->name; a++)
		if (!jvx_has(args, a->name) && a->defval)
			args = jv_object_set(args, jv_string(a->name), jv_parse(a->defval));
	return args;
}

enum how { RUN, CHECKFN, DRY };

static int call(enum how how, const char *name, const char *args_json, jv *out)
{
	const struct action_desc *d = find(name);
	struct action_call c;
	memset(&c, 0, sizeof c);
	c.desc = d;
	c.step_id = "test";
	c.connections = jv_copy(conns);
	c.clock = clk;
	c.redact = red;
	jv args = jv_parse(args_json);
	if (!jv_is_valid(args))
		BUG("bad test args json");
	args = with_defaults(d, args);
	int r;
	if (how == CHECKFN)
		r = d->check(&c, args, out);
	else if (how == DRY)
		r = d->dry_run(&c, args, out);
	else
		r = d->run(&c, args, out);
	jv_free(c.connections);
	return r;
}

static jv at(jv v, const char *path)
{
	jv cur = jv_copy(v);
	const char *p = path;
	while (*p && jv_is_valid(cur)) {
		size_t n = strcspn(p, ".");
		char *t = xstrndup(p, n);
		if (jv_get_kind(cur) == JV_KIND_ARRAY)
			cur = jv_array_get(cur, atoi(t));
		else if (jv_get_kind(cur) == JV_KIND_OBJECT)
			cur = jv_object_get(cur, jv_string(t));
		else {
			jv_free(cur);
			cur = jv_invalid();
		}
		free(t);
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

static int str_is(jv v, const char *path, const char *want)
{
	jv x = at(v, path);
	int ok = jv_get_kind(x) == JV_KIND_STRING && !strcmp(jv_string_value(x), want);
	if (!ok) {
		char *d = jvx_dump(jv_copy(v));
		fprintf(stderr, "  %s != \"%s\" in %.600s\n", path, want, d);
		free(d);
	}
	jv_free(x);
	return ok;
}

static double num_at(jv v, const char *path)
{
	jv x = at(v, path);
	double d = jv_get_kind(x) == JV_KIND_NUMBER ? jv_number_value(x)
		 : jv_get_kind(x) == JV_KIND_ARRAY ? jv_array_length(jv_copy(x)) : -1;
	jv_free(x);
	return d;
}

static int ok_run(const char *name, const char *args, jv *out)
{
	int r = call(RUN, name, args, out);
	if (r != 0) {
		char *d = jvx_dump(jv_copy(*out));
		fprintf(stderr, "  %s %s failed: %s\n", name, args, d);
		free(d);
	}
	return r == 0;
}

static double mutating_total(struct sim *s)
{
	jv c = sim_counters(s);
	jv m = jvx_get(c, "mutating");
	double t = 0;
	if (jv_get_kind(m) == JV_KIND_OBJECT)
		jv_object_foreach(m, k, v) {
			t += jv_number_value(v);
			jv_free(k);
			jv_free(v);
		}
	jv_free(m);
	jv_free(c);
	return t;
}

static double counter(struct sim *s, const char *group, const char *op)
{
	jv c = sim_counters(s);
	jv g = jvx_get(c, group);
	double n = jvx_num(g, op, 0);
	jv_free(g);
	jv_free(c);
	return n;
}

static struct sim *start(const char *scenario)
{
	struct diag_list dl = {0};
	struct sim *s = sim_start(scenario, NULL, clk, &dl);
	if (!s) {
		diag_print(&dl, stderr, 0);
		fprintf(stderr, "cannot start the simulator with %s\n", scenario);
		exit(1);
	}
	diag_list_release(&dl);
	jv aws = jv_object();
	aws = jv_object_set(aws, jv_string("endpoint"), jv_string(sim_endpoint(s)));
	aws = jv_object_set(aws, jv_string("region"), jv_string("us-east-1"));
	aws = jv_object_set(aws, jv_string("credentials"),
			    jv_parse("{\"access_key_id\":\"AKIDSIM\",\"secret_access_key\":\"simsecret\"}"));
	jv_free(conns);
	conns = jv_object_set(jv_object(), jv_string("aws"), aws);
	return s;
}

static void test_rds(struct sim *s)
{
	jv o;
	char args[512], when[40];

	CHECK(ok_run("rds.describe_instance", "{\"instance\":\"orders-db\"}", &o));
	CHECK(str_is(o, "DBInstanceStatus", "available"));
	CHECK(str_is(o, "DBInstanceIdentifier", "orders-db"));
	CHECK(jvx_str(o, "EarliestRestorableTime") && jvx_str(o, "LatestRestorableTime"));
	jv ep = at(o, "Endpoint.Address");
	CHECK(jv_get_kind(ep) == JV_KIND_STRING);
	jv_free(ep);
	CHECK(num_at(o, "VpcSecurityGroups") == 1);
	jv_free(o);

	CHECK(ok_run("rds.describe_instance", "{\"instance\":\"orders-db\",\"restore_window\":false}", &o));
	CHECK(str_is(o, "DBInstanceStatus", "available") && !jvx_has(o, "EarliestRestorableTime"));
	jv_free(o);
	CHECK(call(RUN, "rds.describe_instance", "{\"instance\":\"nope\",\"restore_window\":false}", &o) == -1);
	CHECK(aws_err_is(o, "DBInstanceNotFound"));
	jv_free(o);
	CHECK(call(RUN, "rds.describe_instance", "{\"instance\":\"nope\"}", &o) == -1);
	CHECK(aws_err_is(o, "DBInstanceNotFound"));
	CHECK(jvx_str(o, "message") && strstr(jvx_str(o, "message"), "(request id "));
	jv_free(o);

	CHECK(ok_run("rds.describe_snapshots", "{\"instance\":\"orders-db\"}", &o));
	CHECK(num_at(o, "DBSnapshots") == 3);
	CHECK(str_is(o, "Latest.DBSnapshotIdentifier", "orders-db-manual"));
	jv_free(o);
	CHECK(ok_run("rds.describe_snapshots", "{\"instance\":\"orders-db\",\"type\":\"automated\",\"latest\":true}", &o));
	CHECK(str_is(o, "Latest.DBSnapshotIdentifier", "rds:orders-db-new"));
	jv_free(o);
	CHECK(call(RUN, "rds.describe_snapshots", "{\"instance\":\"orders-replica\",\"latest\":true}", &o) == -1);
	CHECK(aws_err_is(o, "DBSnapshotNotFound"));
	jv_free(o);

	CHECK(ok_run("rds.create_snapshot", "{\"instance\":\"orders-db\",\"snapshot\":\"pre-restore\",\"tags\":{\"why\":\"test\"}}", &o));
	CHECK(str_is(o, "DBSnapshotIdentifier", "pre-restore"));
	jv_free(o);
	CHECK(call(CHECKFN, "rds.create_snapshot", "{\"instance\":\"orders-db\",\"snapshot\":\"pre-restore\"}", &o) == 1);
	jv_free(o);
	CHECK(call(CHECKFN, "rds.create_snapshot", "{\"instance\":\"orders-db\",\"snapshot\":\"never-taken\"}", &o) == 0);
	jv_free(o);

	CHECK(call(CHECKFN, "rds.restore_from_snapshot", "{\"snapshot\":\"orders-db-manual\",\"target\":\"restored-1\"}", &o) == 0);
	jv_free(o);
	CHECK(ok_run("rds.restore_from_snapshot",
		     "{\"snapshot\":\"orders-db-manual\",\"target\":\"restored-1\",\"instance_class\":\"db.r6g.large\","
		     "\"security_groups\":[\"sg-0001\"],\"tags\":{\"restored-from\":\"orders-db-manual\"}}", &o));
	CHECK(str_is(o, "DBInstanceIdentifier", "restored-1"));
	jv_free(o);
	CHECK(call(CHECKFN, "rds.restore_from_snapshot", "{\"snapshot\":\"orders-db-manual\",\"target\":\"restored-1\"}", &o) == 1);
	jv_free(o);
	CHECK(call(RUN, "rds.restore_from_snapshot", "{\"snapshot\":\"orders-db-manual\",\"target\":\"restored-1\"}", &o) == -1);
	CHECK(aws_err_is(o, "DBInstanceAlreadyExists"));
	jv_free(o);

	/* PITR: outside the window fails before any restore call */
	double before = counter(s, "mutating", "RestoreDBInstanceToPointInTime");
	clock_format(clock_now(clk) - 10LL * 86400000, when, sizeof when);
	snprintf(args, sizeof args, "{\"source\":\"orders-db\",\"target\":\"pitr-1\",\"restore_time\":\"%s\"}", when);
	CHECK(call(RUN, "rds.restore_to_point_in_time", args, &o) == -1);
	CHECK(aws_err_is(o, "InvalidRestoreTime"));
	CHECK(jvx_str(o, "message") && strstr(jvx_str(o, "message"), "outside the restorable window"));
	jv_free(o);
	CHECK(counter(s, "mutating", "RestoreDBInstanceToPointInTime") == before);
	clock_format(clock_now(clk) - 3600000, when, sizeof when);
	snprintf(args, sizeof args, "{\"source\":\"orders-db\",\"target\":\"pitr-1\",\"restore_time\":\"%s\"}", when);
	CHECK(ok_run("rds.restore_to_point_in_time", args, &o));
	CHECK(str_is(o, "DBInstanceIdentifier", "pitr-1"));
	jv_free(o);
	CHECK(counter(s, "mutating", "RestoreDBInstanceToPointInTime") == before + 1);

	CHECK(ok_run("rds.modify_instance", "{\"instance\":\"restored-1\",\"new_identifier\":\"orders-db-restored\"}", &o));
	jv_free(o);
	clock_sleep(clk, 120000, NULL);
	CHECK(call(CHECKFN, "rds.modify_instance", "{\"instance\":\"restored-1\",\"new_identifier\":\"orders-db-restored\"}", &o) == 1);
	jv_free(o);
	CHECK(ok_run("rds.describe_instance", "{\"instance\":\"orders-db-restored\"}", &o));
	jv_free(o);

	CHECK(ok_run("rds.add_tags", "{\"instance\":\"orders-db-restored\",\"tags\":{\"restored\":\"yes\"}}", &o));
	CHECK(jvx_str(o, "ResourceName") && strstr(jvx_str(o, "ResourceName"), "arn:aws:rds:"));
	jv_free(o);

	CHECK(ok_run("rds.promote_read_replica", "{\"instance\":\"orders-replica\"}", &o));
	jv_free(o);
	clock_sleep(clk, 600000, NULL);
	CHECK(call(CHECKFN, "rds.promote_read_replica", "{\"instance\":\"orders-replica\"}", &o) == 1);
	jv_free(o);

	CHECK(ok_run("rds.copy_snapshot", "{\"source\":\"orders-db-manual\",\"target\":\"orders-db-copy\"}", &o));
	CHECK(str_is(o, "DBSnapshotIdentifier", "orders-db-copy"));
	jv_free(o);
	CHECK(call(CHECKFN, "rds.copy_snapshot", "{\"source\":\"orders-db-manual\",\"target\":\"orders-db-copy\"}", &o) == 1);
	jv_free(o);
	/* cross-region: source ARN + source_region adds a PreSignedUrl (signed like botocore) */
	CHECK(ok_run("rds.copy_snapshot", "{\"source\":\"arn:aws:rds:us-west-2:123456789012:snapshot:orders-db-manual\","
		     "\"target\":\"orders-db-xregion\",\"source_region\":\"us-west-2\",\"kms_key_id\":\"alias/dr\"}", &o));
	CHECK(str_is(o, "DBSnapshotIdentifier", "orders-db-xregion"));
	jv_free(o);
	CHECK(call(RUN, "rds.copy_snapshot", "{\"source\":\"orders-db-manual\",\"target\":\"x\",\"source_region\":\"us-west-2\"}", &o) == -1);
	CHECK(aws_err_is(o, "InvalidParameterValue"));
	jv_free(o);

	CHECK(call(RUN, "rds.delete_instance", "{\"instance\":\"pitr-1\"}", &o) == -1);
	CHECK(aws_err_is(o, "InvalidParameterCombination"));
	jv_free(o);
	CHECK(ok_run("rds.delete_instance", "{\"instance\":\"pitr-1\",\"skip_final_snapshot\":true}", &o));
	jv_free(o);
	CHECK(call(CHECKFN, "rds.delete_instance", "{\"instance\":\"pitr-1\"}", &o) == 1);
	jv_free(o);
}

static void test_elasticache(void)
{
	jv o;
	CHECK(ok_run("elasticache.describe_replication_group", "{\"id\":\"sessions\"}", &o));
	CHECK(str_is(o, "Status", "available"));
	jv a = at(o, "PrimaryEndpoint.Address");
	CHECK(jv_get_kind(a) == JV_KIND_STRING);
	jv_free(a);
	CHECK(num_at(o, "NodeGroups") == 1);
	jv_free(o);
	CHECK(call(RUN, "elasticache.describe_replication_group", "{\"id\":\"nope\"}", &o) == -1);
	CHECK(aws_err_is(o, "ReplicationGroupNotFoundFault"));
	jv_free(o);

	CHECK(ok_run("elasticache.describe_snapshots", "{\"replication_group\":\"sessions\",\"latest\":true}", &o));
	CHECK(str_is(o, "Latest.SnapshotName", "sessions-nightly"));
	jv_free(o);
	CHECK(ok_run("elasticache.create_snapshot", "{\"replication_group\":\"sessions\",\"snapshot\":\"sessions-manual\"}", &o));
	CHECK(str_is(o, "SnapshotName", "sessions-manual"));
	jv_free(o);
	CHECK(call(CHECKFN, "elasticache.create_snapshot", "{\"replication_group\":\"sessions\",\"snapshot\":\"sessions-manual\"}", &o) == 1);
	jv_free(o);
	CHECK(ok_run("elasticache.copy_snapshot", "{\"source\":\"sessions-nightly\",\"target\":\"sessions-copy\"}", &o));
	CHECK(str_is(o, "SnapshotName", "sessions-copy"));
	jv_free(o);
	CHECK(ok_run("elasticache.create_replication_group",
		     "{\"id\":\"sessions-restored\",\"snapshot\":\"sessions-nightly\",\"node_type\":\"cache.r6g.large\",\"num_cache_clusters\":2}", &o));
	CHECK(str_is(o, "ReplicationGroupId", "sessions-restored"));
	jv_free(o);
	CHECK(call(CHECKFN, "elasticache.create_replication_group", "{\"id\":\"sessions-restored\"}", &o) == 1);
	jv_free(o);
	clock_sleep(clk, 60000, NULL);
	CHECK(ok_run("elasticache.delete_replication_group", "{\"id\":\"sessions-restored\"}", &o));
	jv_free(o);
	CHECK(call(CHECKFN, "elasticache.delete_replication_group", "{\"id\":\"sessions-restored\"}", &o) == 1);
	jv_free(o);
}

static void test_s3(struct sim *s)
{
	jv o;
	CHECK(ok_run("s3.list_object_versions", "{\"bucket\":\"docs\",\"key\":\"report.csv\"}", &o));
	CHECK(num_at(o, "Versions") == 2);
	CHECK(num_at(o, "DeleteMarkers") == 1);
	CHECK(str_is(o, "DeleteMarkers.0.VersionId", "dm-1"));
	jv_free(o);
	CHECK(call(RUN, "s3.head_object", "{\"bucket\":\"docs\",\"key\":\"report.csv\"}", &o) == -1);
	jv_free(o);
	CHECK(ok_run("s3.undelete", "{\"bucket\":\"docs\",\"key\":\"report.csv\"}", &o));
	CHECK(jvx_bool(o, "Undeleted", 0) == 1);
	jv_free(o);
	CHECK(ok_run("s3.get_object", "{\"bucket\":\"docs\",\"key\":\"report.csv\"}", &o));
	CHECK(str_is(o, "Body", "v2,new\n"));
	jv_free(o);
	CHECK(ok_run("s3.undelete", "{\"bucket\":\"docs\",\"key\":\"report.csv\"}", &o));
	CHECK(jvx_bool(o, "Undeleted", 1) == 0);
	jv_free(o);

	CHECK(ok_run("s3.restore_version", "{\"bucket\":\"docs\",\"key\":\"config/app.json\",\"version_id\":\"good-1\"}", &o));
	jv_free(o);
	CHECK(ok_run("s3.get_object", "{\"bucket\":\"docs\",\"key\":\"config/app.json\"}", &o));
	CHECK(str_is(o, "Body", "{\"good\": true}"));
	jv_free(o);

	CHECK(ok_run("s3.put_object", "{\"bucket\":\"docs\",\"key\":\"notes/new file.txt\",\"body\":\"hello\"}", &o));
	CHECK(jvx_str(o, "ETag") != NULL);
	jv_free(o);
	CHECK(ok_run("s3.head_object", "{\"bucket\":\"docs\",\"key\":\"notes/new file.txt\"}", &o));
	CHECK(num_at(o, "ContentLength") == 5);
	jv_free(o);
	CHECK(ok_run("s3.copy_object", "{\"source_bucket\":\"docs\",\"source_key\":\"notes/new file.txt\",\"bucket\":\"backup\",\"key\":\"copied/new file.txt\"}", &o));
	jv_free(o);
	CHECK(ok_run("s3.get_object", "{\"bucket\":\"backup\",\"key\":\"copied/new file.txt\"}", &o));
	CHECK(str_is(o, "Body", "hello"));
	jv_free(o);

	/* binary content: uploaded from a file, read back as BodyBase64 and into a file */
	{
		char path[] = "/tmp/rb-aws-bin-XXXXXX", args[256];
		int fd = mkstemp(path);
		CHECK(fd >= 0 && write(fd, "\xff\x00\x80", 3) == 3);
		close(fd);
		snprintf(args, sizeof args, "{\"bucket\":\"docs\",\"key\":\"bin/blob\",\"file\":\"%s\"}", path);
		CHECK(ok_run("s3.put_object", args, &o));
		jv_free(o);
		CHECK(ok_run("s3.get_object", "{\"bucket\":\"docs\",\"key\":\"bin/blob\"}", &o));
		CHECK(str_is(o, "BodyBase64", "/wCA") && !jvx_has(o, "Body"));
		jv_free(o);
		unlink(path);
		CHECK(ok_run("s3.get_object", args, &o));
		jv_free(o);
		FILE *f = fopen(path, "rb");
		unsigned char got[8];
		CHECK(f && fread(got, 1, sizeof got, f) == 3 && got[0] == 0xff && got[1] == 0 && got[2] == 0x80);
		if (f)
			fclose(f);
		unlink(path);
	}

	CHECK(ok_run("s3.compare", "{\"source\":\"s3://docs/data\",\"destination\":\"s3://backup/mirror/\"}", &o));
	CHECK(num_at(o, "source.count") == 3 && num_at(o, "destination.count") == 3);
	CHECK(num_at(o, "source.bytes") == 13);
	CHECK(num_at(o, "only_in_source") == 1 && str_is(o, "only_in_source.0", "sub/c.txt"));
	CHECK(num_at(o, "only_in_destination") == 1 && str_is(o, "only_in_destination.0", "stale.txt"));
	CHECK(num_at(o, "different") == 1 && str_is(o, "different.0", "b.txt"));
	CHECK(jvx_bool(o, "equal", 1) == 0);
	jv_free(o);

	/* dry-run: a plan and zero mutating calls */
	double m0 = mutating_total(s);
	CHECK(call(DRY, "s3.sync", "{\"source\":\"s3://docs/data\",\"destination\":\"s3://backup/mirror\",\"delete\":true}", &o) == 0);
	CHECK(num_at(o, "copy_count") == 2 && num_at(o, "delete_count") == 1 && num_at(o, "unchanged") == 1);
	CHECK(str_is(o, "would_delete.0", "stale.txt"));
	jv_free(o);
	CHECK(mutating_total(s) == m0);

	CHECK(ok_run("s3.sync", "{\"source\":\"s3://docs/data\",\"destination\":\"s3://backup/mirror\",\"delete\":true,\"concurrency\":4}", &o));
	CHECK(num_at(o, "copied") == 2 && num_at(o, "deleted") == 1 && num_at(o, "unchanged") == 1);
	jv_free(o);
	CHECK(ok_run("s3.compare", "{\"source\":\"s3://docs/data\",\"destination\":\"s3://backup/mirror\"}", &o));
	CHECK(jvx_bool(o, "equal", 0) == 1);
	jv_free(o);
	CHECK(ok_run("s3.sync", "{\"source\":\"s3://docs/data\",\"destination\":\"s3://backup/mirror\"}", &o));
	CHECK(num_at(o, "copied") == 0 && num_at(o, "unchanged") == 3);
	jv_free(o);
}

static void test_secrets(void)
{
	jv o;
	CHECK(ok_run("secrets.describe_secret", "{\"secret\":\"prod/db\"}", &o));
	CHECK(str_is(o, "Name", "prod/db"));
	CHECK(str_is(o, "VersionIdsToStages.ver-current.0", "AWSCURRENT"));
	jv_free(o);
	CHECK(ok_run("secrets.list_versions", "{\"secret\":\"prod/db\"}", &o));
	CHECK(num_at(o, "Versions") == 2);
	jv_free(o);

	int before = redact_count(red);
	CHECK(ok_run("secrets.get_value", "{\"secret\":\"prod/db\",\"json\":true}", &o));
	CHECK(str_is(o, "json.password", "bad-password-2"));
	jv_free(o);
	CHECK(redact_count(red) > before);
	char *masked = redact_str(red, "password is bad-password-2 here");
	CHECK(masked && !strstr(masked, "bad-password-2"));
	free(masked);

	CHECK(ok_run("secrets.restore_previous", "{\"secret\":\"prod/db\"}", &o));
	CHECK(str_is(o, "VersionId", "ver-previous"));
	CHECK(str_is(o, "PreviousVersionId", "ver-current"));
	jv_free(o);
	CHECK(ok_run("secrets.get_value", "{\"secret\":\"prod/db\",\"json\":true}", &o));
	CHECK(str_is(o, "json.password", "old-password-1"));
	CHECK(str_is(o, "VersionId", "ver-previous"));
	jv_free(o);
	CHECK(ok_run("secrets.get_value", "{\"secret\":\"prod/db\",\"stage\":\"AWSPREVIOUS\"}", &o));
	CHECK(str_is(o, "VersionId", "ver-current"));
	jv_free(o);

	jv o2;
	CHECK(ok_run("secrets.put_value", "{\"secret\":\"prod/db\",\"value\":\"{\\\"password\\\": \\\"new-3\\\"}\"}", &o));
	CHECK(ok_run("secrets.put_value", "{\"secret\":\"prod/db\",\"value\":\"{\\\"password\\\": \\\"new-3\\\"}\"}", &o2));
	CHECK(jvx_str(o, "VersionId") && jvx_str(o2, "VersionId") && !strcmp(jvx_str(o, "VersionId"), jvx_str(o2, "VersionId")));
	jv_free(o);
	jv_free(o2);

	CHECK(ok_run("secrets.create_secret", "{\"name\":\"new/secret\",\"value\":\"s3cr3t-value\"}", &o));
	CHECK(str_is(o, "Name", "new/secret"));
	jv_free(o);
	CHECK(call(RUN, "secrets.get_value", "{\"secret\":\"prod/deleted\"}", &o) == -1);
	jv_free(o);
	CHECK(ok_run("secrets.restore_secret", "{\"secret\":\"prod/deleted\"}", &o));
	jv_free(o);
	CHECK(ok_run("secrets.get_value", "{\"secret\":\"prod/deleted\"}", &o));
	CHECK(str_is(o, "SecretString", "to be restored"));
	jv_free(o);
	CHECK(call(RUN, "secrets.describe_secret", "{\"secret\":\"nope\"}", &o) == -1);
	CHECK(aws_err_is(o, "ResourceNotFoundException"));
	jv_free(o);
}

static void test_call(struct sim *s)
{
	jv o;
	double before = counter(s, "requests", "Publish");
	CHECK(ok_run("aws.call", "{\"service\":\"sns\",\"operation\":\"Publish\",\"params\":{\"TopicArn\":\"arn:aws:sns:us-east-1:123456789012:dr\",\"Message\":\"restore done\",\"Subject\":\"DR\"}}", &o));
	CHECK(jvx_str(o, "MessageId") != NULL);
	jv_free(o);
	CHECK(counter(s, "requests", "Publish") == before + 1);
	CHECK(ok_run("aws.call", "{\"service\":\"sts\",\"operation\":\"GetCallerIdentity\"}", &o));
	CHECK(str_is(o, "Account", "123456789012"));
	jv_free(o);
	CHECK(ok_run("aws.call", "{\"service\":\"rds\",\"operation\":\"DescribeDBInstances\",\"params\":{\"DBInstanceIdentifier\":\"orders-db\"}}", &o));
	CHECK(num_at(o, "DBInstances") == 1);
	jv_free(o);
	CHECK(ok_run("aws.call", "{\"service\":\"secretsmanager\",\"operation\":\"DescribeSecret\",\"params\":{\"SecretId\":\"prod/db\"}}", &o));
	CHECK(str_is(o, "Name", "prod/db"));
	jv_free(o);
	const struct action_desc *d = find("aws.call");
	jv a = jv_parse("{\"operation\":\"DescribeDBInstances\"}");
	CHECK(d->mutates(a) == 0);
	jv_free(a);
	a = jv_parse("{\"operation\":\"Publish\"}");
	CHECK(d->mutates(a) == 1);
	jv_free(a);
}

static void test_faults(struct sim *s)
{
	jv o;
	int ok = 0;
	for (int i = 0; i < 30; i++) {
		if (call(RUN, "rds.describe_instance", "{\"instance\":\"orders-db\"}", &o) == 0 &&
		    str_is(o, "DBInstanceStatus", "available"))
			ok++;
		jv_free(o);
	}
	CHECK(ok == 30);
	for (int i = 0; i < 10; i++) {
		CHECK(ok_run("s3.get_object", "{\"bucket\":\"docs\",\"key\":\"data/a.txt\"}", &o));
		CHECK(str_is(o, "Body", "aaaa"));
		jv_free(o);
	}
	jv c = sim_counters(s), f = jvx_get(c, "faults");
	double injected = 0;
	if (jv_get_kind(f) == JV_KIND_OBJECT)
		jv_object_foreach(f, k, v) {
			injected += jv_number_value(v);
			jv_free(k);
			jv_free(v);
		}
	char *dump = jvx_dump(jv_copy(c));
	printf("fault run: 40 calls succeeded, %.0f faults injected; counters %s\n", injected, dump);
	free(dump);
	CHECK(injected > 0);
	/* every injected fault cost exactly one retry, nothing more: 30 DescribeDBInstances and
	 * 10 GetObject succeeded, the rest of the requests are the faults' retries */
	CHECK(counter(s, "requests", "DescribeDBInstances") == 30 + counter(s, "faults", "DescribeDBInstances"));
	CHECK(counter(s, "requests", "GetObject") == 10 + counter(s, "faults", "GetObject"));
	jv_free(f);
	jv_free(c);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: sim_actions_test WORLD.yaml FAULTS.yaml\n");
		return 2;
	}
	unsetenv("http_proxy");
	unsetenv("HTTP_PROXY");
	unsetenv("all_proxy");
	unsetenv("ALL_PROXY");
	conns = jv_null();
	clk = clock_new(CLOCK_VIRTUAL, 0, 1);
	clock_hold(clk);
	red = redact_new();
	if (aws_module.init && aws_module.init() < 0)
		BUG("aws init");

	struct sim *s = start(argv[1]);
	test_rds(s);
	test_elasticache();
	test_s3(s);
	test_secrets();
	test_call(s);
	sim_stop(s);

	s = start(argv[2]);
	test_faults(s);
	sim_stop(s);

	if (aws_module.cleanup)
		aws_module.cleanup();
	jv_free(conns);
	redact_free(red);
	clock_release(clk);
	clock_free(clk);
	if (failures) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
