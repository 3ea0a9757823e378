/* elasticache.c — simulated ElastiCache for Redis (Query protocol, API 2015-02-02):
 * replication groups (creating -> available; snapshotting; deleting) and snapshots
 * (creating/copying -> available; deleting), computed lazily from timestamps.
 */
#include <stdlib.h>
#include <string.h>
#include "simint.h"
#include "../core/jvx.h"

jv sim_ec_group_new(struct sim *s, const char *id, const char *desc, const char *node_type,
		    const char *engine_version, int nclusters, jv endpoint, int tls, int64_t created);

static void gc(struct sim *s, int64_t now)
{
	s->ec_groups = sim_gc(s->ec_groups, now);
	s->ec_snapshots = sim_gc(s->ec_snapshots, now);
}

static int group_find(struct sim *s, const char *id)
{
	return sim_find(s->ec_groups, "ReplicationGroupId", id);
}

static int snap_find(struct sim *s, const char *name)
{
	return sim_find(s->ec_snapshots, "SnapshotName", name);
}

static int group_not_found(struct sim_req *r, struct sim_resp *o, const char *id)
{
	return sim_error(r, o, 404, "ReplicationGroupNotFoundFault", "Replication group %s not found.", id);
}

static int snap_not_found(struct sim_req *r, struct sim_resp *o, const char *name)
{
	return sim_error(r, o, 404, "SnapshotNotFoundFault", "Snapshot %s not found.", name);
}

static jv group_view(jv g, int64_t now)
{
	const char *st = sim_status(g, now);
	jv v = jv_copy(g);
	v = jv_object_set(v, jv_string("Status"), jv_string(st ? st : "available"));
	jv ngs = jv_array();
	SIM_EACH(jv_object_get(jv_copy(g), jv_string("NodeGroups")), i, ng) {
		ng = jv_object_set(ng, jv_string("Status"),
				   jv_string(st && !strcmp(st, "snapshotting") ? "available" : st ? st : "available"));
		if (st && !strcmp(st, "creating")) {   /* no endpoints until the nodes exist */
			ng = jv_object_delete(ng, jv_string("PrimaryEndpoint"));
			ng = jv_object_delete(ng, jv_string("ReaderEndpoint"));
		}
		ngs = jv_array_append(ngs, ng);
	}
	v = jv_object_set(v, jv_string("NodeGroups"), ngs);
	if (st && !strcmp(st, "snapshotting")) {
		jv m = jv_object_get(jv_copy(g), jv_string("MemberClusters"));
		v = jv_object_set(v, jv_string("SnapshottingClusterId"), jv_array_get(m, 0));
	}
	return v;
}

static jv snap_view(jv sn, int64_t now)
{
	const char *st = sim_status(sn, now);
	return jv_object_set(jv_copy(sn), jv_string("SnapshotStatus"), jv_string(st ? st : "available"));
}

static void reply(struct sim_req *r, struct sim_resp *o, const char *name, jv v)
{
	sim_q_begin(r, o);
	sim_xml_jv(&o->body, name, v);
	jv_free(v);
	sim_q_end(r, o);
}

static int op_describe_groups(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	gc(s, r->now);
	const char *id = sim_q_str(r, "ReplicationGroupId");
	if (id && group_find(s, id) < 0)
		return group_not_found(r, o, id);
	sim_q_begin(r, o);
	berr |= buf_adds(&o->body, "<ReplicationGroups>");
	SIM_EACH(jv_copy(s->ec_groups), i, g) {
		if (!id || !strcmp(jvx_str(g, "ReplicationGroupId"), id)) {
			jv v = group_view(g, r->now);
			sim_xml_jv(&o->body, "ReplicationGroup", v);
			jv_free(v);
		}
		jv_free(g);
	}
	berr |= buf_adds(&o->body, "</ReplicationGroups>");
	BUF_NOCAP(berr);
	sim_q_end(r, o);
	return 0;
}

