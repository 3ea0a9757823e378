/* k8s_backup.c — k8s.backup: objects exported without server-set fields to a private
 * folder (0700, files 0600) for a rollback. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "k8s_actions.h"
#include "../../core/buf.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"

/* ------------------------------------------------------------------ backup */

/* what a restore must not carry back: server-set fields */
static jv strip(jv obj)
{
	static const char *const meta_fields[] = { "managedFields", "resourceVersion", "uid", "creationTimestamp",
						   "generation", "selfLink", "deletionTimestamp", NULL };
	jv meta = jvx_get(obj, "metadata");
	for (const char *const *f = meta_fields; *f; f++)
		meta = jv_object_delete(meta, jv_string(*f));
	jv ann = jvx_get(meta, "annotations");
	if (jv_get_kind(ann) == JV_KIND_OBJECT) {
		ann = jv_object_delete(ann, jv_string("kubectl.kubernetes.io/last-applied-configuration"));
		ann = jv_object_delete(ann, jv_string("deployment.kubernetes.io/revision"));
		meta = jv_object_length(jv_copy(ann)) ? jv_object_set(meta, jv_string("annotations"), ann)
						     : (jv_free(ann), jv_object_delete(meta, jv_string("annotations")));
	} else {
		jv_free(ann);
	}
	obj = jv_object_set(obj, jv_string("metadata"), meta);
	return jv_object_delete(obj, jv_string("status"));
}

/* Backups hold Secret data: the folder is ours alone. Parents are created 0700 as
 * needed; the folder itself is created 0700, or, when it exists, must be a real
 * directory (not a symlink) owned by us with no group or other access. The returned
 * descriptor is the one the files are created through (openat), so the folder checked
 * is the folder written. -1 with *out set. */
static int backup_dir_open(const char *dir, jv *out)
{
	char tmp[4096];
	struct stat st;
	int fd;
	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp) || !*dir) {
		*out = jvx_error("BadArgs", "backup folder '%s' is not a usable path", dir);
		return -1;
	}
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/' && p[1]) {
			*p = 0;
			if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
				goto fail;
			*p = '/';
		}
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		goto fail;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR) {
			*out = jvx_error("BadArgs", "backup folder '%s' is a symlink or not a folder: refused", dir);
			return -1;
		}
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		close(fd);
		goto fail;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 077)) {
		*out = jvx_error("BadArgs", "backup folder '%s' exists with owner uid %ld and mode %04o: refused "
				 "(it would hold Secret data; give a new folder, or one of yours with mode 0700)",
				 dir, (long)st.st_uid, (unsigned)(st.st_mode & 07777));
		close(fd);
		return -1;
	}
	return fd;
fail:
	*out = jvx_error("BadArgs", "cannot create '%s': %s", dir, strerror(errno));
	return -1;
}

/* 0600, created here: never through a symlink, never into a file someone else made
 * (an earlier attempt of this step left one: replaced) */
static int backup_write(int dfd, const char *name, const char *text)
{
	int fd = -1;
	for (int tries = 0; fd < 0 && tries < 2; tries++) {
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 && (errno != EEXIST || unlinkat(dfd, name, 0) < 0))
			return -1;
	}
	if (fd < 0)
		return -1;
	size_t len = strlen(text), off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)w;
	}
	if (write(fd, "\n", 1) != 1) {
		close(fd);
		return -1;
	}
	return close(fd);
}

/* k8s-backup-STEP in the run's folder (a `uses:` step's qualified id: / becomes -) */
static char *default_backup_dir(struct action_call *call)
{
	if (!call->work_dir)
		return NULL;
	struct buf b = BUF_INIT(0);
	if (buf_addf(&b, "%s/k8s-backup-%s", call->work_dir, call->step_id ? call->step_id : "step") < 0)
		BUG("uncapped buffer refused an add");
	for (char *p = b.data + strlen(call->work_dir) + 1; *p; p++)
		if (*p == '/')
			*p = '-';
	return buf_detach(&b);
}

