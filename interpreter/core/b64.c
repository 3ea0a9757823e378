/* b64.c — base64 over OpenSSL (see b64.h) */
#include <limits.h>
#include <openssl/evp.h>
#include "b64.h"
#include "bug.h"

char *b64_encode(const void *data, size_t len, unsigned flags)
{
	if (len > INT_MAX / 2)
		BUG("base64 of more than 1 GB");
	char *out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	for (char *p = out; *p; p++) {
		if ((flags & B64_URL) && *p == '+')
			*p = '-';
		else if ((flags & B64_URL) && *p == '/')
			*p = '_';
		else if ((flags & B64_NOPAD) && *p == '=')
			*p = '\0';
	}
	return out;
}

unsigned char *b64_decode(const char *s, size_t len, size_t *outlen)
{
	if (len > INT_MAX / 2)
		return NULL;
	unsigned char *out = xmalloc(len / 4 * 3 + 4);
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	int n = 0, m = 0;
	if (!ctx)
		BUG("out of memory");
	EVP_DecodeInit(ctx);
	/* Update and Final, unlike EVP_DecodeBlock, skip line breaks and count the
	 * padding out of the length */
	if (EVP_DecodeUpdate(ctx, out, &n, (const unsigned char *)s, (int)len) < 0 ||
	    EVP_DecodeFinal(ctx, out + n, &m) < 0) {
		EVP_ENCODE_CTX_free(ctx);
		free(out);
		return NULL;
	}
	EVP_ENCODE_CTX_free(ctx);
	out[n + m] = '\0';
	if (outlen)
		*outlen = (size_t)(n + m);
	return out;
}
