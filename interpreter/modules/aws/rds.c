/* rds.c — RDS actions (query protocol, API 2014-10-31). Results are the service's own
 * objects (DBInstance, DBSnapshot) so runbooks read `.result.DBInstanceStatus` like the
 * AWS documentation. Waiting is the core `wait` step over rds.describe_instance. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "aws.h"
#include "../../core/bug.h"
#include "../../core/dur.h"
#include "../../core/jvx.h"

#define MIN_MS (60 * 1000)

/* common restore/create params shared by the two restores */
static void restore_params(jv *p, jv args)
{
	aws_param(p, args, "instance_class", "DBInstanceClass");
	aws_param(p, args, "subnet_group", "DBSubnetGroupName");
	aws_param(p, args, "security_groups", "VpcSecurityGroupIds");
	aws_param(p, args, "multi_az", "MultiAZ");
	aws_param(p, args, "publicly_accessible", "PubliclyAccessible");
	aws_param(p, args, "parameter_group", "DBParameterGroupName");
	aws_param(p, args, "option_group", "OptionGroupName");
	aws_param(p, args, "availability_zone", "AvailabilityZone");
	aws_param(p, args, "storage_type", "StorageType");
	aws_param(p, args, "deletion_protection", "DeletionProtection");
	jv tags = jvx_get(args, "tags");
	if (jv_get_kind(tags) == JV_KIND_OBJECT && jv_object_length(jv_copy(tags)) > 0)
		*p = jv_object_set(*p, jv_string("Tags"), aws_tags_list(jv_copy(tags)));
	jv_free(tags);
	jv extra = jvx_get(args, "extra");
	if (jv_get_kind(extra) == JV_KIND_OBJECT)
		*p = jv_object_merge(*p, extra);
	else
		jv_free(extra);
}

/* RDS keeps the start of the restorable window apart from DBInstance (in the automated
 * backup's RestoreWindow.EarliestTime); add it as EarliestRestorableTime, next to the
 * instance's own LatestRestorableTime, so runbooks read one object. Best effort: without
 * the permission or the backups, the field is simply absent. */
static void add_earliest(struct aws_client *c, const char *id, jv *inst)
{
	jv res, err;
	if (!jvx_has(*inst, "LatestRestorableTime") || jvx_has(*inst, "EarliestRestorableTime"))
		return;
	jv p = jv_object_set(jv_object(), jv_string("DBInstanceIdentifier"), jv_string(id));
	if (aws_query_call(c, &aws_svc_rds, "DescribeDBInstanceAutomatedBackups", p, &res, &err) < 0) {
		jv_free(err);
		return;
	}
	jv list = jvx_get(res, "DBInstanceAutomatedBackups");
	jv_array_foreach(list, i, b) {
		jv w = jvx_get(b, "RestoreWindow");
		const char *e = jvx_str(w, "EarliestTime");
		if (e && !jvx_has(*inst, "EarliestRestorableTime"))
			*inst = jv_object_set(*inst, jv_string("EarliestRestorableTime"), jv_string(e));
		jv_free(w);
		jv_free(b);
	}
	jv_free(list);
	jv_free(res);
}

static int describe_instance(struct aws_client *c, const char *id, jv *out)
{
	jv res;
	jv p = jv_object_set(jv_object(), jv_string("DBInstanceIdentifier"), jv_string(id));
	if (aws_query_call(c, &aws_svc_rds, "DescribeDBInstances", p, &res, out) < 0)
		return -1;
	if (aws_first(res, "DBInstances", "DBInstanceNotFound", "DB instance", id, out) < 0)
		return -1;
	add_earliest(c, id, out);
	return 0;
}

static int with_client(struct action_call *call, jv args, struct aws_client *c, jv *out)
{
	if (aws_client_for_call(c, call, aws_arg_region(args), out) < 0) {
		jv_free(args);
		return -1;
	}
	return 0;
}

static int run_describe_instance(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	if (with_client(call, args, &c, out) < 0)
		return -1;
	int r;
	if (jvx_bool(args, "restore_window", 1)) {
		r = describe_instance(&c, jvx_str(args, "instance"), out);
	} else {
		jv res;
		jv p = jv_object_set(jv_object(), jv_string("DBInstanceIdentifier"), jvx_get(args, "instance"));
		r = aws_query_call(&c, &aws_svc_rds, "DescribeDBInstances", p, &res, out);
		if (r == 0)
			r = aws_first(res, "DBInstances", "DBInstanceNotFound", "DB instance", jvx_str(args, "instance"), out);
	}
	aws_client_release(&c);
	jv_free(args);
	return r;
}

/* the newest snapshot with the given status field == "available" by time field */
jv aws_latest_available(jv list, const char *status_key, const char *time_key)
{
	jv best = jv_null();
	const char *best_t = NULL;
	jv_array_foreach(list, i, s) {
		const char *st = jvx_str(s, status_key), *t = jvx_str(s, time_key);
		if (st && !strcmp(st, "available") && t && (!best_t || strcmp(t, best_t) > 0)) {
			jv_free(best);
			best = jv_copy(s);
			best_t = jvx_str(best, time_key);
		}
		jv_free(s);
	}
	jv_free(list);
	return best;
}

