/*
 * fuzz_conf: pgbackrest.conf and its include files (config/conf_file.h), the INI that operators write by hand.
 *
 * Property: every entry of a text that parses has a section, a key and a value, and names the file.
 */
#include <stdlib.h>

#include "common/error.h"
#include "config/conf_file.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    ConfFile conf = {0};
    if (conf_file_parse(&conf, "/etc/pgbackrest/pgbackrest.conf", text) == 0)
        for (size_t index = 0; index < conf.count; index++)
            if (conf.entries[index].section == NULL || conf.entries[index].key == NULL ||
                conf.entries[index].value == NULL || conf.entries[index].file == NULL)
                fuzz_fail("a configuration entry with a missing part");
    conf_file_free(&conf);
    err_clear();
    free(text);
    return 0;
}
