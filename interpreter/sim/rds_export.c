/* rds_export.c — RDS snapshot exports to S3 (StartExportTask, DescribeExportTasks,
 * CancelExportTask), split from rds.c. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "simint.h"
#include "../core/dur.h"
#include "../core/jvx.h"

/* ------------------------------------------------------------------ export to S3 */

/* StartExportTask: a DB snapshot exported to S3 as Parquet. A task reads STARTING for
 * the first tenth of the `export` duration, IN_PROGRESS for the rest, then COMPLETE;
 * its objects land in the bucket when it completes (sim_rds_exports_land, called before
 * every request): PREFIX/ID/export_info_ID.json and one placeholder
 * DATABASE[/SCHEMA.TABLE]/part-00000.gz.parquet per database or table exported (the
 * Parquet contents are not simulated). Tasks of every region live in one list
 * ("_region"), since the buckets they write to are global. */

#define CANCEL_MS 60000   /* CANCELING lasts a minute, then CANCELED */

static int task_find(struct sim *s, const char *id)
{
	return sim_find(s->rds_export_tasks, "ExportTaskIdentifier", id);
}

/* an export task identifier as AWS accepts it: 1-60 letters, digits, hyphens, a letter
 * first, no hyphen last, no two in a row */
static int task_id_ok(const char *id)
{
	size_t n = strlen(id);
	if (n < 1 || n > 60 || !strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", id[0]) ||
	    id[n - 1] == '-' || strstr(id, "--"))
		return 0;
	return strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == n;
}

static jv task_view(jv t, int64_t now)
{
	char iso[40];
	const char *st = sim_status(t, now);
	jv v = jv_copy(t);
	v = jv_object_set(v, jv_string("Status"), jv_string(st ? st : "COMPLETE"));
	double done = jvx_num(t, "_done_at", 0), start = jvx_num(t, "_started", done);
	int pct = 0;
	if (st && !strcmp(st, "COMPLETE"))
		pct = 100;
	else if (st && !strcmp(st, "IN_PROGRESS") && done > start)   /* 0..99 until complete */
		pct = (int)(100.0 * (double)(now - (int64_t)start) / (done - start));
	else if (st && !strncmp(st, "CANCEL", 6))
		pct = (int)jvx_num(t, "_pct_at_cancel", 0);
	if (pct > 99 && (!st || strcmp(st, "COMPLETE")))
		pct = 99;
	v = jv_object_set(v, jv_string("PercentProgress"), jv_number(pct < 0 ? 0 : pct));
	if (st && (!strcmp(st, "COMPLETE") || !strcmp(st, "CANCELED"))) {
		v = jv_object_set(v, jv_string("TaskEndTime"), jv_string(sim_iso((int64_t)done, iso, sizeof(iso))));
		v = jv_object_set(v, jv_string("TotalExtractedDataInGB"), jv_number(0));
	}
	return v;
}

static void reply_task(struct sim_req *r, struct sim_resp *o, jv t)
{
	jv v = task_view(t, r->now);
	sim_q_begin(r, o);
	/* the ExportTask's fields are the result itself */
	SIM_OBJ_EACH(jv_copy(v), k, val) {
		if (jv_string_value(k)[0] != '_')
			sim_xml_jv(&o->body, jv_string_value(k), val);
		jv_free(k);
		jv_free(val);
	}
	sim_q_end(r, o);
	jv_free(v);
	jv_free(t);
}