static int op_describe_snapshots(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	gc(s, r->now);
	const char *name = sim_q_str(r, "SnapshotName");
	const char *rg = sim_q_str(r, "ReplicationGroupId");
	const char *src = sim_q_str(r, "SnapshotSource");
	const char *cc = sim_q_str(r, "CacheClusterId");
	/* the filter says user|system; the snapshots say manual|automated */
	if (src && !strcmp(src, "user"))
		src = "manual";
	else if (src && !strcmp(src, "system"))
		src = "automated";
	else if (src)
		return sim_error(r, o, 400, "InvalidParameterValue",
				 "Invalid value for SnapshotSource: %s (user or system).", src);
	if (name && snap_find(s, name) < 0)
		return snap_not_found(r, o, name);
	if (rg && group_find(s, rg) < 0)
		return group_not_found(r, o, rg);
	sim_q_begin(r, o);
	berr |= buf_adds(&o->body, "<Snapshots>");
	SIM_EACH(jv_copy(s->ec_snapshots), i, sn) {
		const char *sg = jvx_str(sn, "ReplicationGroupId"), *ss = jvx_str(sn, "SnapshotSource");
		int cc_ok = 1;
		if (cc) {   /* a member cluster "GROUP-00N" belongs to GROUP */
			size_t gl = sg ? strlen(sg) : 0;
			cc_ok = sg && !strncmp(cc, sg, gl) && cc[gl] == '-';
		}
		if ((!name || !strcmp(jvx_str(sn, "SnapshotName"), name)) && (!rg || (sg && !strcmp(sg, rg))) &&
		    (!src || (ss && !strcmp(ss, src))) && cc_ok) {
			jv v = snap_view(sn, r->now);
			sim_xml_jv(&o->body, "Snapshot", v);
			jv_free(v);
		}
		jv_free(sn);
	}
	berr |= buf_adds(&o->body, "</Snapshots>");
	BUF_NOCAP(berr);
	sim_q_end(r, o);
	return 0;
}

static jv snapshot_of(struct sim *s, struct sim_req *r, jv g, const char *name, const char *source)
{
	char arn[512], iso[40];
	snprintf(arn, sizeof(arn), "arn:aws:elasticache:%s:%s:snapshot:%s", s->region, s->account, name);
	jv o = jv_object();
	o = jv_object_set(o, jv_string("SnapshotName"), jv_string(name));
	o = jv_object_set(o, jv_string("ReplicationGroupId"), jvx_get(g, "ReplicationGroupId"));
	o = jv_object_set(o, jv_string("ReplicationGroupDescription"), jvx_get(g, "Description"));
	o = jv_object_set(o, jv_string("SnapshotSource"), jv_string(source));
	o = jv_object_set(o, jv_string("CacheNodeType"), jvx_get(g, "CacheNodeType"));
	o = jv_object_set(o, jv_string("Engine"), jv_string("redis"));
	o = jv_object_set(o, jv_string("EngineVersion"), jvx_get(g, "_engine_version"));
	o = jv_object_set(o, jv_string("Port"), jv_number(6379));
	o = jv_object_set(o, jv_string("SnapshotRetentionLimit"), jv_number(7));
	o = jv_object_set(o, jv_string("NumNodeGroups"), jv_number(1));
	o = jv_object_set(o, jv_string("AutomaticFailover"), jvx_get(g, "AutomaticFailover"));
	o = jv_object_set(o, jv_string("NodeSnapshots"),
			  JV_ARRAY(JV_OBJECT(jv_string("NodeGroupId"), jv_string("0001"),
					     jv_string("CacheSize"), jv_string("512 MB"),
					     jv_string("SnapshotCreateTime"),
					     jv_string(sim_iso(r->now, iso, sizeof(iso))))));
	o = jv_object_set(o, jv_string("ARN"), jv_string(arn));
	return o;
}