static int run_describe_snapshots(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	jv res;
	if (with_client(call, args, &c, out) < 0)
		return -1;
	jv p = jv_object();
	aws_param(&p, args, "instance", "DBInstanceIdentifier");
	aws_param(&p, args, "snapshot", "DBSnapshotIdentifier");
	aws_param(&p, args, "type", "SnapshotType");
	int r = aws_query_paginate(&c, &aws_svc_rds, "DescribeDBSnapshots", p, "DBSnapshots", &res, out);
	aws_client_release(&c);
	if (r == 0) {
		jv latest = aws_latest_available(jvx_get(res, "DBSnapshots"), "Status", "SnapshotCreateTime");
		if (jvx_bool(args, "latest", 0) && jv_get_kind(latest) == JV_KIND_NULL) {
			const char *inst = jvx_str(args, "instance");
			*out = jvx_error("DBSnapshotNotFound", "no available snapshot%s%s%s", inst ? " of '" : "",
					 inst ? inst : "", inst ? "'" : "");
			jv_free(res);
			jv_free(latest);
			r = -1;
		} else {
			*out = jv_object_set(res, jv_string("Latest"), latest);
		}
	}
	jv_free(args);
	return r;
}

static int run_create_snapshot(struct action_call *call, jv args, jv *out)
{
	jv p = jv_object();
	aws_param(&p, args, "instance", "DBInstanceIdentifier");
	aws_param(&p, args, "snapshot", "DBSnapshotIdentifier");
	jv tags = jvx_get(args, "tags");
	if (jv_get_kind(tags) == JV_KIND_OBJECT && jv_object_length(jv_copy(tags)) > 0)
		p = jv_object_set(p, jv_string("Tags"), aws_tags_list(jv_copy(tags)));
	jv_free(tags);
	int r = aws_simple_query(call, aws_arg_region(args), &aws_svc_rds, "CreateDBSnapshot", p, "DBSnapshot", out);
	jv_free(args);
	return r;
}

/* check helpers: 1 found (result), 0 not found, -1 other error */
static int snapshot_exists(struct action_call *call, const char *region, const char *id, jv *out)
{
	jv p = jv_object_set(jv_object(), jv_string("DBSnapshotIdentifier"), jv_string(id));
	jv res;
	if (aws_simple_query(call, region, &aws_svc_rds, "DescribeDBSnapshots", p, NULL, &res) < 0) {
		if (aws_err_is(res, "DBSnapshotNotFound")) {
			jv_free(res);
			*out = jv_null();
			return 0;
		}
		*out = res;
		return -1;
	}
	if (aws_first(res, "DBSnapshots", "DBSnapshotNotFound", "DB snapshot", id, out) < 0) {
		jv_free(*out);
		*out = jv_null();
		return 0;
	}
	return 1;
}

static int instance_exists(struct action_call *call, const char *region, const char *id, jv *out)
{
	struct aws_client c;
	if (aws_client_for_call(&c, call, region, out) < 0)
		return -1;
	int r = describe_instance(&c, id, out);
	aws_client_release(&c);
	if (r == 0)
		return 1;
	if (aws_err_is(*out, "DBInstanceNotFound")) {
		jv_free(*out);
		*out = jv_null();
		return 0;
	}
	return -1;
}

static int check_create_snapshot(struct action_call *call, jv args, jv *out)
{
	int r = snapshot_exists(call, aws_arg_region(args), jvx_str(args, "snapshot"), out);
	jv_free(args);
	return r;
}

static int run_restore_from_snapshot(struct action_call *call, jv args, jv *out)
{
	jv p = jv_object();
	aws_param(&p, args, "target", "DBInstanceIdentifier");
	aws_param(&p, args, "snapshot", "DBSnapshotIdentifier");
	restore_params(&p, args);
	int r = aws_simple_query(call, aws_arg_region(args), &aws_svc_rds, "RestoreDBInstanceFromDBSnapshot", p,
				 "DBInstance", out);
	jv_free(args);
	return r;
}

static int check_target(struct action_call *call, jv args, jv *out)
{
	int r = instance_exists(call, aws_arg_region(args), jvx_str(args, "target"), out);
	jv_free(args);
	return r;
}