int k8s_backup(struct action_call *call, jv args, jv *out)
{
	struct k8s_call k;
	int rc = -1;
	jv files = jv_array();
	char *dir = jvx_str(args, "dir") ? xstrdup(jvx_str(args, "dir")) : default_backup_dir(call);
	jv only = jvx_get(args, "names");
	int dfd = -1;
	if (k8s_call_open(&k, call, args, out) < 0)
		goto done;
	if (!dir) {
		*out = jvx_error("BadArgs", "k8s.backup needs dir: here (no run folder to keep the backup in)");
		goto done;
	}
	if ((dfd = backup_dir_open(dir, out)) < 0)
		goto done;
	jv kinds = jvx_get(args, "kinds");
	int failed = 0;
	jv_array_foreach(kinds, i, kv) {
		char *path = NULL;
		const char *kind = jv_get_kind(kv) == JV_KIND_STRING ? jv_string_value(kv) : "";
		if (failed || k8s_path(call, &k.conn, NULL, kind, k8s_arg(&k, "namespace"), NULL, &path, out) < 0) {
			failed = 1;
			jv_free(kv);
			continue;
		}
		jv q = jv_object();
		if (k8s_arg(&k, "label_selector"))
			q = jv_object_set(q, jv_string("labelSelector"), jv_string(k8s_arg(&k, "label_selector")));
		jv list;
		if (k8s_request(call, &k.conn, "GET", path, q, NULL, jv_invalid(), &list) < 0) {
			*out = list;
			failed = 1;
			free(path);
			jv_free(kv);
			continue;
		}
		free(path);
		jv items = jvx_get(list, "items");
		jv_free(list);
		jv_array_foreach(items, j, it) {
			jv meta = jvx_get(it, "metadata");
			const char *name = jvx_str(meta, "name"), *ns = jvx_str(meta, "namespace");
			int wanted = jv_get_kind(only) != JV_KIND_ARRAY;
			if (!wanted && name) {
				jv_array_foreach(only, n, nm) {
					if (jv_get_kind(nm) == JV_KIND_STRING && !strcmp(jv_string_value(nm), name))
						wanted = 1;
					jv_free(nm);
				}
			}
			if (wanted && name && !failed) {
				jv obj = strip(jv_copy(it));
				/* lists leave kind/apiVersion out of their items; a backup needs them */
				if (!jvx_has(obj, "kind"))
					obj = jv_object_set(obj, jv_string("kind"), jv_string(kind));
				k8s_taint_secret(call, obj);
				char base[1024], file[4096];
				snprintf(base, sizeof(base), "%s.%s.%s.json", ns ? ns : "_cluster", kind, name);
				snprintf(file, sizeof(file), "%s/%s", dir, base);
				char *text = jvx_dump(jv_copy(obj));
				if (strchr(base, '/') || base[0] == '.') {
					*out = jvx_error("BadArgs", "object name '%s' cannot be a file name", name);
					failed = 1;
				} else if (backup_write(dfd, base, text) < 0) {
					*out = jvx_error("IOError", "cannot write '%s': %s", file, strerror(errno));
					failed = 1;
				} else {
					files = jv_array_append(files, jv_string(file));
				}
				free(text);
				jv_free(obj);
			}
			jv_free(meta);
			jv_free(it);
		}
		jv_free(items);
		jv_free(kv);
	}
	jv_free(kinds);
	if (!failed) {
		*out = jv_object();
		*out = jv_object_set(*out, jv_string("dir"), jv_string(dir));
		*out = jv_object_set(*out, jv_string("count"), jv_number(jv_array_length(jv_copy(files))));
		*out = jv_object_set(*out, jv_string("files"), files);
		files = jv_invalid();
		rc = 0;
	}
done:
	if (dfd >= 0)
		close(dfd);
	free(dir);
	jv_free(files);
	jv_free(only);
	k8s_conn_release(&k.conn);
	jv_free(args);
	return rc;
}