static int op_create_snapshot(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	gc(s, r->now);
	const char *name = sim_q_need(r, o, "SnapshotName");
	if (!name)
		return 0;
	const char *rg = sim_q_str(r, "ReplicationGroupId");
	const char *cc = sim_q_str(r, "CacheClusterId");
	int gx = -1;
	if (rg) {
		gx = group_find(s, rg);
		if (gx < 0)
			return group_not_found(r, o, rg);
	} else if (cc) {
		SIM_EACH(jv_copy(s->ec_groups), i, g) {
			SIM_EACH(jv_object_get(jv_copy(g), jv_string("MemberClusters")), k, m) {
				if (gx < 0 && !strcmp(jv_string_value(m), cc))
					gx = i;
				jv_free(m);
			}
			jv_free(g);
		}
		if (gx < 0)
			return sim_error(r, o, 404, "CacheClusterNotFound", "Cache cluster %s not found.", cc);
	} else {
		return sim_error(r, o, 400, "InvalidParameterCombination",
				 "Either ReplicationGroupId or CacheClusterId must be specified.");
	}
	if (snap_find(s, name) >= 0)
		return sim_error(r, o, 400, "SnapshotAlreadyExistsFault", "Snapshot %s already exists.", name);
	jv g = jv_array_get(jv_copy(s->ec_groups), gx);
	const char *st = sim_status(g, r->now);
	/* as on AWS: a group that failed to create can be deleted, one still creating not */
	if (!st || (strcmp(st, "available") && strcmp(st, "create-failed"))) {
		sim_error(r, o, 400, "InvalidReplicationGroupState",
			  "Replication group %s is not in available state (it is %s).",
			  jvx_str(g, "ReplicationGroupId"), st ? st : "unknown");
		jv_free(g);
		return 0;
	}
	int64_t d = s->dur[DUR_CACHE_SNAPSHOT];
	jv sn = snapshot_of(s, r, g, name, "manual");
	if (cc)
		sn = jv_object_set(sn, jv_string("CacheClusterId"), jv_string(cc));
	sn = sim_set_timeline(sn, r->now, "available", "creating", d, (const char *)NULL);
	g = sim_set_timeline(g, r->now, "available", "snapshotting", d, (const char *)NULL);
	s->ec_groups = jv_array_set(s->ec_groups, gx, g);
	s->ec_snapshots = jv_array_append(s->ec_snapshots, jv_copy(sn));
	reply(r, o, "Snapshot", snap_view(sn, r->now));
	jv_free(sn);
	return 0;
}

/* an S3 bucket name as AWS accepts it: 3-63 of [a-z0-9.-], no "s3://" or path */
static int bucket_name_ok(const char *b)
{
	size_t n = strlen(b);
	if (n < 3 || n > 63)
		return 0;
	return strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789.-") == n;
}

/* CopySnapshot with TargetBucket: the export to S3. As on AWS, no cache snapshot is made:
 * one .rdb object per node group, "<TargetSnapshotName>-0001.rdb", lands in the bucket and
 * the source snapshot reads "exporting" meanwhile. Consumes sn. */
static int export_snapshot(struct sim *s, struct sim_req *r, struct sim_resp *o, int sx, jv sn,
			   const char *dst, const char *bucket)
{
	struct s3_bucket *b = sim_s3_bucket(s, bucket);
	if (!bucket_name_ok(bucket))
		sim_error(r, o, 400, "InvalidParameterValue",
			  "The S3 bucket name %s is not valid: give the bucket's name only.", bucket);
	else if (!b)
		sim_error(r, o, 400, "InvalidParameterValue",
			  "The S3 bucket %s doesn't exist or ElastiCache cannot access it.", bucket);
	if (!bucket_name_ok(bucket) || !b) {
		jv_free(sn);
		return 0;
	}
	struct buf key = BUF_INIT(0), body = BUF_INIT(0);
	/* an RDB file's header and the snapshot it came from (contents are not simulated) */
	if (buf_addf(&key, "%s-0001.rdb", dst) < 0 ||
	    buf_addf(&body, "REDIS0011 simulated export of %s\n", jvx_str(sn, "SnapshotName")) < 0) {
		sim_error(r, o, 500, "InternalFailure", "out of memory");
		goto out;
	}
	sim_s3_put(s, b, buf_str(&key), buf_str(&body), body.len, "application/octet-stream", 0, NULL, r->now);
	sn = sim_set_timeline(sn, r->now, "available", "exporting", s->dur[DUR_CACHE_SNAPSHOT],
			      (const char *)NULL);
	s->ec_snapshots = jv_array_set(s->ec_snapshots, sx, jv_copy(sn));
	reply(r, o, "Snapshot", snap_view(sn, r->now));
out:
	buf_release(&key);
	buf_release(&body);
	jv_free(sn);
	return 0;
}