static int run_restore_pitr(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	jv src = jv_invalid();
	int r = -1;
	const char *source = jvx_str(args, "source"), *when = jvx_str(args, "restore_time");
	int latest = jvx_bool(args, "use_latest", 0);
	if (!when == !latest) {
		*out = jvx_error("InvalidParameterCombination",
				 "give exactly one of restore_time and use_latest: true");
		jv_free(args);
		return -1;
	}
	if (with_client(call, args, &c, out) < 0)
		return -1;
	/* the restorable window first: fail clearly before AWS does */
	if (describe_instance(&c, source, &src) < 0) {
		*out = src;
		goto out;
	}
	const char *earliest = jvx_str(src, "EarliestRestorableTime");
	const char *lts = jvx_str(src, "LatestRestorableTime");
	if (!earliest || !lts) {
		*out = jvx_error("PointInTimeRestoreNotEnabled",
				 "DB instance '%s' has no restorable window (automated backups disabled?)", source);
		goto out;
	}
	if (when) {
		int64_t t, e, l;
		if (ts_parse(when, &t) < 0 || ts_parse(earliest, &e) < 0 || ts_parse(lts, &l) < 0) {
			*out = jvx_error("InvalidParameterValue", "restore_time '%s' is not an RFC 3339 timestamp", when);
			goto out;
		}
		if (t < e || t > l) {
			*out = jvx_error("InvalidRestoreTime",
					 "restore time %s is outside the restorable window of '%s' (%s to %s)", when,
					 source, earliest, lts);
			goto out;
		}
	}
	jv p = jv_object();
	aws_param(&p, args, "source", "SourceDBInstanceIdentifier");
	aws_param(&p, args, "target", "TargetDBInstanceIdentifier");
	if (when)
		aws_param(&p, args, "restore_time", "RestoreTime");
	else
		p = jv_object_set(p, jv_string("UseLatestRestorableTime"), jv_true());
	restore_params(&p, args);
	jv res;
	if (aws_query_call(&c, &aws_svc_rds, "RestoreDBInstanceToPointInTime", p, &res, out) < 0)
		goto out;
	*out = jv_object_get(res, jv_string("DBInstance"));
	if (!jv_is_valid(*out)) {
		jv_free(*out);
		*out = jvx_error("InvalidResponse", "RestoreDBInstanceToPointInTime: reply has no DBInstance");
		goto out;
	}
	r = 0;
out:
	jv_free(src);
	aws_client_release(&c);
	jv_free(args);
	return r;
}

/* the ModifyDBInstance parameters of a call; borrows args */
static jv modify_params(jv args)
{
	jv p = jv_object();
	aws_param(&p, args, "instance", "DBInstanceIdentifier");
	aws_param(&p, args, "new_identifier", "NewDBInstanceIdentifier");
	aws_param(&p, args, "instance_class", "DBInstanceClass");
	aws_param(&p, args, "apply_immediately", "ApplyImmediately");
	aws_param(&p, args, "security_groups", "VpcSecurityGroupIds");
	aws_param(&p, args, "backup_retention", "BackupRetentionPeriod");
	aws_param(&p, args, "master_password", "MasterUserPassword");
	jv extra = jvx_get(args, "extra");
	if (jv_get_kind(extra) == JV_KIND_OBJECT)
		p = jv_object_merge(p, extra);
	else
		jv_free(extra);
	return p;
}

static int run_modify_instance(struct action_call *call, jv args, jv *out)
{
	jv p = modify_params(args);
	int r = aws_simple_query(call, aws_arg_region(args), &aws_svc_rds, "ModifyDBInstance", p, "DBInstance", out);
	jv_free(args);
	return r;
}

/* How a ModifyDBInstance parameter shows on the DBInstance (or in its
 * PendingModifiedValues) for the check. A parameter not listed here is read from the
 * field of the same name; how-to parameters are not compared. */
static const struct modify_field {
	const char *param;
	const char *field;       /* NULL: not observable (only its presence in pending) */
	const char *sub;         /* field is a list of (or one) object(s): this key of each */
} modify_fields[] = {
	{ "VpcSecurityGroupIds", "VpcSecurityGroups", "VpcSecurityGroupId" },
	{ "DBParameterGroupName", "DBParameterGroups", "DBParameterGroupName" },
	{ "DBSubnetGroupName", "DBSubnetGroup", "DBSubnetGroupName" },
	{ "OptionGroupName", "OptionGroupMemberships", "OptionGroupName" },
	{ "Port", "Endpoint", "Port" },
	{ "EnablePerformanceInsights", "PerformanceInsightsEnabled", NULL },
	{ "EnableIAMDatabaseAuthentication", "IAMDatabaseAuthenticationEnabled", NULL },
	{ "MasterUserPassword", NULL, NULL },
	{ NULL, NULL, NULL },
};
static const char *const modify_how[] = {
	"DBInstanceIdentifier", "NewDBInstanceIdentifier", "ApplyImmediately", "AllowMajorVersionUpgrade",
	"Tags", NULL,
};

/* a scalar as text for comparing ("7" and 7, "true" and true); borrows v */
static void modify_text(jv v, char *buf, size_t n)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING: snprintf(buf, n, "%s", jv_string_value(v)); break;
	case JV_KIND_NUMBER: snprintf(buf, n, "%.17g", jv_number_value(v)); break;
	case JV_KIND_TRUE: snprintf(buf, n, "true"); break;
	case JV_KIND_FALSE: snprintf(buf, n, "false"); break;
	default: snprintf(buf, n, "\x01"); break;
	}
}

