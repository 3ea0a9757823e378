/* state_pg.c — NOT BUILT YET: placeholder so the tree links while the store is written
 * (issue 15). Every operation refuses with a clear error. */
#include <errno.h>
#include "state_priv.h"

static int nb_open(struct state *s, const char *where, jv *err)
{
	*err = jv_string("the pg state store is not built yet");
	return -1;
}
static void nb_close(struct state *s) {}
const struct state_ops state_pg_ops = { .name = "pg", .open = nb_open, .close = nb_close };
