/* diagnostics: location, excerpt, caret (UTF-8 and tabs), sorting with notes, suggestions */
#include <stdlib.h>
#include "core/diag.h"
#include "check.h"

static char *print(struct diag_list *dl)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	diag_print(dl, f, 0);
	fclose(f);
	return out;
}

int main(void)
{
	struct source_list sl = { 0 };
	struct diag_list dl = { 0 };
	const char *text = "runbook: x\nsteps:\n  - id: caf\xc3\xa9\n    needs: [bakup]\n";
	struct source *src = source_from_text(&sl, "r.yaml", text, strlen(text));
	struct srcloc l4 = { src, 4, 13 }, l3 = { src, 3, 12 };
	diag_error(&dl, &l4, "step 'caf\xc3\xa9' needs unknown step 'bakup' (did you mean '%s'?)", "backup");
	diag_note(&dl, &l3, "declared here");
	diag_error(&dl, &l3, "bad id");
	diag_error(&dl, NULL, "param 'x' is required");
	CHECK(dl.nerrors == 3);
	diag_sort(&dl);
	char *out = print(&dl);
	CHECK_STR(out,
		"runbook: error: param 'x' is required\n"
		"r.yaml:3:12: error: bad id\n"
		"    3 |   - id: caf\xc3\xa9\n"
		"      |            ^\n"
		"r.yaml:4:13: error: step 'caf\xc3\xa9' needs unknown step 'bakup' (did you mean 'backup'?)\n"
		"    4 |     needs: [bakup]\n"
		"      |             ^\n"
		"r.yaml:3:12: note: declared here\n"
		"    3 |   - id: caf\xc3\xa9\n"
		"      |            ^\n");
	free(out);
	char *line = diag_format_line(&dl.items[1]);
	CHECK_STR(line, "r.yaml:3:12: error: bad id");
	free(line);

	const char *names[] = { "backup", "restore", "rollback", NULL };
	CHECK_STR(diag_suggest("bakup", names, -1), "backup");
	CHECK_STR(diag_suggest("restroe", names, 3), "restore");
	CHECK(diag_suggest("zzzzzz", names, -1) == NULL);
	CHECK(diag_suggest("backup", names, -1) == NULL);    /* exact: nothing to suggest */

	size_t len;
	CHECK(source_line(src, 5, &len) != NULL && len == 0);  /* after the last newline */
	CHECK(source_line(src, 6, &len) == NULL);
	diag_list_release(&dl);
	source_list_release(&sl);
	return check_done("diag");
}