/* the sorted texts of a value: a scalar, a list, or objects' `sub` keys; borrows v */
static jv modify_texts(jv v, const char *sub)
{
	jv out = jv_array();
	char t[1024];
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		jv_array_foreach(v, i, x) {
			jv y = sub && jv_get_kind(x) == JV_KIND_OBJECT ? jvx_get(x, sub) : jv_copy(x);
			modify_text(y, t, sizeof(t));
			out = jv_array_append(out, jv_string(t));
			jv_free(y);
			jv_free(x);
			(void)i;
		}
	} else {
		jv y = sub && jv_get_kind(v) == JV_KIND_OBJECT ? jvx_get(v, sub) : jv_copy(v);
		modify_text(y, t, sizeof(t));
		out = jv_array_append(out, jv_string(t));
		jv_free(y);
	}
	return jv_sort(out, jv_copy(out));
}

static int modify_same(jv want, jv have, const char *sub)
{
	if (!jv_is_valid(have) || jv_get_kind(have) == JV_KIND_NULL)
		return -1;
	jv a = modify_texts(want, NULL), b = modify_texts(have, sub);
	char *x = jvx_dump(jv_copy(a)), *y = jvx_dump(jv_copy(b));
	int same = !strcasecmp(x, y);
	free(x);
	free(y);
	jv_free(a);
	jv_free(b);
	return same;
}

/* 1 every requested field has its new value (now or pending), 0 one has not, -1 one
 * cannot be seen; borrows p and inst */
static int modify_landed(jv p, jv inst, char *why, size_t nwhy)
{
	jv pend = jvx_get(inst, "PendingModifiedValues");
	int r = 1;
	jv_object_foreach(p, k, want) {
		const char *key = jv_string_value(k);
		const struct modify_field *f = NULL;
		int how = 0;
		for (int i = 0; modify_how[i]; i++)
			how |= !strcmp(modify_how[i], key);
		for (int i = 0; !how && modify_fields[i].param; i++)
			if (!strcmp(modify_fields[i].param, key))
				f = &modify_fields[i];
		if (!how && r >= 0) {
			const char *field = f ? f->field : key, *sub = f ? f->sub : NULL;
			jv now = field ? jvx_get(inst, field) : jv_invalid();
			jv later = jv_get_kind(pend) == JV_KIND_OBJECT ? jvx_get(pend, key) : jv_invalid();
			int a = field ? modify_same(want, now, sub) : -1;
			int b = jv_is_valid(later) ? (field ? modify_same(want, later, NULL) : 1) : -1;
			if (a != 1 && b != 1) {
				/* not there: 0 if it could be seen, -1 if not */
				r = a == 0 || b == 0 ? 0 : -1;
				snprintf(why, nwhy, "%s", key);
			}
			jv_free(now);
			jv_free(later);
		}
		jv_free(k);
		jv_free(want);
	}
	jv_free(pend);
	return r;
}

static int check_modify_instance(struct action_call *call, jv args, jv *out)
{
	const char *nid = jvx_str(args, "new_identifier");
	const char *id = jvx_str(args, "instance");
	jv p = modify_params(args);
	char why[256] = "";
	int r;
	if (nid) {
		/* renamed (apply_immediately): the new name exists; else maybe pending */
		r = instance_exists(call, aws_arg_region(args), nid, out);
		if (r == 0) {
			jv_free(*out);
			r = instance_exists(call, aws_arg_region(args), id, out);
			if (r == 1) {
				jv pend = jvx_get(*out, "PendingModifiedValues");
				const char *pn = jv_get_kind(pend) == JV_KIND_OBJECT ? jvx_str(pend, "DBInstanceIdentifier") : NULL;
				r = pn && !strcmp(pn, nid) ? 1 : 0;
				jv_free(pend);
			} else if (r == 0) {
				jv_free(*out);
				*out = jvx_error("DBInstanceNotFound", "neither DB instance '%s' nor '%s' exists", id, nid);
				r = -1;
			}
		}
	} else {
		r = instance_exists(call, aws_arg_region(args), id, out);
		if (r == 0) {
			jv_free(*out);
			*out = jvx_error("DBInstanceNotFound", "DB instance '%s' not found", id);
			r = -1;
		}
	}
	if (r == 1) {
		r = modify_landed(p, *out, why, sizeof(why));
		if (r < 0) {
			jv_free(*out);
			*out = jvx_error("CannotCheck", "modify_instance: '%s' cannot be seen on the instance", why);
		} else if (r == 0) {
			jv_free(*out);
			*out = jv_null();
		}
	} else if (r == 0) {
		jv_free(*out);
		*out = jv_null();
	}
	jv_free(p);
	jv_free(args);
	return r;
}

