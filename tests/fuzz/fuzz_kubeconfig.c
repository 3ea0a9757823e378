/* fuzz_kubeconfig.c — kubeconfig bytes -> k8s_conn_load (modules/k8s/kubeconfig.c):
 * YAML, contexts, clusters, users, base64 *-data fields, files relative to the
 * kubeconfig's folder, token and tokenFile.
 *
 * Inputs with an exec plugin are skipped (the fuzzer would run whatever command it
 * made up), and so are file names with a '/' (a fifo or /dev/stdin would block): files
 * are looked up in a private folder holding ca.pem and token. */
#include "fuzz.h"
#include "core/action.h"
#include "core/redact.h"
#include "core/yamljv.h"
#include "modules/k8s/k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const file_keys[] = {
	"certificate-authority", "client-certificate", "client-key", "tokenFile", NULL,
};

/* 1 if v (borrowed) holds an exec plugin or a file name that leaves the private folder,
 * or is too big to tell (aliases share values: a bomb would take forever to walk) */
static int unsafe(jv v, long *budget)
{
	int bad = --*budget < 0;
	if (bad)
		return 1;
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		jv_array_foreach(v, i, e) {
			bad = bad || unsafe(e, budget);
			jv_free(e);
		}
	} else if (jv_get_kind(v) == JV_KIND_OBJECT) {
		jv_object_foreach(v, k, e) {
			const char *key = jv_string_value(k);
			if (!strcmp(key, "exec"))
				bad = 1;
			for (int i = 0; file_keys[i]; i++)
				if (!strcmp(key, file_keys[i]) && jv_get_kind(e) == JV_KIND_STRING &&
				    strchr(jv_string_value(e), '/'))
					bad = 1;
			bad = bad || unsafe(e, budget);
			jv_free(k);
			jv_free(e);
		}
	}
	return bad;
}

static char dir[256];

static int setup(void)
{
	const char *t = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/runbook-fuzz-kc-XXXXXX", t && *t ? t : "/tmp");
	if (!mkdtemp(dir) || chdir(dir) < 0)
		return -1;
	FILE *f = fopen("ca.pem", "w");
	if (!f)
		return -1;
	fputs("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n", f);
	fclose(f);
	if (!(f = fopen("token", "w")))
		return -1;
	fputs("tok-from-file\n", f);
	fclose(f);
	unsetenv("KUBECONFIG");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[300];
	if (!dir[0]) {
		if (setup() < 0)
			abort();
		snprintf(path, sizeof(path), "%s/kubeconfig", dir);
	}
	if (size > (1u << 20))
		return -1;
	jv doc = yamljv_parse((const char *)data, size, 0);
	long budget = 100000;
	int skip = jv_is_valid(doc) && unsafe(doc, &budget);
	jv_free(doc);
	if (skip)
		return -1;
	if (fuzz_write(path, data, size) < 0)
		abort();
	struct action_call call;
	memset(&call, 0, sizeof(call));
	call.step_id = "fuzz";
	call.redact = redact_new();
	call.connections = jv_object_set(jv_object(), jv_string("k8s"),
		jv_object_set(jv_object(), jv_string("kubeconfig"), jv_string(path)));
	struct k8s_conn c;
	jv err = jv_invalid();
	if (k8s_conn_load(&call, &c, &err) == 0) {
		if (!c.server || !c.namespace || !c.context)
			abort();    /* a loaded connection has these */
		k8s_conn_release(&c);
	} else if (jv_get_kind(err) != JV_KIND_OBJECT) {
		abort();    /* a failure says why */
	}
	jv_free(err);
	jv_free(call.connections);
	redact_free(call.redact);
	return 0;
}
