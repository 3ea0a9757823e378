/* elasticache.c — ElastiCache actions (query protocol, API 2015-02-02). Results are the
 * service's objects (Snapshot, ReplicationGroup); describe_replication_group adds
 * PrimaryEndpoint (from NodeGroups[0] or the ConfigurationEndpoint) for convenience. */
#include <stdlib.h>
#include <string.h>
#include "aws.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"

#define MIN_MS (60 * 1000)

static int describe_rg(struct action_call *call, const char *region, const char *id, jv *out)
{
	jv p = jv_object_set(jv_object(), jv_string("ReplicationGroupId"), jv_string(id));
	jv res;
	if (aws_simple_query(call, region, &aws_svc_elasticache, "DescribeReplicationGroups", p, NULL, &res) < 0) {
		*out = res;
		return -1;
	}
	if (aws_first(res, "ReplicationGroups", "ReplicationGroupNotFoundFault", "replication group", id, out) < 0)
		return -1;
	jv ng = jvx_get(*out, "NodeGroups");
	jv pe = jv_invalid();
	if (jv_get_kind(ng) == JV_KIND_ARRAY && jv_array_length(jv_copy(ng)) > 0) {
		jv first = jv_array_get(jv_copy(ng), 0);
		pe = jvx_get(first, "PrimaryEndpoint");
		jv_free(first);
	}
	jv_free(ng);
	if (!jv_is_valid(pe)) {
		jv_free(pe);
		pe = jvx_get(*out, "ConfigurationEndpoint");
	}
	if (jv_is_valid(pe))
		*out = jv_object_set(*out, jv_string("PrimaryEndpoint"), pe);
	else
		jv_free(pe);
	return 0;
}

static int run_describe_rg(struct action_call *call, jv args, jv *out)
{
	int r = describe_rg(call, aws_arg_region(args), jvx_str(args, "id"), out);
	jv_free(args);
	return r;
}

/* 1 exists (object in *out), 0 not found, -1 error */
static int rg_exists(struct action_call *call, jv args, jv *out)
{
	int r = describe_rg(call, aws_arg_region(args), jvx_str(args, "id"), out);
	if (r == 0)
		return 1;
	if (aws_err_is(*out, "ReplicationGroupNotFoundFault")) {
		jv_free(*out);
		*out = jv_null();
		return 0;
	}
	return -1;
}