static int run_delete_instance(struct action_call *call, jv args, jv *out)
{
	int skip = jvx_bool(args, "skip_final_snapshot", 0);
	if (!skip && !jvx_str(args, "final_snapshot")) {
		*out = jvx_error("InvalidParameterCombination",
				 "give final_snapshot (the name of the final snapshot) or skip_final_snapshot: true");
		jv_free(args);
		return -1;
	}
	jv p = jv_object();
	aws_param(&p, args, "instance", "DBInstanceIdentifier");
	p = jv_object_set(p, jv_string("SkipFinalSnapshot"), jv_bool(skip));
	if (!skip)
		aws_param(&p, args, "final_snapshot", "FinalDBSnapshotIdentifier");
	aws_param(&p, args, "delete_automated_backups", "DeleteAutomatedBackups");
	int r = aws_simple_query(call, aws_arg_region(args), &aws_svc_rds, "DeleteDBInstance", p, "DBInstance", out);
	jv_free(args);
	return r;
}

static int check_delete_instance(struct action_call *call, jv args, jv *out)
{
	int r = instance_exists(call, aws_arg_region(args), jvx_str(args, "instance"), out);
	if (r == 0) {
		*out = jv_object();
		r = 1;
	} else if (r == 1) {
		const char *st = jvx_str(*out, "DBInstanceStatus");
		r = st && !strcmp(st, "deleting");
	}
	jv_free(args);
	return r;
}

static int run_promote(struct action_call *call, jv args, jv *out)
{
	jv p = jv_object();
	aws_param(&p, args, "instance", "DBInstanceIdentifier");
	aws_param(&p, args, "backup_retention", "BackupRetentionPeriod");
	int r = aws_simple_query(call, aws_arg_region(args), &aws_svc_rds, "PromoteReadReplica", p, "DBInstance", out);
	jv_free(args);
	return r;
}

static int check_promote(struct action_call *call, jv args, jv *out)
{
	int r = instance_exists(call, aws_arg_region(args), jvx_str(args, "instance"), out);
	if (r == 1)
		r = !jvx_has(*out, "ReadReplicaSourceDBInstanceIdentifier") ||
		    (jvx_str(*out, "DBInstanceStatus") && !strcmp(jvx_str(*out, "DBInstanceStatus"), "modifying"));
	else if (r == 0) {
		*out = jvx_error("DBInstanceNotFound", "DB instance '%s' not found", jvx_str(args, "instance"));
		r = -1;
	}
	jv_free(args);
	return r;
}

/* the PreSignedUrl of a cross-region CopyDBSnapshot, as botocore builds it: the same
 * operation signed (query auth) for the source region, with DestinationRegion */
static int presigned_copy(struct aws_client *c, jv p, const char *source_region, char **url, jv *err)
{
	int berr = 0;
	struct aws_client src;
	struct buf q = BUF_INIT(0), out = BUF_INIT(0), host = BUF_INIT(0);
	int ret = -1;
	memset(&src, 0, sizeof src);
	src.region = xstrdup(source_region);
	src.endpoint = c->endpoint ? xstrdup(c->endpoint) : NULL;
	char *base = aws_endpoint(&src, &aws_svc_rds);
	const char *h = strstr(base, "://");
	h = h ? h + 3 : base;
	berr |= buf_add(&host, h, strcspn(h, "/"));
	if (host.len > 4 && !strncmp(base, "https", 5) && !strcmp(host.data + host.len - 4, ":443"))
		host.data[host.len -= 4] = 0;
	jv pp = jv_object_set(jv_copy(p), jv_string("DestinationRegion"), jv_string(c->region));
	if (aws_query_encode(&q, &aws_svc_rds, "CopyDBSnapshot", pp) < 0 || aws_client_creds(c, err) < 0) {
		if (!jv_is_valid(*err) || jv_get_kind(*err) == JV_KIND_NULL)
			*err = jvx_error("InvalidParameter", "cannot build the PreSignedUrl");
		goto out;
	}
	char amz_date[17];
	time_t t = time(NULL);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
	if (aws_sigv4_presign(host.data, q.data, &c->creds, source_region, "rds", amz_date, 3600, &out) < 0) {
		*err = jvx_error("InvalidCredentials", "cannot sign the PreSignedUrl");
		goto out;
	}
	struct buf u = BUF_INIT(0);
	berr |= buf_addf(&u, "%.*s/?%s", (int)(h - base) + (int)strcspn(h, "/"), base, out.data);
	BUF_NOCAP(berr);
	*url = buf_detach(&u);
	ret = 0;
out:
	free(base);
	aws_client_release(&src);
	buf_release(&q);
	buf_release(&out);
	buf_release(&host);
	return ret;
}

