/* fs.h — files: read whole with a cap, create folders, write durably.
 * Functions return -1 / NULL with errno set (EFBIG: larger than the cap); returned
 * text is malloc'd (caller frees) and NUL-terminated.
 */
#ifndef RB_CORE_FS_H
#define RB_CORE_FS_H
#include <stddef.h>
#include <sys/types.h>

/* the whole file, at most cap bytes; *len (may be NULL) its length */
char *fs_read(const char *path, size_t cap, size_t *len);
/* mkdir -p with mode for every folder it creates; 0, or -1 */
int fs_mkdir_p(const char *path, mode_t mode);
/* every byte to fd, through short writes and EINTR */
int fs_write_all(int fd, const void *data, size_t len);
/* create or truncate path (mode when created), write data, fsync */
int fs_write(const char *path, const void *data, size_t len, mode_t mode);
/* replace path as a whole: a temporary file beside it, fsync, rename, fsync of the
 * folder; a reader sees the old content or the new, never a part */
int fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode);
#endif
