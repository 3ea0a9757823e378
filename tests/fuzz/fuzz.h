/* fuzz.h — what the libFuzzer targets of tests/fuzz share.
 *
 * Each target is one LLVMFuzzerTestOneInput over a parser of runbook, linked with
 * -fsanitize=fuzzer,address,undefined (see run.sh). The inputs are files the CLI reads,
 * so most targets write the bytes to one scratch file per process and call the same
 * entry point the CLI calls on a path (NUL bytes and all).
 */
#ifndef RB_FUZZ_H
#define RB_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_path_[256];
static void fuzz_unlink_(void)
{
	unlink(fuzz_path_);
}

/* a scratch file of this process (removed at exit); the input is written there each run */
static inline const char *fuzz_scratch(const char *suffix)
{
	if (!fuzz_path_[0]) {
		const char *dir = getenv("TMPDIR");
		snprintf(fuzz_path_, sizeof(fuzz_path_), "%s/runbook-fuzz-%ld%s",
			 dir && *dir ? dir : "/tmp", (long)getpid(), suffix);
		atexit(fuzz_unlink_);
	}
	return fuzz_path_;
}

static inline int fuzz_write(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	int ok = fwrite(data, 1, size, f) == size;
	return fclose(f) == 0 && ok ? 0 : -1;
}

/* whether the input names a device or /proc file (a `uses:` of /dev/stdin or a fifo
 * would block the fuzzer, not find a bug) */
static inline int fuzz_names_device(const uint8_t *data, size_t size)
{
	static const char *const bad[] = { "/dev", "/proc", "/sys", NULL };
	for (int i = 0; bad[i]; i++)
		if (memmem(data, size, bad[i], strlen(bad[i])))
			return 1;
	return 0;
}

/* whether bytes hold two JSON values with no separator between them ('["a""b"]',
 * '{"a" "b"}'): libjq 1.6's parser leaks the second one (value() in jv_parse.c returns
 * "Expected separator between values" without freeing it; fixed in jq 1.7). Targets
 * that reach jv_parse_sized skip such inputs: the leak is known and reported, and
 * every other leak stays visible. A rough tokenizer: it may skip a few more inputs. */
static inline int fuzz_json_adjacent(const uint8_t *d, size_t n)
{
	int after_value = 0;
	size_t first = 0;
	while (first < n && (d[first] == ' ' || d[first] == '\t' || d[first] == '\n' || d[first] == '\r'))
		first++;
	if (first < n && d[first] == '<')
		return 0;    /* XML: libjq stops at the first byte */
	/* libjq's scanner: whitespace, punctuation, strings; any other run of bytes
	 * (NUL and garbage included) is one literal token */
	for (size_t i = 0; i < n; i++) {
		uint8_t c = d[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		int punct = c == '[' || c == ']' || c == '{' || c == '}' || c == ',' || c == ':';
		if (after_value && (!punct || c == '[' || c == '{'))
			return 1;
		if (c == '"') {
			for (i++; i < n && d[i] != '"'; i++)
				if (d[i] == '\\')
					i++;
			after_value = 1;
		} else if (!punct) {
			while (i + 1 < n && !strchr(" \t\n\r[]{},:\"", d[i + 1]))
				i++;
			after_value = 1;
		} else {
			after_value = c == ']' || c == '}';
		}
	}
	return 0;
}

/* a NUL-terminated copy (for parsers that take C strings) */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = 0;
	return s;
}
#endif
