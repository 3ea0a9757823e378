/* privfile.c — files the simulator writes that hold secrets (--state-out with Secret
 * data, kubeconfigs with tokens and keys): created 0600 whatever the umask, never
 * through a symlink or over someone else's file, and replaced atomically.
 *
 * core/fs's fs_write_atomic does it: the data goes to a new file beside the target
 * (mkostemp: O_CREAT|O_EXCL, mode 0600, so a pre-created name or a symlink cannot be
 * followed), is flushed, then renamed over the target (rename replaces a symlink at the
 * target, never writes through it), and the folder is synced.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sim.h"
#include "../core/fs.h"

int sim_write_private(const char *path, const char *data, size_t len, struct diag_list *dl)
{
	if (fs_write_atomic(path, data, len, 0600) < 0) {
		diag_error(dl, NULL, "cannot write '%s': %s", path, strerror(errno));
		return -1;
	}
	return 0;
}
