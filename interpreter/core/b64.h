/* b64.h — base64 (RFC 4648), the one wrapper over OpenSSL's EVP encoder.
 * Results are malloc'd (caller frees) and NUL-terminated.
 */
#ifndef RB_CORE_B64_H
#define RB_CORE_B64_H
#include <stddef.h>

enum {
	B64_URL = 1 << 0,     /* the -_ alphabet (base64url) */
	B64_NOPAD = 1 << 1,   /* without the trailing = */
};
char *b64_encode(const void *data, size_t len, unsigned flags);
/* standard alphabet, padded; line breaks allowed (PEM, kubeconfig data). The bytes
 * with a NUL after them (*outlen excludes it; may be NULL), or NULL when s is not
 * base64 */
unsigned char *b64_decode(const char *s, size_t len, size_t *outlen);
#endif