static int op_copy_snapshot(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	gc(s, r->now);
	const char *src = sim_q_need(r, o, "SourceSnapshotName");
	const char *dst = src ? sim_q_need(r, o, "TargetSnapshotName") : NULL;
	if (!src || !dst)
		return 0;
	int sx = snap_find(s, src);
	if (sx < 0)
		return snap_not_found(r, o, src);
	const char *bucket = sim_q_str(r, "TargetBucket");
	if (!bucket && snap_find(s, dst) >= 0)
		return sim_error(r, o, 400, "SnapshotAlreadyExistsFault", "Snapshot %s already exists.", dst);
	jv sn = jv_array_get(jv_copy(s->ec_snapshots), sx);
	const char *st = sim_status(sn, r->now);
	if (!st || strcmp(st, "available")) {
		sim_error(r, o, 400, "InvalidSnapshotState", "Snapshot %s is not in available state (it is %s).",
			  src, st ? st : "unknown");
		jv_free(sn);
		return 0;
	}
	if (bucket)
		return export_snapshot(s, r, o, sx, sn, dst, bucket);
	char arn[512];
	snprintf(arn, sizeof(arn), "arn:aws:elasticache:%s:%s:snapshot:%s", s->region, s->account, dst);
	jv c = jv_object_set(sn, jv_string("SnapshotName"), jv_string(dst));
	c = jv_object_set(c, jv_string("ARN"), jv_string(arn));
	c = jv_object_set(c, jv_string("SnapshotSource"), jv_string("manual"));
	c = jv_object_delete(c, jv_string("_gone_at"));
	c = sim_set_timeline(c, r->now, "available", "copying", s->dur[DUR_CACHE_SNAPSHOT], (const char *)NULL);
	s->ec_snapshots = jv_array_append(s->ec_snapshots, jv_copy(c));
	reply(r, o, "Snapshot", snap_view(c, r->now));
	jv_free(c);
	return 0;
}

static int op_delete_snapshot(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	gc(s, r->now);
	const char *name = sim_q_need(r, o, "SnapshotName");
	if (!name)
		return 0;
	int sx = snap_find(s, name);
	if (sx < 0)
		return snap_not_found(r, o, name);
	jv sn = jv_array_get(jv_copy(s->ec_snapshots), sx);
	const char *st = sim_status(sn, r->now);
	if (!st || strcmp(st, "available")) {
		sim_error(r, o, 400, "InvalidSnapshotState", "Snapshot %s is not in available state (it is %s).",
			  name, st ? st : "unknown");
		jv_free(sn);
		return 0;
	}
	sn = sim_set_timeline(sn, r->now, "deleted", "deleting", (int64_t)60000, (const char *)NULL);
	sn = jv_object_set(sn, jv_string("_gone_at"), jv_number((double)(r->now + 60000)));
	s->ec_snapshots = jv_array_set(s->ec_snapshots, sx, jv_copy(sn));
	reply(r, o, "Snapshot", snap_view(sn, r->now));
	jv_free(sn);
	return 0;
}