int sim_rds_op_start_export(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	sim_rds_gc(s, r->now);
	const char *id = sim_q_need(r, o, "ExportTaskIdentifier");
	const char *arn = id ? sim_q_need(r, o, "SourceArn") : NULL;
	const char *bucket = arn ? sim_q_need(r, o, "S3BucketName") : NULL;
	const char *role = bucket ? sim_q_need(r, o, "IamRoleArn") : NULL;
	const char *kms = role ? sim_q_need(r, o, "KmsKeyId") : NULL;
	if (!kms)
		return 0;
	if (!task_id_ok(id))
		return sim_error(r, o, 400, "InvalidParameterValue",
				 "The parameter ExportTaskIdentifier is not a valid identifier: 1 to 60 letters, digits "
				 "or hyphens, starting with a letter, not ending with a hyphen nor containing two "
				 "consecutive hyphens.");
	if (task_find(s, id) >= 0)
		return sim_error(r, o, 400, "ExportTaskAlreadyExists",
				 "Cannot start export task because a task with the identifier %s already exists.", id);
	if (strncmp(role, "arn:aws:iam::", 13) || !strstr(role, ":role/"))
		return sim_error(r, o, 400, "InvalidParameterValue", "The IAM role ARN %s is not valid.", role);
	if (!strncmp(arn, "arn:", 4) && strstr(arn, ":cluster-snapshot:"))
		return sim_error(r, o, 404, "DBClusterSnapshotNotFoundFault", "DBClusterSnapshot %s not found.",
				 sim_rds_arn_name(arn, "cluster-snapshot"));
	if (!strncmp(arn, "arn:", 4) && strstr(arn, ":cluster:"))
		return sim_error(r, o, 404, "DBClusterNotFoundFault", "DBCluster %s not found.", sim_rds_arn_name(arn, "cluster"));
	const char *name = sim_rds_arn_name(arn, "snapshot");
	if (name == arn)
		return sim_error(r, o, 400, "InvalidParameterValue",
				 "The source ARN %s is not a valid DB snapshot ARN.", arn);
	/* the snapshot is in the region the request is answered in */
	char region[32];
	int sx = sim_rds_snap_find(s, name);
	if (sx < 0 || !sim_arn_region(arn, region, sizeof(region)) || strcmp(region, s->region))
		return sim_rds_not_found_snap(r, o, name);
	jv snap = sim_rds_get(s->rds_snapshots, sx);
	const char *st = sim_status(snap, r->now);
	if (!st || strcmp(st, "available")) {
		sim_error(r, o, 400, "InvalidExportSourceState",
			  "The snapshot %s is not in available state (it is %s).", name, st ? st : "unknown");
		jv_free(snap);
		return 0;
	}
	if (!sim_s3_bucket(s, bucket)) {
		sim_error(r, o, 400, "InvalidS3BucketFault",
			  "The S3 bucket %s doesn't exist (give the bucket's name only).", bucket);
		jv_free(snap);
		return 0;
	}
	char iso[40];
	const char *prefix = sim_q_str(r, "S3Prefix");
	jv t = jv_object();
	t = jv_object_set(t, jv_string("ExportTaskIdentifier"), jv_string(id));
	t = jv_object_set(t, jv_string("SourceArn"), jv_string(arn));
	jv only = sim_q_list(r, "ExportOnly");
	if (jv_array_length(jv_copy(only)) > 0)
		t = jv_object_set(t, jv_string("ExportOnly"), only);
	else
		jv_free(only);
	t = jv_object_set(t, jv_string("SnapshotTime"), jvx_get(snap, "SnapshotCreateTime"));
	t = jv_object_set(t, jv_string("TaskStartTime"), jv_string(sim_iso(r->now, iso, sizeof(iso))));
	t = jv_object_set(t, jv_string("S3Bucket"), jv_string(bucket));
	t = jv_object_set(t, jv_string("S3Prefix"), jv_string(prefix ? prefix : ""));
	t = jv_object_set(t, jv_string("IamRoleArn"), jv_string(role));
	t = jv_object_set(t, jv_string("KmsKeyId"), jv_string(kms));
	t = jv_object_set(t, jv_string("SourceType"), jv_string("SNAPSHOT"));
	t = jv_object_set(t, jv_string("_region"), jv_string(s->region));
	t = jv_object_set(t, jv_string("_db_name"),
			  jv_string(jvx_str(snap, "_db_name") ? jvx_str(snap, "_db_name") :
				    jvx_str(snap, "Engine") ? jvx_str(snap, "Engine") : "postgres"));
	t = jv_object_set(t, jv_string("_started"), jv_number((double)r->now));
	int64_t d = s->dur[DUR_EXPORT];
	t = sim_set_timeline(t, r->now, "COMPLETE", "STARTING", d / 10, "IN_PROGRESS", d - d / 10,
			     (const char *)NULL);
	jv_free(snap);
	s->rds_export_tasks = jv_array_append(s->rds_export_tasks, jv_copy(t));
	sim_rds_exports_land(s, r->now);   /* an export of duration 0s is there at once */
	reply_task(r, o, t);
	return 0;
}