static int run_copy_snapshot(struct action_call *call, jv args, jv *out)
{
	const char *src = jvx_str(args, "source"), *sr = jvx_str(args, "source_region");
	struct aws_client c;
	int r = -1;
	if (sr && strncmp(src, "arn:", 4)) {
		*out = jvx_error("InvalidParameterValue",
				 "a cross-region copy needs the source snapshot's ARN, not '%s'", src);
		jv_free(args);
		return -1;
	}
	if (with_client(call, args, &c, out) < 0)
		return -1;
	jv p = jv_object();
	aws_param(&p, args, "source", "SourceDBSnapshotIdentifier");
	aws_param(&p, args, "target", "TargetDBSnapshotIdentifier");
	aws_param(&p, args, "kms_key_id", "KmsKeyId");
	aws_param(&p, args, "copy_tags", "CopyTags");
	aws_param(&p, args, "option_group", "OptionGroupName");
	jv tags = jvx_get(args, "tags");
	if (jv_get_kind(tags) == JV_KIND_OBJECT && jv_object_length(jv_copy(tags)) > 0)
		p = jv_object_set(p, jv_string("Tags"), aws_tags_list(jv_copy(tags)));
	jv_free(tags);
	if (sr && strcmp(sr, c.region)) {
		char *url = NULL;
		jv err = jv_null();
		if (presigned_copy(&c, p, sr, &url, &err) < 0) {
			*out = err;
			jv_free(p);
			goto out;
		}
		p = jv_object_set(p, jv_string("PreSignedUrl"), jv_string(url));
		free(url);
	}
	jv res;
	if (aws_query_call(&c, &aws_svc_rds, "CopyDBSnapshot", p, &res, out) < 0)
		goto out;
	*out = jv_object_get(res, jv_string("DBSnapshot"));
	if (!jv_is_valid(*out)) {
		jv_free(*out);
		*out = jvx_error("InvalidResponse", "CopyDBSnapshot: reply has no DBSnapshot");
		goto out;
	}
	r = 0;
out:
	aws_client_release(&c);
	jv_free(args);
	return r;
}

static int check_copy_snapshot(struct action_call *call, jv args, jv *out)
{
	int r = snapshot_exists(call, aws_arg_region(args), jvx_str(args, "target"), out);
	jv_free(args);
	return r;
}

static int run_add_tags(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	char *arn = NULL;
	int r = -1;
	if (with_client(call, args, &c, out) < 0)
		return -1;
	if (jvx_str(args, "resource")) {
		arn = xstrdup(jvx_str(args, "resource"));
	} else if (jvx_str(args, "instance")) {
		jv inst;
		if (describe_instance(&c, jvx_str(args, "instance"), &inst) < 0) {
			*out = inst;
			goto out;
		}
		arn = jvx_str(inst, "DBInstanceArn") ? xstrdup(jvx_str(inst, "DBInstanceArn")) : NULL;
		jv_free(inst);
		if (!arn) {
			*out = jvx_error("InvalidResponse", "DB instance '%s' has no DBInstanceArn", jvx_str(args, "instance"));
			goto out;
		}
	} else {
		*out = jvx_error("InvalidParameterCombination", "give resource (an ARN) or instance");
		goto out;
	}
	jv p = jv_object_set(jv_object(), jv_string("ResourceName"), jv_string(arn));
	jv tags = jvx_get(args, "tags");
	p = jv_object_set(p, jv_string("Tags"), aws_tags_list(tags));
	jv res;
	if (aws_query_call(&c, &aws_svc_rds, "AddTagsToResource", p, &res, out) < 0)
		goto out;
	jv_free(res);
	*out = jv_object_set(jv_object(), jv_string("ResourceName"), jv_string(arn));
	r = 0;
out:
	free(arn);
	aws_client_release(&c);
	jv_free(args);
	return r;
}

#define REGION_ARG {"region", ARG_STRING, 0, NULL, "region for this call (default: the connection's)"}
#define RESTORE_ARGS \
	{"instance_class", ARG_STRING, 0, NULL, "DBInstanceClass, e.g. db.r6g.large (default: the source's)"}, \
	{"subnet_group", ARG_STRING, 0, NULL, "DBSubnetGroupName"}, \
	{"security_groups", ARG_LIST, 0, NULL, "VpcSecurityGroupIds"}, \
	{"multi_az", ARG_BOOL, 0, NULL, "MultiAZ"}, \
	{"publicly_accessible", ARG_BOOL, 0, NULL, "PubliclyAccessible"}, \
	{"parameter_group", ARG_STRING, 0, NULL, "DBParameterGroupName"}, \
	{"option_group", ARG_STRING, 0, NULL, "OptionGroupName"}, \
	{"availability_zone", ARG_STRING, 0, NULL, "AvailabilityZone"}, \
	{"storage_type", ARG_STRING, 0, NULL, "StorageType"}, \
	{"deletion_protection", ARG_BOOL, 0, NULL, "DeletionProtection"}, \
	{"tags", ARG_MAP, 0, NULL, "tags {key: value}"}, \
	{"extra", ARG_MAP, 0, NULL, "more request parameters by their AWS names"}, \
	REGION_ARG

static const struct action_arg a_describe_instance[] = {
	{"instance", ARG_STRING, ARG_REQUIRED, NULL, "DB instance identifier"},
	{"restore_window", ARG_BOOL, 0, "true",
	 "add EarliestRestorableTime (one more call, DescribeDBInstanceAutomatedBackups); false for cheap polling"},
	REGION_ARG, {NULL}};