static int op_create_group(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	gc(s, r->now);
	const char *id = sim_q_need(r, o, "ReplicationGroupId");
	const char *desc = id ? sim_q_need(r, o, "ReplicationGroupDescription") : NULL;
	if (!id || !desc)
		return 0;
	if (group_find(s, id) >= 0)
		return sim_error(r, o, 400, "ReplicationGroupAlreadyExists", "Replication group %s already exists.", id);
	const char *snapname = sim_q_str(r, "SnapshotName");
	jv sn = jv_null();
	if (snapname) {
		int sx = snap_find(s, snapname);
		if (sx < 0)
			return snap_not_found(r, o, snapname);
		sn = jv_array_get(jv_copy(s->ec_snapshots), sx);
		const char *st = sim_status(sn, r->now);
		if (!st || strcmp(st, "available")) {
			sim_error(r, o, 400, "InvalidSnapshotState",
				  "Snapshot %s is not in available state (it is %s).", snapname, st ? st : "unknown");
			jv_free(sn);
			return 0;
		}
	}
	const char *node = sim_q_str(r, "CacheNodeType");
	const char *ver = sim_q_str(r, "EngineVersion");
	int n = sim_q_str(r, "NumCacheClusters") ? atoi(sim_q_str(r, "NumCacheClusters")) :
		sim_q_str(r, "ReplicasPerNodeGroup") ? atoi(sim_q_str(r, "ReplicasPerNodeGroup")) + 1 : 1;
	if (n < 1 || n > 6)
		n = 1;
	jv ep = sim_endpoint_for(s->new_cache_endpoint, id, "", 6379);
	if (sim_q_str(r, "Port"))
		ep = jv_object_set(ep, jv_string("Port"), jv_number(atoi(sim_q_str(r, "Port"))));
	jv g = sim_ec_group_new(s, id, desc,
				node ? node : jvx_str(sn, "CacheNodeType") ? jvx_str(sn, "CacheNodeType") : "cache.r6g.large",
				ver ? ver : jvx_str(sn, "EngineVersion") ? jvx_str(sn, "EngineVersion") : "7.0",
				n, ep, sim_q_bool(r, "TransitEncryptionEnabled", 0), r->now);
	if (sim_q_str(r, "AtRestEncryptionEnabled"))
		g = jv_object_set(g, jv_string("AtRestEncryptionEnabled"),
				  jv_bool(sim_q_bool(r, "AtRestEncryptionEnabled", 0)));
	if (snapname)
		g = jv_object_set(g, jv_string("_restored_from"), jv_string(snapname));
	g = sim_set_timeline(g, r->now, "available", "creating", s->dur[DUR_REPLICATION_GROUP],
			     (const char *)NULL);
	jv_free(sn);
	s->ec_groups = jv_array_append(s->ec_groups, jv_copy(g));
	reply(r, o, "ReplicationGroup", group_view(g, r->now));
	jv_free(g);
	return 0;
}

static int op_delete_group(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	gc(s, r->now);
	const char *id = sim_q_need(r, o, "ReplicationGroupId");
	if (!id)
		return 0;
	int gx = group_find(s, id);
	if (gx < 0)
		return group_not_found(r, o, id);
	jv g = jv_array_get(jv_copy(s->ec_groups), gx);
	const char *st = sim_status(g, r->now);
	/* as on AWS: a group that failed to create can be deleted, one still creating not */
	if (!st || (strcmp(st, "available") && strcmp(st, "create-failed"))) {
		sim_error(r, o, 400, "InvalidReplicationGroupState",
			  "Replication group %s is not in available state (it is %s).", id, st ? st : "unknown");
		jv_free(g);
		return 0;
	}
	const char *final = sim_q_str(r, "FinalSnapshotIdentifier");
	if (final) {
		if (snap_find(s, final) >= 0) {
			jv_free(g);
			return sim_error(r, o, 400, "SnapshotAlreadyExistsFault", "Snapshot %s already exists.", final);
		}
		jv sn = snapshot_of(s, r, g, final, "manual");
		sn = sim_set_timeline(sn, r->now, "available", "creating", s->dur[DUR_REPLICATION_GROUP_DELETE],
				      (const char *)NULL);
		s->ec_snapshots = jv_array_append(s->ec_snapshots, sn);
	}
	int64_t d = s->dur[DUR_REPLICATION_GROUP_DELETE];
	g = sim_set_timeline(g, r->now, "deleted", "deleting", d, (const char *)NULL);
	g = jv_object_set(g, jv_string("_gone_at"), jv_number((double)(r->now + d)));
	s->ec_groups = jv_array_set(s->ec_groups, gx, jv_copy(g));
	reply(r, o, "ReplicationGroup", group_view(g, r->now));
	jv_free(g);
	return 0;
}

const struct sim_op sim_elasticache_ops[] = {
	{ "DescribeReplicationGroups", 0, op_describe_groups },
	{ "DescribeSnapshots", 0, op_describe_snapshots },
	{ "CreateSnapshot", 1, op_create_snapshot },
	{ "CopySnapshot", 1, op_copy_snapshot },
	{ "DeleteSnapshot", 1, op_delete_snapshot },
	{ "CreateReplicationGroup", 1, op_create_group },
	{ "DeleteReplicationGroup", 1, op_delete_group },
	{ NULL, 0, NULL },
};
