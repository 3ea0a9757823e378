/* keys.h — the keys of the runbook language, as the loader's key tables hold them (load.c,
 * load_steps.c, load_params.c): what `runbook schema runbook` is generated from. The
 * tables stay the loader's (each key comes with its parser there); here they are only
 * readable, by name. */
#ifndef RB_LANG_KEYS_H
#define RB_LANG_KEYS_H

struct key_desc;   /* load.c's */
extern const struct key_desc *const lang_top_keys, *const lang_step_keys, *const lang_wait_keys,
	*const lang_confirm_keys, *const lang_assert_keys, *const lang_retry_keys,
	*const lang_param_keys, *const lang_objective_keys;
/* the i-th key of a table, NULL past its end */
const char *lang_key_name(const struct key_desc *tab, int i);
#endif