static const struct action_arg a_describe_snapshots[] = {
	{"instance", ARG_STRING, 0, NULL, "only snapshots of this DB instance"},
	{"snapshot", ARG_STRING, 0, NULL, "only this snapshot identifier"},
	{"type", ARG_STRING, 0, NULL, "SnapshotType: automated, manual, shared, public, awsbackup"},
	{"latest", ARG_BOOL, 0, "false", "fail with DBSnapshotNotFound when no snapshot is available"},
	REGION_ARG, {NULL}};
static const struct action_arg a_create_snapshot[] = {
	{"instance", ARG_STRING, ARG_REQUIRED, NULL, "DB instance identifier"},
	{"snapshot", ARG_STRING, ARG_REQUIRED, NULL, "new snapshot identifier"},
	{"tags", ARG_MAP, 0, NULL, "tags {key: value}"}, REGION_ARG, {NULL}};
static const struct action_arg a_restore_snapshot[] = {
	{"snapshot", ARG_STRING, ARG_REQUIRED, NULL, "DB snapshot identifier (or ARN)"},
	{"target", ARG_STRING, ARG_REQUIRED, NULL, "new DB instance identifier"},
	RESTORE_ARGS, {NULL}};
static const struct action_arg a_restore_pitr[] = {
	{"source", ARG_STRING, ARG_REQUIRED, NULL, "source DB instance identifier"},
	{"target", ARG_STRING, ARG_REQUIRED, NULL, "new DB instance identifier"},
	{"restore_time", ARG_TIMESTAMP, 0, NULL, "point in time (RFC 3339), checked against the restorable window"},
	{"use_latest", ARG_BOOL, 0, "false", "restore to LatestRestorableTime instead"},
	RESTORE_ARGS, {NULL}};
static const struct action_arg a_modify_instance[] = {
	{"instance", ARG_STRING, ARG_REQUIRED, NULL, "DB instance identifier"},
	{"new_identifier", ARG_STRING, 0, NULL, "rename to (NewDBInstanceIdentifier)"},
	{"instance_class", ARG_STRING, 0, NULL, "DBInstanceClass"},
	{"apply_immediately", ARG_BOOL, 0, "true", "ApplyImmediately"},
	{"security_groups", ARG_LIST, 0, NULL, "VpcSecurityGroupIds"},
	{"backup_retention", ARG_INT, ARG_RANGE, NULL, "BackupRetentionPeriod (days)", .min = 0, .max = 35},
	{"master_password", ARG_STRING, ARG_SECRET, NULL, "MasterUserPassword"},
	{"extra", ARG_MAP, 0, NULL, "more request parameters by their AWS names"}, REGION_ARG, {NULL}};
static const struct action_arg a_delete_instance[] = {
	{"instance", ARG_STRING, ARG_REQUIRED, NULL, "DB instance identifier"},
	{"skip_final_snapshot", ARG_BOOL, 0, "false", "delete without a final snapshot"},
	{"final_snapshot", ARG_STRING, 0, NULL, "FinalDBSnapshotIdentifier (required unless skip_final_snapshot)"},
	{"delete_automated_backups", ARG_BOOL, 0, NULL, "DeleteAutomatedBackups"}, REGION_ARG, {NULL}};
static const struct action_arg a_promote[] = {
	{"instance", ARG_STRING, ARG_REQUIRED, NULL, "read replica identifier"},
	{"backup_retention", ARG_INT, ARG_RANGE, NULL, "BackupRetentionPeriod (days)", .min = 0, .max = 35}, REGION_ARG, {NULL}};
static const struct action_arg a_copy_snapshot[] = {
	{"source", ARG_STRING, ARG_REQUIRED, NULL, "source snapshot identifier (ARN for a cross-region copy)"},
	{"target", ARG_STRING, ARG_REQUIRED, NULL, "new snapshot identifier"},
	{"source_region", ARG_STRING, 0, NULL, "region of the source (cross-region copy; `region` is the destination)"},
	{"kms_key_id", ARG_STRING, 0, NULL, "KmsKeyId"},
	{"copy_tags", ARG_BOOL, 0, NULL, "CopyTags"},
	{"option_group", ARG_STRING, 0, NULL, "OptionGroupName"},
	{"tags", ARG_MAP, 0, NULL, "tags {key: value}"}, REGION_ARG, {NULL}};
static const struct action_arg a_add_tags[] = {
	{"resource", ARG_STRING, 0, NULL, "resource ARN"},
	{"instance", ARG_STRING, 0, NULL, "DB instance identifier (its ARN is looked up)"},
	{"tags", ARG_MAP, ARG_REQUIRED, NULL, "tags {key: value}"}, REGION_ARG, {NULL}};