static int run_describe_snapshots(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	jv res;
	if (aws_client_for_call(&c, call, aws_arg_region(args), out) < 0) {
		jv_free(args);
		return -1;
	}
	jv p = jv_object();
	aws_param(&p, args, "snapshot", "SnapshotName");
	aws_param(&p, args, "replication_group", "ReplicationGroupId");
	aws_param(&p, args, "cluster", "CacheClusterId");
	aws_param(&p, args, "source", "SnapshotSource");
	int r = aws_query_paginate(&c, &aws_svc_elasticache, "DescribeSnapshots", p, "Snapshots", &res, out);
	aws_client_release(&c);
	if (r == 0) {
		/* a snapshot's time is its first node's SnapshotCreateTime: lift it for sorting */
		jv list = jvx_get(res, "Snapshots"), withtime = jv_array();
		jv_array_foreach(list, i, s) {
			jv nodes = jvx_get(s, "NodeSnapshots");
			jv n0 = jv_get_kind(nodes) == JV_KIND_ARRAY && jv_array_length(jv_copy(nodes)) > 0
					? jv_array_get(jv_copy(nodes), 0) : jv_null();
			const char *t = jvx_str(n0, "SnapshotCreateTime");
			withtime = jv_array_append(withtime, jv_object_set(jv_copy(s), jv_string("__t"),
								     jv_string(t ? t : "")));
			jv_free(n0);
			jv_free(nodes);
			jv_free(s);
		}
		jv_free(list);
		jv latest = aws_latest_available(withtime, "SnapshotStatus", "__t");
		if (jv_get_kind(latest) == JV_KIND_OBJECT)
			latest = jv_object_delete(latest, jv_string("__t"));
		if (jvx_bool(args, "latest", 0) && jv_get_kind(latest) == JV_KIND_NULL) {
			*out = jvx_error("SnapshotNotFoundFault", "no available snapshot");
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

static int snapshot_exists(struct action_call *call, jv args, const char *name, jv *out)
{
	jv p = jv_object_set(jv_object(), jv_string("SnapshotName"), jv_string(name));
	jv res;
	if (aws_simple_query(call, aws_arg_region(args), &aws_svc_elasticache, "DescribeSnapshots", p, NULL, &res) < 0) {
		if (aws_err_is(res, "SnapshotNotFoundFault")) {
			jv_free(res);
			*out = jv_null();
			return 0;
		}
		*out = res;
		return -1;
	}
	if (aws_first(res, "Snapshots", "SnapshotNotFoundFault", "snapshot", name, out) < 0) {
		jv_free(*out);
		*out = jv_null();
		return 0;
	}
	return 1;
}

static int run_create_snapshot(struct action_call *call, jv args, jv *out)
{
	if (!jvx_str(args, "replication_group") == !jvx_str(args, "cluster")) {
		*out = jvx_error("InvalidParameterCombination", "give exactly one of replication_group and cluster");
		jv_free(args);
		return -1;
	}
	jv p = jv_object();
	aws_param(&p, args, "replication_group", "ReplicationGroupId");
	aws_param(&p, args, "cluster", "CacheClusterId");
	aws_param(&p, args, "snapshot", "SnapshotName");
	int r = aws_simple_query(call, aws_arg_region(args), &aws_svc_elasticache, "CreateSnapshot", p, "Snapshot", out);
	jv_free(args);
	return r;
}

static int check_create_snapshot(struct action_call *call, jv args, jv *out)
{
	int r = snapshot_exists(call, args, jvx_str(args, "snapshot"), out);
	jv_free(args);
	return r;
}

static int run_copy_snapshot(struct action_call *call, jv args, jv *out)
{
	jv p = jv_object();
	aws_param(&p, args, "source", "SourceSnapshotName");
	aws_param(&p, args, "target", "TargetSnapshotName");
	aws_param(&p, args, "target_bucket", "TargetBucket");
	aws_param(&p, args, "kms_key_id", "KmsKeyId");
	int r = aws_simple_query(call, aws_arg_region(args), &aws_svc_elasticache, "CopySnapshot", p, "Snapshot", out);
	jv_free(args);
	return r;
}

static int check_copy_snapshot(struct action_call *call, jv args, jv *out)
{
	int r;
	if (jvx_str(args, "target_bucket")) {
		/* an export to S3 leaves no snapshot to describe */
		*out = jvx_error("CannotCheck", "an export to S3 (target_bucket) cannot be checked");
		r = -1;
	} else {
		r = snapshot_exists(call, args, jvx_str(args, "target"), out);
	}
	jv_free(args);
	return r;
}

static int run_create_rg(struct action_call *call, jv args, jv *out)
{
	jv p = jv_object();
	aws_param(&p, args, "id", "ReplicationGroupId");
	aws_param(&p, args, "description", "ReplicationGroupDescription");
	if (!jvx_has(p, "ReplicationGroupDescription"))
		p = jv_object_set(p, jv_string("ReplicationGroupDescription"), jv_string("restored by runbook"));
	aws_param(&p, args, "snapshot", "SnapshotName");
	aws_param(&p, args, "node_type", "CacheNodeType");
	aws_param(&p, args, "engine", "Engine");
	aws_param(&p, args, "engine_version", "EngineVersion");
	aws_param(&p, args, "num_cache_clusters", "NumCacheClusters");
	aws_param(&p, args, "automatic_failover", "AutomaticFailoverEnabled");
	aws_param(&p, args, "subnet_group", "CacheSubnetGroupName");
	aws_param(&p, args, "security_groups", "SecurityGroupIds");
	aws_param(&p, args, "parameter_group", "CacheParameterGroupName");
	aws_param(&p, args, "transit_encryption", "TransitEncryptionEnabled");
	aws_param(&p, args, "auth_token", "AuthToken");
	jv tags = jvx_get(args, "tags");
	if (jv_get_kind(tags) == JV_KIND_OBJECT && jv_object_length(jv_copy(tags)) > 0)
		p = jv_object_set(p, jv_string("Tags"), aws_tags_list(jv_copy(tags)));
	jv_free(tags);
	jv extra = jvx_get(args, "extra");
	if (jv_get_kind(extra) == JV_KIND_OBJECT)
		p = jv_object_merge(p, extra);
	else
		jv_free(extra);
	int r = aws_simple_query(call, aws_arg_region(args), &aws_svc_elasticache, "CreateReplicationGroup", p,
				 "ReplicationGroup", out);
	jv_free(args);
	return r;
}

static int check_create_rg(struct action_call *call, jv args, jv *out)
{
	int r = rg_exists(call, args, out);
	jv_free(args);
	return r;
}

static int run_delete_rg(struct action_call *call, jv args, jv *out)
{
	jv p = jv_object();
	aws_param(&p, args, "id", "ReplicationGroupId");
	aws_param(&p, args, "final_snapshot", "FinalSnapshotIdentifier");
	aws_param(&p, args, "retain_primary_cluster", "RetainPrimaryCluster");
	int r = aws_simple_query(call, aws_arg_region(args), &aws_svc_elasticache, "DeleteReplicationGroup", p,
				 "ReplicationGroup", out);
	jv_free(args);
	return r;
}

static int check_delete_rg(struct action_call *call, jv args, jv *out)
{
	int r = rg_exists(call, args, out);
	if (r == 0) {
		*out = jv_object();
		r = 1;
	} else if (r == 1) {
		const char *st = jvx_str(*out, "Status");
		r = st && !strcmp(st, "deleting");
	}
	jv_free(args);
	return r;
}

#define REGION_ARG {"region", ARG_STRING, 0, NULL, "region for this call (default: the connection's)"}
static const struct action_arg a_describe_snapshots[] = {
	{"snapshot", ARG_STRING, 0, NULL, "SnapshotName"},
	{"replication_group", ARG_STRING, 0, NULL, "ReplicationGroupId"},
	{"cluster", ARG_STRING, 0, NULL, "CacheClusterId"},
	{"source", ARG_STRING, 0, NULL, "SnapshotSource: user or system", .choices = "user|system"},
	{"latest", ARG_BOOL, 0, "false", "fail with SnapshotNotFoundFault when no snapshot is available"},
	REGION_ARG, {NULL}};
static const struct action_arg a_create_snapshot[] = {
	{"replication_group", ARG_STRING, 0, NULL, "ReplicationGroupId (or cluster)"},
	{"cluster", ARG_STRING, 0, NULL, "CacheClusterId (or replication_group)"},
	{"snapshot", ARG_STRING, ARG_REQUIRED, NULL, "SnapshotName"}, REGION_ARG, {NULL}};
static const struct action_arg a_copy_snapshot[] = {
	{"source", ARG_STRING, ARG_REQUIRED, NULL, "SourceSnapshotName"},
	{"target", ARG_STRING, ARG_REQUIRED, NULL, "TargetSnapshotName"},
	{"target_bucket", ARG_STRING, 0, NULL, "TargetBucket: export to S3"},
	{"kms_key_id", ARG_STRING, 0, NULL, "KmsKeyId"}, REGION_ARG, {NULL}};
static const struct action_arg a_create_rg[] = {
	{"id", ARG_STRING, ARG_REQUIRED, NULL, "ReplicationGroupId"},
	{"description", ARG_STRING, 0, NULL, "ReplicationGroupDescription"},
	{"snapshot", ARG_STRING, 0, NULL, "SnapshotName to seed from"},
	{"node_type", ARG_STRING, 0, NULL, "CacheNodeType, e.g. cache.r6g.large"},
	{"engine", ARG_STRING, 0, "\"redis\"", "Engine"},
	{"engine_version", ARG_STRING, 0, NULL, "EngineVersion"},
	{"num_cache_clusters", ARG_INT, ARG_RANGE, NULL, "NumCacheClusters", .min = 1, .max = 500},
	{"automatic_failover", ARG_BOOL, 0, NULL, "AutomaticFailoverEnabled"},
	{"subnet_group", ARG_STRING, 0, NULL, "CacheSubnetGroupName"},
	{"security_groups", ARG_LIST, 0, NULL, "SecurityGroupIds"},
	{"parameter_group", ARG_STRING, 0, NULL, "CacheParameterGroupName"},
	{"transit_encryption", ARG_BOOL, 0, NULL, "TransitEncryptionEnabled"},
	{"auth_token", ARG_STRING, ARG_SECRET, NULL, "AuthToken"},
	{"tags", ARG_MAP, 0, NULL, "tags {key: value}"},
	{"extra", ARG_MAP, 0, NULL, "more request parameters by their AWS names"}, REGION_ARG, {NULL}};
static const struct action_arg a_describe_rg[] = {
	{"id", ARG_STRING, ARG_REQUIRED, NULL, "ReplicationGroupId"}, REGION_ARG, {NULL}};
static const struct action_arg a_delete_rg[] = {
	{"id", ARG_STRING, ARG_REQUIRED, NULL, "ReplicationGroupId"},
	{"final_snapshot", ARG_STRING, 0, NULL, "FinalSnapshotIdentifier"},
	{"retain_primary_cluster", ARG_BOOL, 0, NULL, "RetainPrimaryCluster"}, REGION_ARG, {NULL}};

/* result fields beyond the botocore shapes (aws_shapes_results.c) */
static const struct action_result r_describe_snapshots[] = {
	{"Snapshots", ARG_LIST, "the matching Snapshot objects", aws_result_elasticache_Snapshot},
	{"Latest", ARG_MAP, "the newest available one, or null", aws_result_elasticache_Snapshot},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_snap[] = {
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_endpoint[] = {
	{"Address", ARG_STRING, "host name", NULL},
	{"Port", ARG_INT, "port", NULL},
	{NULL, 0, NULL, NULL},
};
static const struct action_result r_rg[] = {
	{"PrimaryEndpoint", ARG_MAP, "describe: the primary node group's endpoint", r_endpoint},
	{NULL, 0, NULL, NULL},
};

#define RG "the ReplicationGroup object (ReplicationGroupId, Status, NodeGroups, MemberClusters, ...)"
const struct action_desc aws_elasticache_actions[] = {
	{"elasticache.describe_snapshots", "list snapshots; Latest = newest available", a_describe_snapshots,
	 "{Snapshots: [Snapshot...], Latest: Snapshot | null}", ACT_IDEMPOTENT, 800, run_describe_snapshots,
	 NULL, NULL, NULL,
	  .results = r_describe_snapshots},
	{"elasticache.create_snapshot", "snapshot a replication group or cluster (CreateSnapshot)",
	 a_create_snapshot, "the Snapshot object (SnapshotName, SnapshotStatus, ...)",
	 ACT_MUTATING | ACT_CHECKABLE, 8 * 60 * 1000, run_create_snapshot, NULL, NULL, check_create_snapshot,
	  .result_shape = aws_result_elasticache_Snapshot, .result_shape_name = "elasticache Snapshot", .results = r_snap},
	{"elasticache.copy_snapshot", "copy a snapshot, or export it to S3 (CopySnapshot)", a_copy_snapshot,
	 "the new Snapshot object", ACT_MUTATING | ACT_CHECKABLE, 5 * MIN_MS, run_copy_snapshot, NULL, NULL,
	 check_copy_snapshot,
	  .result_shape = aws_result_elasticache_Snapshot, .result_shape_name = "elasticache Snapshot", .results = r_snap},
	{"elasticache.create_replication_group", "create a replication group, e.g. from a snapshot",
	 a_create_rg, RG, ACT_MUTATING | ACT_CHECKABLE, 15 * MIN_MS, run_create_rg, NULL, NULL, check_create_rg,
	  .result_shape = aws_result_elasticache_ReplicationGroup, .result_shape_name = "elasticache ReplicationGroup", .results = r_rg},
	{"elasticache.describe_replication_group", "describe a replication group with its primary endpoint",
	 a_describe_rg, RG " + PrimaryEndpoint {Address, Port}", ACT_IDEMPOTENT, 500, run_describe_rg, NULL,
	 NULL, NULL,
	  .result_shape = aws_result_elasticache_ReplicationGroup, .result_shape_name = "elasticache ReplicationGroup", .results = r_rg},
	{"elasticache.delete_replication_group", "delete a replication group (DeleteReplicationGroup)",
	 a_delete_rg, RG, ACT_MUTATING | ACT_CHECKABLE, 8 * MIN_MS, run_delete_rg, NULL, NULL, check_delete_rg,
	  .result_shape = aws_result_elasticache_ReplicationGroup, .result_shape_name = "elasticache ReplicationGroup", .results = r_rg},
	{NULL},
};