int sim_rds_op_describe_exports(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	const char *id = sim_q_str(r, "ExportTaskIdentifier");
	const char *arn = sim_q_str(r, "SourceArn");
	const char *type = sim_q_str(r, "SourceType");
	int tx = id ? task_find(s, id) : -1;
	if (id && tx >= 0) {
		jv t = sim_rds_get(s->rds_export_tasks, tx);
		const char *tr = jvx_str(t, "_region");
		if (!tr || strcmp(tr, s->region))
			tx = -1;
		jv_free(t);
	}
	if (id && tx < 0)
		return sim_error(r, o, 404, "ExportTaskNotFound", "Cannot find export task with ID %s.", id);
	sim_q_begin(r, o);
	berr |= buf_adds(&o->body, "<ExportTasks>");
	SIM_EACH(jv_copy(s->rds_export_tasks), i, t) {
		const char *tid = jvx_str(t, "ExportTaskIdentifier"), *ta = jvx_str(t, "SourceArn");
		const char *tr = jvx_str(t, "_region"), *tt = jvx_str(t, "SourceType");
		if (tr && !strcmp(tr, s->region) && (!id || !strcmp(tid, id)) && (!arn || !strcmp(ta, arn)) &&
		    (!type || !strcmp(tt, type))) {
			jv v = task_view(t, r->now);
			sim_xml_jv(&o->body, "ExportTask", v);
			jv_free(v);
		}
		jv_free(t);
	}
	berr |= buf_adds(&o->body, "</ExportTasks>");
	BUF_NOCAP(berr);
	sim_q_end(r, o);
	return 0;
}

int sim_rds_op_cancel_export(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	const char *id = sim_q_need(r, o, "ExportTaskIdentifier");
	if (!id)
		return 0;
	int tx = task_find(s, id);
	jv t = tx >= 0 ? sim_rds_get(s->rds_export_tasks, tx) : jv_null();
	const char *tr = jvx_str(t, "_region");
	if (tx < 0 || !tr || strcmp(tr, s->region)) {
		jv_free(t);
		return sim_error(r, o, 404, "ExportTaskNotFound", "Cannot find export task with ID %s.", id);
	}
	const char *st = sim_status(t, r->now);
	if (!st || (strcmp(st, "STARTING") && strcmp(st, "IN_PROGRESS"))) {
		sim_error(r, o, 400, "InvalidExportTaskStateFault",
			  "Cannot cancel export task %s because it is in %s state.", id, st ? st : "unknown");
		jv_free(t);
		return 0;
	}
	jv v = task_view(t, r->now);
	t = jv_object_set(t, jv_string("_pct_at_cancel"), jv_number(jvx_num(v, "PercentProgress", 0)));
	jv_free(v);
	t = sim_set_timeline(t, r->now, "CANCELED", "CANCELING", (int64_t)CANCEL_MS, (const char *)NULL);
	s->rds_export_tasks = jv_array_set(s->rds_export_tasks, tx, jv_copy(t));
	reply_task(r, o, t);
	return 0;
}

