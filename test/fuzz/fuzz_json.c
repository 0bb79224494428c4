/*
 * fuzz_json: the JSON values of info files and manifests (common/json.h).
 *
 * Property: json_valid() agrees with json_parse(); a parsed value writes to text that parses again and writes to
 * the same bytes.
 */
#include <stdlib.h>
#include <string.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/json.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    JsonValue *value = NULL;
    int result = json_parse(text, size, &value);
    if ((result == 0) != json_valid(text, size))
        fuzz_fail("json_valid and json_parse disagree");
    if (result == 0) {
        Buf first = BUF_INIT, second = BUF_INIT;
        json_write(&first, value);
        JsonValue *again = NULL;
        if (json_parse(buf_str(&first), first.size, &again) != 0)
            fuzz_fail(err_message());
        json_write(&second, again);
        if (second.size != first.size || memcmp(second.data, first.data, first.size) != 0)
            fuzz_fail("written JSON writes differently once parsed again");
        json_free(again);
        buf_free(&first);
        buf_free(&second);
    }
    json_free(value);
    err_clear();
    free(text);
    return 0;
}
