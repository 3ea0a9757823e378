/* privfile.c — files the simulator writes that hold secrets (--state-out with Secret
 * data, kubeconfigs with tokens and keys): created 0600 whatever the umask, never
 * through a symlink or over someone else's file, and replaced atomically.
 *
 * The data goes to a new file beside the target (mkstemp: O_CREAT|O_EXCL, mode 0600,
 * so a pre-created name or a symlink cannot be followed), is flushed, then renamed
 * over the target (rename replaces a symlink at the target, never writes through it).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sim.h"
#include "../core/buf.h"

int sim_write_private(const char *path, const char *data, size_t len, struct diag_list *dl)
{
	struct buf tmp = BUF_INIT(0);
	int fd = -1, rc = -1;
	if (buf_addf(&tmp, "%s.XXXXXX", path) < 0) {
		diag_error(dl, NULL, "cannot write '%s': path too long", path);
		goto out;
	}
	fd = mkstemp(tmp.data);
	if (fd < 0) {
		diag_error(dl, NULL, "cannot write '%s': %s", path, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) < 0)
		goto fail;
	for (size_t off = 0; off < len;) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail;
		off += (size_t)n;
	}
	if (fsync(fd) < 0 || close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp.data, path) < 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	diag_error(dl, NULL, "cannot write '%s': %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	fd = -1;
	unlink(tmp.data);
out:
	buf_release(&tmp);
	return rc;
}
