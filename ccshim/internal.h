/*
 * ccshim internals shared by the library's files (classify.c, options.c,
 * response.c); nothing outside ccshim/ includes this.
 */
#ifndef PYWELD_CCSHIM_INTERNAL_H
#define PYWELD_CCSHIM_INTERNAL_H

#include "ccshim.h"

/*
 * The row of tab (n rows, strcmp order) an argument is: an exact entry,
 * "--name=value" for EQUALS entries, or the longest PREFIX entry the
 * argument starts with; NULL when none.  *glued is set when the value is
 * inside the argument.
 */
const struct ccshim_opt *ccshim__find_opt(const struct ccshim_opt *tab, size_t n,
                                          const char *arg, bool *glued);

/*
 * Copies argv into cmd->argv (and cmd->argc) with every readable @file
 * replaced by its arguments, rescanned; sets cmd->response_files and, for
 * an @file kept as it is, cmd->unreadable_response and cmd->unreadable.
 * -1 with a message in err when memory runs out or expansion goes too far
 * (cmd->argv is then not set; cmd->unreadable may be, for ccshim_cmd_free).
 */
int ccshim__expand(struct ccshim_cmd *cmd, int argc, const char *const argv[],
                   char *err, size_t errlen);

#endif
