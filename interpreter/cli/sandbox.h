/* sandbox.h — the rehearsal sandbox for exec and http.request (DESIGN.md "Rehearsals
 * you can trust"; runbook-scenario(5), EXEC AND HTTP IN REHEARSALS).
 *
 * sandbox_check() refuses, before anything runs, every step a rehearsal could not run
 * without reaching the real world; sandbox_make() builds what exec and http.request read
 * from connections.sandbox during the rehearsal (modules/core/exec.c, http.c).
 */
#ifndef RB_CLI_SANDBOX_H
#define RB_CLI_SANDBOX_H
#include <jv.h>
#include "../core/diag.h"
#include "../plan/plan.h"

/* the simulator's credentials: what rehearse gives the aws module, and every exec */
#define SANDBOX_ACCESS_KEY_ID "AKIDREHEARSAL"
#define SANDBOX_SECRET_ACCESS_KEY "rehearsal-secret"

/* Every exec and http.request step of p (the steps of `uses:` children, rollback and
 * finally steps too) against rules (sim_rules(); borrowed): a mutating exec that no
 * exec: rule matches, and an http.request to a host that is not loopback that no http:
 * rule answers, each get a located error in dl. A rule must match what is known before
 * the run: the literal argv items, the literal start of a url, and in the top runbook
 * the values of ${{ }} that read only .params (params: the resolved ones, borrowed) or
 * .run; a step whose `when:` is known false in a rehearsal is not checked. The
 * expressions of p must be compiled. 0, or -1 when a step was refused. */
int sandbox_check(const struct plan *p, jv params, jv rules, struct diag_list *dl);

/* A HOME of its own, made under dir (an AWS CLI config and aliases that point every
 * service at endpoint; nothing of the operator's; KUBECONFIG is kubeconfig, or a file
 * under HOME that does not exist when NULL), and *out = the connection value
 * {"env": {"set", "drop", "drop_host"}, "exec": [...], "http": [...]} for
 * connections.sandbox. rules is borrowed. *home (malloc'd) is the folder, for
 * sandbox_remove. 0, or -1 with a diagnostic. */
int sandbox_make(const char *dir, const char *endpoint, const char *region, const char *kubeconfig,
		 jv rules, jv *out, char **home, struct diag_list *dl);
/* remove the HOME made by sandbox_make and everything the steps left in it */
void sandbox_remove(const char *home);
#endif