/* result fields beyond the botocore shape (aws_shapes_results.c) */
static const struct action_result r_dbi[] = {
	{"EarliestRestorableTime", ARG_TIMESTAMP, "rds.describe_instance: start of the restorable window (automated backups)", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_dbsnap[] = {
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_describe_snapshots[] = {
	{"DBSnapshots", ARG_LIST, "the matching DBSnapshot objects", aws_result_rds_DBSnapshot},
	{"Latest", ARG_MAP, "the newest available one, or null", aws_result_rds_DBSnapshot},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_add_tags[] = {
	{"ResourceName", ARG_STRING, "the tagged resource's ARN", NULL},
	{NULL, 0, NULL, NULL},
};

#define DBI "the DBInstance object (DBInstanceIdentifier, DBInstanceStatus, Endpoint.Address, Endpoint.Port, DBInstanceClass, DBInstanceArn, LatestRestorableTime, ...); describe adds EarliestRestorableTime from the automated backup's RestoreWindow"
const struct action_desc aws_rds_actions[] = {
	{"rds.describe_instance", "describe one DB instance (DescribeDBInstances)", a_describe_instance, DBI,
	 ACT_IDEMPOTENT, 500, run_describe_instance, NULL, NULL, NULL,
	  .result_shape = aws_result_rds_DBInstance, .result_shape_name = "rds DBInstance", .results = r_dbi},
	{"rds.describe_snapshots", "list DB snapshots by instance, id or type; Latest = newest available",
	 a_describe_snapshots, "{DBSnapshots: [DBSnapshot...], Latest: DBSnapshot | null}", ACT_IDEMPOTENT, 800,
	 run_describe_snapshots, NULL, NULL, NULL,
	  .results = r_describe_snapshots},
	{"rds.create_snapshot", "take a manual DB snapshot (CreateDBSnapshot)", a_create_snapshot,
	 "the DBSnapshot object (DBSnapshotIdentifier, Status, SnapshotCreateTime, DBSnapshotArn, ...)",
	 ACT_MUTATING | ACT_CHECKABLE, 10 * MIN_MS, run_create_snapshot, NULL, NULL, check_create_snapshot,
	  .result_shape = aws_result_rds_DBSnapshot, .result_shape_name = "rds DBSnapshot", .results = r_dbsnap},
	{"rds.restore_from_snapshot", "create a DB instance from a snapshot (RestoreDBInstanceFromDBSnapshot)",
	 a_restore_snapshot, DBI, ACT_MUTATING | ACT_CHECKABLE, 20 * MIN_MS, run_restore_from_snapshot, NULL, NULL,
	 check_target,
	  .result_shape = aws_result_rds_DBInstance, .result_shape_name = "rds DBInstance", .results = r_dbi},
	{"rds.restore_to_point_in_time",
	 "create a DB instance at a point in time, after checking the source's restorable window",
	 a_restore_pitr, DBI, ACT_MUTATING | ACT_CHECKABLE, 25 * MIN_MS, run_restore_pitr, NULL, NULL, check_target,
	  .result_shape = aws_result_rds_DBInstance, .result_shape_name = "rds DBInstance", .results = r_dbi},
	{"rds.modify_instance", "rename, resize or reconfigure a DB instance (ModifyDBInstance)", a_modify_instance,
	 DBI, ACT_MUTATING | ACT_CHECKABLE, 2 * MIN_MS, run_modify_instance, NULL, NULL, check_modify_instance,
	  .result_shape = aws_result_rds_DBInstance, .result_shape_name = "rds DBInstance", .results = r_dbi},
	{"rds.delete_instance", "delete a DB instance, with a final snapshot or skipping it (DeleteDBInstance)",
	 a_delete_instance, DBI, ACT_MUTATING | ACT_CHECKABLE, 10 * MIN_MS, run_delete_instance, NULL, NULL,
	 check_delete_instance,
	  .result_shape = aws_result_rds_DBInstance, .result_shape_name = "rds DBInstance", .results = r_dbi},
	{"rds.promote_read_replica", "promote a read replica to a standalone instance (PromoteReadReplica)",
	 a_promote, DBI, ACT_MUTATING | ACT_CHECKABLE, 5 * MIN_MS, run_promote, NULL, NULL, check_promote,
	  .result_shape = aws_result_rds_DBInstance, .result_shape_name = "rds DBInstance", .results = r_dbi},
	{"rds.copy_snapshot", "copy a DB snapshot, also across regions (CopyDBSnapshot)", a_copy_snapshot,
	 "the new DBSnapshot object", ACT_MUTATING | ACT_CHECKABLE, 15 * MIN_MS, run_copy_snapshot, NULL, NULL,
	 check_copy_snapshot,
	  .result_shape = aws_result_rds_DBSnapshot, .result_shape_name = "rds DBSnapshot", .results = r_dbsnap},
	{"rds.add_tags", "tag an RDS resource (AddTagsToResource)", a_add_tags, "{ResourceName}",
	 ACT_MUTATING | ACT_IDEMPOTENT, 500, run_add_tags, NULL, NULL, NULL,
	  .results = r_add_tags},
	{NULL},
};