/* KEY = PREFIX/ID/REST, one slash between the prefix and the task's folder */
static int export_key(struct buf *key, jv t, const char *rest)
{
	const char *p = jvx_str(t, "S3Prefix");
	size_t pl = p ? strlen(p) : 0;
	buf_reset(key);
	return buf_addf(key, "%s%s%s/%s", pl ? p : "", pl && p[pl - 1] != '/' ? "/" : "",
			jvx_str(t, "ExportTaskIdentifier"), rest);
}

/* the objects of one completed export */
static void export_write(struct sim *s, struct s3_bucket *b, jv t, int64_t at)
{
	int berr = 0;
	const char *id = jvx_str(t, "ExportTaskIdentifier");
	struct buf key = BUF_INIT(0), body = BUF_INIT(0), rest = BUF_INIT(0);
	jv info = jv_object();
	SIM_OBJ_EACH(jv_copy(t), k, v) {
		if (jv_string_value(k)[0] != '_')
			info = jv_object_set(info, k, v);
		else {
			jv_free(k);
			jv_free(v);
		}
	}
	info = jv_object_set(info, jv_string("Status"), jv_string("COMPLETE"));
	info = jv_object_set(info, jv_string("PercentProgress"), jv_number(100));
	info = jv_object_set(info, jv_string("Simulated"), jv_true());
	char *text = jvx_dump(info);
	berr |= buf_addf(&rest, "export_info_%s.json", id);
	berr |= export_key(&key, t, buf_str(&rest));
	BUF_NOCAP(berr);
	sim_s3_put(s, b, buf_str(&key), text, strlen(text), "application/json", 0, NULL, at);
	free(text);
	/* one Parquet object per database (or per ExportOnly entry: DATABASE[.SCHEMA[.TABLE]]) */
	jv only = jv_object_get(jv_copy(t), jv_string("ExportOnly"));
	if (jv_get_kind(only) != JV_KIND_ARRAY) {
		jv_free(only);
		only = JV_ARRAY(jvx_get(t, "_db_name"));
	}
	SIM_EACH(only, i, e) {
		const char *ev = jv_string_value(e), *dot = strchr(ev, '.');
		buf_reset(&rest);
		buf_reset(&body);
		if (dot)
			berr |= buf_addf(&rest, "%.*s/%s/part-00000.gz.parquet", (int)(dot - ev), ev, dot + 1);
		else
			berr |= buf_addf(&rest, "%s/part-00000.gz.parquet", ev);
		berr |= buf_addf(&body, "PAR1 simulated export %s of %s: %s (not Parquet data) PAR1", id,
				 jvx_str(t, "SourceArn"), ev);
		berr |= export_key(&key, t, buf_str(&rest));
		BUF_NOCAP(berr);
		sim_s3_put(s, b, buf_str(&key), buf_str(&body), body.len, "application/octet-stream", 0, NULL, at);
		jv_free(e);
	}
	buf_release(&key);
	buf_release(&body);
	buf_release(&rest);
}

void sim_rds_exports_land(struct sim *s, int64_t now)
{
	if (jv_get_kind(s->rds_export_tasks) != JV_KIND_ARRAY)
		return;
	SIM_EACH(jv_copy(s->rds_export_tasks), i, t) {
		const char *st = sim_status(t, now);
		if (st && !strcmp(st, "COMPLETE") && !jvx_bool(t, "_landed", 0)) {
			/* a bucket deleted meanwhile gets nothing (AWS would fail the task) */
			struct s3_bucket *b = sim_s3_bucket(s, jvx_str(t, "S3Bucket"));
			int64_t at = (int64_t)jvx_num(t, "_done_at", (double)now);
			if (b)
				export_write(s, b, t, at);
			s->rds_export_tasks = jv_array_set(s->rds_export_tasks, i,
				jv_object_set(jv_copy(t), jv_string("_landed"), jv_true()));
		}
		jv_free(t);
	}
}
