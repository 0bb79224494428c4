/* verify: check the repository (engine/ops/verify.h); the summary is logged and, with --output=text, printed. */
#include <stdio.h>
#include <string.h>

#include "cmd/command.h"
#include "common/buf.h"
#include "common/error.h"
#include "common/log.h"
#include "config/config.h"
#include "engine/ops/verify.h"
#include "engine/repo/repo.h"

int
cmd_verify(void)
{
    unsigned first = 0, last = repo_count();
    if (cfg_has(OPT_REPO)) {
        first = cfg_repo_index();
        last = first + 1;
    }
    unsigned process_max = cfg_has(OPT_PROCESS_MAX) ? (unsigned)cfg_int(OPT_PROCESS_MAX) : 1;
    /* 2.45 accepts --set ("for internal use") and verifies everything all the same: so does gaiarest, the set's
     * backup included */
    if (cfg_has(OPT_SET))
        LOG_DETAIL("verify the whole repository, backup set %s included", cfg_str(OPT_SET));
    Buf summary;
    buf_init(&summary);
    int result = 0;
    for (unsigned index = first; index < last && result == 0; index++) {
        bool ok = true;
        result = verify_repo(index, cfg_str(OPT_STANZA), process_max, cfg_bool(OPT_VERBOSE), &summary, &ok);
    }
    if (result == 0 && summary.size > 0) {
        /* 2.45 completes successfully whatever it finds: the summary is the report. */
        char *text = (char *)buf_str(&summary);
        size_t length = strlen(text);
        if (length > 0 && text[length - 1] == '\n')
            text[length - 1] = '\0';
        LOG_INFO("%s", text);
        const char *output = cfg_str(OPT_OUTPUT);
        if (output != NULL && strcmp(output, "text") == 0)
            printf("%s\n", text);
        fflush(stdout);
    }
    buf_free(&summary);
    return result;
}
